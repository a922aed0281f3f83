"""Bounded per-cache-line event history, the "sequence of events" of a coherency report.

Every access and maintenance operation touching a cacheable line appends one
:class:`MemEvent` to that line's history.  Each history keeps only the last ``depth`` events
(a ``deque``), so a long run costs memory proportional to the lines touched, not to time.
"""

from __future__ import annotations

from collections import deque
from typing import NamedTuple


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
    """Histories of the last ``depth`` events of each cache line."""

    def __init__(self, depth: int = 16):
        self.depth = depth
        self._seq = 0
        self._lines: dict[int, deque[MemEvent]] = {}

    def record(
        self, line_addr: int, actor: str | None, what: str, addr: int, size: int, detail: str = ""
    ) -> MemEvent:
        """Append an event to the history of ``line_addr``; returns it."""
        self._seq += 1
        event = MemEvent(self._seq, actor, what, addr, size, detail)
        hist = self._lines.get(line_addr)
        if hist is None:
            hist = self._lines[line_addr] = deque(maxlen=self.depth)
        hist.append(event)
        return event

    def lines(self) -> list[int]:
        """Every line address with a retained history."""
        return list(self._lines)

    def has(self, line_addr: int) -> bool:
        """Whether ``line_addr`` has any retained event."""
        return line_addr in self._lines

    def history(self, line_addr: int) -> tuple[MemEvent, ...]:
        """The retained events of ``line_addr``, oldest first (empty if none)."""
        return tuple(self._lines.get(line_addr, ()))
