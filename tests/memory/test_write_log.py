"""The memory system's write log (#13): who last wrote a range, for reports found later."""

from __future__ import annotations

import pytest

from smh_boot.memory import AddressSpace, DataCache, DmaEngine, MemorySystem, WriteLog

CACHED, UNCACHED = 0x2000_0000, 0x3000_0000
HERE = __file__


def rig(entries: int = 64) -> MemorySystem:
    memory = AddressSpace(32)
    memory.map(CACHED, 0x1000, "sram")
    memory.map(UNCACHED, 0x1000, "sram_nocache")
    ms = MemorySystem(memory, DataCache(32, 1024, 2), cacheable=[(CACHED, 0x1000)])
    ms.record_writes(entries)
    return ms


def line_of(marker: str) -> int:
    with open(HERE, encoding="utf-8") as f:
        return next(i for i, text in enumerate(f, 1) if marker in text and "line_of" not in text)


def test_nothing_is_recorded_until_asked():
    memory = AddressSpace(32)
    memory.map(CACHED, 0x100, "sram")
    ms = MemorySystem(memory)
    ms.cpu.write(CACHED, b"abcd")
    assert ms.writes is None and ms.writer_of(CACHED, 4) is None
    with pytest.raises(ValueError, match="at least one entry"):
        WriteLog(memory, 0)


def test_cpu_writes_name_the_device_the_address_and_the_calling_line():
    ms = rig()
    with ms.acting_as("spi0"):
        ms.cpu.write(UNCACHED + 8, b"0123456789")  # LOG-A
        ms.cpu.write_u32(CACHED + 4, 7)  # a word store: no source line
        ms.cpu.write(CACHED + 12, b"ten bytes!")  # LOG-C: inside one cacheable line, has its line
    rec = ms.writer_of(UNCACHED + 12, 2)
    assert (rec.kind, rec.actor, rec.addr, rec.size, rec.checked) == ("cpu", "spi0", UNCACHED + 8, 10, True)
    assert rec.source == f"{HERE}:{line_of('LOG-A')}"
    assert str(rec) == f"CPU write by device spi0 at {UNCACHED + 8:#x} (10 bytes, from {HERE}:{line_of('LOG-A')})"
    assert ms.writer_of(CACHED + 4, 1) is None  # still in the cache: memory does not hold it yet
    ms.sys_cache_data_flush_range(CACHED, 32)
    assert str(ms.writer_of(CACHED + 4, 1)) == f"CPU write by device spi0 at {CACHED + 4:#x} (4 bytes)"
    assert ms.writer_of(CACHED + 12, 1).source == f"{HERE}:{line_of('LOG-C')}"
    with ms.acting_as("uart0"):
        ms.cpu.write_u16(UNCACHED, 1)  # non-cacheable word store: no line either
    assert ms.writer_of(UNCACHED, 2).source is None
    assert ms.writer_of(CACHED + 8, 4) is None  # nobody wrote there


def test_bus_master_and_engine_writes_are_named_by_their_master():
    ms = rig()
    ms.dma.write_u32(UNCACHED, 0xDEAD_BEEF, device="eth0")  # LOG-B: through write_u32 -> write
    dma = DmaEngine(ms)
    dma.complete(dma.start(3, device="uart0", dst=UNCACHED + 64, size=8, data=b"12345678"))
    bus = ms.writer_of(UNCACHED, 4)
    assert str(bus) == f"bus-master write by device eth0 at {UNCACHED:#x} (4 bytes, from {HERE}:{line_of('LOG-B')})"
    assert str(ms.writer_of(UNCACHED + 64, 8)) == (
        f"DMA channel 3 of device uart0 (transfer #1) write at {UNCACHED + 64:#x} (8 bytes)")


def test_a_write_whose_bytes_are_gone_is_not_named():
    ms = rig()
    ms.cpu.write(UNCACHED, b"\x11" * 8)
    ms.memory.write(UNCACHED + 2, b"\x22")  # a store the log does not see
    assert ms.writer_of(UNCACHED + 2, 1) is None
    assert ms.writer_of(UNCACHED + 4, 1).addr == UNCACHED  # elsewhere its bytes are still there


def test_innocent_writes_are_passed_over_and_the_ring_is_bounded():
    ms = rig(entries=4)
    with ms.acting_as("old"):
        ms.cpu.write(UNCACHED, b"\x01" * 16)
    with ms.acting_as("inner"):
        ms.cpu.write(UNCACHED + 4, b"\x01" * 4)
    assert ms.writer_of(UNCACHED + 4, 4).actor == "inner"
    assert ms.writer_of(UNCACHED + 4, 4, lambda a, n: n == 4).actor == "old"
    for i in range(4):
        ms.cpu.write_u8(UNCACHED + 0x100 + i, i)
    assert len(ms.writes) == 4 and ms.writer_of(UNCACHED, 16) is None
    ms.writes.clear()
    assert len(ms.writes) == 0


def test_a_long_write_is_named_unchecked():
    ms = rig()
    with ms.acting_as("ltdc"):
        ms.cpu.fill(UNCACHED, 0, 600)
    rec = ms.writer_of(UNCACHED + 500, 4)
    assert rec.actor == "ltdc" and rec.checked is False and "not checked" in str(rec)
    ms.memory.write(UNCACHED + 500, b"\x09")
    assert ms.writer_of(UNCACHED + 500, 1).checked is False  # cannot tell: named, marked so


@pytest.mark.parametrize("verdict", [True, False, None])
def test_a_dma_write_the_engines_check_verified_is_never_named(verdict):
    # The pool's check verifies each DMA piece lies inside one live buffer when it lands; later
    # the heap may reshape that memory (free, smaller alloc), and the bytes left there must not
    # make the transfer the "writer" of a header found damaged then.
    ms = rig()
    eng = DmaEngine(ms, write_check=lambda addr, size, *, writer: verdict)
    t = eng.start(0, device="dev", dst=UNCACHED + 0x40, size=25, data=bytes(25))
    eng.complete(t)
    found = ms.writer_of(UNCACHED + 0x58, 1)
    if verdict:
        assert found is None
    else:
        assert found is not None and str(found).startswith("DMA channel 0 of device dev (transfer #")
