"""Which regions ``sys_heap_init()`` accepts: the size arithmetic of heap spec section 2.3.

Only the geometry is modelled (no heap is built): the footer reserved at the end, the 8-byte
rounding of both ends, the chunk-0 header with its bucket array, and the asserts that reject a
region.  The result depends on the pointer size, ``CONFIG_SYS_HEAP_RUNTIME_STATS`` and the base
address modulo 8, exactly like the golden table of minimum region sizes.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..heap.config import HeapConfig
from ..heap.layout import CHUNK_UNIT, SMALL_HEAP_MAX_CHUNKS, big_heap_chunks, bucket_idx, z_heap_bytes

#: "heap size is too big": bytes / 8 must not exceed this
_MAX_CHUNKS = 0x7FFFFFFF

#: CONFIG_SYS_HEAP_AUTO / SMALL_ONLY / BIG_ONLY
HEAP_MODES = ("auto", "small", "big")


@dataclass(frozen=True)
class HeapFit:
    """Outcome of :func:`heap_fit`: ``ok`` (sys_heap_init builds a sane heap), ``bogus``
    (the unsigned size arithmetic wraps: no assert fires but the heap is garbage),
    ``reason`` (why not), ``end_chunk`` (chunks of the heap when ok), ``lost`` (bytes of the
    region before the 8-aligned heap base)."""

    ok: bool
    reason: str | None = None
    bogus: bool = False
    end_chunk: int = 0
    lost: int = 0


def heap_fit(
    addr: int, size: int, ptr_size: int = 4, runtime_stats: bool = False, mode: str = "auto"
) -> HeapFit:
    """Would ``sys_heap_init(heap, addr, size)`` accept this region?  ``mode`` is the heap
    mode Kconfig choice (``"auto"`` default, ``"small"`` SMALL_ONLY, ``"big"`` BIG_ONLY)."""
    if mode not in HEAP_MODES:
        raise ValueError(f"heap mode must be one of {HEAP_MODES}, not {mode!r}")
    cfg = HeapConfig(ptr_size=ptr_size, runtime_stats=runtime_stats, heap_mode=mode)
    mask = (1 << (8 * ptr_size)) - 1
    lost = (-addr) % CHUNK_UNIT
    limit = SMALL_HEAP_MAX_CHUNKS if mode == "small" else _MAX_CHUNKS
    if size // CHUNK_UNIT > limit:
        return HeapFit(False, "heap size is too big", lost=lost)
    footer = 8 if big_heap_chunks(size // CHUNK_UNIT, cfg) else 4
    if size <= footer:
        return HeapFit(False, "heap size is too small", lost=lost)
    usable = size - footer
    start = addr + lost
    end = (addr + usable) & ~(CHUNK_UNIT - 1)
    # C computes (end - addr) / 8 in size_t: a negative difference wraps around.
    heap_sz = ((end - start) & mask) // CHUNK_UNIT
    bogus = end < start
    hdr_chunks = -(-z_heap_bytes(cfg) // CHUNK_UNIT)
    if heap_sz <= hdr_chunks:
        return HeapFit(False, "heap size is too small", lost=lost)
    big = big_heap_chunks(heap_sz, cfg)
    min_chunk = 2 if big else 1
    nb = bucket_idx(heap_sz, big) + 1
    chunk0 = -(-(z_heap_bytes(cfg) + 4 * nb) // CHUNK_UNIT)
    if chunk0 + min_chunk > heap_sz:
        return HeapFit(False, "heap size is too small", lost=lost)
    if bogus:
        return HeapFit(False, "size arithmetic wraps around", bogus=True, end_chunk=heap_sz, lost=lost)
    return HeapFit(True, end_chunk=heap_sz, lost=lost)


def min_heap_size(
    ptr_size: int = 4, runtime_stats: bool = False, base_mod: int = 0, mode: str = "auto"
) -> int:
    """Smallest region (bytes) whose heap ``sys_heap_init`` accepts, for a base address
    ``base_mod`` bytes past an 8-byte boundary (golden README: 44/51/48 for 32-bit without
    stats at base_mod 0/1/4)."""
    size = 1
    while not heap_fit(base_mod, size, ptr_size, runtime_stats, mode).ok:
        size += 1
    return size
