"""Ports of Zephyr's upstream heap tests (spec section 5): tests/lib/heap_align,
tests/lib/heap (realloc, solo free header, stress), tests/lib/multi_heap,
tests/subsys/mem_mgmt/mem_attr and mem_attr_heap, tests/kernel/mem_heap/shared_multi_heap."""

from __future__ import annotations

import sys
import threading

import pytest
from heap_helpers import cfg, heap

from smh_boot import errno
from smh_boot.heap import (
    Hardening, MemAttr, MemAttrHeap, MemAttrRegion, MultiHeap, PoolAlreadyInitialised,
    SharedMultiHeap, SharedMultiHeapRegion, SmhAttr, SysHeap,
)
from smh_boot.memory import AddressSpace

# ---------------------------------------------------------------------- tests/lib/heap_align


def check_heap_align(h, heap_end, prefix, align, size):
    p = h.alloc(prefix)
    assert p is not None or prefix == 0
    q = h.aligned_alloc(align, size)
    assert q is not None and q % align == 0
    r = h.aligned_alloc(align, size)
    assert r is not None and r % align == 0
    s = h.alloc((heap_end - r) - size - 8)
    assert s is not None, "all split memory went back"
    for b in (p, q, r, s):
        h.free(b)
    assert h.validate()


@pytest.mark.parametrize("ptr", [4, 8])
def test_heap_align(ptr):
    h = SysHeap(None, 0x2000_0000, 0x1000, cfg(ptr))
    p = h.alloc(1)
    h.free(p)
    heap_start, heap_end = p, 0x2000_0000 + 0x1000 - 8
    n = 0
    align = 8
    while align < 0x1000 // 4:
        for prefix in range(0, align + 1, 8):
            for size in range(8, align + 1, 8):
                check_heap_align(h, heap_end, prefix, align, size)
                n += 1
                whole = h.alloc(heap_end - heap_start)
                assert whole is not None, "the heap is empty again"
                assert h.alloc(1) is None, "and now full"
                h.free(whole)
        align *= 2
    assert n == 5588
    p = h.aligned_alloc(8, 12)
    h.write(p, b"\xa5" * 12)
    assert h.validate()
    h.free(p)
    p, q = h.aligned_alloc(16, 16), h.aligned_alloc(16, 17)
    h.write(p, b"\x01" * 16)
    h.write(q, b"\x02" * 17)
    assert h.validate()
    h.free(p)
    h.free(q)
    assert h.validate()


# ---------------------------------------------------------------------- tests/lib/heap


def fill(h, p, tag):
    h.write(p, bytes([tag & 0xFF]) * h.usable_size(p))


def check(h, p, tag, n=None):
    n = h.usable_size(p) if n is None else n
    assert h.read(p, n) == bytes([tag & 0xFF]) * n


@pytest.mark.parametrize("ptr", [4, 8])
def test_realloc(ptr):
    h = heap(2048, ptr_size=ptr, stats=True)
    # (a) grow into the free space on the right
    p1 = h.alloc(64)
    fill(h, p1, 1)
    assert h.realloc(p1, 128) == p1
    check(h, p1, 1, 64)
    h.free(p1)
    assert h.validate()
    # (b) blocked on the right: moved, data kept
    p1, p2 = h.alloc(64), h.alloc(64)
    fill(h, p1, 2)
    p3 = h.realloc(p1, 128)
    assert p3 != p1 and p3 != p2
    check(h, p3, 2, 64)
    h.free(p2)
    h.free(p3)
    assert h.validate()
    # (c) shrink in place
    p1 = h.alloc(128)
    assert h.realloc(p1, 64) == p1
    h.free(p1)
    # (d) 61 and 64 bytes need the same number of units
    p1, p2 = h.alloc(61), h.alloc(80)
    assert h.realloc(p1, 64) == p1
    h.free(p1)
    h.free(p2)
    # (e) aligned block that cannot grow: moved
    p1, p2 = h.aligned_alloc(8, 32), h.alloc(32)
    fill(h, p1, 5)
    p3 = h.aligned_realloc(p1, 8, 36)
    assert p3 != p1
    check(h, p3, 5, 32)
    h.free(p2)
    h.free(p3)
    assert h.validate()
    # (f) shrink an aligned block in place, then the freed tail is reused
    p1, p2 = h.aligned_alloc(32, 32), h.aligned_alloc(8, 32)
    p3 = h.aligned_realloc(p2, 8, 16)
    assert p3 == p2
    p3 = h.aligned_alloc(32, 8)
    assert p3 != p2
    assert h.validate()


def test_solo_free_header_on_64_bit():
    h = heap(64, ptr_size=8)
    assert h.chunk0 == 4 and h.end_chunk == 7
    h.alloc(1)
    # chunk0 (4 units), the 1-byte block (2 units), one undersized free unit
    assert h.chunks() == [(0, 4, True), (4, 2, True), (6, 1, False)]
    assert h.validate()
    assert h.free_chunk_histogram() == [0, 0, 0]
    assert h.stats().free_bytes == 0


class StressRng:
    """heap_stress.c's generator: 64-bit LCG seeded 123456789, top 32 bits per draw."""

    def __init__(self):
        self.state = 123456789

    def __call__(self):
        self.state = (self.state * 2862933555777941757 + 3037000493) & ((1 << 64) - 1)
        return self.state >> 32


def stress(h, rng, total_bytes, ops, target_pct, slots=64):
    blocks: list[tuple[int, int]] = []
    alloced = 0
    for _ in range(ops):
        if not blocks:
            do_alloc = True
        elif len(blocks) >= slots:
            do_alloc = False
        else:
            full = 100 * alloced // total_bytes
            chance = 0xFFFFFFFF if full >= target_pct else full * (0x80000000 // target_pct)
            do_alloc = rng() > chance
        if do_alloc:
            scale = 4 + (32 - rng().bit_length())
            size = rng() & ((1 << scale) - 1)
            p = h.alloc(size)
            if p is not None:
                # the testalloc() wrapper: usable == round_up(bytes + h, 8) - h
                hh = p - ((p - 1) & ~7)
                assert h.usable_size(p) == ((size + hh + 7) & ~7) - hh
                h.write(p, (p & 0xFF).to_bytes(1, "little") * min(size, 16))
                blocks.append((p, size))
                alloced += size
        else:
            i = rng() % len(blocks)
            p, size = blocks[i]
            assert h.read(p, min(size, 16)) == (p & 0xFF).to_bytes(1, "little") * min(size, 16)
            h.free(p)
            blocks[i] = blocks[-1]
            blocks.pop()
            alloced -= size
        assert h.validate(), h.check()
    return blocks


@pytest.mark.parametrize("name,ptr,size,target", [
    ("small_heap", 4, 2048, 50), ("fragmentation", 4, 2048, 100), ("big_heap", 8, 64 * 1024, 100),
])
def test_stress(name, ptr, size, target):
    h = heap(size, ptr_size=ptr, stats=True)
    rng = StressRng()
    left = stress(h, rng, size, 1500, target)
    for p, _s in left:
        h.free(p)
    assert h.validate()
    assert h.stats().allocated_bytes == 0


# ---------------------------------------------------------------------- tests/lib/multi_heap


@pytest.mark.parametrize("ptr,first,second", [(4, 36, 76), (8, 40, 80)])
def test_multi_heap(ptr, first, second):
    mem = AddressSpace()
    base = 0x2000_0000
    heaps = []
    for i in range(4):
        mem.map(base + 128 * i, 128, f"heap_mem[{i}]")
        heaps.append(SysHeap(mem, base + 128 * i, 128, cfg(ptr)))

    def choice(mh, c, align, size):
        return heaps[c].aligned_alloc(align, size)

    mh = MultiHeap(choice)
    for h in heaps:
        mh.add_heap(h)
    blocks = []
    for i in range(4):
        b = mh.alloc(i, 64)
        assert b is not None and heaps[i].contains(b)
        assert mh.realloc(i, b, 64) == b
        blocks.append(b)
    for i in range(4):
        assert mh.alloc(i, 64) is None
    for b in blocks:
        mh.free(b)
    for i in range(4):
        b = mh.alloc(i, 64)
        assert b == base + 128 * i + first
        assert mh.realloc(i, b, 32) == b
        b2 = mh.alloc(i, 32)
        assert b + 32 <= b2 <= b + 63 and b2 == base + 128 * i + second
    assert mh.realloc(0, blocks[0], 0) is None
    assert mh.realloc(0, None, 32) is not None
    assert mh.get_heap(base + 128 * 3 + 5).heap is heaps[3]
    assert mh.get_heap(base - 1) is None


# ---------------------------------------------------------------------- mem_attr


MEM_ATTR_REGIONS = [
    MemAttrRegion("memory@10000000", 0x10000000, 0x1000, 0x00400002),
    MemAttrRegion("memory@20000000", 0x20000000, 0x2000, 0x00200000),
    MemAttrRegion("memory@21000000", 0x21000000, 0x1000, 0x51),
]
NON_VOLATILE, OOO = 0x2, 0x4
FLASH, RAM_NOCACHE = 0x00400000, 0x00200000


def test_mem_attr():
    ma = MemAttr(MEM_ATTR_REGIONS)
    regions = ma.get_regions()
    assert len(regions) == 3
    assert regions[2] == MemAttrRegion("memory@21000000", 0x21000000, 0x1000, 0x51)
    assert ma.check_buf(0x10000000, 0, NON_VOLATILE) == -errno.ENOTSUP
    assert ma.check_buf(0x10000100, 0x100, FLASH | NON_VOLATILE) == 0
    assert ma.check_buf(0x20000000, 0x2000, RAM_NOCACHE) == 0
    assert ma.check_buf(0x10000100, 0x100, NON_VOLATILE) == 0
    assert ma.check_buf(0x20000000, 0x2000, OOO) == -errno.EINVAL
    assert ma.check_buf(0x40000000, 0x1000, NON_VOLATILE) == -errno.ENOBUFS
    assert ma.check_buf(0x10000000, 0x2000, NON_VOLATILE) == -errno.ENOSPC
    assert ma.check_buf(0x30000000, 0x1000, OOO) == -errno.ENOBUFS  # the disabled node
    assert ma.check_buf(0x20000000, 0x10, 0) == 0  # attr 0 always matches
    assert ma.get_region_index_by_name("memory@10000000") == 0
    assert ma.get_region_index_by_name("memory@20000000") == 1
    assert ma.get_region_index_by_name("memory@30000000") == -errno.ENOENT
    assert MemAttr(MEM_ATTR_REGIONS, mmu=True).check_buf(0x10000000, 4, 0) == -errno.ENOSYS
    assert MemAttr([]).get_regions() == ()


# ---------------------------------------------------------------------- mem_attr_heap


def test_mem_attr_heap_pool_init_twice_and_lookup():
    from test_heap_vectors import QEMU_M3_REGIONS

    mah = MemAttrHeap(MemAttr(QEMU_M3_REGIONS), config=cfg(4))
    mah.pool_init()
    with pytest.raises(PoolAlreadyInitialised) as e:
        mah.pool_init()
    assert e.value.errno == errno.EALREADY
    assert [k for _h, k in mah.heaps] == [0x10000, 0x20000, 0x40000, 0x10000, 0x50000]
    b = mah.alloc(0x10000, 0x100)
    assert mah.get_region(b).name == "memory@20009000"
    assert mah.alloc(0x10001, 0x10) is None  # non-SW bits: matches nothing
    assert mah.alloc(0, 0x10) is None
    assert mah.alloc(0x10000, 0) is None
    assert mah.get_region(0x1000) is None
    # the realloc quirk: cfg is the region's full attr (0x10001), so the cross-heap fallback
    # finds nothing even though the bigger cache_sw_big heap could hold the block
    assert mah.realloc(b, 0x1500) is None
    assert mah.alloc(0x10000, 0x1500) is not None  # ... which a fresh alloc proves
    assert mah.realloc(b, 0) is None


def test_mem_attr_heap_realloc_moves_across_heaps_when_the_attr_has_only_sw_bits():
    regions = [MemAttrRegion("memory@30000000", 0x30000000, 0x400, 0x20000),
               MemAttrRegion("memory@30001000", 0x30001000, 0x2000, 0x20000)]
    mah = MemAttrHeap(MemAttr(regions), config=cfg(4, level=Hardening.STRICT))
    mah.pool_init()
    b = mah.alloc(0x20000, 0x100)
    mah.memory.write(b, b"\x5a" * 0x100)
    b2 = mah.realloc(b, 0x1000)
    assert mah.get_region(b2).name == "memory@30001000"
    assert mah.memory.read(b2, 0x100) == b"\x5a" * 0x100
    mah.free(b2)


def test_mem_attr_heap_ninth_sw_region_is_enomem_and_keeps_the_first_eight():
    from smh_boot.heap import TooManyHeaps

    regions = [MemAttrRegion(f"memory@{0x30000000 + i * 0x1000:x}", 0x30000000 + i * 0x1000, 0x400, 0x10000)
               for i in range(9)]
    mah = MemAttrHeap(MemAttr(regions), config=cfg(4))
    with pytest.raises(TooManyHeaps):
        mah.pool_init()
    assert len(mah.heaps) == 8
    assert mah.alloc(0x10000, 16) is not None
    with pytest.raises(PoolAlreadyInitialised):
        mah.pool_init()


# ---------------------------------------------------------------------- shared_multi_heap


def mps2_pool(level=Hardening.STRICT, memory=None):
    pool = SharedMultiHeap(memory, cfg(4, level=level))
    pool.pool_init()
    for attr, addr, size in ((SmhAttr.CACHEABLE, 0x38100000, 0x1000), (SmhAttr.NON_CACHEABLE, 0x38200000, 0x2000),
                             (SmhAttr.CACHEABLE, 0x38300000, 0x3000)):
        if memory is not None:
            memory.map(addr, size, hex(addr))
        pool.add(SharedMultiHeapRegion(attr, addr, size))
    return pool


def test_shared_multi_heap():
    pool = mps2_pool()
    with pytest.raises(PoolAlreadyInitialised):
        pool.pool_init()
    assert 0x38100000 <= pool.alloc(SmhAttr.CACHEABLE, 0x40) < 0x38101000
    assert 0x38100000 <= pool.alloc(SmhAttr.CACHEABLE, 0x80) < 0x38101000
    assert 0x38300000 <= pool.alloc(SmhAttr.CACHEABLE, 0x1200) < 0x38303000
    assert 0x38200000 <= pool.alloc(SmhAttr.NON_CACHEABLE, 0x100) < 0x38202000
    assert 0x38200000 <= pool.alloc(SmhAttr.NON_CACHEABLE, 0x100) < 0x38202000
    assert pool.alloc(SmhAttr.NON_CACHEABLE, 0x10000) is None
    assert pool.alloc(SmhAttr.NON_CACHEABLE, 0) is None
    assert pool.alloc(3, 0x100) is None


def test_shared_multi_heap_concurrent():
    from test_heap_vectors import largest_cacheable_block

    memory = AddressSpace(32)
    pool = mps2_pool(memory=memory)
    before = largest_cacheable_block(pool)
    assert before
    errors = []

    def worker(pattern):
        state = pattern
        slots = [None] * 4
        bad = 0

        def rand():
            nonlocal state
            state = (state * 1103515245 + 12345) & 0xFFFFFFFF
            return state >> 16

        for _ in range(20000):
            slot = rand() % 4
            size = 1 + rand() % 256
            blk = slots[slot]
            if blk is not None:
                p, n = blk
                if memory.read(p, n) != bytes([pattern]) * n:
                    bad += 1
                if rand() % 4 == 0:
                    q = pool.realloc(SmhAttr.CACHEABLE, p, size, owner=f"thread{pattern}")
                    if q is not None:
                        memory.fill(q, pattern, size)
                        slots[slot] = (q, size)
                else:
                    pool.free(p)
                    slots[slot] = None
            else:
                q = pool.aligned_alloc(SmhAttr.CACHEABLE, 16, size, owner=f"thread{pattern}")
                if q is not None:
                    assert q % 16 == 0
                    memory.fill(q, pattern, size)
                    slots[slot] = (q, size)
        for blk in slots:
            if blk is not None:
                if memory.read(blk[0], blk[1]) != bytes([pattern]) * blk[1]:
                    bad += 1
                pool.free(blk[0])
        errors.append(bad)

    threads = [threading.Thread(target=worker, args=(p,)) for p in (1, 2, 3, 4)]
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # switch threads often, like the upstream 1 ms time slice
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(old)
    assert errors == [0, 0, 0, 0]
    assert pool.validate()
    assert largest_cacheable_block(pool) == before
    assert [b for b in pool.blocks() if b.owner and b.owner.startswith("thread")] == []
