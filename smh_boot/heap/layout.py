"""Chunk layout of a ``sys_heap`` (the ``lib/heap/heap.h`` equivalent).

Memory is counted in 8-byte chunk units.  ``struct z_heap`` sits at the 8-aligned heap base
and fills chunk 0; every chunk starts with a header of four fields, ``LEFT_SIZE``,
``SIZE_AND_USED`` (size << 1 | used), ``FREE_PREV``, ``FREE_NEXT``: uint16 each in a *small*
heap (header 4 bytes), uint32 each in a *big* heap (header 8 bytes, so the free-list links of
a free chunk lie in its first data unit).  :func:`geometry` decides all of this from the
region and the configuration, exactly as ``sys_heap_init`` does, and rejects what the C code
only guards with ``__ASSERT``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import RegionTooSmall
from .config import HeapConfig

CHUNK_UNIT = 8

#: Largest end_chunk a small heap may have (uint16 fields hold size << 1).
SMALL_HEAP_MAX_CHUNKS = 0x7FFF


def bucket_idx(size: int, big: bool) -> int:
    """Free-list bucket of a chunk of ``size`` units: floor(log2(size - min_chunk + 1))."""
    return (size - 1 if big else size).bit_length() - 1


def z_heap_bytes(config: HeapConfig) -> int:
    """``sizeof(struct z_heap)`` without the bucket array (16, or 28/40 with runtime stats)."""
    return 16 + (3 * config.ptr_size if config.runtime_stats else 0)


def big_heap_chunks(chunks: int, config: HeapConfig) -> bool:
    """``big_heap_chunks()``: 8-byte headers for a heap of ``chunks`` units?  SMALL_ONLY wins,
    then BIG_ONLY or a 64-bit target, else the count (32-bit AUTO)."""
    if config.heap_mode == "small":
        return False
    if config.heap_mode == "big" or config.ptr_size == 8:
        return True
    return chunks > SMALL_HEAP_MAX_CHUNKS


@dataclass(frozen=True, slots=True)
class Geometry:
    """Where ``sys_heap_init`` puts things for one region.

    ``base``: the 8-aligned heap base (``struct z_heap *``); ``end_chunk``: chunk count;
    ``big``; ``hdr``: chunk header bytes; ``nb``: bucket count; ``chunk0``: units taken by
    ``struct z_heap`` + buckets; ``buckets_offset`` / ``stats_offset``: byte offsets of the
    bucket array and of the three runtime-stats counters (``None`` without stats) from base.
    """

    addr: int
    size: int
    base: int
    end_chunk: int
    big: bool
    hdr: int
    nb: int
    chunk0: int
    buckets_offset: int
    stats_offset: int | None

    @property
    def first_block_offset(self) -> int:
        """Offset from the region start of the first allocation in an empty heap."""
        return self.base - self.addr + CHUNK_UNIT * self.chunk0 + self.hdr

    @property
    def initial_free_bytes(self) -> int:
        """``free_bytes`` of a fresh heap (usable bytes of its one free chunk)."""
        return CHUNK_UNIT * (self.end_chunk - self.chunk0) - self.hdr


def geometry(addr: int, size: int, config: HeapConfig) -> Geometry:
    """Lay out a heap over ``[addr, addr + size)`` like ``sys_heap_init``.

    Raises :class:`RegionTooSmall` where C asserts ("heap size is too small" / "too big") and
    where C would silently compute a garbage heap (end rounded below start)."""
    if size < 0 or addr < 0:
        raise RegionTooSmall(f"region at {addr:#x} with size {size} is not a valid region")
    limit = SMALL_HEAP_MAX_CHUNKS if config.heap_mode == "small" else 0x7FFFFFFF
    if size // CHUNK_UNIT > limit:
        raise _too(addr, size, "heap size is too big", f"at most {limit * CHUNK_UNIT} bytes")
    footer = 8 if big_heap_chunks(size // CHUNK_UNIT, config) else 4
    if size <= footer:
        raise _too(addr, size, "heap size is too small", "give the region more bytes")
    base = (addr + 7) & ~7
    end = (addr + size - footer) & ~7
    if end <= base:
        raise _too(addr, size, "heap size is too small", "give the region more bytes")
    end_chunk = (end - base) // CHUNK_UNIT
    zbytes = z_heap_bytes(config)
    big = big_heap_chunks(end_chunk, config)
    hdr = 8 if big else 4
    nb = bucket_idx(end_chunk, big) + 1
    chunk0 = (zbytes + 4 * nb + 7) // CHUNK_UNIT
    min_chunk = 2 if big else 1
    if end_chunk <= (zbytes + 7) // CHUNK_UNIT or chunk0 + min_chunk > end_chunk:
        raise _too(addr, size, "heap size is too small", "give the region more bytes")
    return Geometry(
        addr=addr,
        size=size,
        base=base,
        end_chunk=end_chunk,
        big=big,
        hdr=hdr,
        nb=nb,
        chunk0=chunk0,
        buckets_offset=zbytes,
        stats_offset=16 if config.runtime_stats else None,
    )


def _too(addr: int, size: int, c_message: str, what: str) -> RegionTooSmall:
    e = RegionTooSmall(f"region at {addr:#x} of {size} bytes cannot hold a sys_heap: {c_message}; {what}")
    e.zephyr_message = c_message  # type: ignore[attr-defined]
    return e
