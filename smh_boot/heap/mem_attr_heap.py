"""``mem_attr_heap``: a heap per region with software attribute bits (``DT_MEM_SW_*``).

Mirrors ``subsys/mem_mgmt/mem_attr_heap.c``: a private ``sys_multi_heap``; ``pool_init()``
walks the mem_attr table and builds a heap over every region whose ``attr & 0xF0000`` is
non-zero, keyed by exactly those bits (masked, not shifted).  Allocation picks the first heap
in table order whose key *equals* the requested attribute (no subset matching: a request with
any non-SW bit matches nothing).  ``realloc`` passes the owning region's *full* attribute as
the multi-heap cfg, so its cross-heap fallback finds no heap unless the region's attribute
has SW bits only (Zephyr's quirk, kept).
"""

from __future__ import annotations

import threading
from typing import Any

from ..errors import PoolAlreadyInitialised, TooManyHeaps
from ..memory.address_space import AddressSpace
from .config import HeapConfig
from .mem_attr import DT_MEM_SW_ATTR_MASK, MemAttr
from .multi_heap import MAX_MULTI_HEAPS, MultiHeap
from .region import MemAttrRegion
from .sys_heap import SysHeap


class MemAttrHeap:
    """The mem_attr_heap pool over ``mem_attr``'s regions.

    ``memory``: address space holding the regions (each must be mapped), or None to map them
    into a private one at ``pool_init()``.  Operations hold one lock, so threads may share
    the pool."""

    def __init__(
        self, mem_attr: MemAttr, memory: AddressSpace | None = None, config: HeapConfig = HeapConfig()
    ):
        self.mem_attr = mem_attr
        self.config = config
        self._private = memory is None
        self.memory = AddressSpace(32 if config.ptr_size == 4 else 64) if memory is None else memory
        self._initialised = False
        self._lock = threading.Lock()
        self._mheap = MultiHeap(self._choice)
        #: (heap, key) in creation (table) order.
        self._heaps: list[tuple[SysHeap, int]] = []

    def pool_init(self) -> None:
        """``mem_attr_heap_pool_init``.  Raises PoolAlreadyInitialised on any second call
        and TooManyHeaps (-ENOMEM) on a 9th SW-attributed region (earlier heaps stay)."""
        with self._lock:
            if self._initialised:
                raise PoolAlreadyInitialised("mem_attr_heap_pool_init() was already called (-EALREADY)")
            self._initialised = True
            self._add_heaps()

    def _add_heaps(self) -> None:
        for region in self.mem_attr.get_regions():
            key = region.attr & DT_MEM_SW_ATTR_MASK
            if not key:
                continue
            if len(self._heaps) >= MAX_MULTI_HEAPS:
                raise TooManyHeaps(
                    f"region {region.name}: mem_attr_heap holds at most {MAX_MULTI_HEAPS} heaps "
                    "(-ENOMEM); the earlier heaps stay usable"
                )
            if self._private:
                self.memory.map(region.addr, region.size, region.name)
            heap = SysHeap(self.memory, region.addr, region.size, self.config)
            self._heaps.append((heap, key))
            self._mheap.add_heap(heap, region)

    def _choice(self, mheap: MultiHeap, cfg: Any, align: int, size: int) -> int | None:
        if size == 0:
            return None
        for heap, key in self._heaps:
            if key != cfg:
                continue
            p = heap.aligned_alloc(align, size)
            if p is not None:
                return p
        return None

    def alloc(self, attr: int, size: int) -> int | None:
        """``mem_attr_heap_alloc``."""
        with self._lock:
            return self._mheap.alloc(attr & 0xFFFFFFFF, size)

    def aligned_alloc(self, attr: int, align: int, size: int) -> int | None:
        """``mem_attr_heap_aligned_alloc`` (arguments in Zephyr's order: attr, align, size)."""
        with self._lock:
            return self._mheap.aligned_alloc(attr & 0xFFFFFFFF, align, size)

    def free(self, ptr: int | None) -> None:
        """``mem_attr_heap_free`` (None is a no-op)."""
        with self._lock:
            self._mheap.free(ptr)

    def realloc(self, ptr: int, size: int) -> int | None:
        """``mem_attr_heap_realloc``: cfg = the owning region's full ``dt_attr``."""
        with self._lock:
            region = self.get_region(ptr)
            if region is None:
                # Zephyr dereferences heaps[-1] here; refuse instead.
                self._mheap.free(ptr)  # raises InvalidFree naming the pointer
                return None
            return self._mheap.realloc(region.attr, ptr, size)

    def get_region(self, ptr: int) -> MemAttrRegion | None:
        """``mem_attr_heap_get_region``: region of the heap with the greatest base <= ptr."""
        rec = self._mheap.get_heap(ptr)
        return None if rec is None else rec.user_data

    @property
    def heaps(self) -> list[tuple[SysHeap, int]]:
        """(heap, SW key) in creation order."""
        return list(self._heaps)
