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
import threading
from dataclasses import dataclass
from typing import Any, Callable

from ..errors import (
    HeapError,
    InvalidArgument,
    InvalidAttribute,
    InvalidFree,
    MemoryMapError,
    PoolAlreadyInitialised,
    TooManyHeaps,
)
from ..memory.address_space import AddressSpace
from . import introspect as _introspect
from .config import HeapConfig
from .layout import geometry
from .multi_heap import MultiHeap, below_all_heaps
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
        self.lock = threading.Lock()
        self._initialised = False
        self._mheap = MultiHeap(None)
        self._by_attr: list[list[SysHeap]] = [[] for _ in range(SMH_REG_ATTR_NUM)]
        self._heaps: list[PoolHeap] = []
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
            # A 9th heap in total passes the per-attribute check above; the shared
            # multi-heap array then refuses it (TooManyHeaps, c_outcome "assert").
            self._mheap.add_heap(heap, user_data)
            self._by_attr[attr].append(heap)
            rec = PoolHeap(len(self._heaps), attr, region, heap, user_data)
            self._heaps.append(rec)
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
        nattr = SMH_REG_ATTR_NUM
        allocs = tuple(tuple(h.alloc for h in hs) for hs in self._by_attr)
        aligned = tuple(tuple(h.aligned_alloc for h in hs) for hs in self._by_attr)
        mheap = self._mheap
        bases, frees = mheap.bases, mheap.frees
        bisect_right = bisect.bisect_right
        ready = self._initialised

        def bad_argument(**args: Any) -> InvalidArgument:
            # Issue 14 F12: every failure an SmhError (formatting free(1.5)'s pointer as
            # hex used to crash while building the message).
            bad = ", ".join(f"{k}={v!r}" for k, v in args.items()
                            if not isinstance(v, int) or (k in ("size", "align") and v < 0))
            return InvalidArgument(f"invalid argument(s): {bad or args}: sizes, alignments and "
                                   "attributes are non-negative integers, pointers integers or None")

        def not_ready() -> HeapError:
            e = HeapError(
                "the pool is not initialised: call pool_init() before allocating "
                "(Zephyr would call a NULL choice function)"
            )
            e.c_outcome = "panic"
            return e

        def alloc(attr: int, size: int, *, owner: Any = None) -> int | None:
            if not isinstance(size, int) or size < 0 or not isinstance(attr, int):
                raise bad_argument(attr=attr, size=size)
            if not 0 <= attr < nattr:
                return None
            acquire()
            try:
                if not ready:
                    raise not_ready()
                if size == 0:
                    return None
                for a in allocs[attr]:
                    p = a(size, owner)
                    if p is not None:
                        return p
                return None
            finally:
                release()

        def aligned_alloc(attr: int, align: int, size: int, *, owner: Any = None) -> int | None:
            if (not isinstance(size, int) or size < 0 or not isinstance(attr, int)
                    or not isinstance(align, int)):
                raise bad_argument(attr=attr, align=align, size=size)
            if not 0 <= attr < nattr:
                return None
            acquire()
            try:
                if not ready:
                    raise not_ready()
                if size == 0:
                    return None
                for a in aligned[attr]:
                    p = a(align, size, owner)
                    if p is not None:
                        return p
                return None
            finally:
                release()

        def free(ptr: int | None) -> None:
            if ptr is None:
                return
            if not isinstance(ptr, int):
                raise bad_argument(ptr=ptr)
            acquire()
            try:
                i = bisect_right(bases, ptr) - 1
                if i < 0:
                    raise self._foreign(ptr)
                frees[i](ptr)
            finally:
                release()

        def realloc(attr: int, ptr: int | None, size: int, *, owner: Any = None) -> int | None:
            if (not isinstance(size, int) or size < 0 or not isinstance(attr, int)
                    or (ptr is not None and not isinstance(ptr, int))):
                raise bad_argument(attr=attr, ptr=ptr, size=size)
            if not 0 <= attr < nattr:
                return None
            acquire()
            try:
                if ptr is None and not ready:
                    raise not_ready()
                return mheap.aligned_realloc(attr, ptr, 0, size, owner)
            finally:
                release()

        self.alloc: Callable[..., int | None] = alloc
        self.aligned_alloc: Callable[..., int | None] = aligned_alloc
        self.free: Callable[[int | None], None] = free
        self.realloc: Callable[..., int | None] = realloc

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
        """Live blocks of every heap in address order (owners at STRICT level)."""
        with self.lock:
            out = []
            for rec in self._heaps:
                out.extend(_heap_blocks(rec))
            out.sort(key=lambda b: b.addr)
            return out

    def block_at(self, addr: int) -> Block | None:
        """The live block whose usable bytes contain ``addr``, or None."""
        rec = self.heap_for(addr)
        if rec is None:
            return None
        heap = rec.sys_heap
        with self.lock:
            if heap.live is not None:
                starts = heap.live.keys()
            else:
                starts = [p for p, _s, _u in _introspect.used_blocks(heap)]
            # Blocks do not overlap: only the greatest start <= addr can contain it.
            p = max((q for q in starts if q <= addr), default=None)
            if p is None:
                return None
            span, usable = _introspect.block_span(heap, p)
            if addr >= p + max(usable, 1):
                return None
            return Block(p, span, usable, rec.index, rec.attr, heap.owner_of(p))

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


def _heap_blocks(rec: PoolHeap) -> list[Block]:
    heap = rec.sys_heap
    if heap.live is not None:
        starts: list[tuple[int, Any]] = sorted(heap.live.items())
    else:
        starts = [(p, None) for p, _s, _u in _introspect.used_blocks(heap)]
    out = []
    for p, owner in starts:
        span, usable = _introspect.block_span(heap, p)
        out.append(Block(p, span, usable, rec.index, rec.attr, owner))
    return out
