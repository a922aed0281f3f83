"""``smh-boot boards``: the table of boards (shipped, then each board root's), or JSON, or a
commented board YAML to start from (``--template``)."""

from __future__ import annotations

import json

import click

from ..board import Board, board_roots, list_boards

_COLUMNS = ("", "NAME", "ARCH", "CPU", "ISA", "PTR", "D-CACHE", "DRIVERS", "DESCRIPTION")

TEMPLATE = """\
# smh-boot board definition: save as <name>.yaml in a board root (--board-root DIR or
# $SMH_BOOT_BOARD_ROOT) and boot it with `smh-boot boot <name>`.  Relative paths are relative
# to this file's folder.  For a Zephyr board you need no YAML at all: use
# `smh-boot boot BOARD/SOC --zephyr-base Z` or `smh-boot boot --build-dir build`.
name: my_board                 # must match the file name
vendor: ACME
soc: acme_soc1
cpu: cortex-m7                 # shown in the boot log
arch: arm                      # arm | arm64 | riscv | xtensa | x86 | posix
isa: armv7e-m                  # picks the MPU rule on arm (armv7-m/armv7e-m or armv8-m.main)
ptr_size: 4                    # 4 or 8: changes every heap address
devicetree:
  dts: my_board.dts            # the board devicetree (preprocessed with cpp, as Zephyr does)
  overlays: []                 # applied after it, in order
  include_dirs: []             # -isystem folders for #include <...>, e.g. [include]
heap:                          # the sys_heap Kconfig the firmware builds with
  runtime_stats: false         # CONFIG_SYS_HEAP_RUNTIME_STATS
  alloc_loops: 3               # CONFIG_SYS_HEAP_ALLOC_LOOPS
  hardening: strict            # none | basic | moderate | full | strict (smh-boot's own checks)
  heap_mode: auto              # auto | small | big (CONFIG_SYS_HEAP_SMALL_ONLY / _BIG_ONLY)
smh_policy: null               # null: the architecture's default zephyr,memory-attr -> SMH mapping
cache:                         # the L1 data cache, or `cache: null` for none
  line_size: 32
  size: 16384
  ways: 4
mem_attr:
  enabled: false               # CONFIG_MEM_ATTR
  heap: false                  # CONFIG_MEM_ATTR_HEAP
drivers: []                    # shipped simulated drivers to bind by compatible ([]: every one)
description: my first board
"""


def count_regions(b: Board) -> int:
    """Status-okay ``zephyr,memory-attr`` regions of the board's devicetree (preprocesses and
    parses it, so only done on request)."""
    from ..devicetree import find_regions, load_devicetree

    dt = load_devicetree(b.dts_path, overlays=b.overlay_paths, include_dirs=b.include_dirs)
    return len(find_regions(dt, arch=b.arch).regions)


def _row(b: Board, from_root: bool = False) -> tuple[str, ...]:
    return (
        "*" if b.default else ("+" if from_root else ""),
        b.name,
        b.arch,
        b.cpu,
        b.isa,
        f"{b.ptr_size * 8}-bit",
        b.cache.describe() if b.cache else "none",
        str(len(b.drivers)),
        b.description,
    )


def render_table(boards: list[Board], regions: dict[str, int] | None = None,
                 roots: list | None = None) -> str:
    """The text table: one line per board, ``*`` marking the default and ``+`` a board from a
    board root, then a legend.

    With ``regions`` (board name -> count) a REGIONS column comes before the description."""
    roots = roots or []
    root_set = {str(r) for r in roots}
    header = _COLUMNS
    rows = [_row(b, str(b.path.parent) in root_set) for b in boards]
    if regions is not None:
        header = (*_COLUMNS[:-1], "REGIONS", _COLUMNS[-1])
        rows = [(*r[:-1], str(regions[b.name]), r[-1]) for r, b in zip(rows, boards)]
    rows = [header, *rows]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows]
    lines.append("")
    lines.append("* default board (`smh-boot boot` with no argument boots it)")
    if roots:
        lines.append("+ from a board root: " + ", ".join(str(r) for r in roots))
    return "\n".join(lines)


@click.command("boards")
@click.option("--json", "as_json", is_flag=True, help="Print every board definition as JSON.")
@click.option("--regions", "with_regions", is_flag=True,
              help="Also count each board's zephyr,memory-attr regions (parses the devicetrees).")
@click.option("--board-root", "roots", multiple=True, metavar="DIR",
              help="Also list the board YAML files in DIR (repeatable; also $SMH_BOOT_BOARD_ROOT).")
@click.option("--zephyr-base", metavar="DIR",
              help="Also list the board targets of this Zephyr tree (hardware model v2) "
              "[default: $ZEPHYR_BASE, as boot takes it].")
@click.option("--template", is_flag=True, help="Print a commented board YAML to start from.")
def command(as_json: bool, with_regions: bool, roots: tuple[str, ...], zephyr_base: str | None,
            template: bool) -> int:
    """List the boards: shipped ones, then those of each board root (--board-root,
    $SMH_BOOT_BOARD_ROOT): architecture, CPU, pointer size, data cache, drivers.

    Exit status 2 when a board definition (or, with --regions, a devicetree) is invalid; the
    error names file, line and key."""
    if template:
        click.echo(TEMPLATE, nl=False)
        return 0
    root_paths = board_roots(roots)
    boards = list_boards(root_paths)
    regions = {b.name: count_regions(b) for b in boards} if with_regions else None
    targets = zephyr_targets(root_paths, zephyr_base)
    from ..resolve import TargetSpec, _zephyr_base

    listed_tree = _zephyr_base(TargetSpec(zephyr_base=zephyr_base)) is not None
    if as_json:
        data = [b.summary() for b in boards]
        if regions is not None:
            for d in data:
                d["regions"] = regions[d["name"]]
        click.echo(json.dumps(data if not listed_tree else
                              {"boards": data, "zephyr_targets": targets}, indent=2))
    else:
        click.echo(render_table(boards, regions, root_paths))
        if targets:
            click.echo("\nZephyr board targets (boot them with --zephyr-base):")
            for t in targets:
                click.echo(f"  {t}")
    return 0


def zephyr_targets(roots: list, zephyr_base: str | None) -> list[str]:
    """Every hwmv2 board target below the board roots and the Zephyr tree (``zephyr_base``,
    else ``$ZEPHYR_BASE`` as ``boot`` takes it) (board.yml + soc.yml)."""
    from ..resolve import TargetSpec, _zephyr_base
    from ..zephyr import hwm

    zroots = [r for r in roots if (r / "boards").is_dir()]
    zb = _zephyr_base(TargetSpec(zephyr_base=zephyr_base))  # None: neither given nor set
    if zb is not None:
        zroots.append(zb)
    out: list[str] = []
    for b in hwm.all_boards(zroots):
        b.soc_clusters = hwm.soc_clusters(zroots, {str(s.get("name")) for s in b.socs})
        out += b.target_names()
    return out
