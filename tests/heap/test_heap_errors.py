"""Every error path of the heap stack, and what each hardening level does differently."""

from __future__ import annotations

import pytest
from heap_helpers import cfg, heap

from smh_boot import errno
from smh_boot.errors import HeapError, MemoryMapError
from smh_boot.heap import (
    DoubleFree, Hardening, HeapConfig, HeapCorruption, InvalidAlignment, InvalidAttribute, InvalidFree,
    PoolAlreadyInitialised, RegionTooSmall, SharedMultiHeap, SharedMultiHeapRegion, SmhAttr, SysHeap,
    TooManyHeaps,
)
from smh_boot.memory import AddressSpace

C, NC = SmhAttr.CACHEABLE, SmhAttr.NON_CACHEABLE
BASE = 0x2000_0000


def pool(level=Hardening.STRICT, regions=((C, BASE, 0x1000),), ptr=4, memory=None):
    p = SharedMultiHeap(memory, cfg(ptr, level=level))
    p.pool_init()
    for attr, addr, size in regions:
        p.add(SharedMultiHeapRegion(attr, addr, size))
    return p


# ---------------------------------------------------------------------- set-up errors


def test_second_pool_init_is_ealready():
    p = pool()
    with pytest.raises(PoolAlreadyInitialised) as e:
        p.pool_init()
    assert (e.value.errno_name, e.value.errno, e.value.c_outcome) == ("EALREADY", 120, "rc")


@pytest.mark.parametrize("attr", [3, 7, -1])
def test_add_with_a_bad_attribute_is_einval(attr):
    p = pool(regions=())
    with pytest.raises(InvalidAttribute) as e:
        p.add(SharedMultiHeapRegion(attr, BASE, 0x1000))
    assert e.value.errno == errno.EINVAL and e.value.c_outcome == "rc"
    assert p.heaps == []


def test_region_too_small_asserts_and_maps_nothing():
    p = pool(regions=())
    with pytest.raises(RegionTooSmall) as e:
        p.add(SharedMultiHeapRegion(C, BASE, 43))
    assert e.value.c_outcome == "assert" and e.value.errno == errno.EINVAL
    assert "heap size is too small" in str(e.value)
    assert p.memory.find(BASE) is None
    p.add(SharedMultiHeapRegion(C, BASE, 44))  # the same place, now big enough


def test_misaligned_tiny_region_is_refused_instead_of_underflowing():
    # golden surprise 7: C computes a bogus 4 GiB heap here
    with pytest.raises(RegionTooSmall):
        heap(11, addr=BASE + 1)


def test_small_only_heap_refuses_a_region_too_big():
    with pytest.raises(RegionTooSmall, match="too big"):
        heap(0x40008, heap_mode="small")


def test_ninth_heap_of_one_attribute_is_enomem():
    p = pool(regions=[(C, BASE + i * 0x1000, 0x400) for i in range(8)])
    with pytest.raises(TooManyHeaps) as e:
        p.add(SharedMultiHeapRegion(C, BASE + 0x10000, 0x400))
    assert e.value.c_outcome == "rc" and e.value.errno == errno.ENOMEM
    assert len(p.heaps) == 8


def test_ninth_heap_in_total_is_the_multi_heap_assert():
    regions = [(C, BASE + i * 0x1000, 0x400) for i in range(5)] + [
        (NC, BASE + 0x10000 + i * 0x1000, 0x400) for i in range(3)]
    p = pool(regions=regions)
    with pytest.raises(TooManyHeaps) as e:
        p.add(SharedMultiHeapRegion(SmhAttr.EXTERNAL, BASE + 0x20000, 0x400))
    assert e.value.c_outcome == "assert" and e.value.errno_name == "ENOMEM"
    assert len(p.heaps) == 8
    assert p.alloc(SmhAttr.EXTERNAL, 16) is None


def test_unmapped_region_with_a_given_address_space():
    mem = AddressSpace(32)
    p = SharedMultiHeap(mem, cfg(4))
    p.pool_init()
    with pytest.raises(MemoryMapError, match="not mapped"):
        p.add(SharedMultiHeapRegion(C, BASE, 0x1000))
    with pytest.raises(MemoryMapError, match="not mapped"):
        SysHeap(mem, BASE, 0x1000, cfg(4))
    mem.map(BASE, 0x1000, "sram")
    rec = p.add(SharedMultiHeapRegion(C, BASE, 0x1000), user_data="ud")
    assert (rec.index, rec.attr, rec.user_data, rec.sys_heap.memory) == (0, C, "ud", mem)


def test_allocating_before_pool_init_is_refused():
    p = SharedMultiHeap(None, cfg(4))
    p.add(SharedMultiHeapRegion(C, BASE, 0x1000))
    with pytest.raises(HeapError, match="pool_init") as e:
        p.alloc(C, 16)
    assert e.value.c_outcome == "panic"
    with pytest.raises(HeapError):
        p.aligned_alloc(C, 16, 16)
    assert p.alloc(5, 16) is None  # the attribute check comes first, as in C


def test_heaps_added_before_pool_init_cannot_be_found_by_address():
    p = SharedMultiHeap(None, cfg(4, level=Hardening.MODERATE))
    p.add(SharedMultiHeapRegion(C, BASE, 0x1000))
    p.pool_init()
    b = p.alloc(C, 16)
    assert b is not None  # still allocatable through the per-attribute list
    with pytest.raises(InvalidFree, match="pool_init"):
        p.free(b)


@pytest.mark.parametrize("kwargs", [dict(ptr_size=2), dict(heap_mode="tiny"), dict(ptr_size=8, heap_mode="small"),
                                    dict(alloc_loops=0)])
def test_bad_heap_config(kwargs):
    with pytest.raises(ValueError):
        HeapConfig(**kwargs)


def test_hardening_accepts_ints():
    assert HeapConfig(hardening=2).hardening is Hardening.MODERATE


# ---------------------------------------------------------------------- operation errors


def test_three_bit_alignment_asserts_but_only_when_a_heap_is_asked():
    p = pool()
    assert p.aligned_alloc(C, 24, 8) is not None  # two bits: rewind form
    with pytest.raises(InvalidAlignment) as e:
        p.aligned_alloc(C, 56, 8)
    assert e.value.c_outcome == "assert" and "more than two bits" in str(e.value)
    assert p.aligned_alloc(C, 56, 0) is None  # size 0 never reaches sys_heap
    assert p.aligned_alloc(NC, 56, 8) is None  # no NON_CACHEABLE heap
    with pytest.raises(InvalidAlignment):
        heap(0x400).aligned_realloc(None, 56, 8)
    h = heap(0x400)
    q = h.alloc(8)
    with pytest.raises(InvalidAlignment):
        h.aligned_realloc(q, 24, 8)  # realloc wants a true power of two


def test_negative_sizes_are_refused():
    h = heap(0x400)
    with pytest.raises(ValueError):
        h.alloc(-1)
    with pytest.raises(ValueError):
        h.aligned_alloc(64, -1)


@pytest.mark.parametrize("level", list(Hardening))
def test_pointers_outside_a_standalone_heap(level):
    h = heap(0x400, level=level)
    p = h.alloc(16)
    for bad in (BASE - 64, BASE + 0x800):
        with pytest.raises(InvalidFree, match="not inside the heap area"):
            h.usable_size(bad)
        with pytest.raises(InvalidFree):
            h.realloc(bad, 8)
        with pytest.raises(InvalidFree):
            h.free(bad)
    with pytest.raises(ValueError):
        h.realloc(p, -1)
    assert h.validate()


def test_runtime_stats_need_the_option():
    h = heap(0x400)
    with pytest.raises(HeapError, match="runtime_stats"):
        h.runtime_stats_get()
    with pytest.raises(HeapError):
        h.runtime_stats_reset_max()
    s = heap(0x400, stats=True)
    p = s.alloc(100)
    s.free(p)
    assert s.runtime_stats_get().max_allocated_bytes == 100  # 13 units - 4
    s.runtime_stats_reset_max()
    assert s.runtime_stats_get().max_allocated_bytes == 0
    assert h.stats().max_allocated_bytes is None


@pytest.mark.parametrize("level", [Hardening.BASIC, Hardening.MODERATE, Hardening.FULL])
def test_double_free_panics(level):
    p = pool(level)
    a = p.alloc(C, 32)
    p.free(a)
    with pytest.raises(DoubleFree) as e:
        p.free(a)
    assert e.value.c_outcome == "panic" and f"{a:#x}" in str(e.value)


def test_double_free_at_strict_says_it_was_freed():
    p = pool()
    a = p.alloc(C, 32, owner="uart0")
    p.free(a)
    with pytest.raises(DoubleFree, match="freed already"):
        p.free(a)


def test_double_free_at_none_goes_unnoticed_and_breaks_the_heap():
    p = pool(Hardening.NONE)
    a, _m1, b, _m2 = (p.alloc(C, 32) for _ in range(4))
    p.free(a)
    p.free(b)  # a and b now share a bucket
    p.free(a)  # C puts a on the list a second time, silently
    assert not p.validate()


def test_interior_free_silently_frees_the_block_at_moderate():
    p = pool(Hardening.MODERATE)
    a = p.alloc(C, 40)
    b = p.alloc(C, 40)
    h = p.heaps[0].sys_heap
    p.free(a + 7)
    assert p.alloc(C, 40) == a  # the block came back
    assert h.validate()
    assert [blk.addr for blk in p.blocks()] == [a, b]


@pytest.mark.parametrize("offset", [1, 7, 8, 36])
def test_interior_free_is_refused_at_strict_naming_block_and_owner(offset):
    p = pool()
    a = p.alloc(C, 40, owner="eth0 rx ring")
    with pytest.raises(InvalidFree) as e:
        p.free(a + offset)
    msg = str(e.value)
    assert f"{a + offset:#x}" in msg and f"{a:#x}" in msg and "eth0 rx ring" in msg
    assert f"{offset} byte(s) into" in msg
    p.free(a)  # the block itself is intact
    assert p.validate()


def test_foreign_pointer_below_every_heap():
    for level in (Hardening.MODERATE, Hardening.STRICT):
        p = pool(level)
        with pytest.raises(InvalidFree, match="below every heap"):
            p.free(BASE - 16)


def test_pointer_past_the_heap_end_is_refused_at_every_level():
    for level in Hardening:
        p = pool(level)
        with pytest.raises(InvalidFree):
            p.free(BASE + 0x2000)


def test_realloc_of_a_pointer_that_is_not_a_live_block():
    p = pool()
    a = p.alloc(C, 64, owner="spi")
    with pytest.raises(InvalidFree, match="realloc"):
        p.realloc(C, a + 4, 100)
    p.free(a)
    with pytest.raises(DoubleFree):
        p.realloc(C, a, 100)


def test_full_checks_the_realloc_pointer_moderate_does_not():
    for level, raises in ((Hardening.FULL, True), (Hardening.MODERATE, False)):
        p = pool(level)
        a = p.alloc(C, 64)
        p.alloc(C, 64)
        p.free(a)
        if raises:
            with pytest.raises(DoubleFree):
                p.realloc(C, a, 32)
        else:
            p.realloc(C, a, 32)  # Zephyr resizes the free chunk in place: garbage


# ---------------------------------------------------------------------- overflow detection


def overflow_pool(level):
    mem = AddressSpace(32)
    mem.map(BASE, 0x1000, "sram")
    p = pool(level, memory=mem)
    return p, mem


@pytest.mark.parametrize("level", [Hardening.BASIC, Hardening.MODERATE, Hardening.FULL, Hardening.STRICT])
def test_overflow_into_the_next_header_is_detected_at_free(level):
    p, mem = overflow_pool(level)
    a = p.alloc(C, 36, owner="dma buf")
    b = p.alloc(C, 36)
    mem.write(a, b"\xee" * 44)  # 8 bytes too many: the next chunk's header
    with pytest.raises(HeapCorruption) as e:
        p.free(a)
    assert e.value.c_outcome == "panic" and "buffer overflow" in str(e.value)
    if level is Hardening.STRICT:
        msg = str(e.value)
        assert "'dma buf'" in msg and "ran past its end" in msg
        assert f"offset +{(b - 4) - a}" in msg  # the next header sits 4 bytes below b
        assert p.blocks()[0].owner == "dma buf"  # still listed after the refused free
    assert not p.validate()


def test_overflow_goes_unnoticed_at_none():
    p, mem = overflow_pool(Hardening.NONE)
    a = p.alloc(C, 36)
    p.alloc(C, 36)
    mem.write(a, b"\x00" * 40 + b"\x07\x00")  # next LEFT_SIZE := 7
    p.free(a)
    assert not p.validate()


def test_damaged_own_header_names_the_block_below_at_strict():
    p, mem = overflow_pool(Hardening.STRICT)
    a = p.alloc(C, 36, owner="below")
    b = p.alloc(C, 36, owner="victim")
    mem.write(b - 4, b"\xff\xff\xff\xff")  # b's LEFT_SIZE and SIZE_AND_USED
    with pytest.raises(HeapCorruption) as e:
        p.free(b)
    msg = str(e.value)
    assert "'victim'" in msg and "was overwritten" in msg and "'below'" in msg and f"{a:#x}" in msg


def test_validate_reports_a_broken_free_list():
    h = heap(0x1000)
    a = h.alloc(100)
    h.alloc(100)
    h.free(a)
    assert h.check() is None
    h.write(a, b"\xff\xff\xff\xff")  # FREE_PREV/FREE_NEXT of the free chunk (small heap)
    assert not h.validate()
    assert "free-list links" in h.check()


# ---------------------------------------------------------------------- introspection


def test_blocks_and_block_at_with_owners_at_strict():
    p = pool(regions=((C, BASE, 0x1000), (NC, BASE + 0x2000, 0x1000)))
    a = p.alloc(C, 10, owner="a")
    b = p.aligned_alloc(NC, 64, 10, owner="b")
    c = p.alloc(C, 100)
    blocks = p.blocks()
    assert [(x.addr, x.heap_index, x.attr, x.owner) for x in blocks] == [
        (a, 0, C, "a"), (c, 0, C, None), (b, 1, NC, "b")]
    assert blocks[0].usable == 12 and blocks[0].size == 12 and blocks[0].end == a + 12
    assert p.block_at(a + 5).addr == a
    assert p.block_at(c + 99).addr == c
    assert p.block_at(BASE + 0x1800) is None
    assert p.block_at(BASE + 0x2000) is None  # the heap header is no block
    q = p.realloc(C, a, 300, owner=None)
    assert p.block_at(q).owner == "a"  # realloc keeps the tag


def test_blocks_by_walk_at_moderate():
    p = pool(Hardening.MODERATE)
    a = p.alloc(C, 10)
    b = p.alloc(C, 20)
    assert [(x.addr, x.usable, x.owner) for x in p.blocks()] == [(a, 12, None), (b, 20, None)]


def test_rewind_gap_over_report_in_big_heaps():
    h = heap(0x1000, ptr_size=8)
    p = h.aligned_alloc(68, 4)
    assert (p + 4) % 64 == 0
    assert h.usable_size(p) == 8  # Zephyr's value, 4 more than the chunk really has
    hp = SharedMultiHeap(None, cfg(8, level=Hardening.STRICT))
    hp.pool_init()
    hp.add(SharedMultiHeapRegion(C, BASE, 0x1000))
    q = hp.aligned_alloc(C, 68, 4)
    blk = hp.block_at(q)
    assert blk.usable == 8 and blk.size == 4


def test_heap_reports():
    h = heap(0x1000)
    ps = [h.alloc(n) for n in (10, 100, 10, 200, 10)]
    h.free(ps[1])
    h.free(ps[3])
    assert h.free_chunk_histogram() == [0, 0, 0, 1, 1, 0, 0, 0, 1]  # 13 and 26 units, the tail
    big = max(sz for _c, sz, u in h.chunks() if not u)
    assert h.largest_free_bytes() == 8 * big - 4
    d = h.dump(3)
    assert d["region"] == 3 and d["big"] == 0 and d["chunks"][0] == [0, h.chunk0, 1]
    assert isinstance(h.digest(), int) and h.digest() != h.digest(1)
    assert "small" in repr(h)


@pytest.mark.parametrize("level,raises", [(Hardening.BASIC, False), (Hardening.MODERATE, True)])
def test_moderate_adds_the_left_neighbour_check(level, raises):
    p, mem = overflow_pool(level)
    a = p.alloc(C, 36)
    b = p.alloc(C, 36)
    mem.write(a, b"\x01" * 36)  # a's data: reads as 'used' chunks if misread as headers
    mem.write(b - 4, b"\x01\x00")  # b's LEFT_SIZE := 1 (b's SIZE_AND_USED intact)
    if raises:
        with pytest.raises(HeapCorruption, match="buffer overflow"):
            p.free(b)
    else:
        p.free(b)  # BASIC only checks the used bit and the right neighbour
