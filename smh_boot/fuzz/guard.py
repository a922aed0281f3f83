"""Heap misuse reports for drivers: use-after-free detection and owner-naming free errors.

The STRICT heap already refuses double frees, frees of foreign or interior pointers,
reallocs of freed blocks and damaged neighbour headers (see
:class:`~smh_boot.heap.config.Hardening`).  Two things it cannot do on its own:

* **Use after free.**  Once a block is freed its owner tag is gone and its bytes belong to
  the free list; a driver that keeps writing through a stale pointer (or leaves a DMA
  transfer running into it) corrupts memory silently.  :class:`HeapGuard` keeps freed
  blocks in a *quarantine* (the last ``quarantine`` blocks, up to ``window`` bytes each) with
  a snapshot of their bytes taken right after every pool operation, and compares the bytes
  again before the next operation (and on :meth:`HeapGuard.check`).  Between two pool
  operations only the program writes memory, so any change is a write after free: it is
  reported as :class:`UseAfterFree` naming the block, its last owner, the offset and size of
  the write and the operation that noticed it.  Freed bytes past the free-list pointers are
  also *poisoned* (``0xDB``) so a read after free returns a recognisable pattern.  Reads
  themselves are not trapped: that would need a hook on every CPU access.
* **The owner of a freed block.**  A double free or a realloc of a freed block is refused by
  the heap with the pointer only; the guard re-raises the same error class with the freed
  block's size and last owner added.

Caches: snapshots are taken through the CPU's view when a memory system is attached
(:meth:`HeapGuard.attach`; lines present in the data cache are compared as cached, without
touching the cache state), else straight from memory.  Without an attached memory system on a
board with a data cache, a dirty line written back after the free would look like a write
after free: attach one there (a driver can do it in ``init()``: ``guard.attach(device.memsys)``).
Poisoning is skipped for ranges that have lines in the cache.

Use: ``boot(board, pool_hook=HeapGuard)`` (the guard wraps the pool and is the system's
``pool`` from then on), or ``HeapGuard(pool)`` around any SharedMultiHeap.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from ..errors import DoubleFree, HeapCorruption, InvalidFree, SmhError

#: Byte written over freed memory (past the free-list pointers) when it is not cached.
POISON = 0xDB
#: Bytes at the start of a freed block that the free list itself uses (both header sizes).
FREE_LIST_BYTES = 8


class UseAfterFree(HeapCorruption):
    """Freed memory changed between two pool operations (a write through a stale pointer)."""

    def __init__(self, message: str, *, block: int, owner: Any, offset: int, size: int, noticed_at: str):
        super().__init__(message)
        self.block = block
        self.owner = owner
        self.offset = offset
        self.size = size
        self.noticed_at = noticed_at


@dataclass
class _Freed:
    addr: int
    usable: int
    owner: Any
    lo: int  # first watched address
    hi: int  # one past the last watched address
    snapshot: bytes = b""
    mv: memoryview | None = None  # an alias of [lo, hi) in memory (None: read through the CPU)


def _owner_text(owner: Any) -> str:
    return f"owner '{owner}'" if owner is not None else "no owner tag"


class HeapGuard:
    """A SharedMultiHeap proxy that adds use-after-free detection (see the module doc).

    ``pool``: the SharedMultiHeap to wrap (every other attribute is the pool's).
    ``quarantine``: freed blocks watched at once (oldest dropped first).  ``window``: bytes
    watched per block.  ``raise_errors``: raise UseAfterFree at once (default) or collect the
    reports in :attr:`reports`."""

    def __init__(self, pool: Any, *, quarantine: int = 64, window: int = 4096, raise_errors: bool = True,
                 memsys: Any = None):
        self._pool = pool
        self._limit = quarantine
        self._window = window
        self.raise_errors = raise_errors
        self.memsys = memsys
        self.reports: list[UseAfterFree] = []
        self._freed: OrderedDict[int, _Freed] = OrderedDict()
        #: owner of every block this guard saw freed (for double-free reports), bounded
        self._last_owner: OrderedDict[int, tuple[Any, int]] = OrderedDict()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pool, name)

    def attach(self, memsys: Any) -> None:
        """Compare through ``memsys`` (its data cache) from now on; re-snapshots the quarantine."""
        self.memsys = memsys
        if memsys is not None and memsys.cache is not None:
            for f in self._freed.values():
                f.mv = None  # compare as the CPU sees it, through the cache
        self._reseal()

    # ------------------------------------------------------------------ pool operations
    def alloc(self, attr: int, size: int, *, owner: Any = None) -> int | None:
        """``shared_multi_heap_alloc`` after checking the quarantine."""
        self.check("alloc")
        p = self._pool.alloc(attr, size, owner=owner)
        self._after(p)
        return p

    def aligned_alloc(self, attr: int, align: int, size: int, *, owner: Any = None) -> int | None:
        """``shared_multi_heap_aligned_alloc`` after checking the quarantine."""
        self.check("aligned_alloc")
        p = self._pool.aligned_alloc(attr, align, size, owner=owner)
        self._after(p)
        return p

    def realloc(self, attr: int, ptr: int | None, size: int, *, owner: Any = None) -> int | None:
        """``shared_multi_heap_realloc``; a freed ``ptr`` is reported with its last owner."""
        self.check("realloc")
        old = self._pool.block_at(ptr) if ptr is not None else None
        try:
            p = self._pool.realloc(attr, ptr, size, owner=owner)
        except (DoubleFree, InvalidFree) as e:
            raise self._with_owner(e, ptr, "realloc") from e
        if ptr is not None and p != ptr and old is not None and old.addr == ptr:
            # the block moved (or size 0 freed it): the old one is freed memory now
            if p is not None or size == 0:
                self._quarantine(ptr, old.usable, old.owner)
        self._after(p)
        return p

    def free(self, ptr: int | None) -> None:
        """``shared_multi_heap_free``; the block joins the quarantine (and is poisoned)."""
        if ptr is None:
            return
        self.check("free")
        blk = self._pool.block_at(ptr)
        try:
            self._pool.free(ptr)
        except (DoubleFree, InvalidFree) as e:
            raise self._with_owner(e, ptr, "free") from e
        if blk is not None and blk.addr == ptr:
            self._quarantine(ptr, blk.usable, blk.owner)
        self._after()

    # ------------------------------------------------------------------ checking
    def check(self, noticed_at: str = "check") -> list[UseAfterFree]:
        """Compare every quarantined block with its snapshot; report (and by default raise)
        the first changed range of each.  Returns the new reports."""
        found = []
        for f in list(self._freed.values()):
            mv = f.mv
            if mv is not None:
                if mv == f.snapshot:  # compared in C, no copy
                    continue
                now = bytes(mv)
            else:
                now = self._read(f.lo, f.hi - f.lo)
            if now == f.snapshot:
                continue
            diff = [i for i, (a, b) in enumerate(zip(now, f.snapshot)) if a != b]
            first, last = diff[0], diff[-1]
            off = f.lo - f.addr + first
            e = UseAfterFree(
                f"use after free: {last - first + 1} byte(s) at {f.lo + first:#x} (offset +{off} into freed "
                f"block {f.addr:#x}, {f.usable} usable bytes, {_owner_text(f.owner)}) were written after "
                f"the block was freed; noticed at the next pool operation ({noticed_at}); "
                f"now {now[first:last + 1][:16].hex()}, was {f.snapshot[first:last + 1][:16].hex()}",
                block=f.addr, owner=f.owner, offset=off, size=last - first + 1, noticed_at=noticed_at,
            )
            f.snapshot = now  # report each write once
            found.append(e)
        self.reports += found
        if found and self.raise_errors:
            raise found[0]
        return found

    @property
    def quarantined(self) -> list[int]:
        """Addresses of the freed blocks being watched, oldest first."""
        return list(self._freed)

    # ------------------------------------------------------------------ internals
    def _with_owner(self, e: SmhError, ptr: int, op: str) -> SmhError:
        info = self._last_owner.get(ptr)
        if info is None:
            return e
        owner, usable = info
        err = type(e)(f"{e} [{op}({ptr:#x}): block {ptr:#x} ({usable} usable bytes, last {_owner_text(owner)}) "
                      "was already freed]")
        err.__dict__.update({k: v for k, v in e.__dict__.items() if k not in ("args",)})
        return err

    def _quarantine(self, addr: int, usable: int, owner: Any) -> None:
        lo = addr + min(FREE_LIST_BYTES, usable)
        hi = addr + min(usable, self._window)
        self._last_owner[addr] = (owner, usable)
        self._last_owner.move_to_end(addr)
        while len(self._last_owner) > 16 * self._limit:
            self._last_owner.popitem(last=False)
        if hi <= lo:
            return
        self._freed.pop(addr, None)
        self._freed[addr] = _Freed(addr, usable, owner, lo, hi)
        while len(self._freed) > self._limit:
            self._freed.popitem(last=False)
        if not self._cached_lines(lo, hi - lo):
            try:
                self._pool.memory.fill(lo, POISON, hi - lo)
            except SmhError:
                pass  # not mapped as plain memory: watch it unpoisoned
        f = self._freed[addr]
        if self.memsys is None or self.memsys.cache is None:
            try:
                f.mv = self._pool.memory.view(lo, hi - lo)
            except SmhError:
                f.mv = None
        f.snapshot = bytes(f.mv) if f.mv is not None else self._read(lo, hi - lo)

    def _after(self, new: int | None = None) -> None:
        # The operation may have handed quarantined bytes out again (the block it returned
        # overlaps them: the program may now write there) or written headers and free-list
        # links into them (the heap's own writes, anywhere a free chunk starts, also far
        # from the blocks of this operation): forget the former, snapshot the rest again.
        if not self._freed:
            return
        if new is not None:
            blk = self._pool.block_at(new)
            if blk is not None:
                lo, hi = blk.addr, blk.addr + max(blk.usable, 1)
                for addr, f in list(self._freed.items()):
                    if f.lo < hi and lo < f.hi:
                        del self._freed[addr]
        self._reseal()

    def _reseal(self) -> None:
        """Snapshot the watched ranges again (a memoryview copy each, when not cached)."""
        for f in self._freed.values():
            f.snapshot = bytes(f.mv) if f.mv is not None else self._read(f.lo, f.hi - f.lo)

    def _cached_lines(self, addr: int, size: int) -> bool:
        m = self.memsys
        if m is None or m.cache is None:
            return False
        return any(m.cache.peek(la) is not None for la in m.lines(addr, size))

    def _read(self, addr: int, size: int) -> bytes:
        """Bytes as the CPU would read them, without changing the cache."""
        data = bytearray(self._pool.memory.read(addr, size))
        m = self.memsys
        if m is not None and m.cache is not None:
            ls = m.line_size
            for la in m.lines(addr, size):
                line = m.cache.peek(la)
                if line is None:
                    continue
                lo, hi = max(la, addr), min(la + ls, addr + size)
                data[lo - addr : hi - addr] = line.data[lo - la : hi - la]
        return bytes(data)
