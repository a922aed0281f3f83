"""The computed test vectors of spec section 7 (and the size relations of the golden README)."""

from __future__ import annotations

import pytest
from heap_helpers import cfg, heap

from smh_boot.heap import (
    MemAttr, MemAttrHeap, MemAttrRegion, RegionTooSmall, SharedMultiHeap, SharedMultiHeapRegion,
    SmhAttr, geometry,
)

# 7.1: region bytes -> per (p4 nostats, p4 stats, p8 nostats, p8 stats):
# "end/nb/chunk0/S|B/first-offset" or None (too small)
GEOMETRY = {
    0x40: ("7/3/4/S/0x24", "7/3/5/S/0x2c", "7/3/4/B/0x28", None),
    0x80: ("15/4/4/S/0x24", "15/4/6/S/0x34", "15/4/4/B/0x28", "15/4/7/B/0x40"),
    0x100: ("31/5/5/S/0x2c", "31/5/6/S/0x34", "31/5/5/B/0x30", "31/5/8/B/0x48"),
    0x400: ("127/7/6/S/0x34", "127/7/7/S/0x3c", "127/7/6/B/0x38", "127/7/9/B/0x50"),
    0x800: ("255/8/6/S/0x34", "255/8/8/S/0x44", "255/8/6/B/0x38", "255/8/9/B/0x50"),
    0x1000: ("511/9/7/S/0x3c", "511/9/8/S/0x44", "511/9/7/B/0x40", "511/9/10/B/0x58"),
    0x2000: ("1023/10/7/S/0x3c", "1023/10/9/S/0x4c", "1023/10/7/B/0x40", "1023/10/10/B/0x58"),
    0x3000: ("1535/11/8/S/0x44", "1535/11/9/S/0x4c", "1535/11/8/B/0x48", "1535/11/11/B/0x60"),
    0x10000: ("8191/13/9/S/0x4c", "8191/13/10/S/0x54", "8191/13/9/B/0x50", "8191/13/12/B/0x68"),
    0x40000: ("32767/15/10/S/0x54", "32767/15/11/S/0x5c", "32767/15/10/B/0x58", "32767/15/13/B/0x70"),
    0x40008: ("32768/15/10/B/0x58", "32768/15/11/B/0x60", "32768/15/10/B/0x58", "32768/15/13/B/0x70"),
    0x100000: ("131071/17/11/B/0x60", "131071/17/12/B/0x68", "131071/17/11/B/0x60", "131071/17/14/B/0x78"),
}
CONFIGS = ((4, False), (4, True), (8, False), (8, True))


@pytest.mark.parametrize("size", sorted(GEOMETRY), ids=hex)
def test_geometry_table(size):
    for (ptr, stats), want in zip(CONFIGS, GEOMETRY[size]):
        c = cfg(ptr, stats)
        if want is None:
            with pytest.raises(RegionTooSmall):
                geometry(0x2000_0000, size, c)
            continue
        g = geometry(0x2000_0000, size, c)
        got = f"{g.end_chunk}/{g.nb}/{g.chunk0}/{'B' if g.big else 'S'}/{g.first_block_offset:#x}"
        assert got == want, (ptr, stats)
        assert g.initial_free_bytes == 8 * (g.end_chunk - g.chunk0) - g.hdr


def test_first_allocation_lands_at_the_first_block_offset():
    h = heap(0x2000, ptr_size=8, stats=True)
    assert h.alloc(1) == h.addr + h.first_block_offset == 0x2000_0058


def test_initial_free_bytes_of_a_2k_heap():
    # 32-bit, no stats: 249 free units -> 1988 usable bytes (computed by a walk)
    assert heap(2048).stats().free_bytes == 1988
    # with runtime stats chunk 0 takes 8 units: 247 units -> 1972, kept in the counters
    assert heap(2048, stats=True).runtime_stats_get().free_bytes == 1972


@pytest.mark.parametrize("ptr,stats,minimum", [(4, False, 44), (4, True, 52), (8, False, 56), (8, True, 80)])
def test_minimum_region_sizes(ptr, stats, minimum):
    geometry(0x1000, minimum, cfg(ptr, stats))
    with pytest.raises(RegionTooSmall):
        geometry(0x1000, minimum - 1, cfg(ptr, stats))


@pytest.mark.parametrize("size,big,end", [(262143, False, 32767), (262144, False, 32767), (262151, False, 32767),
                                           (262152, True, 32768)])
def test_small_big_threshold_on_32_bit(size, big, end):
    g = geometry(0x1000_0000, size, cfg(4))
    assert (g.big, g.end_chunk) == (big, end)


@pytest.mark.parametrize("ptr,want", [
    (4, [(0, 196, 0), (156, 36, 156), (100, 92, 156), (0, 196, 156)]),
    (8, [(0, 176, 0), (152, 16, 152), (104, 64, 152), (0, 176, 152)]),
])
def test_7_2_sample_stats(ptr, want):
    h = heap(256, ptr_size=ptr, stats=True)
    seen = []

    def snap():
        s = h.runtime_stats_get()
        seen.append((s.allocated_bytes, s.free_bytes, s.max_allocated_bytes))

    snap()
    p = h.alloc(150)
    snap()
    p = h.realloc(p, 100)
    snap()
    h.free(p)
    snap()
    assert seen == want


@pytest.mark.parametrize("ptr,stats,first,after", [
    (4, False, [0x20000034, 0x2000003C, 0x2000004C, 0x20000070, 0x200000C0, 0x20000088], (0x20000064, 0x200000CC)),
    (8, False, [0x20000038, 0x20000048, 0x20000058, 0x20000070, 0x200000C0, 0x20000088], (0x20000048, 0x200000D0)),
    (4, True, [0x20000044, 0x2000004C, 0x2000005C, 0x20000080, 0x200000C0, 0x20000098], (0x20000074, 0x200000CC)),
])
def test_7_3_mixed_sequence(ptr, stats, first, after):
    h = heap(2048, ptr_size=ptr, stats=stats)
    got = [h.alloc(1), h.alloc(8), h.alloc(13), h.aligned_alloc(16, 10), h.aligned_alloc(64, 1),
           h.aligned_alloc(8, 3)]
    assert got == first
    if (ptr, stats) == (4, False):
        assert [h.usable_size(p) for p in got] == [4, 12, 20, 16, 8, 8]
        assert h.chunks() == [(0, 6, True), (6, 1, True), (7, 2, True), (9, 3, True), (12, 1, False),
                              (13, 3, True), (16, 2, True), (18, 5, False), (23, 2, True), (25, 230, False)]
    if ptr == 8:
        assert [h.usable_size(p) for p in got] == [8, 8, 16, 16, 8, 8]
    h.free(got[1])
    assert h.alloc(4) == after[0]
    assert h.realloc(got[2], 40) == after[1]
    assert h.alloc(0) is None and h.alloc(2048) is None and h.alloc(2000) is None
    assert h.validate()


SW_CACHE, SW_NONCACHE, SW_DMA = 0x10000, 0x20000, 0x40000
QEMU_M3_REGIONS = [
    MemAttrRegion("memory@20008000", 0x20008000, 0x1000, 0x00000001),
    MemAttrRegion("memory@20009000", 0x20009000, 0x1000, 0x00010001),
    MemAttrRegion("memory@2000a000", 0x2000A000, 0x1000, 0x00020000),
    MemAttrRegion("memory@2000b000", 0x2000B000, 0x1000, 0x00040008),
    MemAttrRegion("memory@2000c000", 0x2000C000, 0x2000, 0x00010001),
    MemAttrRegion("memory@2000e000", 0x2000E000, 0x1000, 0x00050009),
]


@pytest.mark.parametrize("ptr", [4, 8])
def test_7_4_mem_attr_heap_on_qemu_cortex_m3(ptr):
    mah = MemAttrHeap(MemAttr(QEMU_M3_REGIONS), config=cfg(ptr))
    mah.pool_init()
    off = 0x3C if ptr == 4 else 0x40
    b = mah.alloc(SW_CACHE, 0x100)
    assert b == 0x20009000 + off
    assert mah.realloc(b, 0x200) == b
    assert mah.alloc(SW_NONCACHE, 0x100) == 0x2000A000 + off
    assert mah.alloc(SW_DMA, 0x100) == 0x2000B000 + off
    assert mah.alloc(SW_CACHE | SW_DMA, 0x100) == 0x2000E000 + off
    assert mah.alloc((0x80000 << 16) & 0xFFFFFFFF, 0x100) is None
    assert mah.alloc(SW_CACHE, 0x1500) == 0x2000C000 + off
    assert mah.alloc(SW_CACHE, 0x4000) is None
    b = mah.alloc(SW_CACHE, 0x100)
    assert b == (0x20009244 if ptr == 4 else 0x20009248)
    mah.free(b)
    assert mah.alloc(SW_CACHE, 0x100) == b
    b = mah.alloc(SW_NONCACHE, 0x100)
    assert b == (0x2000A144 if ptr == 4 else 0x2000A148)
    mah.free(b)
    assert mah.aligned_alloc(SW_NONCACHE, 0x100, 32) == 0x2000A200
    assert mah.aligned_alloc(SW_NONCACHE, 0x100, 64) == 0x2000A300


@pytest.mark.parametrize("ptr,bases,want", [
    (4, (0x38100000, 0x38200000, 0x38300000),
     (0x3810003C, 0x38100084, 0x38300044, 0x3820003C, 0x38200144)),
    (8, (0x42000000, 0x43000000, 0x44000000),
     (0x42000040, 0x42000088, 0x44000048, 0x43000040, 0x43000148)),
])
def test_7_5_shared_multi_heap_layout(ptr, bases, want):
    pool = SharedMultiHeap(None, cfg(ptr))
    pool.pool_init()
    pool.add(SharedMultiHeapRegion(SmhAttr.CACHEABLE, bases[0], 0x1000))
    pool.add(SharedMultiHeapRegion(SmhAttr.NON_CACHEABLE, bases[1], 0x2000))
    pool.add(SharedMultiHeapRegion(SmhAttr.CACHEABLE, bases[2], 0x3000))
    C, NC = SmhAttr.CACHEABLE, SmhAttr.NON_CACHEABLE
    got = (pool.alloc(C, 0x40), pool.alloc(C, 0x80), pool.alloc(C, 0x1200), pool.alloc(NC, 0x100),
           pool.alloc(NC, 0x100))
    assert got == want
    assert pool.alloc(NC, 0x10000) is None
    assert pool.alloc(NC, 0) is None
    assert pool.alloc(3, 0x100) is None
    assert largest_cacheable_block(pool) == 0x1D80


def largest_cacheable_block(pool):
    for size in range(0x4000, 0x3F, -0x40):
        p = pool.alloc(SmhAttr.CACHEABLE, size)
        if p is not None:
            pool.free(p)
            return size
    return 0


@pytest.mark.parametrize("loops,want", [(3, 0x2000010C), (4, 0x200000CC)])
def test_7_6_bucket_rotation(loops, want):
    h = heap(4096, alloc_loops=loops)
    ps = [h.alloc(n) for n in (28, 4, 36, 4, 44, 4, 52, 4)]
    assert ps == [0x2000003C, 0x2000005C, 0x20000064, 0x2000008C, 0x20000094, 0x200000C4, 0x200000CC,
                  0x20000104]
    for p in ps[0::2]:
        h.free(p)
    assert h.alloc(52) == want
    if loops == 3:
        assert h.alloc(52) == 0x200000CC
    assert h.validate()


@pytest.mark.parametrize("mode,size,big,end,hdr", [
    ("big", 0x1000, True, 511, 8),          # BIG_ONLY on 32-bit: 8-byte headers, 8-byte footer
    ("small", 262136, False, 32766, 4),     # SMALL_ONLY: at most 262136 bytes, 4-byte footer
    ("auto", 0x40000, False, 32767, 4),     # AUTO reserves an 8-byte footer, still small
])
def test_heap_modes_on_32_bit(mode, size, big, end, hdr):
    g = geometry(0x2000_0000, size, cfg(4, heap_mode=mode))
    assert (g.big, g.end_chunk, g.hdr) == (big, end, hdr)
    h = heap(size, heap_mode=mode)
    p = h.alloc(10)
    assert p % 8 == (0 if big else 4)
    assert h.usable_size(p) == (16 if big else 12)  # 3 units - 8, or 2 units - 4
    h.free(p)
    assert h.validate()
