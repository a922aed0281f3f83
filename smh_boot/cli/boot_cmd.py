"""``smh-boot boot [BOARD]``: boot a board and print its boot log (or the JSON report)."""

from __future__ import annotations

import json

import click


@click.command("boot")
@click.argument("board", required=False)
@click.option("--overlay", "overlays", multiple=True, type=click.Path(dir_okay=False),
              help="Devicetree overlay applied after the board's own (repeatable).")
@click.option("--no-drivers", is_flag=True, help="Do not bind simulated drivers.")
@click.option("--strict/--no-strict", default=True, show_default=True,
              help="Refuse to boot a layout with error-level findings.")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON boot report instead of the log.")
@click.option("--map", "map_file", type=click.Path(dir_okay=False),
              help="Also write the memory map (.svg, .html or .txt by extension).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for the cache stress modes.")
@click.option("--stress", is_flag=True, help="Turn the cache stress modes on.")
def command(board, overlays, no_drivers, strict, as_json, map_file, seed, stress):
    """Boot BOARD (default: the default board) and show regions, devices and buffers.

    Exit status: 0 every device ready and every heap region added, 1 a device failed or (with
    --no-strict) a heap region was refused, 2 the board could not be loaded or the layout is
    invalid under --strict."""
    from ..bootstage import boot
    from ..bootstage.boot_report import boot_report

    system = boot(board, overlays=overlays, drivers=not no_drivers, strict=strict,
                  seed=seed, stress=stress)
    if as_json:
        click.echo(json.dumps(boot_report(system), indent=2, sort_keys=False))
    else:
        click.echo(system.log_text, nl=False)
    if map_file:
        from ..report.render import write_map

        write_map(system, map_file)
        if not as_json:
            click.echo(f"memory map written to {map_file}")
    from ..bootstage.boot_report import refused_regions

    return 0 if system.ready and not refused_regions(system) else 1
