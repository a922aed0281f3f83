"""Build a :class:`~.model.MemoryMap` from a booted system.

Duck-typed on purpose: the report package sits beside the boot stage, and importing it here
would tie the renderer to one System layout.  Used attributes: ``system.board.name``,
``system.memory.addr_bits``, ``system.devicetree.memory_nodes()`` / ``.reg(node)``,
``system.regions`` (HeapRegionInfo: name, path, addr, size, attr, decoded, heap_index, record),
``system.pool.heaps[i].sys_heap`` and ``system.pool.blocks()`` (addr, size, owner),
``system.region_name_at(addr)`` and ``system.diagnostics`` (rule, message, node, related).
"""

from __future__ import annotations

from typing import Any

from ..errors import SmhError
from .heap_report import heap_report_for
from .model import Allocation, Band, MapFinding, MemoryMap, RefusedRegion

#: SMH attribute enum names -> the map's attribute words
_ATTR = {"CACHEABLE": "cacheable", "NON_CACHEABLE": "non-cacheable", "EXTERNAL": "external"}


def _memory_bands(system: Any) -> list[tuple[str, Band]]:
    """(devicetree path, band) for every memory node's ``reg`` entries."""
    dt = system.devicetree
    out: list[tuple[str, Band]] = []
    for node in dt.memory_nodes():
        try:
            regs = [r for r in dt.reg(node) if r.size]
        except SmhError:
            continue  # the validator reports a bad reg; the map just leaves the node out
        reserved = getattr(node.parent, "name", "") == "reserved-memory"
        for i, r in enumerate(regs):
            name = node.name if len(regs) == 1 else f"{node.name}[{i}]"
            out.append((node.path, Band(name, r.addr, r.size, "reserved" if reserved else "memory")))
    return out


def _region_band(system: Any, info: Any) -> Band:
    rec = getattr(info, "record", None)
    decoded = getattr(rec, "decoded", None)
    heap = None
    if info.heap_index is not None:
        heap = heap_report_for(system.pool.heaps[info.heap_index].sys_heap)
    return Band(
        info.name, info.addr, info.size,
        "reserved" if getattr(rec, "no_map", False) else "region",
        _ATTR.get(info.attr) if info.attr else None,
        bool(getattr(decoded, "dma", False)),
        info.decoded or "",
        heap,
    )


def _unique(bands: list[tuple[str, Band]]) -> list[tuple[str, Band]]:
    # Band names must be unique; fall back to the devicetree path when two nodes share one.
    seen: dict[str, int] = {}
    for _path, b in bands:
        seen[b.name] = seen.get(b.name, 0) + 1
    return [(p, _renamed(b, p) if seen[b.name] > 1 else b) for p, b in bands]


def _renamed(b: Band, path: str) -> Band:
    return Band(path, b.addr, b.size, b.kind, b.attr, b.dma, b.attr_bits, b.heap, b.parent)


def _with_parents(bands: list[tuple[str, Band]]) -> list[Band]:
    """Each band's parent: the smallest other band that wholly contains it (ties: the one
    listed first), never a band it contains in turn."""
    out = []
    for path, b in bands:
        best = None
        for p2, o in bands:
            if o is b or p2 == path or not (o.addr <= b.addr and b.end <= o.end):
                continue
            if o.size == b.size and (o.addr, o.name) > (b.addr, b.name):
                continue  # identical ranges: only one may be the other's parent
            if best is None or o.size < best.size:
                best = o
        out.append(_parented(b, best.name if best else None))
    return out


def _parented(b: Band, parent: str | None) -> Band:
    return Band(b.name, b.addr, b.size, b.kind, b.attr, b.dma, b.attr_bits, b.heap, parent)


def _findings(system: Any, bands: list[Band], paths: dict[str, str]) -> list[MapFinding]:
    """Validator findings; overlaps get the shared address range of the nodes involved."""
    by_name = {b.name: b for b in bands}
    by_path = {p: by_name[n] for n, p in paths.items()}
    out = []
    for d in getattr(system, "diagnostics", ()):
        rule = getattr(d, "rule", None)
        message = getattr(d, "message", str(d))
        nodes = [getattr(d, "node", None)] + [getattr(r, "node", None) for r in getattr(d, "related", ())]
        hits = [by_path[n] for n in nodes if n in by_path]
        if rule and "overlap" in rule and len(hits) >= 2:
            lo = max(h.addr for h in hits[:2])
            hi = min(h.end for h in hits[:2])
            if hi > lo:
                out.append(MapFinding("overlap", lo, hi - lo, message, rule))
                continue
        out.append(MapFinding(str(getattr(d, "severity", "finding")), None, 0, message, rule))
    return out


def map_from_system(system: Any, title: str | None = None) -> MemoryMap:
    """The memory map of a booted ``system``: memory nodes, SMH regions (with heap reports),
    live pool allocations by owner, and the validator's findings."""
    mem = _memory_bands(system)
    region_paths = {info.path for info in system.regions}
    # A node that is both memory and an SMH region is drawn once, as the region.
    mem = [(p, b) for p, b in mem if p not in region_paths]
    regions = [(info.path, _region_band(system, info)) for info in system.regions if info.size]
    tagged = _unique(mem + regions)
    bands = _with_parents(tagged)
    paths = {b.name: p for (p, _), b in zip(tagged, bands)}
    names = {b.name for b in bands}
    allocs = []
    for blk in system.pool.blocks():
        region = system.region_name_at(blk.addr)
        if region in names:
            owner = blk.owner if blk.owner is None else str(blk.owner)
            allocs.append(Allocation(blk.addr, blk.size, owner, region))
    bits = int(getattr(system.memory, "addr_bits", 32))
    name = title or f"{system.board.name} memory map"
    refused = [RefusedRegion(i.name, i.path, i.addr, i.size, i.attr, i.error or "")
               for i in system.regions if i.attr is not None and i.heap_index is None]
    return MemoryMap(name, bits, bands, allocs, _findings(system, bands, paths), refused)
