"""MemorySystem without the checker: CPU view through the cache, DMA view around it,
cache maintenance with whole-line effect, cacheability, errors."""

from __future__ import annotations

import pytest

from smh_boot.errno import ENOTSUP
from smh_boot.errors import BusFault, MemoryMapError
from smh_boot.memory import AddressSpace, DataCache, MemorySystem

from memrig import LINE, SRAM, SRAM_NC, make_rig


def test_cpu_writes_stay_in_the_cache_until_flushed():
    r = make_rig(check=False)
    r.cpu.write(SRAM + 8, b"abcd")
    assert r.cpu.read(SRAM + 8, 4) == b"abcd"
    assert r.memsys.dma.read(SRAM + 8, 4) == bytes(4)  # the bus master sees memory
    assert r.memsys.sys_cache_data_flush_range(SRAM + 8, 4) == 0
    assert r.memsys.dma.read(SRAM + 8, 4) == b"abcd"
    assert r.cache.state(SRAM) == "clean"


def test_device_writes_are_hidden_by_a_cached_line_until_invalidated():
    r = make_rig(check=False)
    assert r.cpu.read_u32(SRAM) == 0  # line now cached
    r.memsys.dma.write_u32(SRAM, 0xDEADBEEF)
    assert r.cpu.read_u32(SRAM) == 0  # stale
    assert r.memsys.sys_cache_data_invd_range(SRAM, 4) == 0
    assert r.cpu.read_u32(SRAM) == 0xDEADBEEF
    assert r.memsys.dma.read_u32(SRAM) == 0xDEADBEEF


def test_non_cacheable_memory_is_coherent_without_maintenance():
    r = make_rig(check=False)
    r.cpu.write_u32(SRAM_NC, 0x11223344)
    assert r.memsys.dma.read_u32(SRAM_NC) == 0x11223344
    r.memsys.dma.write(SRAM_NC + 4, b"\x01\x02")
    assert r.cpu.read_u16(SRAM_NC + 4) == 0x0201
    assert r.cache.stats.hits == r.cache.stats.misses == 0


def test_typed_accessors_are_little_endian_and_masked():
    r = make_rig(check=False)
    r.cpu.write_u8(SRAM, 0x1FF)
    r.cpu.write_u16(SRAM + 2, 0x12345)
    r.cpu.write_u32(SRAM + 4, -1)
    assert r.cpu.read(SRAM, 8) == b"\xff\x00\x45\x23\xff\xff\xff\xff"
    assert r.cpu.read_u8(SRAM) == 0xFF and r.cpu.read_u16(SRAM + 2) == 0x2345
    r.cpu.fill(SRAM + 8, 0x1AA, 3)
    r.cpu.copy(SRAM + 16, SRAM + 8, 3)
    assert r.cpu.read(SRAM + 16, 3) == b"\xaa" * 3


def test_access_spanning_cacheable_and_non_cacheable_memory():
    memory = AddressSpace(32)
    memory.map(0x1000, 0x200, "ram")
    ms = MemorySystem(memory, DataCache(size=1024, ways=2), cacheable=[(0x1100, 0x100)])
    ms.cpu.write(0x10F0, bytes(range(32)))  # 16 bytes uncached, 16 cached
    assert memory.read(0x10F0, 16) == bytes(range(16))
    assert memory.read(0x1100, 16) == bytes(16)
    assert ms.cpu.read(0x10F0, 32) == bytes(range(32))
    assert ms.any_cacheable(0x10F0, 0x11) and not ms.any_cacheable(0x1000, 0x100)


def test_flush_of_part_of_a_line_writes_the_whole_line():
    r = make_rig(check=False)
    r.cpu.write(SRAM, b"A" * LINE)
    r.memsys.sys_cache_data_flush_range(SRAM + 30, 1)
    assert r.memory.read(SRAM, LINE) == b"A" * LINE


def test_invalidate_of_part_of_a_line_drops_the_whole_line():
    r = make_rig(check=False)
    r.cpu.write(SRAM, b"B" * LINE)
    r.memsys.sys_cache_data_invd_range(SRAM + 4, 4)
    assert r.cache.state(SRAM) == "invalid"
    assert r.cpu.read(SRAM, LINE) == bytes(LINE)  # every CPU write of that line is lost
    assert r.cache.stats.invalidations == 1


def test_flush_and_invalidate_keeps_the_data_and_drops_the_line():
    r = make_rig(check=False)
    r.cpu.write(SRAM + 40, b"xyz")
    assert r.memsys.sys_cache_data_flush_and_invd_range(SRAM + 41, 1) == 0
    assert r.cache.peek(SRAM + 32) is None
    assert r.memory.read(SRAM + 40, 3) == b"xyz"


def test_maintenance_of_non_cacheable_or_empty_ranges_is_a_no_op():
    r = make_rig(check=False)
    r.cpu.write(SRAM, b"q")
    assert r.memsys.sys_cache_data_invd_range(SRAM_NC, 64) == 0
    assert r.memsys.sys_cache_data_invd_range(SRAM, 0) == 0
    assert r.cache.state(SRAM) == "dirty (byte 0)"


def test_all_forms():
    r = make_rig(check=False)
    for i in range(4):
        r.cpu.write(SRAM + i * 0x100, b"%d" % i)
    assert r.memsys.sys_cache_data_flush_all() == 0
    assert r.memory.read(SRAM + 0x300, 1) == b"3"
    assert all(not ln.dirty for ln in r.cache.lines()) and len(r.cache.lines()) == 4
    r.cpu.write(SRAM, b"z")
    assert r.memsys.sys_cache_data_invd_all() == 0
    assert r.cache.lines() == [] and r.cpu.read(SRAM, 1) == b"0"
    r.cpu.write(SRAM, b"y")
    assert r.memsys.sys_cache_data_flush_and_invd_all() == 0
    assert r.cache.lines() == [] and r.memory.read(SRAM, 1) == b"y"


def test_without_a_cache_everything_is_direct_and_maintenance_is_not_supported():
    r = make_rig(check=False, cache=None)
    r.cpu.write(SRAM, b"direct")
    assert r.memory.read(SRAM, 6) == b"direct"
    assert not r.memsys.is_cacheable(SRAM) and r.memsys.line_size == 0
    for op in ("flush", "invd", "flush_and_invd"):
        assert getattr(r.memsys, f"sys_cache_data_{op}_range")(SRAM, 4) == -ENOTSUP
        assert getattr(r.memsys, f"sys_cache_data_{op}_all")() == -ENOTSUP
    assert not r.memsys.evict_line(SRAM) and not r.memsys.prefetch_line(SRAM)


def test_replacement_writes_back_dirty_victims():
    r = make_rig(check=False)  # 2 ways, 32 sets: lines 0x400 apart share a set
    r.cpu.write(SRAM, b"first")
    r.cpu.read(SRAM + 0x400, 1)
    r.cpu.read(SRAM + 0x800, 1)  # evicts SRAM's line
    assert r.memory.read(SRAM, 5) == b"first"
    assert r.cache.stats.writebacks == 1 and r.cache.stats.evictions == 1


def test_dirty_bytes_only_write_back_preserves_device_bytes_of_the_same_line():
    memory = AddressSpace(32)
    memory.map(SRAM, 0x1000, "sram")
    ms = MemorySystem(memory, DataCache(size=1024, ways=2, dirty_bytes_only=True), cacheable=[(SRAM, 0x1000)])
    ms.cpu.write(SRAM, b"cpu")
    ms.dma.write(SRAM + 16, b"dev")
    ms.evict_line(SRAM)
    assert memory.read(SRAM, 3) == b"cpu" and memory.read(SRAM + 16, 3) == b"dev"


def test_whole_line_write_back_overwrites_device_bytes_of_the_same_line():
    r = make_rig(check=False)
    r.cpu.write(SRAM, b"cpu")
    r.memsys.dma.write(SRAM + 16, b"dev")
    assert r.memsys.evict_line(SRAM)
    assert r.memory.read(SRAM + 16, 3) == bytes(3)


def test_prefetch_skips_what_it_must_not_touch():
    r = make_rig(check=False)
    assert r.memsys.prefetch_line(SRAM + 0x40)
    assert not r.memsys.prefetch_line(SRAM + 0x40)  # already cached
    assert not r.memsys.prefetch_line(SRAM_NC)  # not cacheable
    assert not r.memsys.prefetch_line(SRAM + 0x10000)  # cacheable range ends; unmapped
    assert r.cache.stats.prefetches == 1
    assert not r.memsys.evict_line(SRAM + 0x1000)


def test_callable_cacheability_is_asked_per_line():
    memory = AddressSpace(32)
    memory.map(0, 0x400, "ram")
    asked = []

    def cacheable(addr):
        asked.append(addr)
        return addr < 0x200

    ms = MemorySystem(memory, DataCache(size=1024, ways=2), cacheable=cacheable)
    ms.cpu.write(0x1F0, bytes(32))
    assert asked == [0x1E0, 0x200]
    assert memory.read(0x200, 16) == bytes(16) and ms.cache.peek(0x200) is None


@pytest.mark.parametrize(
    "ranges, words",
    [
        ([(SRAM + 4, 64)], "cache line"),
        ([(SRAM, 40)], "cache line"),
        ([(SRAM, 0)], "size 0"),
        ([(SRAM, 64), (SRAM + 32, 64)], "overlaps"),
    ],
)
def test_bad_cacheable_ranges_are_refused(ranges, words):
    with pytest.raises(MemoryMapError, match=words):
        MemorySystem(AddressSpace(32), DataCache(), cacheable=ranges)


def test_unmapped_accesses_are_bus_faults():
    r = make_rig(check=False)
    with pytest.raises(BusFault):
        r.cpu.read(0x4000_0000, 4)
    with pytest.raises(BusFault):
        r.memsys.dma.write(0x4000_0000, b"x")
    with pytest.raises(ValueError, match="negative"):
        r.cpu.read(SRAM, -1)


def test_acting_as_nests_and_unwinds():
    r = make_rig(check=False)
    assert r.memsys.actor is None
    with r.memsys.acting_as("eth0"):
        with r.memsys.acting_as("eth0-dma"):
            assert r.memsys.actor == "eth0-dma"
        assert r.memsys.actor == "eth0"
        with pytest.raises(RuntimeError), r.memsys.acting_as("x"):
            raise RuntimeError
        assert r.memsys.actor == "eth0"
    assert r.memsys.actor is None
