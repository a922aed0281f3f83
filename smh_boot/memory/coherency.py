"""Coherency checker: catches cache-maintenance bugs around DMA, deterministically.

Whether a forgotten flush corrupts data on a given run depends on luck: was the line evicted
in time, did the core prefetch it?  The checker does not look at luck.  Besides the cache
itself it keeps two per-byte records for every cacheable line:

* **unflushed**: bytes the CPU wrote since the last clean (flush) or invalidate of their line,
  with who wrote them last.  An eviction does *not* clear them: the data reached memory this
  time, by chance.
* **device-written**: bytes a bus master wrote since the last invalidate of their line.  The
  CPU must invalidate before it reads them, whether or not the line happens to be cached now
  (a speculative prefetch could have cached it at any moment of the transfer).

From these it reports the kinds of :class:`CoherencyKind` at the first operation that proves
the bug, with the same verdict for every stress seed.  Both records are dicts keyed by line
address, and every range query walks the range or the dict, whichever is shorter, so an
operation costs what it touches, never what was ever touched.

The memory system's bulk path (long CPU accesses, whole-line maintenance of runs of lines) asks
:meth:`CoherencyChecker.bulk_is_quiet` first: when no finding can arise in the range it updates
the records for the whole run at once with one range event (``*_range`` methods); otherwise it
takes the line-by-line reference path, so findings are the same either way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, NamedTuple, Protocol

from ..errors import CoherencyError
from .cache import byte_mask, mask_text
from .events import DEFAULT_DEPTH, EventLog, MemEvent
from .findings import HINTS, CoherencyKind, CoherencyReport
from .linemap import LineMap
from .records import AllocationInfo, BufferInfo, DmaTransfer

__all__ = ["BULK_MIN_LINES", "CoherencyChecker", "CoherencyKind", "CoherencyReport", "CoherencyViolation"]

if TYPE_CHECKING:
    from .address_space import AddressSpace
    from .cache import DataCache


#: Accesses and maintenance covering at least this many lines take the memory system's bulk
#: path (and get one range event) when nothing can be reported; shorter ones go line by line.
BULK_MIN_LINES = 64


class CheckedMemory(Protocol):
    """What the checker needs of the memory system it watches (a
    :class:`~smh_boot.memory.system.MemorySystem`; named here so this module does not import it)."""

    memory: AddressSpace
    cache: DataCache | None
    owner_lookup: Callable[[int], AllocationInfo | None]

    @property
    def line_size(self) -> int: ...  # noqa: D102

    @property
    def actor(self) -> str | None: ...  # noqa: D102

    def lines(self, addr: int, size: int) -> range: ...  # noqa: D102

    def is_cacheable(self, addr: int) -> bool: ...  # noqa: D102

    def any_cacheable(self, addr: int, size: int) -> bool: ...  # noqa: D102


class CoherencyViolation(CoherencyError):
    """A :class:`CoherencyReport` raised as an error (``.report``, ``.kind``)."""

    def __init__(self, report: CoherencyReport):
        self.report = report
        self.kind = report.kind
        super().__init__(str(report))


class _Unflushed(NamedTuple):
    """CPU-written bytes of one line not yet cleaned: ``mask``, ``seq`` of the last CPU write,
    its ``writer`` (acting_as name or None).  Immutable, so a bulk write shares one record
    between all the whole lines it wrote."""

    mask: int
    seq: int
    writer: str | None


class _DeviceWrite(NamedTuple):
    """Bytes of one line written by a bus master and not yet invalidated by the CPU."""

    mask: int
    device: str | None
    transfer: DmaTransfer | None
    buf_addr: int
    buf_size: int
    early: bool  # the line was invalidated while that transfer was in flight
    token: object


def keys_in(d: dict[int, object], lo: int, hi: int, step: int) -> list[int]:
    """Keys of ``d`` that are line addresses in ``[lo, hi)`` (``lo`` line-aligned), ascending:
    walks the range or the dict, whichever is shorter."""
    if not d or hi <= lo:
        return []
    if (hi - lo) // step <= len(d):
        return [a for a in range(lo, hi, step) if a in d]
    return sorted(a for a in d if lo <= a < hi)


class CoherencyChecker:
    """Watches a :class:`~smh_boot.memory.system.MemorySystem` (pass it as ``checker=``).

    With ``raise_errors=True`` (default) the first finding raises
    :class:`CoherencyViolation`; otherwise findings are appended to ``reports`` and the
    program goes on (each finding is reported once).  ``history`` is the number of events
    kept per cache line, ``history_lines`` how many lines keep a history at once (see
    :mod:`~smh_boot.memory.events`)."""

    def __init__(self, raise_errors: bool = True, history: int = DEFAULT_DEPTH, *, history_lines: int | None = None):
        self.raise_errors = raise_errors
        self.reports: list[CoherencyReport] = []
        self.log = EventLog(history) if history_lines is None else EventLog(history, max_lines=history_lines)
        self._m: CheckedMemory | None = None
        self._ls = 0
        self._unflushed: LineMap[_Unflushed] = LineMap(1)  # re-made for the line size by bind()
        self._written: LineMap[_DeviceWrite] = LineMap(1)
        self._active: dict[int, DmaTransfer] = {}  # transfers writing memory, by id
        self._reading: dict[int, DmaTransfer] = {}  # transfers reading cacheable memory, by id
        self._early: dict[int, set[int]] = {}  # transfer id -> lines invalidated in flight
        self._seen: set[tuple] = set()
        self._op = 0  # seq before the current maintenance operation (one report per operation)

    def bind(self, memsys: CheckedMemory) -> None:
        """Attach to ``memsys`` (done by the MemorySystem constructor)."""
        if self._m is not None and self._m is not memsys:
            raise ValueError("a CoherencyChecker watches one MemorySystem; create one per system")
        if self._m is None:
            self._unflushed, self._written = LineMap(memsys.line_size or 1), LineMap(memsys.line_size or 1)
        self._m = memsys
        self._ls = memsys.line_size

    def kinds(self) -> list[CoherencyKind]:
        """Kinds of the collected reports, in order."""
        return [r.kind for r in self.reports]

    # ------------------------------------------------------------------ helpers
    def _split(self, addr: int, size: int) -> Iterator[tuple[int, int, int]]:
        """``(line, offset, length)`` pieces of ``[addr, addr+size)``, one per line."""
        ls, end = self._ls, addr + size
        while addr < end:
            la = addr - addr % ls
            n = min(end, la + ls) - addr
            yield la, addr - la, n
            addr += n

    def note(self, la: int, actor: str | None, what: str, addr: int, size: int, detail: str = "") -> MemEvent:
        """Add an event to the history of line ``la`` (used by the memory system)."""
        return self.log.record(la, actor, what, addr, size, detail)

    def note_range(self, actor: str | None, what: str, addr: int, size: int, detail: str = "") -> MemEvent:
        """One event for every line of ``[addr, addr+size)`` (the memory system's bulk path)."""
        return self.log.record_range(actor, what, addr, size, detail)

    def concerns(self, la: int) -> bool:
        """Whether line ``la`` has any state or history here (or lies under a transfer in
        flight); maintenance of a line that does not, and is not cached, changes nothing."""
        return (la in self._unflushed or la in self._written or self.log.has(la)
                or bool(self._covering(la)))

    def known_lines(self, lo: int, hi: int) -> set[int]:
        """Line addresses in ``[lo, hi)`` for which :meth:`concerns` is true."""
        ls = self._ls
        lo -= lo % ls
        out = set(self._unflushed.keys_in(lo, hi))
        out.update(self._written.keys_in(lo, hi))
        out.update(keys_in(self.log._lines, lo, hi, ls))
        for t in self._active.values():
            first = max(t.dst - t.dst % ls, lo)  # type: ignore[operator]
            out.update(range(first, min(t.dst + t.size, hi), ls))  # type: ignore[operator]
        return out

    def _covering(self, la: int) -> list[DmaTransfer]:
        """In-flight memory-writing transfers whose buffer touches line ``la``."""
        if not self._active:  # the common case, on every CPU write
            return []
        ls = self._ls
        return [
            t for t in self._active.values()
            if t.dst - t.dst % ls <= la < t.dst + t.size  # type: ignore[operator]
        ]

    def _reading_over(self, la: int) -> list[DmaTransfer]:
        """In-flight memory-reading transfers whose source touches line ``la``."""
        if not self._reading:
            return []
        ls = self._ls
        return [
            t for t in self._reading.values()
            if t.src - t.src % ls <= la < t.src + t.size  # type: ignore[operator]
        ]

    def _in_flight_over(self, lo: int, hi: int) -> bool:
        """Whether a transfer in flight reads or writes any byte of the lines of ``[lo, hi)``."""
        ls = self._ls
        lo, hi = lo - lo % ls, hi + (-hi) % ls
        for t in self._active.values():
            if t.dst < hi and lo < t.dst + t.size:  # type: ignore[operator]
                return True
        for t in self._reading.values():
            if t.src < hi and lo < t.src + t.size:  # type: ignore[operator]
                return True
        return False

    def _victim(self, addr: int, writer: str | None) -> tuple[AllocationInfo | None, str]:
        """The allocation holding ``addr`` and a text naming it and the CPU code that wrote it."""
        assert self._m is not None
        alloc = self._m.owner_lookup(addr)
        where = f"allocation {alloc}" if alloc is not None else f"memory at {addr:#x} (no known allocation)"
        return alloc, f"{where}; unflushed CPU writes by {writer or 'cpu code outside acting_as'}"

    def _report(
        self, kind: CoherencyKind, la: int, token: object, *, buf: tuple[int, int],
        device: str | None, actor: str | None, transfer: DmaTransfer | None, message: str,
        victim: str | None = None, key: tuple | None = None,
    ) -> None:
        key = key or (kind, la, token)
        if key in self._seen:
            return
        self._seen.add(key)
        m = self._m
        assert m is not None and m.cache is not None
        alloc = m.owner_lookup(buf[0])
        mapping = m.memory.find(buf[0])
        region = alloc.region if alloc is not None and alloc.region else (mapping.name if mapping else None)
        report = CoherencyReport(
            kind, device, actor, str(transfer) if transfer is not None else None,
            BufferInfo(buf[0], buf[1], region, alloc), la, m.cache.state(la),
            self.log.history(la, self._ls), message, HINTS[kind], victim,
        )
        if self.raise_errors:
            raise CoherencyViolation(report)
        self.reports.append(report)

    def _cpu_side_device(self, actor: str | None, addr: int) -> str | None:
        """For a CPU-side finding: the driver doing it, else the owner of the buffer."""
        if actor:
            return actor
        alloc = self._m.owner_lookup(addr) if self._m is not None else None
        return alloc.owner if alloc is not None else None

    # ------------------------------------------------------------------ CPU side
    def cpu_read(self, addr: int, size: int, actor: str | None) -> None:
        """A CPU load of ``[addr, addr+size)`` (within one cacheable line)."""
        la, off = addr - addr % self._ls, addr % self._ls
        self.log.record(la, actor, "cpu read", addr, size)
        if not self._written._pages:  # the common case: nothing device-written is pending
            return
        w = self._written.get(la)
        if w is None:
            return
        hit = w.mask & byte_mask(off, size)
        if hit:
            kind = CoherencyKind.INVALIDATE_BEFORE_COMPLETION if w.early else CoherencyKind.STALE_RX_DATA
            what = (
                "after invalidating the line only while the transfer was still running (a refill "
                "between that invalidate and the device's write brings the old data back)"
                if w.early else "without invalidating the line after the device wrote it"
            )
            self._report(
                kind, la, w.token, buf=(w.buf_addr, w.buf_size), device=w.device, actor=actor,
                transfer=w.transfer,
                message=f"CPU read {size} byte(s) at {addr:#x} that {w.device or 'a device'} "
                f"wrote ({mask_text(hit)} of line {la:#x}) {what}; it may see stale cached data",
            )

    def cpu_write(self, addr: int, size: int, actor: str | None) -> None:
        """A CPU store to ``[addr, addr+size)`` (within one cacheable line), called once the
        cache holds the stored bytes."""
        la, off = addr - addr % self._ls, addr % self._ls
        ev = self.log.record(la, actor, "cpu write", addr, size)
        mask = ((1 << size) - 1) << off  # byte_mask(), inlined: hot path
        page = self._unflushed.page(la)  # LineMap get + set, inlined: hot path
        u = page.get(la)
        page[la] = _Unflushed(mask | u.mask, ev.seq, actor) if u is not None else _Unflushed(mask, ev.seq, actor)
        w = self._written.get(la) if self._written._pages else None
        if w is not None:  # the CPU overwrote these device bytes: nothing stale left to read
            if w.mask & ~mask:
                self._written[la] = w._replace(mask=w.mask & ~mask)
            else:
                self._written.pop(la)
        if not (self._active or self._reading):
            return
        for t in self._covering(la):
            self._report(
                CoherencyKind.DIRTY_EVICTION_DURING_DMA, la, (t.id, ev.seq), buf=(t.dst, t.size),  # type: ignore[arg-type]
                device=t.device, actor=actor, transfer=t,
                message=f"CPU wrote {addr:#x} (line {la:#x}) while {t.device} is writing the "
                "buffer by DMA; when the dirty line is evicted it overwrites the device's data",
            )
        for t in self._reading_over(la):
            self._report(
                CoherencyKind.TX_BUFFER_WRITTEN_DURING_DMA, la, (t.id, ev.seq), buf=(t.src, t.size),  # type: ignore[arg-type]
                device=t.device, actor=actor, transfer=t,
                message=f"CPU wrote {size} byte(s) at {addr:#x} (line {la:#x}) while {t.device} is "
                f"still reading the buffer by DMA ({t.read} of {t.size} bytes read so far); what "
                "the device sends depends on timing, and the cached bytes reach memory only if flushed",
            )

    def cpu_write_through(self, addr: int, size: int, actor: str | None) -> None:
        """A CPU store to ``[addr, addr+size)`` (within one cacheable line) written through to
        memory (heap metadata, see ``MemorySystem.set_heap_lookup``): the bytes are clean, in
        the line and in memory, so nothing is left unflushed or stale there."""
        la, off = addr - addr % self._ls, addr % self._ls
        self.log.record(la, actor, "cpu write (through: heap metadata)", addr, size)
        mask = ((1 << size) - 1) << off
        u = self._unflushed.get(la)
        if u is not None and u.mask & mask:
            if u.mask & ~mask:
                self._unflushed[la] = u._replace(mask=u.mask & ~mask)
            else:
                self._unflushed.pop(la)
        w = self._written.get(la) if self._written._pages else None
        if w is not None and w.mask & mask:
            if w.mask & ~mask:
                self._written[la] = w._replace(mask=w.mask & ~mask)
            else:
                self._written.pop(la)

    def maintenance_started(self) -> None:
        """A range maintenance operation begins (its findings are reported once per operation)."""
        self._op = self.log.seq

    def flushed(self, la: int, lo: int, hi: int, actor: str | None) -> None:
        """Line ``la`` was cleaned by a flush of ``[lo, hi)``."""
        self.note(la, actor, "flush", lo, hi - lo)
        self._unflushed.pop(la)

    def invalidating(self, la: int, lo: int, hi: int, actor: str | None) -> None:
        """Line ``la`` is about to be invalidated by a request for ``[lo, hi)``."""
        ev = self.note(la, actor, "invalidate", lo, hi - lo)
        u = self._unflushed.pop(la)
        if u is not None:
            ls = self._ls
            start = max(lo - la, 0)
            inside = byte_mask(start, min(hi, la + ls) - la - start)
            outside = byte_mask(0, ls) & ~inside
            if u.mask & outside:
                self._partial_line(la, lo, hi, u, u.mask & outside, ev, actor)
            if u.mask & inside:
                self._discarded(la, lo, hi, u, u.mask & inside, actor)
        self._written.pop(la)
        for t in self._covering(la):
            self._early[t.id].add(la)

    def _partial_line(
        self, la: int, lo: int, hi: int, u: _Unflushed, lost: int, ev: MemEvent, actor: str | None
    ) -> None:
        first = la + (lost & -lost).bit_length() - 1
        _, victim = self._victim(first, u.writer)
        self._report(
            CoherencyKind.PARTIAL_LINE_INVALIDATE, la, ev.seq, buf=(lo, hi - lo),
            device=self._cpu_side_device(actor, lo), actor=actor, transfer=None, victim=victim,
            message=f"invalidating [{lo:#x}, {hi:#x}) drops all of line {la:#x}, whose "
            f"{mask_text(lost)} outside that range hold CPU writes never flushed",
        )

    def _discarded(self, la: int, lo: int, hi: int, u: _Unflushed, lost: int, actor: str | None) -> None:
        ls = self._ls
        n = 1 + len(self._unflushed.keys_in(la + ls, hi))  # this line is popped already
        more = f" and {n - 1} more line(s) of the range" if n > 1 else ""
        first = la + (lost & -lost).bit_length() - 1
        alloc, victim = self._victim(first, u.writer)
        own = self._m.owner_lookup(lo) if self._m is not None else None
        if alloc is not None and alloc == own and u.writer == actor:
            victim = None  # the buffer line says it all: the caller's own data in its own buffer
        self._report(
            CoherencyKind.INVALIDATE_DISCARDED_DIRTY, la, None, buf=(lo, hi - lo),
            device=self._cpu_side_device(actor, lo), actor=actor, transfer=None,
            victim=victim,
            key=(CoherencyKind.INVALIDATE_DISCARDED_DIRTY, self._op),
            message=f"invalidating [{lo:#x}, {hi:#x}) discards CPU writes to {mask_text(lost)} of "
            f"line {la:#x}{more} that were never flushed: memory keeps the old data, the device "
            "reads it and the CPU's data is lost",
        )

    def maintained_all(self, flush: bool, invd: bool, actor: str | None) -> None:
        """A ``sys_cache_data_*_all()`` operation (called before the cache drops anything)."""
        what = {(True, False): "flush all", (False, True): "invalidate all"}.get((flush, invd), "flush+invd all")
        ls = self._ls
        self._op = self.log.seq
        in_flight = {t.id: range(t.dst - t.dst % ls, t.dst + t.size, ls) for t in self._active.values()}  # type: ignore[operator]
        # Note it on the lines whose history a report may show: tracked or under a transfer.
        for la in sorted({*self._unflushed, *self._written, *(la for r in in_flight.values() for la in r)}):
            self.note(la, actor, what, la, ls)
        if invd and not flush and self._unflushed:
            self._discarded_by_all(actor)
        self._unflushed.clear()  # either written back or reported
        if invd:
            self._written.clear()
            for tid, lines in in_flight.items():
                self._early[tid].update(lines)

    def _discarded_by_all(self, actor: str | None) -> None:
        """INVALIDATE_DISCARDED_DIRTY for ``sys_cache_data_invd_all()``: one report per CPU
        writer whose unflushed data it drops, on that writer's lowest line."""
        by_writer: dict[str | None, list[int]] = {}
        for la in self._unflushed:
            by_writer.setdefault(self._unflushed.get(la).writer, []).append(la)  # type: ignore[union-attr]
        for writer, lines in by_writer.items():
            la = lines[0]
            alloc, victim = self._victim(la, writer)
            buf = (alloc.addr, alloc.size) if alloc is not None else (la, lines[-1] + self._ls - la)
            whose = "its own" if writer == actor else f"{writer or 'anonymous CPU code'}'s"
            self._report(
                CoherencyKind.INVALIDATE_DISCARDED_DIRTY, la, None, buf=buf,
                device=writer or (alloc.owner if alloc is not None else None), actor=actor,
                transfer=None, victim=victim, key=(CoherencyKind.INVALIDATE_DISCARDED_DIRTY, self._op, writer),
                message=f"sys_cache_data_invd_all() by {actor or 'cpu code outside acting_as'} discards "
                f"{whose} CPU writes never flushed: {len(lines)} line(s) from {la:#x} "
                f"({mask_text(self._unflushed.get(la).mask)} of the first); memory keeps the old data",
            )

    # ------------------------------------------------------------------ bus-master side
    def _check_unflushed_read(
        self, la: int, off: int, n: int, device: str | None, transfer: DmaTransfer | None,
        buf: tuple[int, int], tag: str, at_start: bool = False,
    ) -> None:
        u = self._unflushed.get(la)
        if u is not None and u.mask & byte_mask(off, n):
            what = "started a transfer that reads" if at_start else "read"
            self._report(
                CoherencyKind.STALE_TX_DATA, la, (tag, u.seq), buf=buf, device=device,
                actor=self._m.actor if self._m else None, transfer=transfer,
                message=f"{device or 'a device'} {what} line {la:#x} from memory, but the CPU's "
                f"writes to {mask_text(u.mask & byte_mask(off, n))} were never flushed",
            )

    def dma_read(self, addr: int, size: int, device: str | None, transfer: DmaTransfer | None) -> None:
        """A bus-master read of cacheable ``[addr, addr+size)``."""
        tag = f"transfer #{transfer.id}" if transfer is not None else ""
        buf = (transfer.src, transfer.size) if transfer is not None else (addr, size)
        for la, off, n in self._split(addr, size):
            self.note(la, device, "dma read", la + off, n, tag)
            self._check_unflushed_read(la, off, n, device, transfer, buf, tag)  # type: ignore[arg-type]

    def dma_write(self, addr: int, size: int, device: str | None, transfer: DmaTransfer | None) -> None:
        """A bus-master write of cacheable ``[addr, addr+size)``."""
        tag = f"transfer #{transfer.id}" if transfer is not None else ""
        buf = (transfer.dst, transfer.size) if transfer is not None else (addr, size)
        early = self._early.get(transfer.id, ()) if transfer is not None else ()
        for la, off, n in self._split(addr, size):
            ev = self.note(la, device, "dma write", la + off, n, tag)
            self._check_dirty_under_dma(la, device, transfer, buf)  # type: ignore[arg-type]
            w = self._written.get(la)
            self._written[la] = _DeviceWrite(
                byte_mask(off, n) | (w.mask if w is not None else 0), device, transfer, buf[0], buf[1],  # type: ignore[arg-type]
                la in early, transfer.id if transfer is not None else ev.seq,
            )

    def _check_dirty_under_dma(
        self, la: int, device: str | None, transfer: DmaTransfer | None, buf: tuple[int, int]
    ) -> None:
        u = self._unflushed.get(la)
        if u is None:
            return
        self._report(
            CoherencyKind.DIRTY_EVICTION_DURING_DMA, la, (transfer.id if transfer else None, u.seq),
            buf=buf, device=device, actor=self._m.actor if self._m else None, transfer=transfer,
            message=f"line {la:#x} holds CPU writes ({mask_text(u.mask)}) never flushed while "
            f"{device or 'a device'} writes that line by DMA; evicting it overwrites the device's data",
        )

    def dma_start(self, t: DmaTransfer) -> None:
        """A transfer is starting (before it reads or writes anything)."""
        m = self._m
        assert m is not None
        for base, what in ((t.src, "start (reads)"), (t.dst, "start (writes)")):
            if base is not None:
                self._note_transfer(t, base, f"dma {what}")
        if t.requires_noncacheable:
            for base in (t.src, t.dst):
                if base is not None:
                    self.cacheable_for_dma(base, t.size, t.device, t)
        reads = t.src is not None and m.any_cacheable(t.src, t.size)
        if reads:
            # From now on the device may fetch any byte: what the CPU has not flushed is stale.
            tag, ls, src = f"transfer #{t.id}", self._ls, t.src
            end = src + t.size  # type: ignore[operator]
            for la in self._unflushed.keys_in(src - src % ls, end):  # type: ignore[operator]
                if m.is_cacheable(la):
                    off = max(src, la) - la  # type: ignore[call-overload]
                    n = min(end, la + ls) - la - off
                    self._check_unflushed_read(la, off, n, t.device, t, (src, t.size), tag, True)  # type: ignore[arg-type]
        writes = t.dst is not None and m.any_cacheable(t.dst, t.size)
        if writes:
            self._check_shared_lines(t)
            for la in self._unflushed.keys_in(t.dst - t.dst % self._ls, t.dst + t.size):  # type: ignore[operator]
                if m.is_cacheable(la):
                    self._check_dirty_under_dma(la, t.device, t, (t.dst, t.size))  # type: ignore[arg-type]
            self._active[t.id] = t
            self._early[t.id] = set()
        if reads:
            self._reading[t.id] = t

    def dma_end(self, t: DmaTransfer, how: str = "complete") -> None:
        """A transfer completed (after its last write) or was aborted (``how``)."""
        self._active.pop(t.id, None)
        self._reading.pop(t.id, None)
        self._early.pop(t.id, None)
        if t.dst is not None and self._m is not None:
            self._note_transfer(t, t.dst, f"dma {how}")

    def _note_transfer(self, t: DmaTransfer, base: int, what: str) -> None:
        """Note a transfer's start or end on the cacheable lines of ``[base, base+size)``: one
        range event for a long buffer (a frame), else one event per line."""
        m = self._m
        assert m is not None
        lines = m.lines(base, t.size)
        if len(lines) >= BULK_MIN_LINES:
            if m.any_cacheable(base, t.size):
                self.note_range(t.device, what, base, t.size, f"transfer #{t.id}")
            return
        for la in lines:
            if m.is_cacheable(la):
                self.note(la, t.device, what, base, t.size, f"transfer #{t.id}")

    def cacheable_for_dma(self, addr: int, size: int, device: str | None, t: DmaTransfer | None) -> None:
        """Report if ``[addr, addr+size)``, needed non-cacheable by ``device``, is cacheable."""
        m = self._m
        assert m is not None
        for la in m.lines(addr, size):
            if m.is_cacheable(la):
                self._report(
                    CoherencyKind.CACHEABLE_BUFFER_FOR_DMA, la, t.id if t else (addr, size),
                    buf=(addr, size), device=device, actor=m.actor, transfer=t,
                    message=f"{device or 'the device'} needs non-cacheable memory, but "
                    f"[{addr:#x}, {addr + size:#x}) is cacheable (first cacheable line {la:#x})",
                )
                return

    def _check_shared_lines(self, t: DmaTransfer) -> None:
        """UNPADDED_DMA_BUFFER: the lines the transfer writes hold bytes of another allocation."""
        m = self._m
        assert m is not None and t.dst is not None
        own = m.owner_lookup(t.dst)
        if own is None:
            return  # not a heap buffer: nothing to compare with
        ls = self._ls
        lo, hi = t.dst - t.dst % ls, -(-(t.dst + t.size) // ls) * ls
        for b in [*range(lo, min(own.addr, hi)), *range(max(own.end, lo), hi)]:
            other = m.owner_lookup(b)
            if other is not None and other.addr != own.addr:
                la = b - b % ls
                side = "last" if b >= own.end else "first"
                self._report(
                    CoherencyKind.UNPADDED_DMA_BUFFER, la, t.id, buf=(t.dst, t.size), device=t.device,
                    actor=m.actor, transfer=t,
                    message=f"the {side} cache line ({la:#x}) of the buffer {t.device} writes also "
                    f"holds allocation {other}; maintenance or eviction of that line by either "
                    "user destroys the other's data",
                )
                return

    # ------------------------------------------------------------------ bulk path
    def bulk_is_quiet(self, op: str, lo: int, hi: int) -> bool:
        """Whether ``op`` on cacheable ``[lo, hi)`` cannot produce a finding, so the memory
        system may take its bulk path: ``"cpu write"``, ``"cpu read"``, ``"flush"``,
        ``"invalidate"``, ``"flush+invd"``, ``"dma read"``, ``"dma write"``."""
        ls = self._ls
        a, b = lo - lo % ls, hi
        if op == "flush" or op == "flush+invd":
            return True
        if op == "cpu write":
            return not self._in_flight_over(lo, hi)
        if op == "cpu read":
            return not self._written.any_in(a, b)
        # invalidate, dma read, dma write: unflushed CPU data in the range is a finding
        return not self._unflushed.any_in(a, b)

    def cpu_write_range(self, addr: int, size: int, actor: str | None, detail: str) -> None:
        """The CPU stored ``[addr, addr+size)`` (bulk path, after :meth:`bulk_is_quiet`)."""
        ev = self.note_range(actor, "cpu write", addr, size, detail)
        ls, end = self._ls, addr + size
        for la, off, n in _edges(addr, size, ls):
            self._mark_written_by_cpu(la, byte_mask(off, n), ev.seq, actor)
        full_lo, full_hi = -(-addr // ls) * ls, end - end % ls
        if full_lo < full_hi:
            whole = _Unflushed((1 << ls) - 1, ev.seq, actor)
            self._unflushed.set_range(full_lo, full_hi, whole)
            self._written.drop_range(full_lo, full_hi)

    def _mark_written_by_cpu(self, la: int, mask: int, seq: int, actor: str | None) -> None:
        u = self._unflushed.get(la)
        self._unflushed[la] = _Unflushed(mask | (u.mask if u is not None else 0), seq, actor)
        w = self._written.get(la)
        if w is not None:
            if w.mask & ~mask:
                self._written[la] = w._replace(mask=w.mask & ~mask)
            else:
                self._written.pop(la)

    def maintain_range(self, lo: int, hi: int, flush: bool, invd: bool, actor: str | None, detail: str) -> None:
        """Flush and/or invalidate of ``[lo, hi)`` (bulk path, after :meth:`bulk_is_quiet`)."""
        what = "flush+invd" if flush and invd else ("flush" if flush else "invalidate")
        self.note_range(actor, what, lo, hi - lo, detail)
        ls = self._ls
        a = lo - lo % ls
        self._unflushed.drop_range(a, hi)
        if invd:
            self._written.drop_range(a, hi)
            for t in self._active.values():
                s, e = max(t.dst - t.dst % ls, a), min(t.dst + t.size, hi)  # type: ignore[operator]
                if s < e:
                    self._early[t.id].update(range(s, e, ls))

    def dma_read_range(self, addr: int, size: int, device: str | None, transfer: DmaTransfer | None) -> None:
        """A bus-master read of cacheable ``[addr, addr+size)`` (bulk path)."""
        tag = f"transfer #{transfer.id}" if transfer is not None else ""
        self.note_range(device, "dma read", addr, size, tag)

    def dma_write_range(self, addr: int, size: int, device: str | None, transfer: DmaTransfer | None) -> None:
        """A bus-master write of cacheable ``[addr, addr+size)`` (bulk path)."""
        tag = f"transfer #{transfer.id}" if transfer is not None else ""
        ev = self.note_range(device, "dma write", addr, size, tag)
        buf = (transfer.dst, transfer.size) if transfer is not None else (addr, size)
        token = transfer.id if transfer is not None else ev.seq
        early = self._early.get(transfer.id, ()) if transfer is not None else ()
        ls, written = self._ls, self._written
        full_lo, full_hi = -(-addr // ls) * ls, (addr + size) - (addr + size) % ls
        if full_lo < full_hi and not early and not written.any_in(full_lo, full_hi):
            written.set_range(full_lo, full_hi, _DeviceWrite((1 << ls) - 1, device, transfer, buf[0], buf[1], False, token))
            edges = _edges(addr, size, ls)
        else:
            edges = list(self._split(addr, size))
        for la, off, n in edges:
            w = written.get(la)
            written[la] = _DeviceWrite(
                byte_mask(off, n) | (w.mask if w is not None else 0), device, transfer,
                buf[0], buf[1], la in early, token,
            )


def _edges(addr: int, size: int, ls: int) -> list[tuple[int, int, int]]:
    """The partial first and last lines of ``[addr, addr+size)`` as ``(line, offset, length)``."""
    end = addr + size
    first, last = addr - addr % ls, (end - 1) - (end - 1) % ls
    if first == last:
        return [] if size == ls else [(first, addr - first, size)]
    out = [(first, addr - first, first + ls - addr)] if addr != first else []
    if end != last + ls:
        out.append((last, 0, end - last))
    return out
