"""Rules on devices' ``memory-region`` references."""

from __future__ import annotations

from collections.abc import Iterator

from ... import attrs as A
from ...heap.region import SmhAttr
from ..diagnostic import Related
from .base import Context, Finding, rule

#: compatibles of reserved-memory pools that exist to hold DMA buffers
DMA_POOL_COMPATIBLES = frozenset({"shared-dma-pool", "restricted-dma-pool"})


def _ref_where(dev, ref):
    return ref.location or dev.location


@rule(
    "memory-region-dangling",
    "error",
    "a device's memory-region points at a missing or disabled region",
    """
A status-okay device's memory-region (or memory-regions) phandle resolves to no node, to a
node with status = "disabled", or to a node that is not a memory region at all (no reg, or a
device node: not memory, mmio-sram, zephyr,memory-region or a reserved-memory child).

Why it matters: the driver looks the region up at build time (DT_MEMORY_REGION... /
DT_REG_ADDR of the phandle); a disabled target produces no linker region, so the build fails
or - worse - the driver falls back to a default buffer in ordinary (cacheable) RAM. A phandle to
a node without reg gives the driver no address at all.

Fix: enable the region (status = "okay"), point the phandle at the right node, or drop the
property.
""",
)
def check_dangling(ctx: Context) -> Iterator[Finding]:
    for dev in ctx.layout.nodes:
        if not dev.okay or not dev.refs:
            continue
        for ref in dev.refs:
            target = ctx.layout.get(ref.target)
            which = f"{ref.prop}[{ref.index}]" + (f" (\"{ref.name}\")" if ref.name else "")
            if ref.problem is not None:
                yield Finding(_ref_where(dev, ref), dev.path, f"{ref.prop} {ref.problem}: write {ref.prop} = <&label>;")
            elif ref.target is None:
                yield Finding(_ref_where(dev, ref), dev.path, f"{which} is a phandle that resolves to no node")
            elif target is None or not target.okay:
                yield Finding(
                    _ref_where(dev, ref), dev.path,
                    f"{which} points at {ref.target}, which is disabled: no linker region or heap exists for it",
                    (Related(target.location if target else None, ref.target, "disabled here"),),
                )
            elif not target.regs:
                yield Finding(
                    _ref_where(dev, ref), dev.path,
                    f"{which} points at {ref.target}, which has no reg: it is not a memory region",
                    (Related(target.location, ref.target, "defined here"),),
                )
            elif not _is_memory_region(target):
                yield Finding(
                    _ref_where(dev, ref), dev.path,
                    f"{which} points at {ref.target}, which is not a memory region (no "
                    "memory/mmio-sram/zephyr,memory-region compatible, not a reserved-memory "
                    "child, no zephyr,memory-attr): point it at the region the device uses",
                    (Related(target.location, ref.target, "defined here"),),
                )


def _is_memory_region(node) -> bool:
    """A node a memory-region phandle may name."""
    return bool(node.is_memory or node.in_reserved_memory or node.is_linker_region
                or node.attr is not None)


def dma_capable(region) -> bool:
    """DT_MEM_DMA or SW_ALLOC_DMA in the attribute, or a shared/restricted DMA pool."""
    if any(c in DMA_POOL_COMPATIBLES for c in region.compatible):
        return True
    return region.attr is not None and bool(region.attr & (A.DT_MEM_DMA | A.DT_MEM_SW_ALLOC_DMA))


def _cacheable(region) -> bool:
    if region.decoded is not None and region.decoded.cacheable is not None:
        return bool(region.decoded.cacheable)
    return region.smh_attr == SmhAttr.CACHEABLE


@rule(
    "memory-region-not-dma-capable",
    "warning",
    "a device that needs DMA memory points at a cacheable region without DMA capability",
    """
A device that moves data by DMA references, through memory-region, a region that is cacheable
and not declared DMA-capable (no DT_MEM_DMA, no DT_MEM_SW_ALLOC_DMA, not a shared-dma-pool).
A device counts as needing DMA memory when it has a 'dmas' property, when one of its
compatibles contains "dma" or is a registered DMA driver compatible, or when the matching
memory-region-names entry contains "dma".

Why it matters: DMA masters bypass the CPU's data cache. Buffers in cacheable memory need
explicit clean/invalidate around every transfer; a missing one corrupts data silently and only
on hardware. Zephyr boards therefore put DMA buffers in non-cacheable (or DMA-tagged) regions -
STM32H7 Ethernet descriptors in non-cacheable SRAM, i.MX RT buffers in non-cacheable OCRAM.

Fix: point the device at a non-cacheable or DMA-capable region, or add DT_MEM_DMA to the region
if the driver does its own cache maintenance.
""",
)
def check_not_dma_capable(ctx: Context) -> Iterator[Finding]:
    for dev in ctx.layout.nodes:
        if not dev.okay or not dev.refs:
            continue
        for ref in dev.refs:
            named_dma = ref.name is not None and "dma" in ref.name.lower()
            if not (dev.needs_dma or named_dma):
                continue
            target = ctx.layout.get(ref.target)
            if target is None or not target.okay or not target.regs:
                continue  # memory-region-dangling
            if _cacheable(target) and not dma_capable(target):
                yield Finding(
                    _ref_where(dev, ref), dev.path,
                    f"DMA device uses {target.name}, a cacheable region without DT_MEM_DMA: "
                    "buffers there need cache maintenance around every transfer",
                    (Related(target.attr_location or target.location, target.path, "region attributes are set here"),),
                )
