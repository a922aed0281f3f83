"""The memory system: a CPU view through the data cache, a bus-master view around it.

:class:`MemorySystem` ties an :class:`~smh_boot.memory.address_space.AddressSpace` to an
optional :class:`~smh_boot.memory.cache.DataCache`:

* ``memsys.cpu`` (:class:`CpuView`) is what code running on the core sees.  Accesses to
  cacheable addresses go through the cache (write-back, write-allocate); others go straight to
  memory, as an MPU/MMU "normal non-cacheable" or device mapping does.
* ``memsys.dma`` (:class:`DmaView`) is what a bus master (DMA engine, Ethernet MAC...) sees: it
  reads and writes memory directly and never looks into the cache.
* Cache maintenance uses Zephyr's names (``sys_cache_data_flush_range`` ...) and returns 0
  like Zephyr, or ``-ENOTSUP`` when there is no data cache (Zephyr without
  ``CONFIG_DCACHE``).  Range operations act on whole lines, as hardware does: invalidating
  4 bytes of a line drops the other bytes of that line too.

Cacheability is given by the caller (the boot stage derives it from SMH attributes and
``zephyr,memory-attr`` bits): either a list of ``(base, size)`` cacheable ranges, whose ends
must fall on cache-line boundaries, or a callable ``addr -> bool`` asked once per line.
Without a cache nothing is cached, whatever the ranges say.

The optional :class:`~smh_boot.memory.stress.StressConfig` adds seeded speculative prefetches
and evictions; the optional :class:`~smh_boot.memory.coherency.CoherencyChecker` watches
every step and reports maintenance bugs.  Both see every access through the hooks below.

Accesses and maintenance of at least ``bulk_min_lines`` lines take the bulk path
(:mod:`~smh_boot.memory.bulk`) when the checker says nothing can be reported in their range:
the same results, at the cost of a memory copy for the lines that cannot stay cached.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from ..errno import ENOTSUP
from ..errors import MemoryMapError
from .address_space import AddressSpace
from .cache import CacheLine, DataCache
from . import bulk
from .coherency import BULK_MIN_LINES
from .records import AllocationInfo, DmaTransfer
from .stress import Stressor
from .writelog import DEFAULT_ENTRIES, WORD_STORE, WriteLog, WriteRecord, _getframe

if TYPE_CHECKING:
    from .coherency import CoherencyChecker
    from .stress import StressConfig

#: Actor named in histories for what the cache hardware does on its own (replacement, stress).
CACHE_ACTOR = "cache"

CacheableSpec = Callable[[int], bool] | Iterable[tuple[int, int]]
OwnerLookup = Callable[[int], AllocationInfo | None]
#: ``lookup(addr) -> (lo, hi, inside, token)``: see :meth:`MemorySystem.set_heap_lookup`.
HeapLookup = Callable[[int], tuple[int, int, bool, "tuple | None"]]

_NO_END = 1 << 80  # beyond any address space: "no further boundary"
#: A token that always holds (``key in table and view[idx] == val``), and the cached runs
#: ``(lo, hi, table, key, view, idx, val)`` of "every address" (no heap lookup) and "none".
_ALWAYS = ((0,), 0, (0,), 0, 0)
_EVERYWHERE = (0, _NO_END, *_ALWAYS)
_NOWHERE = (0, 0, *_ALWAYS)


class _Cacheability:
    """Answers "is this line cacheable, and up to where does that answer hold?"."""

    def __init__(self, spec: CacheableSpec, line_size: int | None):
        self._fn: Callable[[int], bool] | None = None
        self._bases: list[int] = []
        self._ends: list[int] = []
        self._line = line_size or 1
        if callable(spec):
            self._fn = spec
            return
        for base, size in sorted(spec):
            if size <= 0:
                raise MemoryMapError(f"cacheable range at {base:#x} has size {size}; must be > 0")
            if line_size and (base % line_size or size % line_size):
                raise MemoryMapError(
                    f"cacheable range [{base:#x}, {base + size:#x}) does not start and end on "
                    f"a {line_size}-byte cache line; align the region to the line size"
                )
            if self._ends and base < self._ends[-1]:
                raise MemoryMapError(f"cacheable range at {base:#x} overlaps the previous one")
            self._bases.append(base)
            self._ends.append(base + size)

    def span(self, addr: int) -> tuple[bool, int]:
        """``(cacheable, end)``: the answer for ``addr`` holds up to ``end`` (exclusive)."""
        if self._fn is not None:
            line_end = (addr | (self._line - 1)) + 1
            return bool(self._fn(addr - addr % self._line)), line_end
        i = bisect.bisect_right(self._bases, addr) - 1
        if i >= 0 and addr < self._ends[i]:
            return True, self._ends[i]
        nxt = self._bases[i + 1] if i + 1 < len(self._bases) else _NO_END
        return False, nxt


class MemorySystem:
    """CPU and bus-master views of ``memory`` with an optional write-back ``cache``.

    Attributes: ``memory``, ``cache`` (or None), ``cpu`` (:class:`CpuView`), ``dma``
    (:class:`DmaView`), ``checker`` (or None), ``stressor`` (or None), ``owner_lookup``.
    """

    def __init__(
        self,
        memory: AddressSpace,
        cache: DataCache | None = None,
        *,
        cacheable: CacheableSpec = (),
        owner_lookup: OwnerLookup | None = None,
        stress: StressConfig | None = None,
        checker: CoherencyChecker | None = None,
    ):
        self.memory = memory
        self.cache = cache
        self._ls = cache.line_size if cache else 0
        self._cacheability = _Cacheability(cacheable, self._ls or None)
        self.owner_lookup: OwnerLookup = owner_lookup or (lambda addr: None)
        self.cpu = CpuView(self)
        self.dma = DmaView(self)
        self._actors: list[str] = []
        self._actor: str | None = None  # the innermost acting_as name (hot paths read it)
        #: The :class:`~smh_boot.memory.writelog.WriteLog` of the last writes (None until
        #: :meth:`record_writes`); ``_wlog`` is its append, read by the write paths.
        self.writes: WriteLog | None = None
        self._wlog: Callable[[tuple], None] | None = None
        self.checker = checker
        if checker is not None:
            checker.bind(self)
        self.stressor = None  # stress needs a cache to act on: ignored without one
        if stress is not None and cache is not None:
            self.stressor = Stressor(stress, self)
        #: Accesses and maintenance of at least this many lines take the bulk path (see
        #: "Bulk path" below); ``None`` forces the line-by-line reference path everywhere.
        self.bulk_min_lines: int | None = BULK_MIN_LINES
        #: The heap's answer for CPU stores (:meth:`set_heap_lookup`), and the last run it
        #: gave where a store may stay in the cache: ``_run = (lo, hi, *token)``, trusted while
        #: its token holds (no lookup: every address, for ever).
        self._heap_lookup: HeapLookup | None = None
        self._run: tuple = _EVERYWHERE
        self._run2: tuple = _NOWHERE  # the run cached before ``_run``

    # ------------------------------------------------------------------ the heap's metadata
    def set_heap_lookup(self, lookup: HeapLookup | None) -> None:
        """Make CPU stores into a heap's metadata visible to the heap at once, as on hardware.

        A heap keeps its chunk headers (and free chunks their free-list links) in emulated
        memory and reads and writes them there, past the cache (its hot path cannot afford the
        cache model).  On hardware the allocator runs on the core and sees them through the
        data cache, so a CPU store over a header is seen by the next heap operation, flushed
        or not.  With a lookup, a CPU store into cacheable memory is split by it: bytes inside
        a run where a store may stay in the cache (``inside``) are written back as usual; the
        others (heap metadata, free heap memory) are written through to memory as well, and
        stay in their cache line as *clean* bytes (so a later whole-line write-back takes
        memory's current value for them, never rolling back a newer header the heap wrote).
        A dirty byte found outside such runs at write-back (stored while its block was live,
        freed since) is dropped in favour of memory's value: the heap has reused it.

        ``lookup(addr)`` returns ``(lo, hi, inside, token)`` with ``lo <= addr < hi``: the
        run of bytes around ``addr`` that share the answer.  ``inside`` is True for memory
        outside every heap and for the usable bytes of one live block.  The last ``inside``
        run is cached while ``token`` holds: ``(table, key, view, index, value)`` holds while
        ``key in table and view[index] == value`` (for a live block, the heap's live-block
        table and the block's chunk header; for memory outside every heap, the pool's layout
        version), None for ever.  The boot stage passes
        ``pool.cpu_store_run``; None turns the split off."""
        self._heap_lookup = lookup
        self._run = _EVERYWHERE if lookup is None else _NOWHERE
        self._run2 = _NOWHERE

    def _in_run(self, lo: int, hi: int) -> bool:
        """Whether a CPU store to ``[lo, hi)`` may stay in the cache as a whole (the cached
        run holds it, or the lookup's run at ``lo`` does: then cached)."""
        r_lo, r_hi, table, key, view, idx, val = self._run
        if r_lo <= lo and hi <= r_hi and key in table and view[idx] == val:
            return True
        if self._swap_run(lo, hi):
            return True
        inside, end = self._lookup_run(lo)
        return inside and hi <= end

    def _swap_run(self, lo: int, hi: int) -> bool:
        """Whether the run cached before the last one holds ``[lo, hi)`` (a driver alternating
        between two buffers); if so it becomes the last one."""
        r_lo, r_hi, table, key, view, idx, val = run = self._run2
        if r_lo <= lo and hi <= r_hi and key in table and view[idx] == val:
            self._run, self._run2 = run, self._run
            return True
        return False

    def _lookup_run(self, addr: int) -> tuple[bool, int]:
        """``(inside, end)`` of the heap's run at ``addr``; caches an inside run."""
        lo, hi, inside, tok = self._heap_lookup(addr)  # type: ignore[misc]
        if inside:
            self._run, self._run2 = (lo, hi, *(_ALWAYS if tok is None else tok)), self._run
            return True, hi
        return False, max(hi, addr + 1)

    def _inside_mask(self, la: int) -> int:
        """Byte mask of line ``la``: bytes inside runs where a store may stay cached."""
        ls = self._ls
        if self._in_run(la, la + ls):
            return (1 << ls) - 1
        mask, pos, end = 0, la, la + ls
        while pos < end:
            inside, stop = self._lookup_run(pos)
            stop = min(stop, end)
            if inside:
                mask |= ((1 << (stop - pos)) - 1) << (pos - la)
            pos = stop
        return mask

    # ------------------------------------------------------------------ queries
    @property
    def line_size(self) -> int:
        """The cache line size in bytes (0 without a cache)."""
        return self._ls

    def is_cacheable(self, addr: int) -> bool:
        """True when CPU accesses to ``addr`` go through the cache (never without a cache)."""
        return self._ls != 0 and self._cacheability.span(addr)[0]

    def any_cacheable(self, addr: int, size: int) -> bool:
        """True when some byte of ``[addr, addr+size)`` is cacheable."""
        return any(c for c, _, _ in self._spans(addr, addr + size))

    def lines(self, addr: int, size: int) -> range:
        """Line addresses covering ``[addr, addr+size)`` (empty for size 0 or no cache)."""
        if not self._ls or size <= 0:
            return range(0)
        return range(addr - addr % self._ls, addr + size, self._ls)

    def _spans(self, addr: int, end: int) -> Iterator[tuple[bool, int, int]]:
        """Split ``[addr, end)`` into ``(cacheable, start, stop)`` runs."""
        while addr < end:
            if not self._ls:
                yield False, addr, end
                return
            cached, span_end = self._cacheability.span(addr)
            stop = min(end, span_end)
            yield cached, addr, stop
            addr = stop

    # ------------------------------------------------------------------ actors
    @property
    def actor(self) -> str | None:
        """The device/driver named by the innermost :meth:`acting_as`, or None."""
        return self._actor

    @contextmanager
    def acting_as(self, device_name: str) -> Iterator[MemorySystem]:
        """Within the block, accesses and maintenance are attributed to ``device_name`` in
        histories and reports (nests; the innermost name wins)."""
        self._actors.append(device_name)
        self._actor = device_name
        try:
            yield self
        finally:
            self._actors.pop()
            self._actor = self._actors[-1] if self._actors else None

    # ------------------------------------------------------------------ who wrote
    def record_writes(self, entries: int = DEFAULT_ENTRIES) -> WriteLog:
        """Keep the last ``entries`` writes made through :attr:`cpu`, :attr:`dma` and the DMA
        engines (address, size, ``acting_as`` device or bus master, the calling ``file:line``
        except for CPU stores of up to 8 bytes) in :attr:`writes`, so a later report can name
        who damaged a byte (:meth:`writer_of`).  One tuple per write call; every boot turns it
        on.  Returns the log."""
        self.writes = WriteLog(self.memory, entries)
        self._wlog = self.writes.record
        return self.writes

    def writer_of(self, addr: int, size: int,
                  innocent: Callable[[int, int], bool] | None = None) -> WriteRecord | None:
        """The newest recorded write into ``[addr, addr+size)`` whose bytes are still there,
        passing over writes ``innocent(addr, size)`` clears (see :meth:`WriteLog.find`), or
        None (not recording, nothing recorded there, or overwritten since by a store the log
        does not see)."""
        return None if self.writes is None else self.writes.find(addr, addr + size, innocent)

    # ------------------------------------------------------------------ cache traffic
    def _fill(self, la: int, why: str, quiet: bool = False) -> CacheLine:
        """Allocate line ``la`` from memory (its victim retired); ``quiet``: no history events
        (the bulk path records one range event instead)."""
        cache = self.cache
        assert cache is not None
        line, victim = cache.insert(la, self.memory.read(la, self._ls))
        if victim is not None:
            self._retire(victim, f"evict (replaced by {la:#x})", quiet)
        if self.checker is not None and not quiet:
            self.checker.note(la, CACHE_ACTOR if why == "prefetch" else self.actor, why, la, self._ls)
        return line

    def _writeback(self, line: CacheLine, why: str, quiet: bool = False) -> None:
        cache = self.cache
        assert cache is not None
        if line.dirty and self._heap_lookup is not None:
            # Dirty bytes now in heap metadata or free heap memory (stored while their block
            # was live): the heap has the newer value in memory, as its stores would have put
            # in the line on hardware.  (The cached run, inlined: a frame's lines hit it.)
            la = line.addr
            r_lo, r_hi, table, key, view, idx, val = self._run
            if not (r_lo <= la and la + self._ls <= r_hi and key in table and view[idx] == val):
                line.dirty &= self._inside_mask(la)
        runs = cache.writeback_runs(line)
        if runs and not cache.dirty_bytes_only:
            self._refresh_clean_bytes(line)
        for off, n in runs:
            self.memory.write(line.addr + off, line.data[off : off + n])
        if runs:
            cache.stats.writebacks += 1
            if self.checker is not None and not quiet:
                detail = "whole line" if runs == [(0, self._ls)] else f"bytes {runs}"
                self.checker.note(line.addr, CACHE_ACTOR, f"write-back ({why})", line.addr, self._ls, detail)
        line.dirty = 0

    def _refresh_clean_bytes(self, line: CacheLine) -> None:
        """Before a whole-line write-back, take memory's value for clean bytes that no device
        wrote.  The heap keeps its chunk headers in emulated memory and writes them directly
        (its hot path cannot go through the cache); on hardware those are CPU stores that
        update the cached line.  So only a device's writes are clobbered by a stale copy, as
        on hardware, never the heap's own metadata."""
        ls = self._ls
        keep = ~(line.dirty | line.device) & ((1 << ls) - 1)
        if not keep:
            return
        mem = self.memory.read(line.addr, ls)
        data = line.data
        for i in range(ls):
            if keep >> i & 1 and data[i] != mem[i]:
                data[i] = mem[i]

    def _retire(self, line: CacheLine, why: str, quiet: bool = False) -> None:
        """A line leaving the cache by replacement or eviction: write it back if dirty."""
        was_dirty = line.dirty
        self._writeback(line, why, quiet)
        if self.checker is not None and not quiet:
            self.checker.note(
                line.addr, CACHE_ACTOR, why, line.addr, self._ls, "was dirty" if was_dirty else "was clean"
            )

    def evict_line(self, addr: int, *, quiet: bool = False) -> bool:
        """Evict the line holding ``addr`` now (written back if dirty), as a replacement would;
        returns False when it was not cached.  Used by the stress mode and by tests
        (``quiet``: no history events, the caller records one for many lines)."""
        if self.cache is None:
            return False
        line = self.cache.remove(self.cache.line_addr(addr))
        if line is None:
            return False
        self.cache.stats.evictions += 1
        self._retire(line, "evict", quiet)
        return True

    def prefetch_line(self, addr: int, *, quiet: bool = False) -> bool:
        """Speculatively fill the line holding ``addr``, as a core's prefetcher may at any time;
        returns False when it is not cacheable, not fully mapped or already cached
        (``quiet``: as for :meth:`evict_line`)."""
        if self.cache is None:
            return False
        la = self.cache.line_addr(addr)
        if (
            not self.is_cacheable(la)
            or self.cache.peek(la) is not None
            or self.memory.find(la, self._ls) is None
        ):
            return False
        self.cache.stats.prefetches += 1
        self._fill(la, "prefetch", quiet)
        return True

    # ------------------------------------------------------------------ bulk path
    def _bulk(self, op: str, start: int, stop: int, *, cpu: bool = False, length: int | None = None) -> bool:
        """Whether ``op`` on cacheable ``[start, stop)`` takes the bulk path (:mod:`.bulk`):
        long enough (``length``, default the range's: a DMA transfer's pieces count as long
        when the transfer is), and nothing the checker could report in the range.  Otherwise the line-by-line path runs: it is
        the reference the bulk path is tested against, and the one that reports."""
        n = self.bulk_min_lines
        if n is None or (stop - start if length is None else length) < n * self._ls:
            return False
        if cpu and self.memory.find(start, stop - start) is None:
            return False  # an unmapped line faults where it lies, on the reference path
        return self.checker is None or self.checker.bulk_is_quiet(op, start, stop)

    # ------------------------------------------------------------------ CPU accesses
    def _cached_pieces(self, start: int, stop: int) -> Iterator[tuple[CacheLine, int, int, int]]:
        """``(line, addr, offset, length)`` per line of cacheable ``[start, stop)``, each line
        present (filled on a miss: write-allocate too).  The stress tick for a line runs after
        the caller has used it."""
        ls, st, lookup = self._ls, self.stressor, self.cache.lookup  # type: ignore[union-attr]
        pos = start
        while pos < stop:
            la = pos - pos % ls
            n = min(stop, la + ls) - pos
            yield lookup(la) or self._fill(la, "miss fill"), pos, pos - la, n
            if st is not None:
                st.tick(la)
            pos += n

    def _cpu_read(self, addr: int, size: int) -> bytes:
        if size < 0:
            raise ValueError(f"read size {size} is negative")
        ls = self._ls
        if ls and 0 < size <= ls - addr % ls and self._cacheability.span(addr)[0]:
            # One cacheable line (register-like code: u8/u16/u32): the loop below, unrolled.
            la = addr - addr % ls
            line = self.cache.lookup(la) or self._fill(la, "miss fill")  # type: ignore[union-attr]
            if self.checker is not None:
                self.checker.cpu_read(addr, size, self.actor)
            got = bytes(line.data[addr - la : addr - la + size])
            if self.stressor is not None:
                self.stressor.tick(la)
            return got
        out = bytearray()
        chk = self.checker
        for cached, start, stop in self._spans(addr, addr + size):
            if not cached:
                out += self.memory.read(start, stop - start)
                continue
            bm = self.bulk_min_lines
            if bm is not None and stop - start >= max(bm, 2) * ls and self._bulk("cpu read", start, stop, cpu=True):
                out += (bulk.cpu_read if self.stressor is None else bulk.cpu_read_ticking)(self, start, stop)
                if chk is not None:
                    chk.note_range(self.actor, "cpu read", start, stop - start, "bulk")
                continue
            for line, pos, off, n in self._cached_pieces(start, stop):
                if chk is not None:  # after the fill, so the history reads in order
                    chk.cpu_read(pos, n, self.actor)
                out += line.data[off : off + n]
        return bytes(out)

    def _cpu_write(self, addr: int, data: bytes | bytearray | memoryview) -> None:
        ls, n = self._ls, len(data)
        r_lo, r_hi, table, key, view, idx, val = self._run
        if (ls and 0 < n <= ls - addr % ls and type(data) is bytes
                and ((r_lo <= addr and addr + n <= r_hi and key in table and view[idx] == val)
                     or self._swap_run(addr, addr + n))
                and self._cacheability.span(addr)[0]):
            # One cacheable line (register-like code: u8/u16/u32) inside the last block (or
            # outside heaps): the loop below, unrolled.
            la = addr - addr % ls
            line = self.cache.lookup(la) or self._fill(la, "miss fill")  # type: ignore[union-attr]
            line.data[addr - la : addr - la + n] = data
            line.dirty |= ((1 << n) - 1) << (addr - la)
            if self._wlog is not None:  # who wrote, for heap damage found later
                if n <= WORD_STORE:  # no source line: reading the frame costs a store ~20%
                    self._wlog((addr, n, self._actor, data, None, -1, "cpu", None))
                else:
                    f = _getframe(2)  # the code that called the CpuView method
                    self._wlog((addr, n, self._actor, data, f.f_code, f.f_lasti, "cpu", None))
            if self.checker is not None:
                self.checker.cpu_write(addr, n, self.actor)
            if self.stressor is not None:
                self.stressor.tick(la)
            return
        wlog = self._wlog
        if wlog is not None:
            if type(data) is bytes and len(data) <= WORD_STORE:  # a word store: as cheap as can be
                wlog((addr, len(data), self._actor, data, None, -1, "cpu", None))
            else:
                self._log_write(addr, memoryview(data).cast("B"), "cpu", None, 3)
        data = memoryview(data).cast("B")
        for cached, start, stop in self._spans(addr, addr + len(data)):
            if not cached:
                self.memory.write(start, data[start - addr : stop - addr])
                continue
            if self._heap_lookup is not None and not self._in_run(start, stop):
                self._cpu_write_split(start, stop, data[start - addr : stop - addr])
                continue
            self._cpu_write_cached(start, stop, data[start - addr : stop - addr])

    def _cpu_write_split(self, start: int, stop: int, data: memoryview) -> None:
        """A CPU store to cacheable ``[start, stop)`` that the heap's runs split: inside runs
        are written back as usual, the rest written through (:meth:`set_heap_lookup`)."""
        pos = start
        while pos < stop:
            inside, end = self._lookup_run(pos)
            end = min(end, stop)
            if inside:
                self._cpu_write_cached(pos, end, data[pos - start : end - start])
            else:
                self._cpu_write_through(pos, end, data[pos - start : end - start])
            pos = end

    def _cpu_write_through(self, start: int, stop: int, data: memoryview) -> None:
        """Store into heap metadata or free heap memory: into the cache line (write-allocate)
        and memory at once, the bytes left clean in the line (memory has their value)."""
        chk = self.checker
        for line, pos, off, n in self._cached_pieces(start, stop):
            line.data[off : off + n] = data[pos - start : pos - start + n]
            line.dirty &= ~(((1 << n) - 1) << off)
            self.memory.write(pos, data[pos - start : pos - start + n])
            if chk is not None:
                chk.cpu_write_through(pos, n, self.actor)

    def _cpu_write_cached(self, start: int, stop: int, data: memoryview) -> None:
        """CPU store of ``data`` to cacheable ``[start, stop)``, held in the cache (write-back)."""
        ls, chk = self._ls, self.checker
        bm = self.bulk_min_lines
        if bm is not None and stop - start >= max(bm, 2) * ls and self._bulk("cpu write", start, stop, cpu=True):
            fn = bulk.cpu_write if self.stressor is None else bulk.cpu_write_ticking
            detail = fn(self, start, data)
            if chk is not None:
                chk.cpu_write_range(start, stop - start, self.actor, detail)
            return
        for line, pos, off, n in self._cached_pieces(start, stop):
            line.data[off : off + n] = data[pos - start : pos - start + n]
            line.dirty |= ((1 << n) - 1) << off  # byte_mask(), inlined: hot path
            if chk is not None:  # once the line holds the write: reports show its state
                chk.cpu_write(pos, n, self.actor)

    # ------------------------------------------------------------------ bus-master accesses
    def _dma_read(self, addr: int, size: int, device: str | None, transfer: DmaTransfer | None) -> bytes:
        chk = self.checker
        if chk is not None:
            for cached, start, stop in self._spans(addr, addr + size):
                if not cached:
                    continue
                if self._bulk("dma read", start, stop, length=transfer.size if transfer else None):
                    chk.dma_read_range(start, stop - start, device, transfer)
                else:
                    chk.dma_read(start, stop - start, device, transfer)
        return self.memory.read(addr, size)

    def _dma_write(
        self, addr: int, data: bytes | bytearray | memoryview, device: str | None, transfer: DmaTransfer | None,
        verified: bool = False,
    ) -> None:
        if self._wlog is not None:
            text = None if transfer is None else (
                f"DMA channel {transfer.channel} of device {transfer.device} (transfer #{transfer.id})")
            # verified: the engine's write check found it inside one live buffer (no culprit)
            kind = "bus" if transfer is None else ("dma-verified" if verified else "dma")
            self._log_write(addr, memoryview(data).cast("B"), kind, text, 3, device)
        chk = self.checker
        cache = self.cache
        if chk is not None or cache is not None:
            for cached, start, stop in self._spans(addr, addr + len(data)):
                if not cached:
                    continue
                if chk is not None:
                    if self._bulk("dma write", start, stop, length=transfer.size if transfer else None):
                        chk.dma_write_range(start, stop - start, device, transfer)
                    else:
                        chk.dma_write(start, stop - start, device, transfer)
                if cache is not None:
                    self._mark_device_bytes(start, stop)
        self.memory.write(addr, data)

    def _log_write(self, addr: int, data: memoryview, kind: str, transfer: str | None, depth: int,
                   actor: str | None = None) -> None:
        """Record one write in the write log (off the one-line fast path): its bytes when short
        enough to keep, and the frame ``depth`` levels up (the code that called the view)."""
        n = len(data)
        keep = bytes(data) if n <= self.writes.keep_bytes else None  # type: ignore[union-attr]
        code, lasti = None, -1
        if transfer is None and (kind != "cpu" or n > WORD_STORE):
            try:
                f = _getframe(depth)
            except ValueError:  # called from the bottom of the stack: no caller to name
                f = None
            while kind == "bus" and f is not None and f.f_back is not None and f.f_code.co_filename == __file__:
                f = f.f_back  # DmaView.write_u32 -> write -> here: name the caller
            if f is not None:
                code, lasti = f.f_code, f.f_lasti
        self._wlog((addr, n, self._actor if actor is None else actor, keep, code, lasti, kind,  # type: ignore[misc]
                    transfer))

    def _mark_device_bytes(self, start: int, stop: int) -> None:
        """Remember, on lines the cache holds, which bytes a device wrote behind them."""
        ls = self._ls
        for la in bulk.held_lines(self, start, stop):
            line = self.cache.peek(la)  # type: ignore[union-attr]
            if line is not None:
                lo, hi = max(start, la) - la, min(stop, la + ls) - la
                line.device |= ((1 << (hi - lo)) - 1) << lo

    def _dma_started(self, transfer: DmaTransfer) -> None:
        """Called by the DMA engine before a transfer takes effect (checks may raise)."""
        if self.checker is not None:
            self.checker.dma_start(transfer)

    def _dma_window(self, transfer: DmaTransfer) -> None:
        """Called by the DMA engine while a transfer is in flight (stress bursts)."""
        if self.stressor is not None:
            self.stressor.dma_window(transfer)

    def _dma_ended(self, transfer: DmaTransfer, how: str) -> None:
        """Called by the DMA engine when a transfer completes or is aborted (``how``)."""
        if self.checker is not None:
            self.checker.dma_end(transfer, how)

    def require_noncacheable(self, addr: int, size: int, *, device: str | None = None) -> bool:
        """Declare that a device needs ``[addr, addr+size)`` non-cacheable (descriptor rings
        the device polls, for example).

        Returns True when no byte of the range is cacheable.  Otherwise it is a
        ``CACHEABLE_BUFFER_FOR_DMA`` finding: with a raising checker (every boot's, every
        test's) it raises :class:`~smh_boot.memory.coherency.CoherencyViolation`; with a
        collecting checker (``raise_errors=False``) the report is collected and it returns
        False; without a checker it returns False.  (A driver refusing such a buffer at
        ``init()`` raises ``DeviceInitError`` itself, after ``any_cacheable(addr, size)``.)"""
        ok = not self.any_cacheable(addr, size)
        if not ok and self.checker is not None:
            self.checker.cacheable_for_dma(addr, size, device or self.actor, None)
        return ok

    # ------------------------------------------------------------------ maintenance (Zephyr API)
    def sys_cache_data_flush_range(self, addr: int, size: int) -> int:
        """Write back the dirty lines covering ``[addr, addr+size)``; 0, or -ENOTSUP without a cache."""
        return self._maintain_range(addr, size, flush=True, invd=False)

    def sys_cache_data_invd_range(self, addr: int, size: int) -> int:
        """Drop the lines covering ``[addr, addr+size)`` without writing them back (dirty data
        in them, even outside the range, is lost); 0, or -ENOTSUP without a cache."""
        return self._maintain_range(addr, size, flush=False, invd=True)

    def sys_cache_data_flush_and_invd_range(self, addr: int, size: int) -> int:
        """Write back, then drop, the lines covering the range; 0, or -ENOTSUP without a cache."""
        return self._maintain_range(addr, size, flush=True, invd=True)

    def sys_cache_data_flush_all(self) -> int:
        """Write back every dirty line; 0, or -ENOTSUP without a cache."""
        return self._maintain_all(flush=True, invd=False)

    def sys_cache_data_invd_all(self) -> int:
        """Drop every line, dirty or not; 0, or -ENOTSUP without a cache."""
        return self._maintain_all(flush=False, invd=True)

    def sys_cache_data_flush_and_invd_all(self) -> int:
        """Write back every dirty line, then drop every line; 0, or -ENOTSUP without a cache."""
        return self._maintain_all(flush=True, invd=True)

    def _maintain_range(self, addr: int, size: int, *, flush: bool, invd: bool) -> int:
        if self.cache is None:
            return -ENOTSUP
        end = addr + size
        chk = self.checker
        if chk is not None:
            chk.maintenance_started()
        op = "flush+invd" if flush and invd else ("flush" if flush else "invalidate")
        for cached, start, stop in self._spans(addr, end):
            if not cached:
                continue
            if self._bulk(op, start, stop):
                bulk.maintain(self, start, stop, flush, invd, addr, end)
                continue
            lines: Iterable[int] = self.lines(start, stop - start)
            if len(lines) > 2 * self.cache.num_sets * self.cache.ways:  # type: ignore[arg-type]
                # A range much larger than the cache (a framebuffer): visit only the lines the
                # cache or the checker hold; every other line is a no-op (_maintain_line).
                held = set(bulk.held_lines(self, start, stop))
                if chk is not None:
                    held |= chk.known_lines(start, stop)
                lines = sorted(held)
            for la in lines:
                self._maintain_line(la, flush, invd, addr, end)
        return 0

    def _maintain_line(self, la: int, flush: bool, invd: bool, lo: int, hi: int) -> None:
        cache, chk = self.cache, self.checker
        assert cache is not None
        line = cache.peek(la)
        # A line that is not cached and that the checker has never seen needs no bookkeeping:
        # skipping it keeps maintenance of a large buffer (a framebuffer) proportional to what
        # the cache and the checker actually hold.
        if chk is not None and line is None and not chk.concerns(la):
            chk = None
        if flush:
            if line is not None:
                self._writeback(line, "flush")
            if chk is not None:
                chk.flushed(la, lo, hi, self.actor)
        if invd:
            if chk is not None:
                chk.invalidating(la, lo, hi, self.actor)  # before the data is gone
            if line is not None:
                cache.remove(la)
                cache.stats.invalidations += 1

    def _maintain_all(self, *, flush: bool, invd: bool) -> int:
        cache = self.cache
        if cache is None:
            return -ENOTSUP
        if self.checker is not None:  # before the data is gone: it may report what is lost
            self.checker.maintained_all(flush, invd, self.actor)
        for line in cache.lines():
            if flush:
                self._writeback(line, "flush all")
            if invd:
                cache.remove(line.addr)
                cache.stats.invalidations += 1
        return 0


class CpuView:
    """What software on the core sees: cacheable addresses through the data cache.

    Multi-byte integers are little-endian.  Accesses outside every mapping raise
    :class:`~smh_boot.errors.BusFault`."""

    def __init__(self, memsys: MemorySystem):
        self._m = memsys

    def read(self, addr: int, size: int) -> bytes:
        """Load ``size`` bytes."""
        return self._m._cpu_read(addr, size)

    def write(self, addr: int, data: bytes | bytearray | memoryview) -> None:
        """Store ``data``."""
        self._m._cpu_write(addr, data)

    def fill(self, addr: int, value: int, size: int) -> None:
        """memset()."""
        self._m._cpu_write(addr, bytes([value & 0xFF]) * size)

    def copy(self, dst: int, src: int, size: int) -> None:
        """memcpy() (through the cache on both sides where cacheable)."""
        self._m._cpu_write(dst, self._m._cpu_read(src, size))

    def read_u8(self, addr: int) -> int:
        """8-bit load."""
        return self._m._cpu_read(addr, 1)[0]

    def read_u16(self, addr: int) -> int:
        """16-bit little-endian load."""
        return int.from_bytes(self._m._cpu_read(addr, 2), "little")

    def read_u32(self, addr: int) -> int:
        """32-bit little-endian load."""
        return int.from_bytes(self._m._cpu_read(addr, 4), "little")

    def write_u8(self, addr: int, value: int) -> None:
        """8-bit store."""
        self._m._cpu_write(addr, bytes([value & 0xFF]))

    def write_u16(self, addr: int, value: int) -> None:
        """16-bit little-endian store."""
        self._m._cpu_write(addr, (value & 0xFFFF).to_bytes(2, "little"))

    def write_u32(self, addr: int, value: int) -> None:
        """32-bit little-endian store."""
        self._m._cpu_write(addr, (value & 0xFFFFFFFF).to_bytes(4, "little"))


class DmaView:
    """What a bus master sees: memory itself, never the cache.

    ``device`` names the master in reports (default: the current ``acting_as`` name).  Use
    it for accesses a device makes outside a :class:`~smh_boot.memory.dma.DmaEngine`
    transfer, such as an Ethernet MAC fetching and updating its descriptors."""

    def __init__(self, memsys: MemorySystem):
        self._m = memsys

    def read(self, addr: int, size: int, *, device: str | None = None) -> bytes:
        """Bus-master read of ``size`` bytes."""
        return self._m._dma_read(addr, size, device or self._m.actor, None)

    def write(self, addr: int, data: bytes | bytearray | memoryview, *, device: str | None = None) -> None:
        """Bus-master write of ``data``."""
        self._m._dma_write(addr, data, device or self._m.actor, None)

    def read_u32(self, addr: int, *, device: str | None = None) -> int:
        """32-bit little-endian bus-master read."""
        return int.from_bytes(self.read(addr, 4, device=device), "little")

    def write_u32(self, addr: int, value: int, *, device: str | None = None) -> None:
        """32-bit little-endian bus-master write."""
        self.write(addr, (value & 0xFFFFFFFF).to_bytes(4, "little"), device=device)
