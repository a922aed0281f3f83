"""A CPU store past a driver's buffer is seen by the heap at once, cached or not (user trial).

On hardware the allocator runs on the core and reads chunk headers through the data cache,
so a store over the next header (or into free heap memory) is what the next heap operation
sees, flushed or not.  The model's heap reads its headers from memory, so the memory system
writes such stores through (``memsys.set_heap_lookup``, wired by every boot); stores inside a
live block stay write-back, as drivers filling their buffers expect."""

from __future__ import annotations

import pytest

from smh_boot import boot
from smh_boot.drivers import Driver, InitLevel, SmhAttr, as_device
from smh_boot.drivers import default_registry
from smh_boot.errors import HeapCorruption

HERE = __file__
BOARD = "stm32h747i_disco_m7"
OVERLAY = """/ {
	soc {
		crc: crc@58024c00 {
			compatible = "acme,crc32";
			reg = <0x58024c00 0x400>;
			block-size = <200>;
			memory-region = <&sram1>;
			status = "okay";
		};
	};
};
"""


def line_of(marker: str) -> int:
    with open(HERE, encoding="utf-8") as f:
        return next(i for i, text in enumerate(f, 1) if marker in text and "line_of" not in text)


class Filler(Driver):
    """A driver whose buffer is 224 bytes (200, padded to whole lines); ``fill`` stores
    ``n`` bytes from ``offset`` with the CPU, through the cache, without a flush."""

    compatibles = ("acme,crc32",)
    level = InitLevel.POST_KERNEL
    priority = 90

    def init(self, device):
        self.block = device.region_alloc(SmhAttr.CACHEABLE, device.prop("block-size", 256), name="block")

    @as_device
    def fill(self, n: int, offset: int = 0, value: int = 0xA5) -> None:
        dev = self.device
        dev.cpu.write(self.block.addr + offset, bytes([value]) * n)  # THE-STORE

    @as_device
    def send(self, n: int) -> None:  # a correct driver: flush, then the device reads
        dev = self.device
        dev.memsys.sys_cache_data_flush_range(self.block.addr, n)
        dev.dma.complete(dev.dma.start(7, device=dev.name, src=self.block.addr, size=n))


@pytest.fixture()
def system(tmp_path):
    ovl = tmp_path / "acme-crc.overlay"
    ovl.write_text(OVERLAY)
    reg = default_registry().copy()
    reg.register(Filler, replace=True)

    def make(**kw):
        return boot(BOARD, overlays=[str(ovl)], drivers=reg, seed=1, **kw)
    return make


@pytest.mark.parametrize("stress", [False, True])
def test_the_trial_overrun_through_the_cache_is_reported_at_the_next_alloc(system, stress):
    s = system(stress=stress)
    drv = s.device("crc").driver
    buf = drv.block.addr
    span = s.pool.block_at(buf).size
    assert drv.block.size == 224 and span < 240
    drv.fill(240)  # 16 bytes too many, all in the D-cache: no flush
    if not stress:  # (a stress eviction may write it back: the verdict is the same)
        assert s.memsys.cache.state(buf + 224 - 32).startswith("dirty")
    assert not s.pool.validate()  # the heap sees the damaged header now, as on the board
    assert s.pool.damage()
    with pytest.raises(HeapCorruption) as ei:
        s.pool.alloc(SmhAttr.CACHEABLE, 32, owner="next")
    e = ei.value
    assert (e.kind, e.block, e.owner, e.offset) == ("overrun", buf, "crc@58024c00:block", span)
    assert e.writer == (f"CPU write by device crc@58024c00 at {buf:#x} (240 bytes, from "
                        f"{HERE}:{line_of('THE-STORE')})")


@pytest.mark.parametrize("stress", [False, True])
def test_a_correct_fill_stays_in_the_cache_and_the_heap_stays_sound(system, stress):
    s = system(stress=stress)
    drv = s.device("crc").driver
    buf = drv.block.addr
    before = s.memory.read(buf, 224)
    drv.fill(224)  # the whole buffer, no more
    if not stress:  # write-back: memory does not have it before a flush
        assert s.memory.read(buf, 224) == before
    assert s.pool.validate() and s.pool.damage() == []
    drv.send(224)
    assert s.memory.read(buf, 224) == b"\xa5" * 224
    assert s.memsys.checker.reports == []
    assert s.pool.alloc(SmhAttr.CACHEABLE, 32, owner="next") is not None
    assert s.pool.validate()


def test_a_store_spanning_the_block_end_writes_only_the_bytes_past_it_through(system):
    s = system(collect_coherency=True)
    drv = s.device("crc").driver
    buf = drv.block.addr
    span = s.pool.block_at(buf).size
    old = s.memory.read(buf + span - 4, 4)
    drv.fill(8, offset=span - 4, value=0x11)  # 4 bytes inside, 4 over the next header
    assert s.memory.read(buf + span - 4, 4) == old  # inside: still only in the cache
    assert s.memory.read(buf + span, 4) == b"\x11" * 4  # past the end: memory has it
    la = (buf + span) - (buf + span) % 32
    line = s.memsys.cache.peek(la)
    off = (buf + span) % 32
    assert line is not None and not line.dirty >> off & 0xF  # clean in the line
    assert bytes(line.data[off:off + 4]) == b"\x11" * 4
    with pytest.raises(HeapCorruption) as ei:
        s.pool.alloc(SmhAttr.CACHEABLE, 32)
    assert ei.value.offset == span and ei.value.block == buf
    assert s.memsys.checker.reports == []  # the written-through bytes are no coherency finding


def test_a_store_into_freed_memory_reaches_the_free_list_at_once(system):
    s = system()
    pool, cpu = s.pool, s.memsys.cpu
    a = pool.alloc(SmhAttr.CACHEABLE, 64, owner="a")
    pool.alloc(SmhAttr.CACHEABLE, 64, owner="b")
    pool.free(a)
    with s.memsys.acting_as("eth0"):
        cpu.write(a, b"\xff" * 8)  # use after free: over the free chunk's links
    with pytest.raises(HeapCorruption) as ei:
        pool.alloc(SmhAttr.CACHEABLE, 64)
    assert ei.value.writer.startswith(f"CPU write by device eth0 at {a:#x} (8 bytes")


def test_dirty_bytes_of_a_freed_block_never_roll_back_the_free_list(system):
    s = system()
    pool, cpu = s.pool, s.memsys.cpu
    a = pool.alloc(SmhAttr.CACHEABLE, 64, owner="a")
    pool.alloc(SmhAttr.CACHEABLE, 64, owner="b")
    cpu.write(a, b"\x55" * 64)  # a correct use of a's buffer, left dirty in the cache
    pool.free(a)  # the heap writes a's free-list links (on the board: through the cache)
    assert s.memsys.sys_cache_data_flush_all() == 0
    assert pool.validate() and pool.damage() == []
    assert pool.alloc(SmhAttr.CACHEABLE, 64, owner="c") == a


def test_a_long_store_past_a_big_block_is_split_on_the_bulk_path(system):
    s = system()
    pool, memsys = s.pool, s.memsys
    big = pool.aligned_alloc(SmhAttr.CACHEABLE, 32, 8192, owner="fb")
    n = pool.block_at(big).size
    with memsys.acting_as("lcd"):
        memsys.cpu.write(big, b"\x22" * (n + 8))  # 8 bytes past a 256-line buffer
    assert memsys.memory.read(big + n, 8) == b"\x22" * 8
    with pytest.raises(HeapCorruption) as ei:
        pool.alloc(SmhAttr.CACHEABLE, 32)
    assert (ei.value.block, ei.value.offset) == (big, n)
    assert ei.value.writer.startswith(f"CPU write by device lcd at {big:#x} ({n + 8} bytes")


def test_dma_and_bus_master_views_are_unchanged(system):
    s = system()
    drv = s.device("crc").driver
    buf = drv.block.addr
    s.memsys.dma.write(buf, b"\x33" * 16, device="dev")
    assert s.memory.read(buf, 16) == b"\x33" * 16
    assert s.memsys.dma.read(buf, 16, device="dev") == b"\x33" * 16
