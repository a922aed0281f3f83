"""Build a :class:`~.model.MemoryMap` from a booted system.

Duck-typed on purpose: the report package sits beside the boot stage, and importing it here
would tie the renderer to one System layout.  Used attributes: ``system.board.name``,
``system.memory.addr_bits``, ``system.devicetree.memory_nodes()`` / ``.reg(node)``,
``system.regions`` (HeapRegionInfo: name, path, addr, size, attr, decoded, heap_index, record),
``system.pool.heaps[i].sys_heap`` and ``system.pool.blocks()`` (addr, size, owner),
``system.region_name_at(addr)`` and ``system.diagnostics`` (rule, message, node, location,
related).  Optional: ``devicetree.chosen("zephyr,sram")`` (the kernel's RAM),
``devicetree.location(node)``, node ``labels``, and a region's ``refused`` reason (else its
``error``: why the boot did not make it a heap).

Names: a band is called by its ``zephyr,memory-region`` name, else its first label, else its
node name; the node name is kept beside it (``Band.node``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..errors import SmhError
from ..resources import display_name
from .heap_report import heap_report_for
from .model import Allocation, Band, MapFinding, MemoryMap, RefusedRegion

#: SMH attribute enum names -> the map's attribute words
_ATTR = {"CACHEABLE": "cacheable", "NON_CACHEABLE": "non-cacheable", "EXTERNAL": "external"}


def _display_name(node_name: str, labels: Any, region_name: str | None = None) -> str:
    """``zephyr,memory-region`` name, else the first label, else the node name."""
    if region_name:
        return str(region_name)
    labels = tuple(labels or ())
    return str(labels[0]) if labels else node_name


def _where(dt: Any, node: Any) -> str | None:
    """``file:line`` of a node, when the devicetree can tell."""
    locate = getattr(dt, "location", None)
    if locate is None or node is None:
        return None
    try:
        loc = locate(node)
    except (SmhError, AttributeError, TypeError):
        return None
    return _loc_text(loc)


def _loc_text(loc: Any) -> str | None:
    """``file:line[:col]``, the file as every smh-boot output shows it (a shipped file as
    ``<smh-boot>/dts/...``: :func:`smh_boot.resources.display_name`)."""
    if loc is None or not getattr(loc, "file", None):
        return None
    text = display_name(str(loc.file))
    if getattr(loc, "line", None):
        text += f":{loc.line}"
        if getattr(loc, "column", None):
            text += f":{loc.column}"
    return text


def _kernel_ram_path(dt: Any) -> str | None:
    chosen = getattr(dt, "chosen", None)
    if chosen is None:
        return None
    try:
        node = chosen("zephyr,sram")
    except SmhError:
        return None  # the validator reports a broken /chosen
    return getattr(node, "path", None)


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
        base = _display_name(node.name, getattr(node, "labels", ()))
        where = _where(dt, node)
        for i, r in enumerate(regs):
            name = base if len(regs) == 1 else f"{base}[{i}]"
            out.append((node.path, Band(name, r.addr, r.size, "reserved" if reserved else "memory",
                                        node=node.name, location=where)))
    return out


#: ARM MPU region types that are not RAM: a region of one of them is no heap memory
_ARM_NOT_RAM = ("ARM_MPU_FLASH", "ARM_MPU_PPB", "ARM_MPU_IO", "ARM_MPU_DEVICE")


def _not_heap_memory(info: Any) -> bool:
    """True when an unmapped region's ``zephyr,memory-attr`` says it is no heap memory: a
    mem_attr_heap region (software allocation bits), one ARM MPU type that is not RAM (flash,
    MMIO...), or an ``*_UNKNOWN`` marker."""
    d = getattr(getattr(info, "record", None), "decoded", None)
    if d is None:
        return False
    if getattr(d, "software", ()) or getattr(d, "markers", ()):
        return True
    arch_bits = tuple(getattr(d, "arch_bits", ()))
    return len(arch_bits) == 1 and arch_bits[0] in _ARM_NOT_RAM


def _refusal(info: Any) -> str | None:
    """Why the boot refused region ``info``, or None: its ``refused`` reason when the boot
    names one, else its ``error`` when the policy gave it an SMH attribute but no heap was
    added, else - for a region that carries ``zephyr,memory-attr`` the policy cannot map -
    ``unmapped attribute: <why>``.  A region whose attribute says it is no heap memory
    (flash, MMIO, a mem_attr_heap region) and one without the property are not refused."""
    reason = getattr(info, "refused", None)
    if reason:
        return str(reason)
    if getattr(info, "heap_index", None) is not None:
        return None
    if getattr(info, "attr", None) is not None:
        return str(getattr(info, "error", None) or "not added to the pool")
    if getattr(info, "dt_attr", None) is not None and not _not_heap_memory(info):
        why = getattr(info, "error", None) or "the shared-multi-heap policy maps it to no attribute"
        return f"unmapped attribute: {why}"
    return None


def _region_band(system: Any, info: Any) -> Band:
    rec = getattr(info, "record", None)
    decoded = getattr(rec, "decoded", None)
    heap = None
    if info.heap_index is not None:
        heap = heap_report_for(system.pool.heaps[info.heap_index].sys_heap)
    refused = _refusal(info)
    node_name = getattr(rec, "name", None) or info.path.rsplit("/", 1)[-1]
    # info.name is the zephyr,memory-region name, else the node name: prefer a label to the latter
    name = info.name if getattr(rec, "region_name", None) else _display_name(
        info.name, getattr(rec, "labels", ()))
    return Band(
        name, info.addr, info.size,
        "reserved" if getattr(rec, "no_map", False) else "region",
        _ATTR.get(info.attr) if info.attr else None,
        bool(getattr(decoded, "dma", False)),
        info.decoded or "",
        heap,
        node=node_name,
        location=_loc_text(getattr(rec, "location", None)),
        refused=str(refused) if refused else None,
    )


def _unique(bands: list[tuple[str, Band]]) -> list[tuple[str, Band]]:
    # Band names must be unique; fall back to the devicetree path when two nodes share one.
    seen: dict[str, int] = {}
    for _path, b in bands:
        seen[b.name] = seen.get(b.name, 0) + 1
    return [(p, _renamed(b, p) if seen[b.name] > 1 else b) for p, b in bands]


def _renamed(b: Band, path: str) -> Band:
    return replace(b, name=path)


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
    return replace(b, parent=parent)


def _findings(system: Any, bands: list[Band], paths: dict[str, str]) -> list[MapFinding]:
    """Validator findings; overlaps get the shared address range of the nodes involved."""
    by_name = {b.name: b for b in bands}
    by_path = {p: by_name[n] for n, p in paths.items()}
    out = []
    for d in getattr(system, "diagnostics", ()):
        rule = getattr(d, "rule", None)
        message = getattr(d, "message", str(d))
        node = getattr(d, "node", None)
        where = _loc_text(getattr(d, "location", None))
        nodes = [node] + [getattr(r, "node", None) for r in getattr(d, "related", ())]
        hits = [by_path[n] for n in nodes if n in by_path]
        if rule and "overlap" in rule and len(hits) >= 2:
            lo = max(h.addr for h in hits[:2])
            hi = min(h.end for h in hits[:2])
            if hi > lo:
                out.append(MapFinding("overlap", lo, hi - lo, message, rule, node, where))
                continue
        out.append(MapFinding(str(getattr(d, "severity", "finding")), None, 0, message, rule,
                              node, where))
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
    ram = _kernel_ram_path(system.devicetree)
    tagged = [(p, replace(b, kernel_ram=True) if p == ram else b) for p, b in tagged]
    bands = _with_parents(tagged)
    paths = {b.name: p for (p, _), b in zip(tagged, bands)}
    # region_name_at() answers with the boot's region name; the map may call it otherwise
    sized = [info for info in system.regions if info.size]
    by_info: dict[str, str] = {}
    for info, b in zip(sized, bands[len(mem):]):
        by_info.setdefault(info.name, b.name)
    allocs = []
    for blk in system.pool.blocks():
        region = by_info.get(system.region_name_at(blk.addr))
        if region is not None:
            owner = blk.owner if blk.owner is None else str(blk.owner)
            allocs.append(Allocation(blk.addr, blk.size, owner, region))
    bits = int(getattr(system.memory, "addr_bits", 32))
    name = title or f"{system.board.name} memory map"
    refused = [RefusedRegion(i.name, i.path, i.addr, i.size, i.attr, _refusal(i) or "")
               for i in system.regions if _refusal(i)]
    return MemoryMap(name, bits, bands, allocs, _findings(system, bands, paths), refused)
