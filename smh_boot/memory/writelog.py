"""Who wrote a byte: a bounded log of the last writes made through a memory system.

A damaged heap header is found long after the store that damaged it (at the next heap
operation relying on it).  To name the writer then ("CPU write by device X at 0x..., from
driver.py:42"), :class:`~smh_boot.memory.system.MemorySystem` can keep the last ``entries``
writes made through its CPU view and its bus-master views in a ring (``memsys.record_writes()``;
every boot turns it on).  Recording is one tuple appended per write call (not per byte or
line): cheap enough for the hot path, and bounded whatever a test runs.  The calling
``file:line`` is kept too, except for CPU stores of up to 8 bytes (``write_u32`` and the
like), where reading the caller's frame would cost the store about a fifth more.

:meth:`WriteLog.find` answers "who last wrote into ``[lo, hi)``?" by walking the ring from the
newest write.  To never blame a write whose bytes were overwritten since (by the heap itself
rewriting a header, or by a store the log does not see), the newest write into the range is
named only when the bytes it stored are still what memory holds there; for a write too long
to keep its bytes (over ``keep_bytes``), the answer says it could not be checked.

This module knows nothing of heaps: the boot stage hands ``memsys.writer_of`` to the pool.
"""

from __future__ import annotations

import sys
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable

from .address_space import AddressSpace

#: Writes kept by default.
DEFAULT_ENTRIES = 4096
#: Writes up to this many bytes keep their bytes (to check them against memory later).
KEEP_BYTES = 256
#: CPU stores up to this many bytes (``write_u8`` ... ``write_u64``) are logged without their
#: source line: reading the caller's frame would cost each store about a fifth more.
WORD_STORE = 8


#: The caller's frame, for the source line of a write.
_getframe = sys._getframe


@dataclass(frozen=True)
class WriteRecord:
    """One write found by :meth:`WriteLog.find`: ``kind`` (``"cpu"``, ``"dma"`` for a DMA
    engine transfer, ``"bus"`` for a bus-master access outside a transfer), ``actor`` (the
    ``acting_as`` device, or the bus master), ``addr``, ``size``, ``source`` (``file:line`` of
    the code that called the memory system; None for CPU stores of up to 8 bytes and for
    DMA engine transfers), ``transfer`` (the DMA transfer as
    text), ``checked`` (False when the write was too long to keep its bytes, so it is the newest
    write into the range but could not be compared with what memory holds now)."""

    kind: str
    actor: str | None
    addr: int
    size: int
    source: str | None = None
    transfer: str | None = None
    checked: bool = True

    def __str__(self) -> str:
        if self.kind == "dma" and self.transfer:
            text = f"{self.transfer} write at {self.addr:#x} ({self.size} bytes)"
        else:
            who = "CPU write" if self.kind == "cpu" else "bus-master write"
            by = f"by device {self.actor}" if self.actor else (
                "outside any device context (no acting_as)" if self.kind == "cpu" else "by an unnamed bus master")
            where = f", from {self.source}" if self.source else ""
            text = f"{who} {by} at {self.addr:#x} ({self.size} bytes{where})"
        if not self.checked:
            text += (" (the newest recorded write there; too long for the log to keep its bytes, "
                     "so not checked against what memory holds now)")
        return text


def _source(code: Any, lasti: int) -> str | None:
    """``file:line`` of instruction offset ``lasti`` in ``code``."""
    if code is None:
        return None
    line = next((ln for start, end, ln in code.co_lines() if start <= lasti < end), None)
    return f"{code.co_filename}:{line}" if line is not None else code.co_filename


class WriteLog:
    """The last ``entries`` writes through a memory system (see the module docstring).

    ``record`` is the ring's append, called by the memory system with one tuple per write:
    ``(addr, size, actor, data or None, code, lasti, kind, transfer)``."""

    def __init__(self, memory: AddressSpace, entries: int = DEFAULT_ENTRIES, keep_bytes: int = KEEP_BYTES):
        if entries < 1:
            raise ValueError(f"a write log needs at least one entry, not {entries}")
        self.memory = memory
        self.entries = entries
        self.keep_bytes = keep_bytes
        self._ring: deque[tuple] = deque(maxlen=entries)
        self.record = self._ring.append

    def __len__(self) -> int:
        return len(self._ring)

    def clear(self) -> None:
        """Forget every recorded write."""
        self._ring.clear()

    def find(self, lo: int, hi: int, innocent: Callable[[int, int], bool] | None = None) -> WriteRecord | None:
        """The newest recorded write into ``[lo, hi)`` whose bytes memory still holds there, or
        None (nothing recorded there, or the newest write there was overwritten since by a
        store the log does not see, such as the heap's own header writes).

        ``innocent(addr, size)``, when given, clears writes the caller knows to be no culprit
        (the heap: a write that lies inside one live block); they are passed over, as are DMA
        transfer writes the engine's write check verified to lie inside one live buffer when
        they were made (kind ``"dma-verified"``: the heap may have reshaped that memory since)."""
        for addr, size, actor, data, code, lasti, kind, transfer in reversed(self._ring):
            if addr >= hi or addr + size <= lo:
                continue
            if kind == "dma-verified" or (innocent is not None and innocent(addr, size)):
                continue
            a, b = max(lo, addr), min(hi, addr + size)
            checked = data is not None
            if checked and self.memory.read(a, b - a) != bytes(data[a - addr : b - addr]):
                return None
            return WriteRecord(kind, actor, addr, size, _source(code, lasti), transfer, checked)
        return None
