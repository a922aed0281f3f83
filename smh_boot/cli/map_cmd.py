"""``smh-boot map [TARGET]``: boot a board and draw its memory map (SVG, HTML, text or JSON).

TARGET is resolved like ``boot``'s (:mod:`smh_boot.cli._target`)."""

from __future__ import annotations

from typing import Any

import click

from ._target import devicetree_options, print_warnings, resolve_target, target_options


def _boot(board: str | None, overlays: tuple[str, ...], drivers: bool, strict: bool,
          **target: Any) -> Any:
    """Resolve the input and boot it (a seam, so tests can hand in a system of their own);
    ``target`` holds -I and the shared input options when any is given."""
    from ..bootstage import boot

    include_dirs = target.pop("include_dirs", ())
    resolved = resolve_target(board, overlays, include_dirs, **target)
    if strict:
        resolved.check_strict()
    print_warnings(resolved)
    return boot(resolved.board, drivers=drivers, strict=strict, dt_loader=resolved.dt_loader())


@click.command("map")
@click.argument("board", required=False)
@devicetree_options
@target_options
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Write the map here (format from the suffix unless --format is given).")
@click.option("--format", "fmt", type=click.Choice(["svg", "html", "text", "json"]),
              help="Output format (default: from -o's suffix, else text on stdout).")
@click.option("--strict/--no-strict", default=False, show_default=True,
              help="Refuse layouts with error-level findings and targets whose architecture "
              "had to be guessed (default: draw them, marked, with warnings).")
@click.option("--no-drivers", is_flag=True, help="Do not bind simulated drivers (no allocations).")
@click.option("--heap-figures/--no-heap-figures", default=True, show_default=True,
              help="Add a figure per heap (occupancy bar and free-chunk histogram) to SVG/HTML.")
def command(board, overlays, include_dirs, output, fmt, strict, no_drivers, heap_figures, **target):
    """Draw the memory map of BOARD (default: the default board) after booting it.

    BOARD is taken as by `smh-boot boot` (board, YAML, .dts, Zephyr target, --build-dir).
    The map shows every memory node and region with its attribute and DMA capability, live
    allocations by owner, heap reports, and the validator's overlaps and gaps.

    Exit status: 0 when the map is drawn, also for a broken layout (its errors are drawn,
    marked, and counted on stderr: "N layout errors (not failing: --no-strict)"); --strict
    refuses such a layout (2), as boot does; 2 bad input."""
    from ..report import format_for, map_from_system, render, write_map

    given = {k: v for k, v in (("include_dirs", include_dirs), *target.items()) if v}
    system = _boot(board, tuple(overlays), not no_drivers, strict, **given)
    from ._target import layout_summary

    _errors, said = layout_summary(system, strict, refused_fails=False)
    if said:
        click.echo(said, err=True)
    mm = map_from_system(system)
    if output:
        path = write_map(mm, output, fmt or format_for(output), heap_figures=heap_figures)
        click.echo(f"memory map written to {path}")
    else:
        click.echo(render(mm, fmt or "text", heap_figures=heap_figures), nl=False)
    return 0
