"""Per-region heap report computed from a plain chunk walk of a ``sys_heap``.

The heap stack hands over its walk as ``[(chunk_id, size_units, used), ...]`` in address
order, chunk 0 (the ``struct z_heap`` metadata chunk) included; this module knows nothing else
about the heap.  Byte figures use the *usable bytes* of a chunk, ``8*units - hdr``, the unit
Zephyr's runtime stats count (so ``used``/``free`` here equal ``allocated_bytes`` /
``free_bytes`` of ``sys_heap_runtime_stats_get``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

CHUNK_UNIT = 8


def min_chunk_units(big: bool) -> int:
    """``min_chunk_size()``: ceil((hdr + 1) / 8) = 1 unit for small heaps, 2 for big ones."""
    return 2 if big else 1


def bucket_idx(units: int, big: bool) -> int:
    """``bucket_idx()``: floor(log2(units - min_chunk + 1)), the free-list bucket of a chunk."""
    return (units - min_chunk_units(big) + 1).bit_length() - 1


def bucket_bounds(index: int, big: bool) -> tuple[int, int]:
    """Smallest and largest chunk size (units) that fall in bucket ``index``."""
    m = min_chunk_units(big)
    return (1 << index) + m - 1, (1 << (index + 1)) + m - 2


@dataclass(frozen=True)
class Bucket:
    """One histogram bar: free chunks of ``min_units..max_units`` units (``count`` of them,
    ``usable_bytes`` in total)."""

    index: int
    min_units: int
    max_units: int
    count: int
    usable_bytes: int

    def to_dict(self) -> dict[str, int]:
        """JSON-ready form."""
        return {
            "index": self.index,
            "min_units": self.min_units,
            "max_units": self.max_units,
            "count": self.count,
            "usable_bytes": self.usable_bytes,
        }


@dataclass(frozen=True)
class HeapReport:
    """Occupancy and fragmentation of one heap.

    ``used_bytes``/``free_bytes`` are usable bytes of used (chunk 0 excluded) and bucketed free
    chunks; ``largest_free`` the biggest block one allocation could get; ``free_chunks`` counts
    bucketed free chunks and ``undersized`` the 1-unit free chunks of big heaps that no free
    list holds; ``overhead_bytes`` is the rest of the region (chunk 0, headers, footer,
    alignment, undersized chunks); ``buckets`` has one entry per bucket of the heap, empty ones
    included, so figures line up."""

    region_size: int
    hdr: int
    big: bool
    end_chunk: int
    chunk0: int
    used_bytes: int
    used_chunks: int
    free_bytes: int
    free_chunks: int
    largest_free: int
    undersized: int
    buckets: tuple[Bucket, ...]

    @property
    def overhead_bytes(self) -> int:
        """Region bytes that are neither usable-used nor usable-free."""
        return self.region_size - self.used_bytes - self.free_bytes

    @property
    def fragmentation(self) -> float:
        """``1 - largest_free / free_bytes`` (0.0 when nothing is free): 0 means all free space
        is one block, values near 1 mean it is scattered in small pieces."""
        if self.free_bytes == 0:
            return 0.0
        return 1.0 - self.largest_free / self.free_bytes

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the fragmentation ratio rounded to 4 decimals for stable output)."""
        return {
            "region_size": self.region_size,
            "hdr": self.hdr,
            "big": self.big,
            "end_chunk": self.end_chunk,
            "chunk0": self.chunk0,
            "used_bytes": self.used_bytes,
            "used_chunks": self.used_chunks,
            "free_bytes": self.free_bytes,
            "free_chunks": self.free_chunks,
            "largest_free": self.largest_free,
            "undersized": self.undersized,
            "overhead_bytes": self.overhead_bytes,
            "fragmentation": round(self.fragmentation, 4),
            "buckets": [b.to_dict() for b in self.buckets],
        }


def _check_walk(
    chunks: Sequence[tuple[int, int, bool]], end_chunk: int, chunk0: int
) -> None:
    """The walk must tile [0, end_chunk) exactly, starting with the used chunk 0."""
    if not chunks:
        raise ValueError("heap report: the chunk walk is empty (it must start with chunk 0)")
    first = chunks[0]
    if first[0] != 0 or first[1] != chunk0 or not first[2]:
        raise ValueError(
            f"heap report: the walk must start with used chunk 0 of {chunk0} units, got {first!r}"
        )
    expect = 0
    for cid, units, _used in chunks:
        if cid != expect:
            raise ValueError(f"heap report: chunk {cid} found where chunk {expect} should start")
        if units <= 0:
            raise ValueError(f"heap report: chunk {cid} has size {units}; sizes must be > 0")
        expect = cid + units
    if expect != end_chunk:
        raise ValueError(f"heap report: the walk ends at chunk {expect}, not at end_chunk {end_chunk}")


def heap_report(
    chunks: Iterable[tuple[int, int, bool]],
    *,
    hdr: int,
    big: bool,
    end_chunk: int,
    chunk0: int,
    region_size: int,
) -> HeapReport:
    """Summarise a heap's chunk walk ``[(chunk_id, size_units, used), ...]`` (chunk 0
    included, in address order).  ``hdr`` is the chunk header size (4 small / 8 big),
    ``big`` the heap's header format, ``end_chunk`` the end-marker id, ``chunk0`` the size of
    chunk 0 in units and ``region_size`` the bytes handed to ``sys_heap_init``.
    Raises ValueError when the walk does not tile the heap or the parameters disagree."""
    walk = [(int(c), int(s), bool(u)) for c, s, u in chunks]
    if hdr != (8 if big else 4):
        raise ValueError(f"heap report: hdr {hdr} does not match a {'big' if big else 'small'} heap")
    if end_chunk * CHUNK_UNIT > region_size:
        raise ValueError(
            f"heap report: end_chunk {end_chunk} ({end_chunk * CHUNK_UNIT} bytes) "
            f"exceeds region_size {region_size}"
        )
    _check_walk(walk, end_chunk, chunk0)
    nb = bucket_idx(end_chunk, big) + 1
    counts = [0] * nb
    sums = [0] * nb
    used = used_n = free = free_n = largest = undersized = 0
    for _cid, units, is_used in walk[1:]:
        usable = CHUNK_UNIT * units - hdr
        if is_used:
            used += usable
            used_n += 1
        elif big and units < min_chunk_units(big):
            undersized += 1  # never on a free list, never counted as free (as in C)
        else:
            b = bucket_idx(units, big)
            counts[b] += 1
            sums[b] += usable
            free += usable
            free_n += 1
            largest = max(largest, usable)
    buckets = tuple(
        Bucket(i, *bucket_bounds(i, big), counts[i], sums[i]) for i in range(nb)
    )
    return HeapReport(
        region_size, hdr, big, end_chunk, chunk0, used, used_n, free, free_n, largest,
        undersized, buckets,
    )


def heap_report_for(heap: Any) -> HeapReport:
    """:func:`heap_report` of a live heap object (duck-typed, so this module needs nothing
    from the heap package): it must offer ``chunks()`` (the walk from chunk 0, end marker
    excluded) and ``hdr``, ``big``, ``end_chunk``, ``chunk0`` and ``size`` (region bytes)."""
    return heap_report(
        heap.chunks(),
        hdr=heap.hdr,
        big=bool(heap.big),
        end_chunk=heap.end_chunk,
        chunk0=heap.chunk0,
        region_size=heap.size,
    )
