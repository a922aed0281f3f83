"""``shared_multi_heap``: one pool of memory regions with attributes (cacheable, ...).

Mirrors ``lib/heap/shared_multi_heap.c``: ``pool_init()`` once; ``add(region)`` builds a
``sys_heap`` over the region and registers it both in a per-attribute list (at most 8 per
attribute) and in one shared ``sys_multi_heap`` (at most 8 in total); allocation is first
fit over the attribute's heaps *in registration order*; free and realloc find the owning
heap by address.  Every public operation holds the pool's lock, like the C spinlock.

Return codes of C become exceptions (see :mod:`smh_boot.errors`); an allocation that does
not fit returns None, as C returns NULL.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Any, Callable

from ..errors import (
    HeapError,
    InvalidAttribute,
    InvalidFree,
    MemoryMapError,
    PoolAlreadyInitialised,
    TooManyHeaps,
)
from ..memory.address_space import AddressSpace
from . import compiled as _compiled
from . import introspect as _introspect
from .config import HeapConfig
from .layout import geometry
from .multi_heap import MAX_MULTI_HEAPS, MultiHeap, below_all_heaps
from .region import SMH_REG_ATTR_NUM, SharedMultiHeapRegion
from .stats import Block
from .sys_heap import SysHeap

#: Heaps per attribute (the per-attribute slot array of shared_multi_heap.c).
MAX_HEAPS_PER_ATTR = 8


@dataclass(frozen=True, slots=True)
class PoolHeap:
    """One registered heap: registration ``index``, ``attr``, the ``region`` record, the
    :class:`SysHeap` and the caller's ``user_data``."""

    index: int
    attr: int
    region: SharedMultiHeapRegion
    sys_heap: SysHeap
    user_data: Any = None


class SharedMultiHeap:
    """The shared multi-heap pool.

    ``memory``: the address space the regions are mapped in (each region must be mapped
    before :meth:`add`), or None to let :meth:`add` map every region into a private one.
    ``config``: the heap build configuration (default: 32-bit, no runtime stats, STRICT).

    Operations (all serialised by one lock): ``pool_init()``, ``add(region, user_data=None)``,
    ``alloc(attr, size, *, owner=None)``, ``aligned_alloc(attr, align, size, *, owner=None)``,
    ``realloc(attr, ptr, size, *, owner=None)``, ``free(ptr)``.  ``owner`` tags the block for
    reports (kept at STRICT level).  The four allocation operations are installed as plain
    functions (rebuilt by :meth:`add`), which keeps the hot path short.
    """

    def __init__(self, memory: AddressSpace | None = None, config: HeapConfig = HeapConfig()):
        self.config = config
        self._private = memory is None
        self.memory = AddressSpace(32 if config.ptr_size == 4 else 64) if memory is None else memory
        self.lock = _compiled.new_lock()  # threading.Lock, or the compiled core's equivalent
        self._initialised = False
        self._mheap = MultiHeap(None)
        self._by_attr: list[list[SysHeap]] = [[] for _ in range(SMH_REG_ATTR_NUM)]
        self._heaps: list[PoolHeap] = []
        #: STRICT: block start -> the DMA transfers in flight that read or write it (see
        #: :attr:`dma_guard`); while any is held, free and realloc check it first.
        self._held: dict[int, list[Any]] = {}
        self._dma_guard: Any = None
        self._writer_lookup: Callable[..., Any] | None = None
        #: Holds the current layout version only: a ``cpu_store_run`` answer for memory outside
        #: every heap stops holding when a heap is added (its token's ``key in table`` fails).
        self._layout: set[int] = {0}
        self._build_ops()

    # ------------------------------------------------------------------ set-up
    def pool_init(self) -> None:
        """``shared_multi_heap_pool_init``; a second call raises PoolAlreadyInitialised."""
        with self.lock:
            if self._initialised:
                raise PoolAlreadyInitialised(
                    "shared_multi_heap_pool_init() was already called (-EALREADY); call it once"
                )
            self._initialised = True
            # Zephyr re-initialises the multi-heap here: heaps added before pool_init stay
            # allocatable per attribute but can no longer be found by address.
            self._mheap.init(self._choice)
            self._build_ops()

    def add(self, region: SharedMultiHeapRegion, user_data: Any = None) -> PoolHeap:
        """``shared_multi_heap_add``: build a heap over ``region`` and register it.

        Raises InvalidAttribute (-EINVAL), TooManyHeaps (-ENOMEM with 8 heaps for the
        attribute; with 8 heaps in total, ``c_outcome == "assert"``), RegionTooSmall (C
        asserts in sys_heap_init) or MemoryMapError (region not mapped in ``memory``)."""
        attr = region.attr
        if not 0 <= attr < SMH_REG_ATTR_NUM:
            raise InvalidAttribute(
                f"region {region.addr:#x}+{region.size:#x}: attribute {attr} is out of range "
                f"(0..{SMH_REG_ATTR_NUM - 1}: CACHEABLE, NON_CACHEABLE, EXTERNAL)"
            )
        with self.lock:
            if len(self._by_attr[attr]) >= MAX_HEAPS_PER_ATTR:
                raise TooManyHeaps(
                    f"region {region.addr:#x}: attribute {attr} already has {MAX_HEAPS_PER_ATTR} "
                    "heaps (-ENOMEM); merge regions or use another attribute"
                )
            geometry(region.addr, region.size, self.config)  # raises before anything is mapped
            if self._private:
                self.memory.map(region.addr, region.size, f"smh-region@{region.addr:#x}")
            elif self.memory.find(region.addr, region.size) is None:
                raise MemoryMapError(
                    f"region [{region.addr:#x}, {region.addr + region.size:#x}) is not mapped in "
                    "the pool's address space; map it before shared_multi_heap_add()"
                )
            heap = SysHeap(self.memory, region.addr, region.size, self.config)
            if self._writer_lookup is not None:
                heap.writer_lookup = self._writer_lookup  # type: ignore[attr-defined]
            # A 9th heap in total passes the per-attribute check above; the shared
            # multi-heap array then refuses it (TooManyHeaps, c_outcome "assert").
            self._mheap.add_heap(heap, user_data)
            self._by_attr[attr].append(heap)
            rec = PoolHeap(len(self._heaps), attr, region, heap, user_data)
            self._heaps.append(rec)
            version = len(self._heaps)
            self._layout.clear()
            self._layout.add(version)
            self._build_ops()
            return rec

    # ------------------------------------------------------------------ hot path
    def _choice(self, mheap: MultiHeap, cfg: Any, align: int, size: int) -> int | None:
        """smh_choice: first fit over the attribute's heaps in registration order."""
        if not 0 <= cfg < SMH_REG_ATTR_NUM or size == 0:
            return None
        for heap in self._by_attr[cfg]:
            p = heap.aligned_alloc(align, size)
            if p is not None:
                return p
        return None

    def _build_ops(self) -> None:
        lock = self.lock
        acquire, release = lock.acquire, lock.release
        # First fit over an attribute's heaps in registration order: the first heap's
        # operation is called directly, the loop only runs when it returns NULL.
        by_attr = self._by_attr
        alloc1 = tuple(hs[0].alloc if hs else _no_heap for hs in by_attr)
        allocs = tuple(tuple(h.alloc for h in hs[1:]) for hs in by_attr)
        aligned1 = tuple(hs[0].aligned_alloc if hs else _no_heap for hs in by_attr)
        aligned = tuple(tuple(h.aligned_alloc for h in hs[1:]) for hs in by_attr)
        mheap = self._mheap
        bases = mheap.bases
        reallocs = tuple(r.heap.aligned_realloc for r in mheap.heaps) if bases else ()
        sheaps = tuple(r.heap for r in mheap.heaps) if bases else ()
        bisect_right = bisect.bisect_right
        ready = self._initialised
        # free() finds the owning heap (greatest base <= ptr) with a fixed tree of compares
        # over the (at most 8) sorted bases, padded with 2**64 (above every address) and the
        # last heap's free (where the multi-heap sends a pointer past every heap).
        nh = len(bases)
        b0, b1, b2, b3, b4, b5, b6, b7 = (*bases, *[1 << 64] * (MAX_MULTI_HEAPS - nh))
        fs = mheap.frees
        f0, f1, f2, f3, f4, f5, f6, f7 = (*fs, *[fs[-1] if fs else None] * (MAX_MULTI_HEAPS - nh))

        def bad_attr(attr: Any) -> InvalidAttribute:
            # Issue 14 F12: a non-integer attribute is a typed error, never a raw TypeError
            # (sizes and pointers of the wrong type are caught by the heap below).
            return InvalidAttribute(f"the SMH attribute must be an int (an SmhAttr), not "
                                    f"{type(attr).__name__} {attr!r}")

        def not_ready() -> HeapError:
            e = HeapError(
                "the pool is not initialised: call pool_init() before allocating "
                "(Zephyr would call a NULL choice function)"
            )
            e.c_outcome = "panic"
            return e

        def alloc(attr: int, size: int, *, owner: Any = None) -> int | None:
            try:
                first = alloc1[attr]  # (the index checks the attribute, and is needed anyway)
            except IndexError:
                return None  # an attribute past the last: NULL, as C
            except TypeError:
                raise bad_attr(attr) from None
            if attr < 0:
                return None
            acquire()
            try:
                if not ready:
                    raise not_ready()
                if size == 0:
                    return None
                p = first(size, owner)
                if p is None:
                    for a in allocs[attr]:
                        p = a(size, owner)
                        if p is not None:
                            break
                return p
            finally:
                release()

        def aligned_alloc(attr: int, align: int, size: int, *, owner: Any = None) -> int | None:
            try:
                first = aligned1[attr]
            except IndexError:
                return None
            except TypeError:
                raise bad_attr(attr) from None
            if attr < 0:
                return None
            acquire()
            try:
                if not ready:
                    raise not_ready()
                if size == 0:
                    return None
                p = first(align, size, owner)
                if p is None:
                    for a in aligned[attr]:
                        p = a(align, size, owner)
                        if p is not None:
                            break
                return p
            finally:
                release()

        def free(ptr: int | None) -> None:
            if ptr is None:
                return
            acquire()
            try:
                try:
                    if ptr >= b4:
                        if ptr >= b6:
                            heap_free = f7 if ptr >= b7 else f6
                        else:
                            heap_free = f5 if ptr >= b5 else f4
                    elif ptr >= b2:
                        heap_free = f3 if ptr >= b3 else f2
                    elif ptr >= b1:
                        heap_free = f1
                    elif ptr >= b0:
                        heap_free = f0
                    else:
                        heap_free = None  # below every heap
                except TypeError:
                    heap_free = None  # not an int: refused below
                if heap_free is None:
                    raise self._foreign(ptr)
                heap_free(ptr)
            finally:
                release()

        def realloc(attr: int, ptr: int | None, size: int, *, owner: Any = None) -> int | None:
            try:
                alloc1[attr]
            except IndexError:
                return None
            except TypeError:
                raise bad_attr(attr) from None
            if attr < 0:
                return None
            acquire()
            try:
                if ptr is None or size == 0:
                    if ptr is None and not ready:
                        raise not_ready()
                    return mheap.aligned_realloc(attr, ptr, 0, size, owner)
                # sys_multi_heap_aligned_realloc written out: the owning heap first (in place,
                # or a move inside it), then the choice function (copy, free the old block).
                try:
                    i = bisect_right(bases, ptr) - 1
                except TypeError:
                    i = -1
                if i < 0:
                    return mheap.aligned_realloc(attr, ptr, 0, size, owner)  # raises
                p = reallocs[i](ptr, 0, size, owner)
                if p is not None:
                    return p
                return mheap.realloc_move(attr, sheaps[i], ptr, 0, size, owner)
            finally:
                release()

        self.alloc: Callable[..., int | None] = alloc
        self.aligned_alloc: Callable[..., int | None] = aligned_alloc
        self.free: Callable[[int | None], None] = free
        self.realloc: Callable[..., int | None] = realloc
        # With the compiled core, the four operations run in C over the same heaps.
        _compiled.attach_pool(self, self._by_attr, mheap, ready)
        self._fast_free_realloc = (self.free, self.realloc)
        if self._held:
            self._check_held_frees()

    # ------------------------------------------------------------------ who damaged a header
    def set_writer_lookup(self, lookup: Callable[..., Any] | None) -> None:
        """Name writers in corruption reports: ``lookup(addr, size, innocent)`` returns who
        last wrote those bytes (its ``str()`` goes into the report and
        ``HeapCorruption.writer``), or None, passing over writes ``innocent(addr, size)``
        clears (the heap's: a write inside one live block).  The boot stage passes
        ``memsys.writer_of`` (the memory system's log of recent CPU and bus-master writes);
        without one, reports say the writer was not recorded."""
        self._writer_lookup = lookup
        for rec in self._heaps:
            rec.sys_heap.writer_lookup = lookup  # type: ignore[attr-defined]

    # ------------------------------------------------------------------ DMA in flight
    @property
    def dma_guard(self) -> Any:
        """This pool's :class:`~smh_boot.heap.dma_guard.PoolDmaGuard`, for
        ``DmaEngine(memsys, guard=pool.dma_guard)`` (every boot installs it): at STRICT a
        transfer through a freed buffer handle is refused at its start, and freeing or
        reallocating a block a transfer in flight reads or writes is refused at that call
        (``DmaUseAfterFree``, kind "dma-use-after-free", naming the transfer)."""
        if self._dma_guard is None:
            from .dma_guard import PoolDmaGuard

            self._dma_guard = PoolDmaGuard(self)
        return self._dma_guard

    def _hold(self, block: int, transfer: Any) -> None:
        """A transfer in flight uses ``block``: until :meth:`_release`, its free is refused.
        The first hold swaps in checking free/realloc; the last release restores the plain
        ones, so the pool's hot path costs nothing while no DMA is in flight."""
        first = not self._held
        self._held.setdefault(block, []).append(transfer)
        if first:
            self._check_held_frees()

    def _release(self, block: int, transfer: Any) -> None:
        holders = self._held.get(block)
        if holders is None:
            return
        holders[:] = [t for t in holders if t is not transfer]
        if not holders:
            del self._held[block]
        if not self._held:
            self.free, self.realloc = self._fast_free_realloc

    def _check_held_frees(self) -> None:
        fast_free, fast_realloc = self._fast_free_realloc
        held = self._held

        def refused(op: str, ptr: int) -> Exception:
            from .dma_guard import freed_under_dma

            return freed_under_dma(self, op, ptr, held[ptr])

        def free(ptr: int | None) -> None:
            if type(ptr) is int and ptr in held:
                raise refused("free", ptr)
            fast_free(ptr)

        def realloc(attr: int, ptr: int | None, size: int, *, owner: Any = None) -> int | None:
            if type(ptr) is int and ptr in held:
                raise refused("realloc", ptr)
            return fast_realloc(attr, ptr, size, owner=owner)

        self.free = free
        self.realloc = realloc

    def _foreign(self, ptr: int) -> InvalidFree:
        note = ""
        if self._heaps and not self._mheap.bases:
            note = ", but pool_init() ran after the heaps were added, so none can be found by address"
        return below_all_heaps(self._mheap, ptr, note)

    # ------------------------------------------------------------------ introspection
    @property
    def initialised(self) -> bool:
        """True once pool_init() has run."""
        return self._initialised

    @property
    def heaps(self) -> list[PoolHeap]:
        """Registered heaps in registration order."""
        return list(self._heaps)

    def heap_for(self, addr: int) -> PoolHeap | None:
        """The registered heap whose region contains ``addr``, or None."""
        for rec in self._heaps:
            if rec.sys_heap.contains(addr):
                return rec
        return None

    def blocks(self) -> list[Block]:
        """Live blocks of every heap in address order (owners at STRICT level).

        On a damaged heap the listing of that heap stops at the first block whose header is
        damaged (it never loops or recurses); :meth:`damage` says where."""
        with self.lock:
            out = []
            for rec in self._heaps:
                out.extend(_heap_blocks(rec))
            out.sort(key=lambda b: b.addr)
            return out

    def damage(self) -> list[str]:
        """Where each damaged heap's listing stops (``"heap N at 0x..: ..."``); empty when
        every block header of every heap is sound."""
        with self.lock:
            out = []
            for rec in self._heaps:
                where = _introspect.damage_report(rec.sys_heap)
                if where is not None:
                    out.append(f"heap {rec.index} at {rec.sys_heap.addr:#x}: {where}")
            return out

    def block_at(self, addr: int) -> Block | None:
        """The live block whose usable bytes contain ``addr``, or None.

        O(1) for a block start (the live-block table at STRICT; the chunk header below it
        otherwise), O(log n) for an interior address: a bisect of a sorted snapshot of the
        block starts, checked against the live headers and refreshed when it is stale."""
        for rec in self._heaps:
            heap = rec.sys_heap
            if heap.addr <= addr < heap.addr + heap.size:
                break
        else:
            return None
        with self.lock:
            p = _find_block(heap, addr)
            if p is None:
                return None
            c = (p - heap.base - heap.hdr) >> 3
            span = heap.base + 8 * (c + (heap._SZ[c] >> 1)) - p
            # usable_size as Zephyr reports it: the span, but big heaps over-report a rewind
            # block by its gap (golden surprise 9)
            usable = span + ((p - heap.base) & 7) if heap.big else span
            if addr >= p + max(usable, 1):
                return None
            live = heap.live
            return Block(p, span, usable, rec.index, rec.attr, live.get(p) if live is not None else None)

    def cpu_store_run(self, addr: int) -> tuple[int, int, bool, tuple | None]:
        """Where a CPU store at ``addr`` may stay in the data cache, for
        ``memsys.set_heap_lookup(pool.cpu_store_run)`` (every boot installs it): returns
        ``(lo, hi, inside, token)``, the run ``[lo, hi)`` around ``addr`` with one answer.

        ``inside`` is True for the usable bytes of one live block (``token`` then holds
        while the block is live with the same chunk header: ``(table, key, view, index,
        value)``, true while ``key in table and view[index] == value``) and for memory
        outside every heap (``token`` holds until a heap is added).  It is False for a heap's metadata, chunk headers,
        alignment gaps and free chunks (whose free-list links the heap reads): on hardware the
        allocator sees a store there through the cache at once, so the memory system writes
        it through.  The run then ends at the next chunk boundary (or sooner)."""
        lo, hi = 0, _NO_END
        for rec in self._heaps:
            heap = rec.sys_heap
            if heap.addr <= addr < heap.addr + heap.size:
                break
            if heap.addr + heap.size <= addr:
                lo = max(lo, heap.addr + heap.size)
            elif heap.addr < hi:
                hi = heap.addr
        else:
            return lo, hi, True, (self._layout, len(self._heaps), (0,), 0, 0)
        with self.lock:
            p = _find_block(heap, addr)
            if p is not None and p <= addr:
                span = _introspect._span_or_none(heap, p)
                if span is not None and addr < p + span:
                    c = (p - heap.base - heap.hdr) >> 3
                    live = heap.live if heap.live is not None else (p,)
                    return p, p + span, True, (live, p, heap._SZ, c, heap._SZ[c])
            first = heap.base + 8 * heap.chunk0
            if addr < first:  # struct z_heap and the buckets (chunk 0)
                return addr, first, False, None
            c, free = _introspect._chunk_holding(heap, addr, p)
            if c is None:  # past the last chunk, or headers that do not lead here
                return addr, addr + 1, False, None
            data = heap.base + 8 * c + heap.hdr
            if free:
                end = heap.base + 8 * (c + (heap._SZ[c] >> 1))
            elif addr < data:
                end = data  # a used chunk's header
            else:
                end = addr + 1  # the gap of an aligned block before its pointer
            return addr, min(end, heap.addr + heap.size), False, None

    def check_dma_write(self, addr: int, size: int, *, writer: str, device: str | None = None) -> bool:
        """STRICT: refuse a bus-master write of ``size`` bytes at ``addr`` that would land in
        free heap memory, or run past the end of the live block it starts in (over a chunk
        header), or into a heap's own metadata.  Raises HeapCorruption (``kind``
        "dma-into-free" / "dma-overrun") naming the block, its owner, the offset and
        ``writer`` (e.g. "DMA channel 2 of device uart@40004000").  Writes outside every
        heap, and every write below STRICT, pass (Zephyr has no such check).

        Returns True when the write was verified to lie inside one live block (STRICT, in a
        heap): the write log then never names it as the writer of a header damaged later,
        when the heap may have reshaped that memory."""
        if self.config.hardening < 4 or size <= 0:
            return False
        stop = addr + size
        verified = False
        for rec in self._heaps:
            heap = rec.sys_heap
            if heap.live is None or stop <= heap.addr or addr >= heap.addr + heap.size:
                continue
            with self.lock:
                err = _introspect.dma_fault(heap, max(addr, heap.addr), min(stop, heap.addr + heap.size),
                                            addr, size, writer, _find_block)
            if err is not None:
                err.heap_index = rec.index  # type: ignore[attr-defined]
                raise err
            verified = True
        return verified

    def digest(self) -> int:
        """Golden ``sd`` digest over every heap (index = registration order)."""
        with self.lock:
            h = _introspect.FNV_OFFSET
            for rec in self._heaps:
                h = rec.sys_heap.digest(rec.index, h)
            return h

    def validate(self) -> bool:
        """``sys_heap_validate`` on every heap."""
        with self.lock:
            return all(rec.sys_heap.validate() for rec in self._heaps)

    def __repr__(self) -> str:
        return f"<SharedMultiHeap {len(self._heaps)} heap(s) initialised={self._initialised}>"


def _no_heap(*_args: Any) -> None:
    """The allocation of an attribute without heaps: NULL."""
    return None


def _heap_blocks(rec: PoolHeap) -> list[Block]:
    good, _where = _introspect.sound_blocks(rec.sys_heap)
    return [Block(p, span, usable, rec.index, rec.attr, owner) for p, span, usable, owner in good]


#: Steps a block_at lookup may walk the chunk headers from a stale snapshot entry before
#: the snapshot is rebuilt.
_WALK_LIMIT = 32


def _find_block(heap: SysHeap, addr: int) -> int | None:
    """Start of the live block whose chunk holds ``addr`` at or above its start (None when
    none does).  STRICT: O(1) for a start, O(log n) otherwise (see block_at); below STRICT
    (no live-block table) a chunk walk."""
    live = heap.live
    if live is None:
        try:
            starts = [p for p, _s, _u in _introspect.used_blocks(heap)]
        except HeapError:
            return None
        i = bisect.bisect_right(starts, addr) - 1
        return starts[i] if i >= 0 else None
    if addr in live:
        return addr  # O(1): a block start
    snap = heap.__dict__.get("_starts")
    if snap is not None:
        found = _from_stale(heap, snap, addr)
        if found is not _STALE:
            return found  # type: ignore[return-value]
    snap = heap._starts = sorted(live)
    i = bisect.bisect_right(snap, addr) - 1
    return snap[i] if i >= 0 else None


_STALE = object()
_NO_END = 1 << 80  # beyond any address space


def _from_stale(heap: SysHeap, snap: list[int], addr: int) -> object:
    """The greatest live block start <= ``addr``, from a possibly stale snapshot ``snap`` of
    sorted starts checked against the live table and walked forward over the chunk headers;
    ``_STALE`` when it cannot tell within a few steps (then rebuild it)."""
    SZ = heap._SZ
    base, hb, end = heap.base, heap.base + heap.hdr, heap.end_chunk
    live = heap.live
    i = bisect.bisect_right(snap, addr) - 1
    best = None
    # The nearest entry still live (blocks freed since the snapshot are skipped, a few).
    for j in range(i, max(i - 8, -1), -1):
        if snap[j] in live:
            best = snap[j]
            break
    else:
        if i >= 0:
            return _STALE
    c = heap.chunk0 if best is None else (best - hb) >> 3
    if best is not None and addr < base + 8 * (c + (SZ[c] >> 1)):
        return best  # the common case: addr lies in that block's chunk
    for _ in range(_WALK_LIMIT):
        if c >= end or base + 8 * c > addr:
            return best
        s = SZ[c]
        sz = s >> 1
        if not sz or c + sz > end:
            return best  # a damaged header: the walk stops
        if s & 1:
            d = hb + 8 * c
            for q in range(d, min(d + 8, addr + 1)):  # d, or an aligned block's pointer
                if q in live:
                    best = q
                    break
        c += sz
    return _STALE