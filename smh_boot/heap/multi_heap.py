"""``sys_multi_heap``: several heaps behind one allocator, picked by a choice function.

Mirrors ``lib/heap/multi_heap.c``: at most :data:`MAX_MULTI_HEAPS` heaps, kept sorted by
their heap base; an address belongs to the heap with the greatest base <= address (even when
it lies past that heap's end); allocation goes through the caller's choice function;
realloc tries the owning heap first (in place, then a move inside it) and only then asks the
choice function, copying and freeing the old block.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Any, Callable, Protocol

from ..errors import InvalidArgument, InvalidFree, TooManyHeaps
from .sys_heap import SysHeap

#: ``MAX_MULTI_HEAPS`` (a plain ``#define`` in Zephyr, no Kconfig).
MAX_MULTI_HEAPS = 8


class ChoiceFunction(Protocol):
    """``void *choice(struct sys_multi_heap *, void *cfg, size_t align, size_t size)``."""

    def __call__(self, mheap: MultiHeap, cfg: Any, align: int, size: int) -> int | None: ...


@dataclass
class MultiHeapRecord:
    """``struct sys_multi_heap_rec``: a heap and the caller's ``user_data``."""

    heap: SysHeap
    user_data: Any = None


class MultiHeap:
    """``struct sys_multi_heap`` with its operations.

    ``choice`` is called as ``choice(mheap, cfg, align, size)`` and returns an address or
    None.  Not thread-safe by itself (Zephyr's is not either); callers lock around it."""

    def __init__(self, choice: ChoiceFunction | Callable[..., int | None] | None = None):
        self.init(choice)

    def init(self, choice: ChoiceFunction | Callable[..., int | None] | None) -> None:
        """``sys_multi_heap_init``: forget every heap, store the choice function."""
        self.choice = choice
        self.heaps: list[MultiHeapRecord] = []
        #: Heap bases in array order, and the heaps' free functions (for fast lookup).
        self.bases: list[int] = []
        self.frees: list[Callable[[int | None], None]] = []

    @property
    def nheaps(self) -> int:
        """Number of heaps added."""
        return len(self.heaps)

    def add_heap(self, heap: SysHeap, user_data: Any = None) -> MultiHeapRecord:
        """``sys_multi_heap_add_heap``; C asserts on a 9th heap, here TooManyHeaps."""
        if len(self.heaps) >= MAX_MULTI_HEAPS:
            e = TooManyHeaps(
                f"cannot add {heap!r}: the multi-heap already holds {MAX_MULTI_HEAPS} heaps "
                "(MAX_MULTI_HEAPS, shared by every attribute of a pool); Zephyr asserts here "
                "(mheap->nheaps < ARRAY_SIZE(mheap->heaps))"
            )
            e.c_outcome = "assert"
            e.zephyr_message = "mheap->nheaps < ARRAY_SIZE(mheap->heaps)"  # type: ignore[attr-defined]
            raise e
        rec = MultiHeapRecord(heap, user_data)
        self.heaps.append(rec)
        # Zephyr re-sorts with a selection sort on the heap base; bases never tie (heaps
        # cannot overlap in one address space), so a stable sort gives the same order.
        self.heaps.sort(key=lambda r: r.heap.base)
        self.bases[:] = [r.heap.base for r in self.heaps]
        self.frees[:] = [r.heap.free for r in self.heaps]
        return rec

    def get_heap(self, addr: int) -> MultiHeapRecord | None:
        """``sys_multi_heap_get_heap``: the record with the greatest base <= addr.

        Zephyr returns ``heaps[-1]`` (garbage) below every heap; this returns None."""
        try:
            i = bisect.bisect_right(self.bases, addr) - 1
        except TypeError:
            raise below_all_heaps(self, addr) from None
        return self.heaps[i] if i >= 0 else None

    def alloc(self, cfg: Any, nbytes: int) -> int | None:
        """``sys_multi_heap_alloc`` = ``choice(cfg, 0, bytes)``."""
        return self.choice(self, cfg, 0, nbytes)  # type: ignore[misc]

    def aligned_alloc(self, cfg: Any, align: int, nbytes: int) -> int | None:
        """``sys_multi_heap_aligned_alloc`` = ``choice(cfg, align, bytes)``."""
        return self.choice(self, cfg, align, nbytes)  # type: ignore[misc]

    def free(self, block: int | None) -> None:
        """``sys_multi_heap_free``; NULL is a no-op, a pointer below every heap raises."""
        if block is None:
            return
        i = bisect.bisect_right(self.bases, block) - 1
        if i < 0:
            raise below_all_heaps(self, block)
        self.frees[i](block)

    def aligned_realloc(
        self, cfg: Any, ptr: int | None, align: int, nbytes: int, owner: Any = None
    ) -> int | None:
        """``sys_multi_heap_aligned_realloc``: owning heap first, then the choice function."""
        if ptr is None:
            p = self.choice(self, cfg, align, nbytes)  # type: ignore[misc]
            if p is not None and owner is not None:
                self._tag(p, owner)
            return p
        if nbytes == 0:
            self.free(ptr)
            return None
        rec = self.get_heap(ptr)
        if rec is None:
            raise below_all_heaps(self, ptr)
        heap = rec.heap
        p = heap.aligned_realloc(ptr, align, nbytes, owner)
        if p is not None:
            return p
        return self.realloc_move(cfg, heap, ptr, align, nbytes, owner)

    def realloc_move(
        self, cfg: Any, heap: SysHeap, ptr: int, align: int, nbytes: int, owner: Any = None
    ) -> int | None:
        """The rest of :meth:`aligned_realloc` once the owning ``heap`` could not resize
        ``ptr``: a new block from the choice function, the old bytes copied, the old freed.
        (Also the compiled pool dispatch's way back into this code.)"""
        old = heap.usable_size(ptr)
        if owner is None:
            owner = heap.owner_of(ptr)
        p = self.choice(self, cfg, align, nbytes)  # type: ignore[misc]
        if p is None:
            return None
        dst = self.get_heap(p)
        assert dst is not None  # p came from one of our heaps
        n = min(old, nbytes)
        dst.heap.write(p, heap.read(ptr, n))
        heap.free(ptr)
        if owner is not None:
            dst.heap.set_owner(p, owner)
        return p

    def realloc(self, cfg: Any, ptr: int | None, nbytes: int, owner: Any = None) -> int | None:
        """``sys_multi_heap_realloc`` (aligned_realloc with align 0)."""
        return self.aligned_realloc(cfg, ptr, 0, nbytes, owner)

    def _tag(self, p: int, owner: Any) -> None:
        rec = self.get_heap(p)
        if rec is not None:
            rec.heap.set_owner(p, owner)


def below_all_heaps(mheap: MultiHeap, ptr: int, note: str = "") -> InvalidFree:
    """The error for a pointer no heap of ``mheap`` can own (``note`` is appended)."""
    if not isinstance(ptr, int):
        e = InvalidArgument(f"the pointer must be an int, not {type(ptr).__name__} {ptr!r}")
        e.zephyr_message = "invalid pointer"  # type: ignore[attr-defined]
        return e  # type: ignore[return-value]
    where = f"the lowest heap starts at {mheap.bases[0]:#x}" if mheap.bases else "no heap is registered"
    e = InvalidFree(
        f"pointer {ptr:#x} lies below every heap of the multi-heap ({where}{note}); Zephyr "
        "would look it up in heaps[-1] (undefined behaviour)"
    )
    e.zephyr_message = "pointer below every heap (sys_multi_heap_get_heap returns heaps[-1])"  # type: ignore[attr-defined]
    return e
