"""``smh-boot boards``: the table of shipped boards (or the same as JSON)."""

from __future__ import annotations

import json

import click

from ..board import Board, list_boards

_COLUMNS = ("", "NAME", "ARCH", "CPU", "ISA", "PTR", "D-CACHE", "DRIVERS", "DESCRIPTION")


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


def render_table(boards: list[Board]) -> str:
    """The text table: one line per board, ``*`` marking the default, then a legend."""
    rows = [_COLUMNS, *(_row(b) for b in boards)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(_COLUMNS))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows]
    lines.append("")
    lines.append("* default board (`smh-boot boot` with no argument boots it)")
    return "\n".join(lines)


@click.command("boards")
@click.option("--json", "as_json", is_flag=True, help="Print every board definition as JSON.")
def command(as_json: bool) -> int:
    """List the shipped boards: architecture, CPU, pointer size, data cache, drivers.

    Exit status 2 when a board definition is invalid (the error names file, line and key)."""
    boards = list_boards()
    if as_json:
        click.echo(json.dumps([b.summary() for b in boards], indent=2))
    else:
        click.echo(render_table(boards))
    return 0
