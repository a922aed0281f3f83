"""Heap misuse from drivers, at the STRICT hardening level every shipped board uses.

Each case is a small Driver bound (through a test overlay) to a node of mps2_an521 with the
upstream shared_multi_heap regions (no data cache: CPU writes reach memory at once) and makes
one classic mistake in ``init()``.  Boot catches the error and marks the device not ready;
its ``init_error`` is the report, which must name the block, its owner and the access.
Use after free needs :class:`smh_boot.fuzz.guard.HeapGuard` (``boot(pool_hook=HeapGuard)``);
the other mistakes are caught by the heap itself and the guard adds the freed block's owner.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from smh_boot.bootstage import Driver, DriverRegistry, boot
from smh_boot.drivers import InitLevel  # noqa: F401 - the public import path of driver authors
from smh_boot.errors import DoubleFree, HeapCorruption, InvalidFree
from smh_boot.fuzz.guard import POISON, HeapGuard, UseAfterFree
from smh_boot.heap import SmhAttr
from smh_boot.resources import dts_dir

SMH_OVERLAY = dts_dir() / "overlays" / "upstream" / "shared_multi_heap" / "mps2_an521.overlay"
NODE = '/ {\n\tmisuse: misuse {\n\t\tcompatible = "smh-test,misuse";\n\t};\n};\n'
OWNER = "misuse:buf"


@pytest.fixture(scope="module")
def overlay(tmp_path_factory) -> Path:
    p = tmp_path_factory.mktemp("misuse") / "misuse.overlay"
    p.write_text(NODE)
    return p


class Misuse(Driver):
    """Allocates a 64-byte CACHEABLE buffer, then runs :meth:`mistake`."""

    compatibles = ("smh-test,misuse",)

    def init(self, device):
        buf = device.alloc(SmhAttr.CACHEABLE, 64, name="buf")
        device.log(f"buf at {buf.addr:#x}")
        self.buf = buf
        self.mistake(device, buf)

    def mistake(self, device, buf):  # pragma: no cover - overridden
        raise NotImplementedError


def run(overlay: Path, cls: type[Driver], *, guard: bool = True, board: str = "mps2_an521", extra=(SMH_OVERLAY,)):
    reg = DriverRegistry()
    reg.register(cls)
    system = boot(board, overlays=[*extra, overlay], drivers=reg, pool_hook=HeapGuard if guard else None)
    dev = system.device("misuse")
    return system, dev


def buf_addr(dev) -> int:
    return int(re.search(r"buf at (0x[0-9a-f]+)", " ".join(dev.messages)).group(1), 16)


# --------------------------------------------------------------------------- overflow


class Overflow(Misuse):
    past = 2  # bytes written past the end: the next chunk's LEFT_SIZE field

    def mistake(self, device, buf):
        usable = device.pool.heap_for(buf.addr).sys_heap.usable_size(buf.addr)
        device.cpu.write(buf.addr, bytes([0xAA]) * (usable + self.past))
        device.free(buf)


class WideOverflow(Overflow):
    past = 8  # both header fields of the next chunk: its size too


@pytest.mark.parametrize("cls", [Overflow, WideOverflow])
def test_overflow_past_a_buffer_is_reported_with_block_owner_and_offset(overlay, cls):
    # WideOverflow also smashes the next chunk's size: boot() used to fail afterwards while
    # walking the damaged heap for the boot log, losing this report (RB-7, fixed).
    _system, dev = run(overlay, cls, guard=False)
    assert not dev.ready
    addr = buf_addr(dev)
    assert dev.init_error.startswith("HeapCorruption: heap corruption (buffer overflow?)")
    assert f"block {addr:#x}" in dev.init_error and f"'{OWNER}'" in dev.init_error
    assert "ran past its end" in dev.init_error and re.search(r"offset \+\d+ from the block start", dev.init_error)


# --------------------------------------------------------------------------- use after free


class UseAfterFreeWrite(Misuse):
    def mistake(self, device, buf):
        device.free(buf)
        device.cpu.write(buf.addr + 16, b"late")  # a stale pointer
        device.alloc(SmhAttr.CACHEABLE, 32, name="next")  # the next pool operation notices


def test_use_after_free_write_is_reported_at_the_next_pool_operation(overlay):
    system, dev = run(overlay, UseAfterFreeWrite)
    assert not dev.ready
    addr = buf_addr(dev)
    assert dev.init_error.startswith("UseAfterFree: use after free: 4 byte(s) at")
    assert f"offset +16 into freed block {addr:#x}" in dev.init_error
    assert f"owner '{OWNER}'" in dev.init_error and "(alloc)" in dev.init_error
    (report,) = system.pool.reports
    assert (report.block, report.owner, report.offset, report.size) == (addr, OWNER, 16, 4)


def test_without_the_guard_a_use_after_free_write_goes_unnoticed(overlay):
    # The limit the guard exists for: the STRICT heap alone keeps no watch on freed bytes.
    _system, dev = run(overlay, UseAfterFreeWrite, guard=False)
    assert dev.ready, dev.init_error


class UseAfterFreeRead(Misuse):
    def mistake(self, device, buf):
        device.cpu.write(buf.addr, bytes(range(64)))
        device.free(buf)
        self.seen = device.cpu.read(buf.addr + 8, 16)


def test_freed_memory_is_poisoned_so_a_read_after_free_sees_the_pattern(overlay):
    system, dev = run(overlay, UseAfterFreeRead)
    assert dev.ready
    assert dev.driver.seen == bytes([POISON]) * 16
    assert system.pool.reports == []


class FreeAndReuse(Misuse):
    def mistake(self, device, buf):
        device.free(buf)
        again = device.alloc(SmhAttr.CACHEABLE, 64, name="again")  # may reuse the freed bytes
        device.cpu.write(again.addr, b"\x55" * 64)  # legitimate: the block is live again
        device.alloc(SmhAttr.CACHEABLE, 16, name="third")
        self.again = again


def test_writing_a_block_that_was_handed_out_again_is_not_a_use_after_free(overlay):
    system, dev = run(overlay, FreeAndReuse)
    assert dev.ready, dev.init_error
    assert dev.driver.again.addr == buf_addr(dev)  # first fit gave the same block back
    assert system.pool.reports == []


# --------------------------------------------------------------------------- double free


class DoubleFreeDriver(Misuse):
    def mistake(self, device, buf):
        device.pool.free(buf.addr)
        device.pool.free(buf.addr)


@pytest.mark.parametrize("guard", [True, False])
def test_double_free_is_refused(overlay, guard):
    _system, dev = run(overlay, DoubleFreeDriver, guard=guard)
    addr = buf_addr(dev)
    assert not dev.ready
    assert dev.init_error.startswith(f"DoubleFree: free({addr:#x}) refused: ")
    assert "double free" in dev.init_error
    if guard:  # the guard remembers who owned the freed block
        assert re.search(rf"block {addr:#x} \(\d+ usable bytes, last owner '{OWNER}'\) was already freed", dev.init_error)


# --------------------------------------------------------------------------- foreign / interior


class InteriorFree(Misuse):
    def mistake(self, device, buf):
        device.pool.free(buf.addr + 8)


def test_free_of_an_interior_pointer_names_the_block_and_its_owner(overlay):
    _system, dev = run(overlay, InteriorFree)
    addr = buf_addr(dev)
    assert dev.init_error.startswith(f"InvalidFree: free({addr + 8:#x}) refused: it is not the start of a live block")
    assert f"points 8 byte(s) into block {addr:#x} ('{OWNER}'" in dev.init_error or \
        f"points 8 byte(s) into block {addr:#x} (owner '{OWNER}'" in dev.init_error


class ForeignBelow(Misuse):
    def mistake(self, device, buf):
        # SSRAM2_3 right below the first heap: mapped memory, but no heap
        self.ptr = min(h.region.addr for h in device.pool.heaps) - 0x100
        device.pool.free(self.ptr)


class ForeignAbove(Misuse):
    def mistake(self, device, buf):
        self.ptr = max(h.region.addr + h.region.size for h in device.pool.heaps) + 0x100
        device.pool.free(self.ptr)  # past the end of the last heap


@pytest.mark.parametrize("cls,expect", [
    (ForeignBelow, "{ptr:#x} lies below every heap"),
    (ForeignAbove, "free({ptr:#x}) refused: it is not the start of a live block"),
])
def test_free_of_a_foreign_pointer_is_refused_naming_the_pointer(overlay, cls, expect):
    _system, dev = run(overlay, cls)
    assert not dev.ready
    expect = expect.format(ptr=dev.driver.ptr)
    assert dev.init_error.startswith("InvalidFree: ") and expect in dev.init_error, dev.init_error


# --------------------------------------------------------------------------- realloc of a freed block


class ReallocFreed(Misuse):
    def mistake(self, device, buf):
        device.free(buf)
        device.pool.realloc(int(SmhAttr.CACHEABLE), buf.addr, 128, owner="misuse:grown")


def test_realloc_of_a_freed_block_is_refused_with_its_last_owner(overlay):
    _system, dev = run(overlay, ReallocFreed)
    addr = buf_addr(dev)
    assert dev.init_error.startswith(f"DoubleFree: realloc({addr:#x}) refused: ")
    assert f"last owner '{OWNER}'" in dev.init_error


# --------------------------------------------------------------------------- through a data cache


STM_NODE = '/ {\n\tmisuse: misuse {\n\t\tcompatible = "smh-test,misuse";\n\t};\n};\n'


class CachedUseAfterFree(Misuse):
    attach = True

    def mistake(self, device, buf):
        if self.attach:
            device.pool.attach(device.memsys)
        device.free(buf)
        device.cpu.write(buf.addr + 24, b"\x01\x02")  # free heap memory: written through
        device.alloc(SmhAttr.CACHEABLE, 32, name="next")


class CachedUnattached(CachedUseAfterFree):
    attach = False


def test_use_after_free_in_a_cached_region_is_seen_through_the_cache(overlay):
    system, dev = run(overlay, CachedUseAfterFree, board="stm32h747i_disco_m7", extra=())
    assert system.cache is not None and system.memsys.is_cacheable(buf_addr(dev))
    assert dev.init_error.startswith("UseAfterFree: use after free: 2 byte(s)")
    assert f"offset +24 into freed block {buf_addr(dev):#x}" in dev.init_error


def test_unattached_guard_sees_a_cached_store_into_freed_memory_too(overlay):
    # Without attach() the guard compares memory only; a boot's memory system writes a CPU store
    # into free heap memory through to memory (the allocator on the core would see it through
    # the cache at once), so the store is seen anyway.
    system, dev = run(overlay, CachedUnattached, board="stm32h747i_disco_m7", extra=())
    assert system.cache is not None and system.memsys.is_cacheable(buf_addr(dev))
    assert dev.init_error.startswith("UseAfterFree: use after free: 2 byte(s)")
    assert f"offset +24 into freed block {buf_addr(dev):#x}" in dev.init_error


# --------------------------------------------------------------------------- the guard on its own


def test_guard_collects_reports_when_asked_and_reports_each_write_once():
    from smh_boot.heap import HeapConfig, SharedMultiHeap, SharedMultiHeapRegion

    pool = SharedMultiHeap(None, HeapConfig())
    guard = HeapGuard(pool, raise_errors=False)
    guard.pool_init()
    guard.add(SharedMultiHeapRegion(SmhAttr.CACHEABLE, 0x2000_0000, 0x4000))
    p = guard.alloc(0, 100, owner="t:a")
    guard.free(p)
    assert guard.quarantined == [p]
    pool.memory.write(p + 40, b"\x00")
    assert [r.offset for r in guard.check()] == [40]
    assert guard.check() == []  # the same write is not reported twice
    g = HeapGuard(pool)  # raise_errors=True: the first report is raised
    q = g.alloc(0, 100, owner="t:b")
    g.free(q)
    pool.memory.write(q + 60, b"\x11")
    with pytest.raises(UseAfterFree) as ei:
        g.alloc(0, 8)
    assert (ei.value.owner, ei.value.offset, ei.value.noticed_at) == ("t:b", 60, "alloc")


def test_guard_errors_are_heap_corruption():
    assert issubclass(UseAfterFree, HeapCorruption)
    assert issubclass(DoubleFree, HeapCorruption) and issubclass(InvalidFree, HeapCorruption)
