"""Bounded event history, the "sequence of events" of a coherency report.

Two kinds of record, numbered in one sequence:

* **line events**: an access or maintenance operation on one cache line (``cpu write``,
  ``dma read``, ``evict``...), kept in that line's ring of the last ``depth`` events;
* **range events**: one record for an operation on a run of whole lines done by the memory
  system's bulk path (a CPU fill of a framebuffer, its flush, a DMA scan-out), kept in one
  global ring of the last ``range_depth`` such records instead of ~7 records per line.

Memory is bounded twice: each line keeps at most ``depth`` events, and at most ``max_lines``
lines keep a history at all (the line touched least recently loses its history first), so a
long run costs at most about ``max_lines * depth`` records whatever it touches.  Lookups are
by line: :meth:`EventLog.history` costs the line's own ring plus a scan of the range ring,
and nothing here ever walks every line.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from typing import NamedTuple

#: Events kept per line (the "last N events" of a report).
DEFAULT_DEPTH = 16
#: Lines that keep a history at once (with 16 events each, about 12 MiB at worst).
DEFAULT_MAX_LINES = 8192
#: Range events kept (bulk operations on runs of lines).
DEFAULT_RANGE_DEPTH = 256


class MemEvent(NamedTuple):
    """One event: global sequence number, who did it (``actor``: device or driver name, None
    for anonymous CPU code), what (``"cpu write"``, ``"dma write"``, ``"evict"``...), the
    byte range and a free-form detail.  A NamedTuple: one is made per access when checking,
    and tuples are the cheapest records CPython builds."""

    seq: int
    actor: str | None
    what: str
    addr: int
    size: int
    detail: str = ""

    def __str__(self) -> str:
        who = self.actor or "cpu"
        text = f"#{self.seq:<4} {who:<10} {self.what:<18} {self.addr:#010x}+{self.size}"
        return f"{text}  {self.detail}" if self.detail else text


class EventLog:
    """Histories of the last ``depth`` events of at most ``max_lines`` cache lines, plus the
    last ``range_depth`` range events."""

    def __init__(
        self, depth: int = DEFAULT_DEPTH, *, max_lines: int = DEFAULT_MAX_LINES,
        range_depth: int = DEFAULT_RANGE_DEPTH,
    ):
        if depth < 1 or max_lines < 1 or range_depth < 1:
            raise ValueError("event history depth, max_lines and range_depth must be >= 1")
        self.depth = depth
        self.max_lines = max_lines
        self._seq = 0
        # line -> ring, least recently touched first (an OrderedDict: O(1) both ways).
        self._lines: OrderedDict[int, deque[MemEvent]] = OrderedDict()
        self._ranges: deque[MemEvent] = deque(maxlen=range_depth)

    @property
    def seq(self) -> int:
        """The number of the last event recorded (0 before the first)."""
        return self._seq

    def record(
        self, line_addr: int, actor: str | None, what: str, addr: int, size: int, detail: str = ""
    ) -> MemEvent:
        """Append an event to the history of ``line_addr``; returns it."""
        self._seq += 1
        event = MemEvent(self._seq, actor, what, addr, size, detail)
        lines = self._lines
        hist = lines.get(line_addr)
        if hist is None:
            if len(lines) >= self.max_lines:
                lines.popitem(last=False)  # the least recently touched line
            hist = lines[line_addr] = deque(maxlen=self.depth)
        else:
            lines.move_to_end(line_addr)
        hist.append(event)
        return event

    def record_range(self, actor: str | None, what: str, addr: int, size: int, detail: str = "") -> MemEvent:
        """One event for an operation on ``[addr, addr+size)`` (every line it covers); returns it."""
        self._seq += 1
        event = MemEvent(self._seq, actor, what, addr, size, detail)
        self._ranges.append(event)
        return event

    def lines(self) -> list[int]:
        """Every line address with a retained line history."""
        return list(self._lines)

    def has(self, line_addr: int) -> bool:
        """Whether ``line_addr`` has any retained line event."""
        return line_addr in self._lines

    def history(self, line_addr: int, line_size: int = 1) -> tuple[MemEvent, ...]:
        """The last ``depth`` retained events of ``line_addr`` (line and range events covering
        the line's ``line_size`` bytes), oldest first (empty if none)."""
        own = self._lines.get(line_addr, ())
        end = line_addr + line_size
        ranged = [e for e in self._ranges if e.addr < end and line_addr < e.addr + e.size]
        if not ranged:
            return tuple(own)
        return tuple(sorted([*own, *ranged])[-self.depth :])
