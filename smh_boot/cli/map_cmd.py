"""``smh-boot map [BOARD]``: boot a board and draw its memory map (SVG, HTML, text or JSON)."""

from __future__ import annotations

from typing import Any

import click


def _boot(board: str | None, overlays: tuple[str, ...], drivers: bool, strict: bool) -> Any:
    """Boot the board (a seam, so tests can hand in a system of their own)."""
    from ..bootstage import boot

    return boot(board, overlays=overlays, drivers=drivers, strict=strict)


@click.command("map")
@click.argument("board", required=False)
@click.option("--overlay", "overlays", multiple=True, type=click.Path(dir_okay=False),
              help="Devicetree overlay applied after the board's own (repeatable).")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Write the map here (format from the suffix unless --format is given).")
@click.option("--format", "fmt", type=click.Choice(["svg", "html", "text", "json"]),
              help="Output format (default: from -o's suffix, else text on stdout).")
@click.option("--strict/--no-strict", default=False, show_default=True,
              help="Refuse layouts with error-level findings (default: draw them, marked).")
@click.option("--no-drivers", is_flag=True, help="Do not bind simulated drivers (no allocations).")
@click.option("--heap-figures/--no-heap-figures", default=True, show_default=True,
              help="Add a figure per heap (occupancy bar and free-chunk histogram) to SVG/HTML.")
def command(board, overlays, output, fmt, strict, no_drivers, heap_figures):
    """Draw the memory map of BOARD (default: the default board) after booting it.

    The map shows every memory node and region with its attribute and DMA capability, live
    allocations by owner, heap reports, and the validator's overlaps and gaps."""
    from ..report import format_for, map_from_system, render, write_map

    system = _boot(board, tuple(overlays), not no_drivers, strict)
    mm = map_from_system(system)
    if output:
        path = write_map(mm, output, fmt or format_for(output), heap_figures=heap_figures)
        click.echo(f"memory map written to {path}")
    else:
        click.echo(render(mm, fmt or "text", heap_figures=heap_figures), nl=False)
    return 0
