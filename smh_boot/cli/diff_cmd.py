"""``smh-boot diff A [B]``: compare two boots region by region and device by device.

Each side is a board (shipped name, board YAML, ...), booted with its own overlays, or a saved
``smh-boot boot --json`` report.  B defaults to A, so ``smh-boot diff BOARD --overlay-b
new.overlay`` shows what an overlay changes.  Exit status: 0 no difference, 1 differences
(so CI can gate a layout change), 2 bad input.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import click

from ..errors import InputError
from ._target import target_options


def _is_report(spec: str | None) -> bool:
    return bool(spec and spec.endswith(".json") and Path(spec).is_file())


def _side(spec: str | None, overlays: tuple[str, ...], label: str,
          target: dict[str, Any]) -> tuple[dict[str, Any], Any, str]:
    """(boot report, system or None, label) of one side: a saved report, or anything `boot`
    takes (a board name or YAML, a .dts, a Zephyr build directory, a board target)."""
    if _is_report(spec):
        if overlays:
            raise InputError(f"--overlay-{label} cannot apply to a saved report", file=spec,
                             hint="boot the board instead, or save the report with the overlay")
        from ..planning.diff import check_report

        try:
            doc = json.loads(Path(spec).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as e:
            raise InputError(f"cannot read the report: {e}", file=spec) from e
        except json.JSONDecodeError as e:
            raise InputError(f"not valid JSON: {e.msg}", file=spec, line=e.lineno, column=e.colno) from e
        return check_report(doc, spec), None, spec
    from ..bootstage import boot
    from ..bootstage.boot_report import boot_report
    from ._target import print_warnings, resolve_target

    resolved = resolve_target(spec, overlays, **target)
    print_warnings(resolved)
    system = boot(resolved.board, strict=False, dt_loader=resolved.dt_loader())
    name = getattr(system.board, "name", spec or "default board")
    shown = name + "".join(f" + {o}" for o in overlays)
    return boot_report(system), system, shown


def _side_by_side(sys_a: Any, sys_b: Any, label_a: str, label_b: str, changes: list[Any]) -> str:
    from ..report import map_from_system, render

    svg_a = render(map_from_system(sys_a), "svg")
    svg_b = render(map_from_system(sys_b), "svg")
    items = "".join(f"<li>{html.escape(str(c))}</li>" for c in changes) or "<li>no differences</li>"
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>smh-boot diff</title>
<style>body{{font-family:sans-serif;margin:16px}} .maps{{display:flex;gap:16px;align-items:flex-start}}
.maps>div{{flex:1;min-width:0}} .maps svg{{width:100%;height:auto}} h2{{font-size:16px}}</style></head>
<body><h1>smh-boot diff</h1><ul>{items}</ul>
<div class="maps"><div><h2>A: {html.escape(label_a)}</h2>{svg_a}</div>
<div><h2>B: {html.escape(label_b)}</h2>{svg_b}</div></div></body></html>
"""


@click.command("diff")
@click.argument("a", required=False)
@click.argument("b", required=False)
@click.option("--overlay-a", "overlays_a", multiple=True, type=click.Path(dir_okay=False),
              help="Overlay for side A (repeatable).")
@click.option("--overlay-b", "overlays_b", multiple=True, type=click.Path(dir_okay=False),
              help="Overlay for side B (repeatable).")
@target_options
@click.option("--json", "as_json", is_flag=True, help="Print the differences as JSON.")
@click.option("--map", "map_file", type=click.Path(dir_okay=False),
              help="Write both memory maps side by side (HTML) with the differences listed.")
def command(a, b, overlays_a, overlays_b, as_json, map_file, **target):
    """Compare boot A with boot B (default: A again, e.g. with --overlay-b).

    Each side is a saved `smh-boot boot --json` report, or anything `boot` takes: a shipped
    board, a board YAML, a .dts, a Zephyr build directory, a Zephyr board target.  The
    --zephyr-base, --board-root, --module and override options apply to both sides;
    --build-dir stands for A when A is not given."""
    from ..planning.diff import diff_reports, render_text

    build_dir = target.pop("build_dir", None)
    if build_dir and a is None:
        a = build_dir
    elif build_dir:
        raise InputError("--build-dir names side A, but A is given too",
                         hint="name both sides as arguments: smh-boot diff BUILD_A BUILD_B")
    # options are checked before any boot or diff is printed
    if map_file and (_is_report(a) or _is_report(b if b is not None else a)):
        raise InputError("--map needs two boots, not saved reports",
                         file=a if _is_report(a) else b,
                         hint="name boards (with their overlays) on both sides, or drop --map")
    for side, ovl in ((a, overlays_a), (b if b is not None else a, overlays_b)):
        if ovl and _is_report(side):
            raise InputError(f"--overlay-{'a' if ovl is overlays_a else 'b'} cannot apply to "
                             "a saved report", file=side,
                             hint="boot the board instead, or save the report with the overlay")
    rep_a, sys_a, label_a = _side(a, tuple(overlays_a), "a", target)
    rep_b, sys_b, label_b = _side(b if b is not None else a, tuple(overlays_b), "b", target)
    changes = diff_reports(rep_a, rep_b)
    if as_json:
        click.echo(json.dumps({"format": "smh-boot-diff/1", "a": label_a, "b": label_b,
                               "changes": [c.as_dict() for c in changes]}, indent=2))
    else:
        click.echo(render_text(label_a, label_b, changes), nl=False)
    if map_file:
        try:
            Path(map_file).write_text(_side_by_side(sys_a, sys_b, label_a, label_b, changes), encoding="utf-8")
        except OSError as e:
            raise InputError(f"cannot write the map: {e.strerror}", file=map_file) from e
        if not as_json:
            click.echo(f"side-by-side map written to {map_file}")
    return 1 if changes else 0
