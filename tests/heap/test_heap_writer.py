"""Heap corruption reports name the writer (#13): the CPU store (by which device, at which
address, from which source line) or the bus-master write that damaged a chunk header, taken
from the memory system's log of recent writes; never a write whose bytes are no longer there."""

from __future__ import annotations

import pytest

from smh_boot.errors import HeapCorruption
from smh_boot.heap import Hardening, HeapConfig, SharedMultiHeap, SharedMultiHeapRegion
from smh_boot.memory import DataCache, DmaEngine, MemorySystem

BASE = 0x3810_0000
HERE = __file__


def rig(*, cache: bool = False, log: bool = True, ptr_size: int = 4, level=Hardening.STRICT):
    p = SharedMultiHeap(None, HeapConfig(ptr_size=ptr_size, hardening=level))
    p.pool_init()
    p.add(SharedMultiHeapRegion(0, BASE, 0x1000))
    ms = MemorySystem(p.memory, DataCache(32, 4096, 2) if cache else None,
                      cacheable=[(BASE, 0x1000)] if cache else ())
    ms.set_heap_lookup(p.cpu_store_run)  # as boots wire it
    if log:
        ms.record_writes()
        p.set_writer_lookup(ms.writer_of)
    return p, ms


def span(p, ptr):
    return p.block_at(ptr).size


def line_of(marker: str) -> int:
    """The line of this file holding ``marker`` (the store the report must point at)."""
    with open(HERE, encoding="utf-8") as f:
        return next(i for i, text in enumerate(f, 1) if marker in text and "line_of" not in text)


@pytest.mark.parametrize("ptr_size", [4, 8])
def test_a_cpu_overrun_is_reported_with_its_writer_device_address_and_line(ptr_size):
    p, ms = rig(ptr_size=ptr_size)
    buf = p.alloc(0, 32, owner="spi0:rx")
    n = span(p, buf)
    with ms.acting_as("spi@40013000"):
        ms.cpu.write(buf, b"\xff" * (n + 16))  # STORE-A: 16 bytes past the end
    with pytest.raises(HeapCorruption) as ei:
        p.alloc(0, 32, owner="i2s:tx")
    e = ei.value
    assert (e.kind, e.block, e.owner) == ("overrun", buf, "spi0:rx")
    where = f"{HERE}:{line_of('STORE-A')}"
    assert e.writer == f"CPU write by device spi@40013000 at {buf:#x} ({n + 16} bytes, from {where})"
    assert f"; writer: CPU write by device spi@40013000 at {buf:#x}" in str(e)
    assert "not recorded" not in str(e)


def test_a_one_word_overrun_on_the_fast_path_and_through_the_cache():
    p, ms = rig(cache=True)
    buf = p.alloc(0, 28, owner="uart:rx")  # its end, and the next header, lie inside one line
    n = span(p, buf)
    with ms.acting_as("uart0"):
        ms.cpu.write_u32(buf + n, 0xFFFF_FFFF)  # one word: the next chunk's header
    # Not flushed, yet the heap sees it at once: on the board the allocator reads the header
    # through the D-cache.  The store over the header was written through.
    assert not p.validate()
    assert p.damage()
    assert ms.memory.read(buf + n, 4) == b"\xff" * 4
    with pytest.raises(HeapCorruption) as ei:
        p.alloc(0, 64, owner="y")
    assert (ei.value.block, ei.value.offset) == (buf, n)
    # A word store is logged without its source line (it would cost every store ~20%).
    assert ei.value.writer == f"CPU write by device uart0 at {buf + n:#x} (4 bytes)"


def test_the_overrun_reported_at_the_free_of_the_block_names_the_writer_too():
    p, ms = rig()
    a = p.alloc(0, 32, owner="a")
    p.alloc(0, 32, owner="b")
    n = span(p, a)
    ms.cpu.write(a, bytes(n) + b"\xaa\xaa")  # no acting_as: the CPU code is anonymous
    with pytest.raises(HeapCorruption) as ei:
        p.free(a)
    e = ei.value
    assert e.check == "free-block" and e.writer.startswith(
        f"CPU write outside any device context (no acting_as) at {a:#x} ({n + 2} bytes, from {HERE}:")


def test_a_stale_pointer_store_into_free_list_links_names_its_writer():
    p, ms = rig()
    a = p.alloc(0, 64, owner="a")
    p.alloc(0, 64, owner="b")
    p.alloc(0, 64, owner="guard")
    p.free(a)
    with ms.acting_as("eth0"):
        ms.cpu.write(a, (a - BASE + 24 >> 3).to_bytes(2, "little") * 2)  # links into a itself
    with pytest.raises(HeapCorruption) as ei:
        p.alloc(0, 64)
    assert "free-list links" in str(ei.value)
    assert ei.value.writer.startswith(f"CPU write by device eth0 at {a:#x} (4 bytes")


def test_a_bus_master_write_outside_a_transfer_is_named_as_such():
    p, ms = rig()
    buf = p.alloc(0, 32, owner="mac:desc")
    n = span(p, buf)
    ms.dma.write_u32(buf + n, 0xFFFF_FFFF, device="ethernet@40028000")  # a status word too far
    with pytest.raises(HeapCorruption) as ei:
        p.alloc(0, 32)
    assert ei.value.writer.startswith(f"bus-master write by device ethernet@40028000 at {buf + n:#x} (4 bytes, from {HERE}:")


@pytest.mark.parametrize("level", [Hardening.BASIC, Hardening.MODERATE])
def test_below_strict_a_dma_overrun_is_named_by_its_transfer_at_the_free(level):
    p, ms = rig(level=level)
    dma = DmaEngine(ms, write_check=p.check_dma_write, guard=p.dma_guard)
    buf = p.alloc(0, 32)
    n = span(p, buf)
    dma.complete(dma.start(2, device="uart@40004000", dst=buf, size=n + 8, data=b"\xff" * (n + 8)))
    with pytest.raises(HeapCorruption) as ei:  # not checked below STRICT: Zephyr lets it through
        p.free(buf)
    assert ei.value.writer == f"DMA channel 2 of device uart@40004000 (transfer #1) write at {buf:#x} ({n + 8} bytes)"


def test_a_write_overwritten_since_is_never_blamed():
    p, ms = rig()
    a = p.alloc(0, 64, owner="a")
    with ms.acting_as("legit"):
        ms.cpu.write(a, bytes(range(64)))  # fine: inside a
    p.free(a)
    b = p.alloc(0, 16, owner="b")  # a's memory is split: a chunk header now lies where 'legit' wrote
    nxt = b + span(p, b)
    assert a <= nxt < a + 64
    p.memory.write(nxt, b"\xff" * 4)  # damage the log cannot see (straight into memory)
    with pytest.raises(HeapCorruption) as ei:
        p.alloc(0, 16)
    assert ei.value.writer is None and "legit" not in str(ei.value)
    assert "writer: not recorded (no write the memory system logged" in str(ei.value)


def test_without_a_write_log_the_report_says_not_recorded():
    p, ms = rig(log=False)
    buf = p.alloc(0, 32, owner="spi0:rx")
    with ms.acting_as("spi0"):
        ms.cpu.write(buf, bytes(span(p, buf) + 8))
    with pytest.raises(HeapCorruption) as ei:
        p.alloc(0, 32)
    assert ei.value.writer is None and "writer: not recorded (a CPU store" in str(ei.value)


def test_the_log_is_bounded_and_forgets_the_oldest_writes():
    p, ms = rig()
    log = ms.record_writes(entries=8)
    buf = p.alloc(0, 32, owner="spi0:rx")
    with ms.acting_as("spi0"):
        ms.cpu.write(buf, bytes(span(p, buf) + 8))
        for i in range(8):
            ms.cpu.write_u8(buf + i, 0)
    assert len(log) == 8
    with pytest.raises(HeapCorruption) as ei:
        p.alloc(0, 32)
    assert ei.value.writer is None  # older than the log keeps: not guessed


def test_a_long_write_is_named_but_marked_unchecked():
    p, ms = rig()
    big = p.alloc(0, 600, owner="fb")
    n = span(p, big)
    with ms.acting_as("ltdc"):
        ms.cpu.fill(big, 0, n + 8)
    with pytest.raises(HeapCorruption) as ei:
        p.alloc(0, 32)
    assert ei.value.writer.startswith(f"CPU write by device ltdc at {big:#x} ({n + 8} bytes")
    assert "not checked against what memory holds now" in ei.value.writer


def test_introspection_names_the_writer_where_it_stops():
    p, ms = rig()
    buf = p.alloc(0, 32, owner="spi0:rx")
    with ms.acting_as("spi0"):
        ms.cpu.write(buf, bytes(span(p, buf) + 8))
    (where,) = p.damage()
    assert "writer: CPU write by device spi0" in where


def test_a_driver_overrun_at_boot_names_the_driver_and_its_line(tmp_path):
    from smh_boot.bootstage import Driver, DriverRegistry, boot
    from smh_boot.heap import SmhAttr
    from smh_boot.resources import dts_dir

    class OverrunningSpi(Driver):
        compatibles = ("smh-test,buggy",)

        def init(self, device):
            rx = device.alloc(SmhAttr.CACHEABLE, 32, name="rx")
            n = device.pool.block_at(rx.addr).size
            device.cpu.write(rx.addr, b"\xff" * (n + 8))  # STORE-D: the driver's bug
            device.memsys.sys_cache_data_flush_range(rx.addr, n + 8)
            device.alloc(SmhAttr.CACHEABLE, 32, name="tx")

    smh = dts_dir() / "overlays" / "upstream" / "shared_multi_heap" / "mps2_an521.overlay"
    ov = tmp_path / "drv.overlay"
    ov.write_text('/ {\n\tbuggy: buggy {\n\t\tcompatible = "smh-test,buggy";\n\t};\n};\n')
    reg = DriverRegistry()
    reg.register(OverrunningSpi)
    system = boot("mps2_an521", overlays=[smh, ov], drivers=reg)
    dev = system.device("buggy")
    assert not dev.ready and dev.init_error.startswith("HeapCorruption: heap corruption (buffer overflow?)")
    assert "owner 'buggy:rx'" in dev.init_error
    assert f"writer: CPU write by device buggy at {dev.init_exception.block:#x}" in dev.init_error
    assert f"from {HERE}:{line_of('STORE-D')}" in dev.init_error
    assert dev.init_exception.writer.startswith("CPU write by device buggy")


def test_a_free_that_stops_half_way_names_the_damage_not_the_freed_blocks_own_data():
    # Found by the property test: free(a) marks a's chunk free, then stops on the damaged
    # free chunk it was going to join; a's chunk now looks like a free chunk whose "links" are
    # a's old data (the 0 the device wrote), which used to be reported, with that device as
    # the writer.  The damaged size further up is the answer, with the write that made it.
    p, ms = rig()
    a = p.alloc(0, 1, owner="a")
    b = p.aligned_alloc(0, 16, 1, owner="b")
    p.alloc(0, 5, owner="c")
    p.free(b)  # a one-unit free chunk: the bucket a's chunk will join
    p.alloc(0, 1, owner="d")
    ms.dma.write(a, b"\0", device="dma0")  # inside a: fine
    p.alloc(0, 1, owner="e")
    with ms.acting_as("stale"):
        ms.cpu.write(b, b"\xff" * 6)  # through a stale pointer: the free chunk's header
    with pytest.raises(HeapCorruption) as ei:
        p.free(a)
    e = ei.value
    assert e.where == b and "SIZE_AND_USED reads 0xffff" in str(e)
    assert e.writer == f"CPU write by device stale at {b:#x} (6 bytes)"  # <= 8 bytes: no source line


def test_a_failing_writer_lookup_never_hides_the_report():
    p, ms = rig()

    def broken(addr, size, innocent):
        raise RuntimeError("log unavailable")

    p.set_writer_lookup(broken)
    buf = p.alloc(0, 32, owner="spi0:rx")
    with ms.acting_as("spi0"):
        ms.cpu.write(buf, b"\xff" * (span(p, buf) + 8))
    with pytest.raises(HeapCorruption) as ei:
        p.alloc(0, 32)
    assert ei.value.kind == "overrun" and ei.value.writer is None
    # the report says the lookup failed, not that no write was recorded
    assert "writer: unknown (the write log's lookup failed: RuntimeError: log unavailable)" in str(ei.value)
    assert "not recorded" not in str(ei.value)


def test_a_wild_chunk_report_below_strict_names_the_writer():
    # Below STRICT nothing checks the links; the damaged link that leads outside the heap is
    # still reported (kind wild-chunk), and now with the store that wrote it.
    p, ms = rig(level=Hardening.MODERATE)
    buf = p.alloc(0, 32, owner="drv")
    n = span(p, buf)
    header = p.memory.read(buf + n, 4)  # the free chunk's own header stays as it was
    with ms.acting_as("spi@40013000"):
        # WILD-STORE: its links, past the heap (12 bytes: a store of 8 or less has no line)
        ms.cpu.write(buf + n, header + b"\xff" * 8)
    with pytest.raises(HeapCorruption) as ei:
        p.alloc(0, 32)
    e = ei.value
    assert e.kind == "wild-chunk"
    assert e.writer == (f"CPU write by device spi@40013000 at {buf + n:#x} (12 bytes, from "
                        f"{HERE}:{line_of('WILD-STORE') + 1})")
    assert f"the first damaged header is chunk {(buf + n - p.heaps[0].sys_heap.base) // 8} " in str(e)
    assert f"writer: {e.writer}" in str(e)


@pytest.mark.parametrize("level", [Hardening.BASIC, Hardening.MODERATE])
@pytest.mark.parametrize("ptr_size", [4, 8])
def test_below_strict_a_cached_overrun_is_seen_by_the_free_of_the_block(level, ptr_size):
    p, ms = rig(cache=True, level=level, ptr_size=ptr_size)
    buf = p.alloc(0, 40)
    p.alloc(0, 40)
    n = span(p, buf)
    with ms.acting_as("spi0"):
        ms.cpu.write(buf, b"\x5a" * (n + 4))  # no flush: the line holds it, memory the header part
    assert ms.memory.read(buf + n, 4) == b"\x5a" * 4 and ms.memory.read(buf, 4) != b"\x5a" * 4
    with pytest.raises(HeapCorruption) as ei:  # Zephyr's hardening check of free sees it
        p.free(buf)
    assert ei.value.check == "free-block"


def test_a_heap_added_after_stores_outside_every_heap_is_checked_too():
    p, _ = rig()
    other, static = 0x3820_0000, 0x3830_0000
    p.memory.map(static, 0x1000, "static")
    ms = MemorySystem(p.memory, DataCache(32, 4096, 2),
                      cacheable=[(BASE, 0x1000), (other, 0x1000), (static, 0x1000)])
    ms.set_heap_lookup(p.cpu_store_run)
    ms.cpu.write_u32(static, 1)  # outside every heap: that run (up to the end) is cached
    p.add(SharedMultiHeapRegion(0, other, 0x1000))  # a heap inside the cached run
    assert p.alloc(0, 0xE00) < other
    blk = p.block_at(p.alloc(0, 0xE00))
    assert blk.heap_index == 1
    ms.cpu.write_u32(blk.addr + blk.size, 0xFFFF_FFFF)  # over the next header, in the new heap
    assert ms.memory.read(blk.addr + blk.size, 4) == b"\xff" * 4
    assert not p.validate()


@pytest.mark.parametrize("seed", range(6))
def test_stores_inside_live_blocks_behave_exactly_as_without_the_heap_lookup(seed):
    import random

    rnd = random.Random(seed)
    sides = []
    for lookup in (True, False):
        p = SharedMultiHeap(None, HeapConfig(ptr_size=4))
        p.pool_init()
        p.add(SharedMultiHeapRegion(0, BASE, 0x8000))
        ms = MemorySystem(p.memory, DataCache(32, 2048, 2), cacheable=[(BASE, 0x8000)])
        ms.bulk_min_lines = 4  # let the bulk path take part
        if lookup:
            ms.set_heap_lookup(p.cpu_store_run)
        sides.append((p, ms))
    r = random.Random(seed)
    blocks = [r.choice([8, 28, 64, 300, 1200]) for _ in range(12)]
    bufs = [[p.alloc(0, n) for n in blocks] for p, _ in sides]
    assert bufs[0] == bufs[1]
    spans = [sides[0][0].block_at(b).size for b in bufs[0]]
    for _ in range(300):
        i = rnd.randrange(len(spans))
        off = rnd.randrange(spans[i])
        n = rnd.randint(1, spans[i] - off)
        data = bytes(rnd.randrange(256) for _ in range(n))
        op = rnd.random()
        for (p, ms), b in zip(sides, bufs):
            if op < 0.8:
                ms.cpu.write(b[i] + off, data)
            elif op < 0.9:
                ms.sys_cache_data_flush_range(b[i], spans[i])
            else:
                ms.evict_line(b[i] + off)
    (pa, ma), (pb, mb) = sides
    assert ma.memory.read(BASE, 0x8000) == mb.memory.read(BASE, 0x8000)
    assert [(ln.addr, bytes(ln.data), ln.dirty) for ln in ma.cache.lines()] == \
        [(ln.addr, bytes(ln.data), ln.dirty) for ln in mb.cache.lines()]
    assert ma.cache.stats == mb.cache.stats
    assert pa.validate() and pb.validate()
