"""Write-back, write-allocate, set-associative data cache with true LRU replacement.

The cache holds real data: each valid line keeps a copy of its bytes (``bytearray``) and a
per-byte dirty mask (bit *i* set = byte *i* written by the CPU since the line was filled or
cleaned).  It does no memory traffic of its own: :class:`~smh_boot.memory.system.MemorySystem`
fills lines from, and writes victims back to, the address space, so that every fill,
eviction and write-back passes one place where the stress modes and the coherency checker
can see it.

A write-back writes the whole line, as the write buffers of Cortex-M7 and Cortex-A data
caches do (their dirty state is per line), so a dirty line evicted during a DMA transfer
overwrites the clean bytes of that line too.  ``dirty_bytes_only=True`` models the rarer
caches that keep byte-valid write-back masks and write only what the CPU wrote.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import asdict, dataclass

from ..errors import SmhError


class CacheConfigError(SmhError, ValueError):
    """A cache geometry that no hardware has (line size not a power of two, size not sets*ways*line)."""

    errno_name = "EINVAL"


@dataclass
class CacheStats:
    """Counters of one :class:`DataCache` (all start at zero)."""

    hits: int = 0
    misses: int = 0
    evictions: int = 0  #: lines replaced or evicted by the stress mode (dirty or clean)
    writebacks: int = 0  #: dirty lines written to memory (eviction or flush)
    prefetches: int = 0  #: speculative fills made by the stress mode
    invalidations: int = 0  #: valid lines dropped by invalidate maintenance

    def as_dict(self) -> dict[str, int]:
        """The counters as a plain dict (for logs and JSON)."""
        return asdict(self)


class CacheLine:
    """One valid line: its line-aligned ``addr``, ``data`` (line_size bytes), ``dirty`` mask,
    and ``device`` mask: bytes a bus master wrote to memory behind the line since it was filled
    (what a whole-line write-back of a stale copy clobbers)."""

    __slots__ = ("addr", "data", "dirty", "device")

    def __init__(self, addr: int, data: bytearray):
        self.addr = addr
        self.data = data
        self.dirty = 0
        self.device = 0

    def dirty_runs(self) -> list[tuple[int, int]]:
        """Dirty bytes as ``(offset, length)`` runs, lowest offset first."""
        return mask_runs(self.dirty)

    def __repr__(self) -> str:
        return f"CacheLine({self.addr:#x}, {describe_mask(self.dirty, len(self.data))})"


def byte_mask(offset: int, length: int) -> int:
    """Mask with bits ``offset .. offset+length-1`` set (one bit per byte of a line)."""
    return ((1 << length) - 1) << offset


def mask_runs(mask: int) -> list[tuple[int, int]]:
    """Runs of set bits of ``mask`` as ``(offset, length)`` pairs."""
    runs = []
    off = 0
    while mask:
        if mask & 1:
            start = off
            while mask & 1:
                mask >>= 1
                off += 1
            runs.append((start, off - start))
        else:
            mask >>= 1
            off += 1
    return runs


def mask_text(mask: int) -> str:
    """``"bytes 0-3, 8"`` (or ``"byte 5"``) for a byte mask."""
    runs = mask_runs(mask)
    if not runs:
        return "no bytes"
    parts = [f"{o}-{o + n - 1}" if n > 1 else f"{o}" for o, n in runs]
    return ("byte " if runs == [(runs[0][0], 1)] else "bytes ") + ", ".join(parts)


def describe_mask(mask: int, line_size: int) -> str:
    """``"clean"``, ``"dirty (all bytes)"`` or ``"dirty (bytes 0-3, 8-15)"``."""
    if not mask:
        return "clean"
    if mask == byte_mask(0, line_size):
        return "dirty (all bytes)"
    return f"dirty ({mask_text(mask)})"


class DataCache:
    """A data cache of ``size`` bytes, ``ways``-way set-associative, ``line_size``-byte lines.

    Attributes: ``line_size``, ``size``, ``ways``, ``num_sets``, ``stats``
    (:class:`CacheStats`), ``dirty_bytes_only``.  Lines are looked up by their line-aligned
    address; :meth:`line_addr` rounds any address down.
    """

    def __init__(
        self, line_size: int = 32, size: int = 32768, ways: int = 4, *, dirty_bytes_only: bool = False
    ):
        if line_size < 4 or line_size & (line_size - 1):
            raise CacheConfigError(f"cache line size {line_size} is not a power of two >= 4")
        if ways < 1:
            raise CacheConfigError(f"cache must have at least one way, not {ways}")
        if size <= 0 or size % (line_size * ways):
            raise CacheConfigError(
                f"cache size {size} is not a positive multiple of line_size*ways "
                f"({line_size}*{ways}); pick a size of sets*ways*line_size bytes"
            )
        self.line_size = line_size
        self.size = size
        self.ways = ways
        self.num_sets = size // (line_size * ways)
        self.dirty_bytes_only = dirty_bytes_only
        self.stats = CacheStats()
        self._shift = line_size.bit_length() - 1
        # One OrderedDict per set: line address -> CacheLine, least recently used first.
        self._sets: list[OrderedDict[int, CacheLine]] = [OrderedDict() for _ in range(self.num_sets)]

    def line_addr(self, addr: int) -> int:
        """``addr`` rounded down to its line."""
        return addr & ~(self.line_size - 1)

    def _set(self, line_addr: int) -> OrderedDict[int, CacheLine]:
        return self._sets[(line_addr >> self._shift) % self.num_sets]

    def lookup(self, line_addr: int) -> CacheLine | None:
        """The valid line at ``line_addr`` (made most recently used, counted as a hit), or None
        (counted as a miss)."""
        s = self._sets[(line_addr >> self._shift) % self.num_sets]  # _set(), inlined: hot path
        line = s.get(line_addr)
        if line is None:
            self.stats.misses += 1
            return None
        s.move_to_end(line_addr)
        self.stats.hits += 1
        return line

    def peek(self, line_addr: int) -> CacheLine | None:
        """The valid line at ``line_addr`` or None, without touching LRU order or counters."""
        return self._set(line_addr).get(line_addr)

    def insert(self, line_addr: int, data: bytes) -> tuple[CacheLine, CacheLine | None]:
        """Allocate a clean line holding ``data``; returns ``(line, victim)``.

        ``victim`` is the least recently used line of the set when the set was full (already
        removed: the caller must write it back if it is dirty), else None."""
        s = self._set(line_addr)
        victim = None
        if len(s) >= self.ways:
            _, victim = s.popitem(last=False)
            self.stats.evictions += 1
        line = CacheLine(line_addr, bytearray(data))
        s[line_addr] = line
        return line, victim

    def remove(self, line_addr: int) -> CacheLine | None:
        """Drop the line at ``line_addr`` (no write-back); returns it, or None if not cached."""
        return self._set(line_addr).pop(line_addr, None)

    def lines(self) -> list[CacheLine]:
        """Every valid line, set by set, least recently used first within a set."""
        return [line for s in self._sets for line in s.values()]

    def line_at(self, set_index: int, way: int) -> CacheLine | None:
        """The ``way``-th line (LRU first) of set ``set_index``, or None when not that full."""
        s = self._sets[set_index]
        if way >= len(s):
            return None
        return list(s.values())[way]

    def state(self, line_addr: int) -> str:
        """``"invalid"``, ``"clean"`` or ``"dirty (...)"`` for the line at ``line_addr``."""
        line = self.peek(line_addr)
        return "invalid" if line is None else describe_mask(line.dirty, self.line_size)

    def writeback_runs(self, line: CacheLine) -> list[tuple[int, int]]:
        """What a write-back of ``line`` writes, as ``(offset, length)`` runs: the whole line,
        or only its dirty bytes with ``dirty_bytes_only``; empty when the line is clean."""
        if not line.dirty:
            return []
        if self.dirty_bytes_only:
            return mask_runs(line.dirty)
        return [(0, self.line_size)]

    def __repr__(self) -> str:
        return (
            f"DataCache(line_size={self.line_size}, size={self.size}, ways={self.ways}, "
            f"sets={self.num_sets})"
        )
