"""``smh-boot boards``: the table of shipped boards (or the same as JSON)."""

from __future__ import annotations

import json

import click

from ..board import Board, list_boards

_COLUMNS = ("", "NAME", "ARCH", "CPU", "ISA", "PTR", "D-CACHE", "DRIVERS", "DESCRIPTION")


def count_regions(b: Board) -> int:
    """Status-okay ``zephyr,memory-attr`` regions of the board's devicetree (preprocesses and
    parses it, so only done on request)."""
    from ..devicetree import find_regions, load_devicetree

    dt = load_devicetree(b.dts_path, overlays=b.overlay_paths, include_dirs=b.include_dirs)
    return len(find_regions(dt, arch=b.arch).regions)


def _row(b: Board) -> tuple[str, ...]:
    return (
        "*" if b.default else "",
        b.name,
        b.arch,
        b.cpu,
        b.isa,
        f"{b.ptr_size * 8}-bit",
        b.cache.describe() if b.cache else "none",
        str(len(b.drivers)),
        b.description,
    )


def render_table(boards: list[Board], regions: dict[str, int] | None = None) -> str:
    """The text table: one line per board, ``*`` marking the default, then a legend.

    With ``regions`` (board name -> count) a REGIONS column comes before the description."""
    header, rows = _COLUMNS, [_row(b) for b in boards]
    if regions is not None:
        header = (*_COLUMNS[:-1], "REGIONS", _COLUMNS[-1])
        rows = [(*r[:-1], str(regions[b.name]), r[-1]) for r, b in zip(rows, boards)]
    rows = [header, *rows]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows]
    lines.append("")
    lines.append("* default board (`smh-boot boot` with no argument boots it)")
    return "\n".join(lines)


@click.command("boards")
@click.option("--json", "as_json", is_flag=True, help="Print every board definition as JSON.")
@click.option("--regions", "with_regions", is_flag=True,
              help="Also count each board's zephyr,memory-attr regions (parses the devicetrees).")
def command(as_json: bool, with_regions: bool) -> int:
    """List the shipped boards: architecture, CPU, pointer size, data cache, drivers.

    Exit status 2 when a board definition (or, with --regions, a devicetree) is invalid; the
    error names file, line and key."""
    boards = list_boards()
    regions = {b.name: count_regions(b) for b in boards} if with_regions else None
    if as_json:
        data = [b.summary() for b in boards]
        if regions is not None:
            for d in data:
                d["regions"] = regions[d["name"]]
        click.echo(json.dumps(data, indent=2))
    else:
        click.echo(render_table(boards, regions))
    return 0
