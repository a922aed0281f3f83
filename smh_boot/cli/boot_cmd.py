"""``smh-boot boot [TARGET]``: boot a board and print its boot log (or the JSON report).

TARGET is a shipped board, a board YAML, a plain ``.dts``, or a Zephyr board target (with
``--zephyr-base``); ``--build-dir`` boots what a Zephyr build produced (see
:mod:`smh_boot.cli._target`)."""

from __future__ import annotations

import json

import click

from ._target import devicetree_options, resolve_target, target_options


@click.command("boot")
@click.argument("board", required=False)
@devicetree_options
@target_options
@click.option("--no-drivers", is_flag=True, help="Do not bind simulated drivers.")
@click.option("--strict/--no-strict", default=True, show_default=True,
              help="Refuse to boot a layout with error-level findings, or a target whose "
              "architecture, pointer size or cache had to be guessed.")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON boot report instead of the log.")
@click.option("--map", "map_file", type=click.Path(dir_okay=False),
              help="Also write the memory map (.svg, .html or .txt by extension).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for the cache stress modes.")
@click.option("--stress", is_flag=True, help="Turn the cache stress modes on.")
def command(board, overlays, include_dirs, no_drivers, strict, as_json, map_file, seed, stress, **target):
    """Boot BOARD (default: the default board) and show regions, devices and buffers.

    BOARD is a shipped board name, a board YAML, a .dts file, or a Zephyr board target
    (BOARD[@REV][/SOC[/CPUCLUSTER[/VARIANT]]] with --zephyr-base or $ZEPHYR_BASE); or give
    --build-dir DIR to boot a Zephyr build.

    Exit status: 0 every device ready and every heap region added, 1 a device failed or (with
    --no-strict) a heap region was refused, 2 the board could not be loaded, the layout is
    invalid under --strict, or (under --strict) something had to be guessed.  With
    --no-strict, layout errors that refuse no heap region leave the status at 0: the log's
    last line says "N layout errors (not failing: --no-strict)" (the JSON report's
    "summary")."""
    from ..bootstage import boot
    from ..bootstage.boot_report import boot_report

    resolved = resolve_target(board, overlays, include_dirs, **target)
    if strict:
        resolved.check_strict()
    system = boot(resolved.board, drivers=not no_drivers, strict=strict, seed=seed, stress=stress,
                  dt_loader=resolved.dt_loader())
    from ..bootstage.boot_report import refused_regions
    from ._target import layout_summary

    errors, said = layout_summary(system, strict)
    if as_json:
        doc = boot_report(system)
        doc["summary"] = {"layout_errors": errors, "heap_refused": len(refused_regions(system)),
                          "strict": strict, "message": said}
        click.echo(json.dumps(doc, indent=2, sort_keys=False))
    else:
        click.echo(system.log_text, nl=False)
        if said:
            click.echo(said)
    if map_file:
        from ..report.render import write_map

        write_map(system, map_file)
        if not as_json:
            click.echo(f"memory map written to {map_file}")
    return 0 if system.ready and not refused_regions(system) else 1
