"""AddressSpace: lazy backing, bounds, BusFault, aliasing views."""

import resource

import pytest

from smh_boot.errors import BusFault, MemoryMapError
from smh_boot.memory import AddressSpace


def test_read_write_roundtrip_and_zero_fill():
    mem = AddressSpace(addr_bits=32)
    mem.map(0x20000000, 0x1000, "sram")
    assert mem.read(0x20000010, 4) == b"\0\0\0\0"
    mem.write(0x20000010, b"\x01\x02\x03\x04")
    assert mem.read_u32(0x20000010) == 0x04030201
    mem.write_u32(0x20000ffc, 0xDEADBEEF)
    assert mem.read(0x20000ffc, 4) == bytes.fromhex("efbeadde")
    mem.fill(0x20000100, 0xAA, 3)
    assert mem.read(0x200000ff, 5) == b"\0\xaa\xaa\xaa\0"


@pytest.mark.parametrize("addr,size", [(0x1FFFFFFF, 1), (0x20001000, 1), (0x20000FFE, 4), (0, 4)])
def test_access_outside_mappings_is_bus_fault(addr, size):
    mem = AddressSpace(addr_bits=32)
    mem.map(0x20000000, 0x1000, "sram")
    with pytest.raises(BusFault) as e:
        mem.read(addr, size)
    assert e.value.address == addr
    assert f"{addr:#x}" in str(e.value)
    with pytest.raises(BusFault):
        mem.write(addr, b"x" * size)


def test_view_aliases_backing():
    mem = AddressSpace()
    mem.map(0x1000, 0x100, "r")
    v = mem.view(0x1010, 16)
    v[0] = 0x5A
    assert mem.read(0x1010, 1) == b"\x5a"
    mem.write(0x1011, b"\x33")
    assert v[1] == 0x33


def test_overlap_and_bad_sizes_rejected():
    mem = AddressSpace(addr_bits=32)
    mem.map(0x1000, 0x1000, "a")
    with pytest.raises(MemoryMapError, match="overlaps 'a'"):
        mem.map(0x1800, 0x1000, "b")
    with pytest.raises(MemoryMapError, match="overlaps 'a'"):
        mem.map(0x800, 0x1000, "c")
    with pytest.raises(MemoryMapError, match="not positive"):
        mem.map(0x9000, 0, "z")
    with pytest.raises(MemoryMapError, match="32-bit address space"):
        mem.map(0xFFFFF000, 0x2000, "wrap")
    mem.map(0x2000, 0x10, "adjacent")  # touching is fine
    assert [r.name for r in mem.regions] == ["a", "adjacent"]


def test_huge_region_costs_nothing_until_touched():
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    mem = AddressSpace(addr_bits=64)
    mem.map(0x1_0000_0000, 4 << 30, "sdram")
    mem.write(0x1_0000_0000 + (4 << 30) - 4, b"end!")
    mem.write(0x1_0000_0000, b"start")
    assert mem.read(0x1_0000_0000 + (4 << 30) - 4, 4) == b"end!"
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert after - before < 64 * 1024  # KiB: far below the 4 GiB mapped


def test_region_beyond_emulator_limit_is_clear_error():
    mem = AddressSpace(addr_bits=64)
    with pytest.raises(MemoryMapError, match="limit"):
        mem.map(0, (1 << 64) - 1, "everything")


def test_negative_size_is_refused():
    mem = AddressSpace(addr_bits=32)
    mem.map(0x1000, 0x100, "r")
    with pytest.raises(MemoryMapError, match="negative"):
        mem.read(0x1010, -1)
    with pytest.raises(MemoryMapError, match="negative"):
        mem.view(0x1010, -4)
