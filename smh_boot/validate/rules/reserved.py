"""Per-node rules of reserved-memory (dtschema's anchor) and linker region names."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..diagnostic import Related
from .base import Context, Finding, rule


@rule(
    "reg-and-size",
    "error",
    "a reserved-memory child has both or neither of reg and size",
    """
A child of /reserved-memory must have exactly one of 'reg' (a static region at a fixed
address) and 'size' (a dynamic allocation the OS places itself), as the devicetree
specification and dtschema's reserved-memory schema require.

Why it matters: with both, readers disagree on which one wins (Linux ignores size, other
loaders the reverse); with neither the node reserves nothing. Zephyr has no dynamic
reserved-memory allocator at all, so on Zephyr 'size' alone also reserves nothing: only
'reg' regions exist.

Fix: keep 'reg = <addr size>;' and drop 'size' (or the other way round for an OS that
allocates dynamic regions).
""",
)
def check_reg_and_size(ctx: Context) -> Iterator[Finding]:
    for n in ctx.layout.nodes:
        if not n.in_reserved_memory:
            continue
        has_reg = n.regs is not None
        if has_reg and n.has_size:
            yield Finding(
                n.size_location or n.location,
                n.path,
                "has both 'reg' and 'size': a reserved-memory child is either static (reg) or "
                "dynamic (size)",
                (Related(n.reg_location or n.location, n.path, "'reg' is set here"),),
            )
        elif not has_reg and not n.has_size:
            yield Finding(n.location, n.path, "has neither 'reg' nor 'size': it reserves nothing")


@rule(
    "no-map-and-reusable",
    "error",
    "a node has both no-map and reusable",
    """
A reserved-memory node sets both 'no-map' (the OS must never map or touch the range) and
'reusable' (the OS may use the range until its owner claims it). dtschema declares the two
mutually exclusive.

Why it matters: the two promises contradict each other; whichever one the loader honours,
the other party is wrong - either the owner's memory gets used by the OS, or the OS never
gets the memory it was promised.

Fix: keep the flag that matches how the region is used (no-map for firmware or DMA carve-outs
that must stay unmapped, reusable for CMA-style pools).
""",
)
def check_no_map_and_reusable(ctx: Context) -> Iterator[Finding]:
    for n in ctx.layout.nodes:
        if n.no_map and n.reusable:
            yield Finding(
                n.reusable_location or n.location,
                n.path,
                "has both 'no-map' and 'reusable', which exclude each other",
                (Related(n.no_map_location or n.location, n.path, "'no-map' is set here"),),
            )


_NON_ALNUM = re.compile(r"[^A-Za-z0-9]")


def linker_name(region_name: str) -> str:
    """The token Zephyr's linker generator makes of a ``zephyr,memory-region`` string: every
    non-alphanumeric character becomes ``_``."""
    return _NON_ALNUM.sub("_", region_name)


@rule(
    "duplicate-region-name",
    "error",
    "two zephyr,memory-region names are equal after Zephyr's sanitising",
    """
Two status-okay nodes have zephyr,memory-region names that become the same token once every
non-alphanumeric character is replaced by '_' (how Zephyr's devicetree_regions.h turns the
string into a linker name): "SRAM-1" and "SRAM_1" both become SRAM_1.

Why it matters: each name becomes a linker MEMORY region and an output section with
__NAME_start/__NAME_end symbols. Two equal names define the region twice and the link fails
(or, with some linkers, one region silently wins). Nothing in Zephyr's devicetree tooling
checks this; you find out at link time, far from the .dts line.

Fix: give one of the regions a different name.
""",
)
def check_duplicate_region_name(ctx: Context) -> Iterator[Finding]:
    first: dict[str, object] = {}
    for n in ctx.layout.nodes:
        if not n.okay or n.region_name is None or not n.is_linker_region:
            continue  # a leftover property makes no linker region: region-name-without-compatible
        token = linker_name(n.region_name)
        other = first.get(token)
        if other is None:
            first[token] = n
            continue
        same = "" if other.region_name == n.region_name else f" (\"{other.region_name}\" and \"{n.region_name}\" both become {token})"
        yield Finding(
            n.region_name_location or n.location,
            n.path,
            f"zephyr,memory-region name \"{n.region_name}\" is already used by {other.name}"
            f"{same}: the linker region {token} would be defined twice",
            (Related(other.region_name_location or other.location, other.path, f"\"{other.region_name}\" is first used here"),),
        )


@rule(
    "region-name-without-compatible",
    "warning",
    "a zephyr,memory-region property on a node whose compatible lacks zephyr,memory-region",
    """
The node sets the zephyr,memory-region property (a linker region name) but its compatible
does not include "zephyr,memory-region", usually because an overlay replaced the compatible
and left the property behind.

Why it matters: Zephyr's linker makes MEMORY regions only of status-okay nodes whose
compatible includes zephyr,memory-region (LINKER_DT_REGIONS walks that compatible), so no
region and no __NAME_start/__NAME_end symbols exist: code or a linker snippet that places
sections in NAME fails to link, or the author believes memory is reserved that is not. The
validator follows Zephyr: such a node is not a region (no overlap, no duplicate-name findings
come from it).

Fix: add "zephyr,memory-region" to the compatible if the region is wanted, else delete the
property.
""",
)
def check_region_name_without_compatible(ctx: Context) -> Iterator[Finding]:
    for n in ctx.layout.nodes:
        if n.okay and n.region_name is not None and not n.is_linker_region:
            yield Finding(
                n.region_name_location or n.location,
                n.path,
                f"zephyr,memory-region = \"{n.region_name}\" has no effect: the compatible "
                f"({', '.join(n.compatible) or 'none'}) does not include \"zephyr,memory-region\", "
                "so Zephyr creates no linker region for this node",
            )
