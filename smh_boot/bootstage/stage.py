"""``boot()``: board -> devicetree -> regions -> validation -> address space -> SMH pool ->
mem_attr -> cache/DMA -> devices, with a deterministic boot log."""

from __future__ import annotations

import bisect
import os
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from ..errors import (
    BoardError,
    CoherencyError,
    HeapError,
    InferenceWarning,
    LayoutError,
    MemoryMapError,
    SmhError,
)
from ..heap import HeapConfig, Hardening, MemAttr, MemAttrHeap, SharedMultiHeap
from ..heap.region import SmhAttr
from ..memory import AddressSpace
from .bootlog import BootLog
from .device import Device, DeviceInitError
from .dmas import dmas_controllers
from .driver import DriverRegistry, default_registry
from .levels import InitLevel
from .system import HeapRegionInfo, System


def boot(
    board: Any = None,
    overlays: Sequence[str | os.PathLike] = (),
    drivers: bool | DriverRegistry | Iterable[type] = True,
    strict: bool = True,
    *,
    seed: int = 0,
    stress: bool = False,
    include_dirs: Sequence[str | os.PathLike] = (),
    pool_hook: Callable[[Any], Any] | None = None,
    collect_coherency: bool = False,
    dt_loader: Callable[..., Any] | None = None,
    build_dir: str | os.PathLike | None = None,
    zephyr_base: str | os.PathLike | None = None,
    board_roots: Sequence[str | os.PathLike] = (),
    modules: Sequence[str | os.PathLike] = (),
    app: str | os.PathLike | None = None,
    shields: Sequence[str] = (),
    arch: str | None = None,
    isa: str | None = None,
    ptr_size: int | None = None,
    dcache: str | None = None,
) -> System:
    """Boot a board and return the :class:`System`.

    ``board`` takes what ``smh-boot boot`` takes, through the same resolver
    (:mod:`smh_boot.resolve`): a shipped board name, a board YAML, a plain ``.dts``, a Zephyr
    board target (``BOARD[@REV][/SOC[/CPUCLUSTER[/VARIANT]]]``, with ``zephyr_base`` or
    ``$ZEPHYR_BASE``, ``board_roots``, ``modules``, ``app``, ``shields``), a Zephyr build
    directory, or None (the default board; or the build given as ``build_dir``).  ``arch``,
    ``isa``, ``ptr_size`` and ``dcache`` (``"none"`` or ``"LINE:SIZE:WAYS"``) override what is
    inferred, as the command's flags do.  It may also be a :class:`~smh_boot.board.Board` or a
    :class:`~smh_boot.resolve.Resolved` (then the Zephyr keywords must not be given).

    What the resolver inferred is logged (``inferred:`` lines); what it could not infer is in
    ``system.warnings`` (``board.warnings``), the log and the JSON report, and, when ``boot()``
    resolved the target itself, issued as :class:`~smh_boot.errors.InferenceWarning`.  With
    ``strict=True`` a target whose architecture, pointer size or cache had to be guessed is
    refused (an InputError naming what to pass), as ``smh-boot boot --strict`` refuses it.

    ``overlays`` are applied after the board's own (for a Zephyr target, after the
    application's, as ``EXTRA_DTC_OVERLAY_FILE``; for a build directory, on top of the build's
    final ``zephyr.dts``, which the log says).  ``drivers``: True binds
    every registered driver, False none, or pass a DriverRegistry / a list of Driver classes.
    With ``strict=True`` error-level layout findings raise :class:`LayoutError`, and so does a
    heap region the pool cannot take; with False they are logged (a refused region as a
    ``heap-refused`` error in ``system.diagnostics``) and the boot goes on.  A node binds to
    the driver of its first compatible that has one; every status-okay node with a compatible
    no driver takes is in ``system.unbound_nodes`` (with its kind and the reason) and the
    log's ``unbound:`` line.  ``seed`` and ``stress`` drive the cache stress modes.
    ``pool_hook(pool)`` is called with the SharedMultiHeap right after it is created, before
    ``pool_init()`` (e.g. to record an allocation trace); if it returns an object, that object
    is used as the pool from then on (a recording proxy).  The coherency checker raises
    :class:`~smh_boot.errors.CoherencyError` on the first finding (raised in a driver's
    ``init()``, it marks that device not ready and is kept in ``system.coherency_errors``);
    ``collect_coherency=True``
    collects the reports in ``system.memsys.checker.reports`` instead.  ``dt_loader`` replaces
    ``load_devicetree`` (same signature), e.g. a per-process cache keyed by file contents:
    boot and drivers only read the tree, so one loaded tree may serve many boots.
    """
    b, overlays, include_dirs, dt_loader = _target(
        board, overlays, include_dirs, dt_loader, strict,
        dict(build_dir=build_dir, zephyr_base=zephyr_base, board_roots=tuple(board_roots),
             modules=tuple(modules), app=app, shields=tuple(shields), arch=arch, isa=isa,
             ptr_size=ptr_size, dcache=dcache))
    from ..devicetree import (
        MappingPolicy,
        find_regions,
        load_devicetree,
        map_to_smh,
        mem_attr_table,
    )

    log = BootLog()
    log.banner(b, overlays)
    # A board resolved from a Zephyr tree, build or plain .dts says how each value was found
    # and what could not be (smh_boot.resolve); board files have neither.
    for note in getattr(b, "notes", ()):
        log.line(f"inferred: {note}")
    for w in getattr(b, "warnings", ()):
        log.line(f"warning: {w}")

    dt = (dt_loader or load_devicetree)(
        b.dts_path,
        overlays=[*b.overlay_paths, *map(Path, overlays)],
        include_dirs=[*b.include_dirs, *map(Path, include_dirs)],
    )
    arch = b.arch
    scan = _per_tree(dt, ("scan", arch), lambda: find_regions(dt, arch=arch))
    try:
        policy = MappingPolicy.from_rules(b.smh_policy) if b.smh_policy else MappingPolicy.default(arch)
    except ValueError as e:  # a Board built in code (YAML boards are checked on load)
        raise BoardError(f"smh_policy: {e}", file=str(getattr(b, "path", "") or "") or None,
                         hint="each rule is {mask, value, attr}, with value inside mask") from e

    heap_cfg = _heap_config(b)
    diagnostics = list(_per_tree(
        dt, ("validate", arch, b.ptr_size, heap_cfg.runtime_stats, heap_cfg.heap_mode, policy,
             getattr(b, "isa", None), id(scan)),
        lambda: _validate(dt, b, policy, heap_cfg, scan)))
    errors = [d for d in diagnostics if getattr(d, "severity", "") == "error"]
    if errors and strict:
        raise LayoutError(errors, f"{b.name}: memory layout has {len(errors)} error(s):")
    for d in diagnostics:
        log.diagnostic(d)
    # The front end's warnings the validator also reports (the old encodings) are printed once,
    # as the validator's finding; the others in the same GCC style under the same prefix.
    reported = {(getattr(d, "rule", None), str(getattr(d, "location", None))) for d in diagnostics}
    for w in getattr(scan, "warnings", ()):
        if (w.code, str(w.location)) not in reported:
            log.diagnostic(w)

    mapping = map_to_smh(scan.regions, policy)
    memory = AddressSpace(addr_bits=8 * b.ptr_size)
    _map_memories(memory, dt, scan, log)

    # ---------------------------------------------------------------- platform stage
    pool = SharedMultiHeap(memory, heap_cfg)
    if pool_hook is not None:
        pool = pool_hook(pool) or pool
    pool.pool_init()
    infos = _add_heaps(pool, scan, mapping, log, dt)
    refusals = _refusals(infos, dt)
    if refusals:
        diagnostics = [*diagnostics, *refusals]
        if strict:
            raise LayoutError(refusals, f"{b.name}: {len(refusals)} heap region(s) refused:")
    mem_attr = MemAttr(mem_attr_table(scan.regions))
    mem_attr_heap = None
    if _opt(b, "mem_attr", "heap", False):
        mem_attr_heap = MemAttrHeap(mem_attr, memory=memory, config=heap_cfg)
        try:
            rc = _safe_call(mem_attr_heap.pool_init)
        except MemoryMapError as e:  # a SW-attributed region boot could not map (F6)
            raise _unmapped_heap_region(dt, scan, memory, e) from e
        log.line(f"mem_attr_heap: pool_init -> {rc}, {len(mem_attr_heap.heaps)} heap(s)")
        for sys_heap, key in mem_attr_heap.heaps:
            log.line(f"mem_attr_heap: key {key:#07x} heap [{sys_heap.addr:#010x}-"
                     f"{sys_heap.addr + sys_heap.size - 1:#010x}] {sys_heap.end_chunk} chunks "
                     f"{'big' if sys_heap.big else 'small'}, first block +{sys_heap.first_block_offset:#x}")

    cache, memsys, dma = _memory_system(b, memory, infos, pool, seed, stress, collect_coherency)

    system = System(
        board=b,
        devicetree=dt,
        regions=infos,
        pool=pool,
        mem_attr=mem_attr,
        mem_attr_heap=mem_attr_heap,
        memory=memory,
        memsys=memsys,
        cache=cache,
        dma=dma,
        device_list=[],
        log=log.lines,
        diagnostics=diagnostics,
        seed=seed,
    )

    # ---------------------------------------------------------------- devices
    registry = _registry(drivers)
    if registry is not None:
        # The board's `drivers:` list says which *shipped* simulated drivers to bind; drivers
        # the user registered (or passed in) always bind.
        listed = set(getattr(b, "drivers", ()) or ())
        allowed = listed if drivers is True and listed else None
        for compat in sorted(listed):
            if compat not in registry:
                log.line(f"warning: board lists driver '{compat}' but no driver is registered for it")
        unbound: list[dict[str, Any]] = []
        devices = _create_devices(dt, registry, scan, allowed, unbound)
        system.unbound = [u["path"] for u in unbound]
        system.unbound_nodes = unbound
        system.device_list = devices
        system.__post_init__()
        for dev in devices:
            dev.system = system
        _init_devices(system, devices, log)
        log.line(_unbound_line(unbound))
    log.memory_map(system)
    system.booted = True
    return system


# ------------------------------------------------------------------------- helpers

_PKG = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _target(board: Any, overlays: Sequence[Any], include_dirs: Sequence[Any],
            dt_loader: Callable[..., Any] | None, strict: bool,
            kw: dict[str, Any]) -> tuple[Any, Sequence[Any], Sequence[Any], Callable[..., Any] | None]:
    """(board, overlays and include folders boot still applies, devicetree loader) for what
    ``boot()`` was given: a Board is used as it is; a name, path, Zephyr target or build
    directory goes through :func:`smh_boot.resolve.resolve`, as the commands' argument does."""
    from ..errors import InputError
    from ..resolve import Resolved, TargetSpec, is_build_dir, on_top_of_build, resolve

    given = sorted(k for k, v in kw.items() if v not in (None, ()))
    if isinstance(board, Resolved) or not (board is None or isinstance(board, (str, os.PathLike))):
        if given:
            raise InputError(
                f"boot(): {', '.join(f'{k}=' for k in given)} only apply when board names a "
                f"target (a name, a path, a Zephyr board target or a build directory), not "
                f"when it is a {type(board).__name__}",
                hint="pass the board as a string, or resolve it yourself with "
                "smh_boot.resolve.resolve(TargetSpec(...))")
        if isinstance(board, Resolved):
            return board.board, overlays, include_dirs, board.dt_loader() or dt_loader
        return board, overlays, include_dirs, dt_loader

    from ..infer import Flags

    target = None if board is None else os.fspath(board)
    build = kw["build_dir"] is not None or (target is not None and is_build_dir(target))
    ptr = kw["ptr_size"]
    spec = TargetSpec(
        target=target,
        build_dir=None if kw["build_dir"] is None else os.fspath(kw["build_dir"]),
        zephyr_base=None if kw["zephyr_base"] is None else os.fspath(kw["zephyr_base"]),
        # a build's zephyr.dts is final: boot applies overlays on top of it (below)
        overlays=() if build else tuple(map(os.fspath, overlays)),
        include_dirs=() if build else tuple(map(os.fspath, include_dirs)),
        board_roots=tuple(map(os.fspath, kw["board_roots"])),
        modules=tuple(map(os.fspath, kw["modules"])),
        app=None if kw["app"] is None else os.fspath(kw["app"]),
        shields=tuple(kw["shields"]),
        flags=Flags(arch=kw["arch"].lower() if kw["arch"] else None, isa=kw["isa"],
                    ptr_size=int(ptr) if ptr is not None else None, dcache=kw["dcache"]),
    )
    resolved = resolve(spec)
    if strict and resolved.guesses:
        raise InputError(
            "refusing to go on with what smh-boot had to guess (strict=True):\n  "
            + "\n  ".join(resolved.guesses), file=str(resolved.board.path),
            hint="give boot() what the warnings name (arch=, isa=, ptr_size=, dcache= for the "
            "flags --arch, --isa, --ptr-size, --dcache), or strict=False to go on with them")
    b = resolved.board
    import warnings

    for w in b.warnings:
        warnings.warn(InferenceWarning(f"{b.name}: {w}"), stacklevel=_user_stacklevel())
    if not build:
        return b, (), (), resolved.dt_loader() or dt_loader
    if overlays or include_dirs:
        return on_top_of_build(b, overlays), overlays, include_dirs, dt_loader
    return b, (), (), resolved.dt_loader() or dt_loader


def _user_stacklevel() -> int:
    """The ``stacklevel`` of the first frame outside smh-boot (a warning points at the user's
    call, however deep inside smh-boot it is issued)."""
    import sys

    f, level = sys._getframe(1), 1
    while f is not None and os.path.abspath(f.f_code.co_filename).startswith(_PKG + os.sep):
        f, level = f.f_back, level + 1
    return level



def _per_tree(dt: Any, key: tuple, compute: Callable[[], Any]) -> Any:
    """``compute()``, remembered on the devicetree object under ``key``.  Boot only reads the
    tree, so a tree shared by many boots (the pytest plugin's cache) gives the same region scan
    and validation for the same board options: a warm boot skips both."""
    memo = getattr(dt, "_smh_boot_memo", None)
    if memo is None:
        try:
            memo = dt._smh_boot_memo = {}
        except AttributeError:  # a loader returning an object that takes no attributes
            return compute()
    try:
        hash(key)
    except TypeError:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def _opt(board: Any, section: str, key: str, default: Any) -> Any:
    """``board.<section>.<key>`` whether the section is a dataclass, a dict or missing."""
    sec = getattr(board, section, None)
    if sec is None:
        return default
    if isinstance(sec, dict):
        return sec.get(key, default)
    return getattr(sec, key, default)


def _heap_config(b: Any) -> HeapConfig:
    hard = _opt(b, "heap", "hardening", "strict")
    if isinstance(hard, str):
        hard = Hardening[hard.upper()]
    return HeapConfig(
        ptr_size=b.ptr_size,
        runtime_stats=bool(_opt(b, "heap", "runtime_stats", False)),
        alloc_loops=int(_opt(b, "heap", "alloc_loops", 3)),
        heap_mode=str(_opt(b, "heap", "heap_mode", "auto")),
        hardening=Hardening(hard),
    )


def _validate(dt: Any, b: Any, policy: Any, cfg: HeapConfig, scan: Any) -> list[Any]:
    from ..validate import ValidationOptions, validate_devicetree

    opts = ValidationOptions(
        arch=b.arch,
        ptr_size=b.ptr_size,
        runtime_stats=cfg.runtime_stats,
        smh_policy=policy,
        isa=getattr(b, "isa", None),
        heap_mode=cfg.heap_mode,
    )
    return list(validate_devicetree(dt, options=opts, scan=scan))


def _map_memories(memory: AddressSpace, dt: Any, scan: Any, log: BootLog) -> None:
    """Map every memory the devicetree describes, merging nested/overlapping ones into spans."""
    for start, end, name in _per_tree(dt, ("memory-spans", id(scan)), lambda: _memory_spans(dt, scan)):
        try:
            memory.map(start, end - start, name)
        except MemoryMapError as e:
            log.line(f"warning: {e}")


def _memory_spans(dt: Any, scan: Any) -> list[tuple[int, int, str]]:
    """The merged ``(start, end, name)`` spans of every memory node and region."""
    spans: list[tuple[int, int, str]] = []
    for node in dt.memory_nodes():
        try:
            regs = dt.reg(node)
        except SmhError:
            continue
        for r in regs:
            if r.size and r.size > 0:
                spans.append((r.addr, r.addr + r.size, node.name))
    for rec in scan.regions:
        if rec.size:
            spans.append((rec.addr, rec.addr + rec.size, rec.name))
    spans.sort(key=lambda s: (s[0], -s[1]))
    merged: list[list[Any]] = []
    for start, end, name in spans:
        if merged and start < merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1][1] = end
            continue
        merged.append([start, end, name])
    return [(start, end, name) for start, end, name in merged]


def _add_heaps(pool: SharedMultiHeap, scan: Any, mapping: Any, log: BootLog,
               dt: Any = None) -> list[HeapRegionInfo]:
    mapped = {id(rec): region for rec, region in mapping.regions}
    reasons = {id(rec): why for rec, why in mapping.unmapped}
    infos: list[HeapRegionInfo] = []
    added: list[HeapRegionInfo] = []
    for rec in scan.regions:
        region = mapped.get(id(rec))
        info = HeapRegionInfo(
            name=rec.region_name or rec.name,
            path=rec.path,
            addr=rec.addr,
            size=rec.size,
            attr=SmhAttr(region.attr).name if region is not None else None,
            dt_attr=rec.attr,
            decoded=rec.decoded.describe() if rec.decoded is not None else "",
            record=rec,
        )
        clash = next((a for a in added if a.addr < info.end and info.addr < a.end), None)
        if region is None:
            info.error = reasons.get(id(rec), "not mapped to an SMH attribute")
        elif clash is not None:
            # Only reachable with strict=False (region-overlap is an error): two heaps over
            # the same bytes would corrupt each other's chunk headers.
            info.error = f"overlaps heap {clash.name}; not added (the two heaps would corrupt each other)"
        else:
            try:
                pool.add(region, user_data=rec)
                info.heap_index = len(pool.heaps) - 1
                added.append(info)
            except SmhError as e:  # too small, too many heaps, not mappable (strict=False)
                info.error = str(e)
        infos.append(info)
        log.region(info, pool)
        if info.attr is not None and info.heap_index is None:
            log.diagnostic(_refusal(info, dt))
    return infos


#: rule name of a heap region the boot could not add (a boot finding, not a validator rule)
REFUSED_RULE = "heap-refused"


def _refusal(info: HeapRegionInfo, dt: Any = None) -> Any:
    """The error-level finding of a region the policy maps to an SMH attribute but the boot
    could not add to the pool (overlap, too small, too many heaps, unmappable memory), at its
    ``reg`` (where the address is written, as the validator's region findings are)."""
    from ..validate.diagnostic import Diagnostic

    rec = info.record
    where = getattr(rec, "location", None)
    node = dt.get(info.path) if dt is not None else None
    if node is not None and "reg" in node.props:
        where = dt.location(node.props["reg"]) or where
    return Diagnostic(
        REFUSED_RULE, "error",
        f"heap region {info.name} [{info.addr:#010x}-{info.end - 1:#010x}] ({info.attr}) refused: "
        f"{info.error}",
        where, info.path,
    )


def _refusals(infos: list[HeapRegionInfo], dt: Any = None) -> list[Any]:
    return [_refusal(i, dt) for i in infos if i.attr is not None and i.heap_index is None]


def _memory_system(b: Any, memory: AddressSpace, infos: list[HeapRegionInfo], pool: Any,
                   seed: int, stress: bool, collect: bool):
    """Data cache (from the board), MemorySystem with a coherency checker, DMA engine.

    Memory is cacheable unless a region's attribute says otherwise: SMH NON_CACHEABLE heaps and
    unmapped regions whose zephyr,memory-attr decodes as non-cacheable."""
    from ..memory import AllocationInfo, CoherencyChecker, DataCache, DmaEngine, MemorySystem
    from ..memory import StressConfig

    cache_cfg = getattr(b, "cache", None)
    cache = None
    if cache_cfg:
        get = cache_cfg.get if isinstance(cache_cfg, dict) else lambda k, d=None: getattr(cache_cfg, k, d)
        cache = DataCache(line_size=get("line_size", 32), size=get("size", 32768), ways=get("ways", 4))
    nc = sorted(
        (i.addr, i.end) for i in infos
        if i.attr == "NON_CACHEABLE"
        or (i.attr is None and i.record is not None and i.record.decoded is not None
            and i.record.decoded.cacheable is False)
    )
    nc_starts = [a for a, _ in nc]
    nc_ends = [e for _, e in nc]

    def cacheable(addr: int) -> bool:
        i = bisect.bisect_right(nc_starts, addr) - 1
        return not (i >= 0 and addr < nc_ends[i])

    # The memory system works range by range when given line-aligned cacheable ranges (a
    # framebuffer-sized maintenance is then one step); fall back to the per-line answer when
    # a boundary is not on a cache line.
    ranges = _cacheable_ranges(memory, nc, cache.line_size) if cache is not None else None

    def owner_lookup(addr: int):
        blk = pool.block_at(addr)
        if blk is None:
            return None
        return AllocationInfo(blk.addr, blk.size, _region_name(infos, blk.addr), blk.owner)

    checker = CoherencyChecker(raise_errors=not collect)
    memsys = MemorySystem(memory, cache, cacheable=ranges if ranges is not None else cacheable,
                          owner_lookup=owner_lookup,
                          stress=StressConfig(seed=seed) if stress else None, checker=checker)
    # Heap corruption reports name who wrote the damaged header (CPU store by device X...).
    memsys.record_writes()
    pool.set_writer_lookup(memsys.writer_of)
    # The heap sees a CPU store over its metadata at once, flushed or not (as the allocator
    # on the core sees it through the D-cache): such stores are written through.
    memsys.set_heap_lookup(pool.cpu_store_run)
    return cache, memsys, DmaEngine(memsys, write_check=pool.check_dma_write, guard=pool.dma_guard)


def _cacheable_ranges(memory: AddressSpace, noncacheable: list[tuple[int, int]],
                      line: int) -> list[tuple[int, int]] | None:
    """Mapped memory minus the non-cacheable intervals, as (base, size) ranges; None when a
    boundary is not line-aligned."""
    out: list[tuple[int, int]] = []
    for r in memory.regions:
        pos, end = r.base, r.end
        for a, e in noncacheable:
            if e <= pos or a >= end:
                continue
            if a > pos:
                out.append((pos, a - pos))
            pos = max(pos, e)
        if pos < end:
            out.append((pos, end - pos))
    if any(b % line or n % line for b, n in out):
        return None
    return out


def _region_name(infos: list[HeapRegionInfo], addr: int) -> str | None:
    for i in infos:
        if i.addr <= addr < i.end:
            return i.name
    return None


def _registry(drivers: Any) -> DriverRegistry | None:
    if drivers is False or drivers is None:
        return None
    if drivers is True:
        return default_registry()
    if isinstance(drivers, DriverRegistry):
        return drivers
    reg = DriverRegistry()
    for cls in drivers:
        reg.register(cls)
    return reg


_DEP_PROPS = ("memory-region", "memory-regions", "dmas")


_SHIPPED = "smh_boot.drivers."


def _bind(registry: DriverRegistry, node: Any, compats: list[str],
          allowed: set[str] | None) -> tuple[Any, str]:
    """Zephyr's matching: the first compatible, in the node's order, that has a driver the
    board lets bind; ``(binding, "")`` or ``(None, why not)``.

    A shipped driver binds when the board's ``drivers:`` list names one of the node's
    compatibles that driver handles (so ``"st,stm32h7-ethernet", "st,stm32-ethernet"`` binds
    on a board listing ``st,stm32-ethernet``); a driver that needs a DMA channel
    (``requires_dmas``) binds only where the node has ``dmas``."""
    reasons: list[str] = []
    tried: set[type] = set()
    for c in compats:
        b = registry.lookup([c])
        if b is None or b.cls in tried:  # the same driver under a later compatible: same answer
            continue
        tried.add(b.cls)
        name = b.cls.__name__
        if (allowed is not None and b.cls.__module__.startswith(_SHIPPED)
                and not set(compats) & allowed & set(b.cls.compatibles)):
            reasons.append(f"shipped driver {name} for {c} is not in the board's drivers list")
            continue
        if getattr(b.cls, "requires_dmas", False) and "dmas" not in node.props:
            reasons.append(f"driver {name} for {c} needs a DMA channel and the node has no "
                           "'dmas' (Zephyr's driver then runs without DMA and takes no pool "
                           "memory); add dmas = <...> to simulate it")
            continue
        return b, ""
    if not reasons:
        return None, "no driver registered for " + ", ".join(compats)
    return None, "; ".join(reasons)


#: generic node names (devicetree spec 2.2.2) of nodes that describe memory, not a device
_MEMORY_NODE_NAMES = frozenset({"memory", "sram", "sdram", "psram", "flash", "itcm", "dtcm", "ocram"})


def _node_kind(dt: Any, node: Any, compats: list[str]) -> str:
    """What a node no driver takes is: ``board`` (the root), ``cpu``, ``bus``, ``memory``, or
    ``device`` (a peripheral smh-boot simulates no driver for)."""
    if node.parent is None:
        return "board"
    props = node.props
    try:
        dtype = dt.str_prop(node, "device_type") if "device_type" in props else None
        memory = dt.is_memory_node(node)
    except SmhError:  # a device_type that is not a string: classify by the rest
        dtype, memory = None, False
    if dtype == "cpu" or (node.parent.name == "cpus" and node.parent.parent is not None
                          and node.parent.parent.parent is None):
        return "cpu"
    if "simple-bus" in compats:
        return "bus"
    if (memory or "soc-nv-flash" in compats or "zephyr,memory-attr" in props
            or node.name.split("@", 1)[0] in _MEMORY_NODE_NAMES):
        return "memory"
    return "device"


def _unbound_line(unbound: list[dict[str, Any]]) -> str:
    """One log line: every device node no driver takes (with why), the rest counted."""
    devs = [u for u in unbound if u["kind"] == "device"]
    rest: dict[str, int] = {}
    for u in unbound:
        if u["kind"] != "device":
            rest[u["kind"]] = rest.get(u["kind"], 0) + 1
    others = ", ".join(f"{n} {k}" for k, n in sorted(rest.items()))
    tail = f" (not devices: {others})" if others else ""
    if not devs:
        return f"unbound: no device node without a driver{tail}"
    items = "; ".join(f"{u['name']} ({', '.join(u['compatible'])}): {u['reason']}" for u in devs)
    return f"unbound: {len(devs)} device node{'s' if len(devs) != 1 else ''} no driver takes: {items}{tail}"


def _create_devices(dt: Any, registry: DriverRegistry, scan: Any, allowed: set[str] | None,
                    unbound: list[dict[str, Any]]) -> list[Device]:
    devices: list[Device] = []
    order: dict[str, int] = {}
    for node, compats in _per_tree(dt, ("candidates",), lambda: _candidates(dt)):
        binding, why = _bind(registry, node, compats, allowed)
        if binding is None:
            unbound.append({"path": node.path, "name": node.name, "compatible": list(compats),
                            "kind": _node_kind(dt, node, compats), "reason": why})
            continue
        props, reg, targets, deps = _per_tree(dt, ("node", node.path, id(scan)),
                                              lambda: _node_facts(dt, node, scan))
        dev = Device(
            name=node.name,
            path=node.path,
            labels=tuple(node.labels),
            compatible=binding.compatible,
            level=binding.level,
            priority=binding.priority,
            props=dict(props),  # each device its own dict (the values are plain data)
            reg=list(reg),
            memory_regions=list(targets),
            depends_on=list(deps),
            driver=None,
        )
        dev._binding = binding  # type: ignore[attr-defined]
        order[dev.path] = len(devices)
        devices.append(dev)
    return _sort_devices(devices, order)


def _candidates(dt: Any) -> list[tuple[Any, list[str]]]:
    """Status-okay nodes with a compatible, in devicetree order, with their compatibles."""
    out = []
    for node in dt.nodes():
        if not dt.status_okay(node):
            continue
        compats = dt.compatibles(node)
        if compats:
            out.append((node, compats))
    return out


def _node_facts(dt: Any, node: Any, scan: Any) -> tuple[dict[str, Any], list[Any], list[Any], list[str]]:
    """``(props, reg, memory-region targets, dependency paths)`` of a bound node."""
    by_path = {rec.path: rec for rec in [*scan.regions, *scan.disabled]}
    targets: list[Any] = []
    deps: list[str] = []
    for p in _DEP_PROPS:
        if p in node.props:
            try:
                # dmas is a phandle-array (controller + cells): its controllers
                nodes = dmas_controllers(dt, node) if p == "dmas" else dt.phandle_targets(node, p)
            except SmhError:
                nodes = []
            for t in nodes:
                if t.path not in deps:
                    deps.append(t.path)
                if p.startswith("memory-region"):
                    targets.append(by_path.get(t.path, t.path))
    try:
        reg = dt.reg(node) if "reg" in node.props else []
    except SmhError:
        reg = []
    return dt.props(node), reg, targets, deps


def _sort_devices(devices: list[Device], order: dict[str, int]) -> list[Device]:
    """Zephyr's order: init level, then priority; among equals, a device's dependencies
    (memory-region / dmas targets that are devices) first, then devicetree order."""
    by_path = {d.path: d for d in devices}
    groups: dict[tuple[int, int], list[Device]] = {}
    for d in sorted(devices, key=lambda d: order[d.path]):
        groups.setdefault((int(d.level), d.priority), []).append(d)
    result: list[Device] = []
    for k in sorted(groups):
        members = {d.path for d in groups[k]}
        placed: set[str] = set()

        def place(d: Device, stack: frozenset[str] = frozenset()) -> None:
            if d.path in placed or d.path in stack:
                return  # already placed, or a dependency cycle: keep devicetree order
            for dep in d.depends_on:
                if dep in members:
                    place(by_path[dep], stack | {d.path})
            placed.add(d.path)
            result.append(d)

        for d in groups[k]:
            place(d)
    return result


def _init_devices(system: System, devices: list[Device], log: BootLog) -> None:
    ready: dict[str, bool] = {}
    for dev in devices:
        not_ready = [p for p in dev.depends_on if p in ready and not ready[p]]
        if not_ready:
            dev.ready = False
            dev.init_error = "dependency not ready: " + ", ".join(not_ready)
        else:
            binding = dev._binding  # type: ignore[attr-defined]
            try:
                drv = binding.cls()
                drv.device = dev
                dev.driver = drv
                with system.memsys.acting_as(dev.name):  # reports name the device at init too
                    drv.init(dev)
                dev.ready = True
            except CoherencyError as e:
                # Like any failed init, the device is not ready and the boot goes on (the other
                # devices still come up); the error keeps its report for the pytest plugin,
                # which fails the test with it, and the CLI, which exits 1.
                dev.ready = False
                dev.init_exception = e
                dev.init_error = str(e).splitlines()[0]
                dev.messages += [ln[2:] for ln in str(e).splitlines()[1:]]  # the report
            except Exception as e:  # noqa: BLE001 - any init failure marks the device not ready
                dev.ready = False
                dev.init_exception = e
                dev.init_error = f"{type(e).__name__}: {e}" if not isinstance(e, DeviceInitError) else str(e)
        ready[dev.path] = dev.ready
        log.device(dev)


def _unmapped_heap_region(dt: Any, scan: Any, memory: AddressSpace, err: Exception) -> SmhError:
    # The MemoryMapError names an address; the user needs the node that put it there.
    from ..attrs import DT_MEM_SW_ATTR_MASK
    from ..errors import DevicetreeError

    for rec in scan.regions:
        if not (rec.attr or 0) & DT_MEM_SW_ATTR_MASK or not rec.size:
            continue
        if memory.find(rec.addr, rec.size) is None and rec.location is not None:
            loc = rec.location
            return DevicetreeError(
                f"{rec.path}: mem_attr_heap cannot make a heap of [{rec.addr:#x}, "
                f"{rec.addr + rec.size:#x}): the region could not be mapped ({err})",
                file=loc.file, line=loc.line, column=loc.column,
                hint="fix the region's reg (it must fit the address space and not overlap "
                "another region), or drop its DT_MEM_SW_ALLOC_* attribute",
            )
    return DevicetreeError(str(err), file=str(dt.dts_path),
                           hint="a region with DT_MEM_SW_ALLOC_* attributes could not be mapped")


def _safe_call(fn) -> int:
    try:
        fn()
        return 0
    except HeapError as e:
        return -(e.errno or 22)
