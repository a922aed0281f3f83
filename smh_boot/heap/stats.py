"""Plain records the heap hands to reports: statistics and live blocks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class HeapStats:
    """``struct sys_memory_stats``, in Zephyr's unit: usable bytes (8 * units - header).

    ``max_allocated_bytes`` is None for a heap built without runtime stats: the high-water
    mark exists only as a runtime counter, a chunk walk cannot recover it."""

    free_bytes: int
    allocated_bytes: int
    max_allocated_bytes: int | None


@dataclass(frozen=True, slots=True)
class Block:
    """One live allocation.

    ``addr``: the pointer the caller got; ``size``: bytes of its chunk span from ``addr`` to
    the next chunk header (8 * units minus header and alignment gap: what the caller may use
    without touching a header) — identical to ``usable`` except for big-heap rewind blocks,
    whose ``usable`` Zephyr over-reports by the gap; ``heap_index``: registration index of its
    heap in the pool; ``attr``: that heap's attribute; ``owner``: the tag given at allocation
    (STRICT level only, else None)."""

    addr: int
    size: int
    usable: int
    heap_index: int
    attr: int
    owner: Any = None

    @property
    def end(self) -> int:
        """One past the last usable byte."""
        return self.addr + self.usable
