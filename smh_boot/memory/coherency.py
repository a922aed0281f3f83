"""Coherency checker: catches cache-maintenance bugs around DMA, deterministically.

Whether a forgotten flush corrupts data on a given run depends on luck: was the line evicted
in time, did the core prefetch it?  The checker does not look at luck.  Besides the cache
itself it keeps two per-byte records for every cacheable line:

* **unflushed**: bytes the CPU wrote since the last clean (flush) or invalidate of their line.
  An eviction does *not* clear them: the data reached memory this time, by chance.
* **device-written**: bytes a bus master wrote since the last invalidate of their line.  The
  CPU must invalidate before it reads them, whether or not the line happens to be cached now
  (a speculative prefetch could have cached it at any moment of the transfer).

From these it reports the seven classes of :class:`CoherencyKind` at the first access that
proves the bug, with the same verdict for every stress seed.  Each check is a dict lookup
per line touched; the checker roughly doubles the cost of a cached access (see
``bench/cache_model.py``).
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import CoherencyError
from .cache import byte_mask, mask_text
from .events import EventLog, MemEvent
from .records import BufferInfo

if TYPE_CHECKING:
    from .dma import DmaTransfer
    from .system import MemorySystem


class CoherencyKind(enum.Enum):
    """The bug classes (value: one-line description)."""

    STALE_TX_DATA = "device read memory while the CPU's data was still only in the cache"
    STALE_RX_DATA = "CPU read data a device wrote without invalidating the cache first"
    INVALIDATE_BEFORE_COMPLETION = "cache invalidated before the transfer completed, not after"
    DIRTY_EVICTION_DURING_DMA = "dirty cache line over a buffer a device is writing"
    PARTIAL_LINE_INVALIDATE = "partial-line invalidate discards a neighbour's dirty data"
    UNPADDED_DMA_BUFFER = "DMA buffer shares a cache line with another allocation"
    CACHEABLE_BUFFER_FOR_DMA = "cacheable buffer given to a device that needs non-cacheable memory"


#: What to do about each kind (printed as the report's hint).
HINTS: dict[CoherencyKind, str] = {
    CoherencyKind.STALE_TX_DATA: "call sys_cache_data_flush_range() on the buffer after the CPU "
    "writes it and before the device reads it",
    CoherencyKind.STALE_RX_DATA: "call sys_cache_data_invd_range() on the buffer after the "
    "transfer completes and before the CPU reads it",
    CoherencyKind.INVALIDATE_BEFORE_COMPLETION: "move (or repeat) sys_cache_data_invd_range() "
    "to after the transfer completes: the core may refill the line while the device writes",
    CoherencyKind.DIRTY_EVICTION_DURING_DMA: "flush (or flush-and-invalidate) the buffer before "
    "starting the transfer, and do not write it until the transfer completes",
    CoherencyKind.PARTIAL_LINE_INVALIDATE: "align DMA buffers to the cache line and pad their "
    "size to a whole number of lines, so nothing else shares their lines",
    CoherencyKind.UNPADDED_DMA_BUFFER: "round the allocation size up to a multiple of the cache "
    "line (and align it to the line) so no other allocation shares its lines",
    CoherencyKind.CACHEABLE_BUFFER_FOR_DMA: "allocate the buffer from non-cacheable memory "
    "(shared_multi_heap_alloc(SMH_REG_ATTR_NON_CACHEABLE, ...))",
}


@dataclass(frozen=True)
class CoherencyReport:
    """One finding: ``kind``; ``device`` (the bus master involved); ``actor`` (who made the
    access that revealed it, from ``acting_as``); ``transfer`` (text, or None for direct
    bus-master accesses and pure CPU-side findings); ``buffer``; the cache line (``line_addr``,
    ``line_state`` as the cache holds it at report time); ``events``, the retained history of
    that line, oldest first; ``message`` and ``hint``."""

    kind: CoherencyKind
    device: str | None
    actor: str | None
    transfer: str | None
    buffer: BufferInfo
    line_addr: int
    line_state: str
    events: tuple[MemEvent, ...]
    message: str
    hint: str

    def __str__(self) -> str:
        out = [f"coherency error {self.kind.name}: {self.message}"]
        if self.device:
            out.append(f"  device:     {self.device}")
        if self.actor:
            out.append(f"  by:         {self.actor}")
        if self.transfer:
            out.append(f"  transfer:   {self.transfer}")
        out.append(f"  buffer:     {self.buffer}")
        out.append(f"  cache line: {self.line_addr:#x} ({self.line_state})")
        out.append("  events on this line, oldest first:")
        out += [f"    {e}" for e in self.events] or ["    (none recorded)"]
        out.append(f"  hint: {self.hint}")
        return "\n".join(out)


class CoherencyViolation(CoherencyError):
    """A :class:`CoherencyReport` raised as an error (``.report``, ``.kind``)."""

    def __init__(self, report: CoherencyReport):
        self.report = report
        self.kind = report.kind
        super().__init__(str(report))


class _DeviceWrite:
    """Bytes of one line written by a bus master and not yet invalidated by the CPU."""

    __slots__ = ("mask", "device", "transfer", "buf_addr", "buf_size", "early", "token")

    def __init__(self) -> None:
        self.mask = 0
        self.device: str | None = None
        self.transfer: DmaTransfer | None = None
        self.buf_addr = 0
        self.buf_size = 0
        self.early = False  # the line was invalidated while that transfer was in flight
        self.token: object = None


class CoherencyChecker:
    """Watches a :class:`~smh_boot.memory.system.MemorySystem` (pass it as ``checker=``).

    With ``raise_errors=True`` (default) the first finding raises
    :class:`CoherencyViolation`; otherwise findings are appended to ``reports`` and the
    program goes on (each finding is reported once).  ``history`` is the number of events
    kept per cache line."""

    def __init__(self, raise_errors: bool = True, history: int = 16):
        self.raise_errors = raise_errors
        self.reports: list[CoherencyReport] = []
        self.log = EventLog(history)
        self._m: MemorySystem | None = None
        self._ls = 0
        self._unflushed: dict[int, list[int]] = {}  # line -> [mask, seq of last CPU write]
        self._written: dict[int, _DeviceWrite] = {}
        self._active: dict[int, DmaTransfer] = {}  # transfers writing memory, by id
        self._early: dict[int, set[int]] = {}  # transfer id -> lines invalidated in flight
        self._seen: set[tuple] = set()

    def bind(self, memsys: MemorySystem) -> None:
        """Attach to ``memsys`` (done by the MemorySystem constructor)."""
        if self._m is not None and self._m is not memsys:
            raise ValueError("a CoherencyChecker watches one MemorySystem; create one per system")
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

    def concerns(self, la: int) -> bool:
        """Whether line ``la`` has any state or history here (or lies under a transfer in
        flight); maintenance of a line that does not, and is not cached, changes nothing."""
        return (la in self._unflushed or la in self._written or self.log.has(la)
                or bool(self._covering(la)))

    def known_lines(self, lo: int, hi: int) -> set[int]:
        """Line addresses in ``[lo, hi)`` for which :meth:`concerns` is true."""
        ls = self._ls
        out = {la for la in (*self._unflushed, *self._written, *self.log.lines()) if lo <= la < hi}
        for t in self._active.values():
            first = max(t.dst - t.dst % ls, lo - lo % ls)  # type: ignore[operator]
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

    def _report(
        self, kind: CoherencyKind, la: int, token: object, *, buf: tuple[int, int],
        device: str | None, actor: str | None, transfer: DmaTransfer | None, message: str,
    ) -> None:
        key = (kind, la, token)
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
            self.log.history(la), message, HINTS[kind],
        )
        if self.raise_errors:
            raise CoherencyViolation(report)
        self.reports.append(report)

    # ------------------------------------------------------------------ CPU side
    def cpu_read(self, addr: int, size: int, actor: str | None) -> None:
        """A CPU load of ``[addr, addr+size)`` (within one cacheable line)."""
        la, off = addr - addr % self._ls, addr % self._ls
        self.log.record(la, actor, "cpu read", addr, size)
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
        """A CPU store to ``[addr, addr+size)`` (within one cacheable line)."""
        la, off = addr - addr % self._ls, addr % self._ls
        ev = self.log.record(la, actor, "cpu write", addr, size)
        mask = ((1 << size) - 1) << off  # byte_mask(), inlined: hot path
        u = self._unflushed.setdefault(la, [0, 0])
        u[0] |= mask
        u[1] = ev.seq
        w = self._written.get(la)
        if w is not None:  # the CPU overwrote these device bytes: nothing stale left to read
            w.mask &= ~mask
            if not w.mask:
                del self._written[la]
        for t in self._covering(la):
            self._report(
                CoherencyKind.DIRTY_EVICTION_DURING_DMA, la, (t.id, ev.seq), buf=(t.dst, t.size),
                device=t.device, actor=actor, transfer=t,
                message=f"CPU wrote {addr:#x} (line {la:#x}) while {t.device} is writing the "
                "buffer by DMA; when the dirty line is evicted it overwrites the device's data",
            )

    def flushed(self, la: int, lo: int, hi: int, actor: str | None) -> None:
        """Line ``la`` was cleaned by a flush of ``[lo, hi)``."""
        self.note(la, actor, "flush", lo, hi - lo)
        self._unflushed.pop(la, None)

    def invalidating(self, la: int, lo: int, hi: int, actor: str | None) -> None:
        """Line ``la`` is about to be invalidated by a request for ``[lo, hi)``."""
        ev = self.note(la, actor, "invalidate", lo, hi - lo)
        u = self._unflushed.pop(la, None)
        outside = byte_mask(0, self._ls) & ~byte_mask(max(lo - la, 0), min(hi, la + self._ls) - max(lo, la))
        if u is not None and u[0] & outside:
            self._report(
                CoherencyKind.PARTIAL_LINE_INVALIDATE, la, ev.seq, buf=(lo, hi - lo), device=None,
                actor=actor, transfer=None,
                message=f"invalidating [{lo:#x}, {hi:#x}) drops all of line {la:#x}, whose "
                f"{mask_text(u[0] & outside)} outside that range hold CPU writes never flushed",
            )
        self._written.pop(la, None)
        for t in self._covering(la):
            self._early[t.id].add(la)

    def maintained_all(self, flush: bool, invd: bool, actor: str | None) -> None:
        """A ``sys_cache_data_*_all()`` operation."""
        what = {(True, False): "flush all", (False, True): "invalidate all"}.get((flush, invd), "flush+invd all")
        ls = self._ls
        in_flight = {t.id: range(t.dst - t.dst % ls, t.dst + t.size, ls) for t in self._active.values()}  # type: ignore[operator]
        # Note it on the lines whose history a report may show: tracked or under a transfer.
        for la in sorted({*self._unflushed, *self._written, *(la for r in in_flight.values() for la in r)}):
            self.note(la, actor, what, la, ls)
        self._unflushed.clear()  # either written back or deliberately discarded
        if invd:
            self._written.clear()
            for tid, lines in in_flight.items():
                self._early[tid].update(lines)

    # ------------------------------------------------------------------ bus-master side
    def dma_read(self, addr: int, size: int, device: str | None, transfer: DmaTransfer | None) -> None:
        """A bus-master read of cacheable ``[addr, addr+size)``."""
        tag = f"transfer #{transfer.id}" if transfer is not None else ""
        for la, off, n in self._split(addr, size):
            self.note(la, device, "dma read", la + off, n, tag)
            u = self._unflushed.get(la)
            if u is not None and u[0] & byte_mask(off, n):
                buf = (transfer.src, transfer.size) if transfer is not None else (addr, size)
                self._report(
                    CoherencyKind.STALE_TX_DATA, la, (tag, u[1]), buf=buf, device=device,  # type: ignore[arg-type]
                    actor=self._m.actor if self._m else None, transfer=transfer,
                    message=f"{device or 'a device'} read line {la:#x} from memory, but the CPU's "
                    f"writes to {mask_text(u[0] & byte_mask(off, n))} were never flushed",
                )

    def dma_write(self, addr: int, size: int, device: str | None, transfer: DmaTransfer | None) -> None:
        """A bus-master write of cacheable ``[addr, addr+size)``."""
        tag = f"transfer #{transfer.id}" if transfer is not None else ""
        buf = (transfer.dst, transfer.size) if transfer is not None else (addr, size)
        for la, off, n in self._split(addr, size):
            ev = self.note(la, device, "dma write", la + off, n, tag)
            self._check_dirty_under_dma(la, device, transfer, buf)
            w = self._written.get(la) or self._written.setdefault(la, _DeviceWrite())
            w.mask |= byte_mask(off, n)
            w.device, w.transfer, (w.buf_addr, w.buf_size) = device, transfer, buf
            w.early = transfer is not None and la in self._early.get(transfer.id, ())
            w.token = transfer.id if transfer is not None else ev.seq

    def _check_dirty_under_dma(
        self, la: int, device: str | None, transfer: DmaTransfer | None, buf: tuple[int, int]
    ) -> None:
        u = self._unflushed.get(la)
        if u is None:
            return
        self._report(
            CoherencyKind.DIRTY_EVICTION_DURING_DMA, la, (transfer.id if transfer else None, u[1]),
            buf=buf, device=device, actor=self._m.actor if self._m else None, transfer=transfer,
            message=f"line {la:#x} holds CPU writes ({mask_text(u[0])}) never flushed while "
            f"{device or 'a device'} writes that line by DMA; evicting it overwrites the device's data",
        )

    def dma_start(self, t: DmaTransfer) -> None:
        """A transfer is starting (before it reads or writes anything)."""
        m = self._m
        assert m is not None
        for base, what in ((t.src, "start (reads)"), (t.dst, "start (writes)")):
            if base is not None:
                for la in m.lines(base, t.size):
                    if m.is_cacheable(la):
                        self.note(la, t.device, f"dma {what}", base, t.size, f"transfer #{t.id}")
        if t.requires_noncacheable:
            for base in (t.src, t.dst):
                if base is not None:
                    self.cacheable_for_dma(base, t.size, t.device, t)
        if t.dst is None or not m.any_cacheable(t.dst, t.size):
            return
        self._check_shared_lines(t)
        for la in m.lines(t.dst, t.size):
            if m.is_cacheable(la):
                self._check_dirty_under_dma(la, t.device, t, (t.dst, t.size))
        self._active[t.id] = t
        self._early[t.id] = set()

    def dma_end(self, t: DmaTransfer, how: str = "complete") -> None:
        """A transfer completed (after its last write) or was aborted (``how``)."""
        self._active.pop(t.id, None)
        self._early.pop(t.id, None)
        m = self._m
        if t.dst is not None and m is not None:
            for la in m.lines(t.dst, t.size):
                if m.is_cacheable(la):
                    self.note(la, t.device, f"dma {how}", t.dst, t.size, f"transfer #{t.id}")

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

