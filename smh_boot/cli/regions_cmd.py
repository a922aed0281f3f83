"""``smh-boot regions``: list the memory-attribute regions of a devicetree.

Only parses options, calls the devicetree front end and renders; errors (DevicetreeError)
reach the CLI group, which prints one ``file:line:col: error: ...`` message, exit status 2.
"""

from __future__ import annotations

import json

import click

from ..devicetree import MappingPolicy, RegionRecord, RegionScan, find_regions
from ._target import print_warnings, resolve_target, target_options
#: the ``format`` field of ``regions --json``; addresses follow smh-boot's JSON convention
#: (integers, plus ``addr_hex``/``attr_hex`` strings: see :mod:`smh_boot.units`)
FORMAT = "smh-boot-regions/1"
_COLUMNS = ("PATH", "LABEL", "REGION", "ADDRESS", "SIZE", "ATTR", "DECODED", "SMH", "SOURCE")


def _row(rec: RegionRecord, policy: MappingPolicy) -> tuple[str, ...]:
    attr, _why = policy.explain(rec)
    return (
        rec.path,
        ",".join(rec.labels) or "-",
        rec.region_name or "-",
        f"{rec.addr:#010x}",
        f"{rec.size:#x}",
        f"{rec.attr:#010x}" if rec.attr is not None else "-",
        rec.decoded.describe() if rec.decoded else "-",
        attr.name if attr is not None else "-",
        str(rec.location) if rec.location else "-",
    )


def render_text(scan: RegionScan, policy: MappingPolicy) -> str:
    """The text table of ``smh-boot regions`` (regions, then skipped nodes and the policy)."""
    rows = [_COLUMNS] + [_row(r, policy) for r in scan.regions]
    widths = [max(len(r[i]) for r in rows) for i in range(len(_COLUMNS))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    if not scan.regions:
        lines.append("(no status-okay node carries zephyr,memory-attr)")
    for rec in scan.disabled:
        lines.append(f"disabled: {rec.path} ({rec.status}), {rec.addr:#x}+{rec.size:#x}")
    for path in scan.without_attr:
        lines.append(f"no attribute (not a heap region): {path}")
    for rec in scan.regions:
        attr, why = policy.explain(rec)
        if attr is None:
            lines.append(f"unmapped: {rec.path}: {why}")
    lines.append(policy.describe())
    return "\n".join(lines)


def render_json(scan: RegionScan, policy: MappingPolicy) -> str:
    """The ``--json`` document: regions (with their SMH mapping), disabled, warnings."""

    def rec_dict(rec: RegionRecord) -> dict[str, object]:
        attr, why = policy.explain(rec)
        d = rec.to_dict()
        d["smh_attr"] = attr.name if attr is not None else None
        d["smh_reason"] = why
        return d

    doc = {
        "format": FORMAT,
        "arch": scan.arch,
        "policy": policy.name,
        "regions": [rec_dict(r) for r in scan.regions],
        "disabled": [r.to_dict() for r in scan.disabled],
        "without_attr": scan.without_attr,
        "warnings": [
            {"code": w.code, "message": w.message, "location": str(w.location) if w.location else None}
            for w in scan.warnings
        ],
    }
    return json.dumps(doc, indent=2)


def _arch(board) -> str | None:
    return None if board.arch == "unknown" else board.arch


@click.command(name="regions")
@click.argument("dts", required=False)
@click.option("--overlay", "overlays", multiple=True, type=click.Path(dir_okay=False),
              help="Overlay applied after DTS (repeatable, in order).")
@click.option("-I", "include_dirs", multiple=True, type=click.Path(file_okay=False),
              help="Extra include folder for #include (repeatable).")
@target_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def command(dts: str | None, overlays: tuple[str, ...], include_dirs: tuple[str, ...],
            as_json: bool, **target) -> None:
    """List the nodes of DTS carrying zephyr,memory-attr, with their SMH mapping.

    DTS is a .dts file, a board, or a Zephyr board target (with --zephyr-base); or give
    --build-dir DIR.  The architecture (which names the architecture bits and picks the SMH
    mapping) is inferred from the devicetree, the build's .config or the board; --arch
    overrides it."""
    resolved = resolve_target(dts, overlays, include_dirs, default=False, **target)
    dt = resolved.load_devicetree()
    board = resolved.board
    scan = find_regions(dt, _arch(board))
    policy = (MappingPolicy.from_rules(board.policy_rules()) if board.smh_policy
              else MappingPolicy.default(scan.arch))
    if as_json:
        doc = json.loads(render_json(scan, policy))
        doc["warnings"] = [{"code": "inference", "message": w, "location": str(board.path)}
                           for w in resolved.warnings] + doc["warnings"]
        click.echo(json.dumps(doc, indent=2))
        return
    click.echo(render_text(scan, policy))
    for w in scan.warnings:
        click.echo(str(w), err=True)
    print_warnings(resolved)
