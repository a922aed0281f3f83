"""DMA through a freed buffer at STRICT (#13): "dma-use-after-free".

Drivers DMA into buffers their callers own, so a DMA into memory another block now holds is no
bug by its address alone.  What is a bug: freeing a buffer a transfer in flight still uses
(reported at the free, naming the transfer), and starting a transfer through a buffer handle
whose block was freed (reported at the start, naming the handle and the block that lives there
now).  A transfer that completed or was stopped holds nothing."""

from __future__ import annotations

import pytest

from smh_boot.bootstage.device import Buffer
from smh_boot.errors import DmaUseAfterFree, HeapCorruption
from smh_boot.heap import Hardening, HeapConfig, SharedMultiHeap, SharedMultiHeapRegion
from smh_boot.memory import MemorySystem
from smh_boot.memory.dma import DmaEngine, DmaError

BASE = 0x3810_0000


def rig(level: Hardening = Hardening.STRICT):
    p = SharedMultiHeap(None, HeapConfig(hardening=level))
    p.pool_init()
    p.add(SharedMultiHeapRegion(0, BASE, 0x1000))
    dma = DmaEngine(MemorySystem(p.memory), write_check=p.check_dma_write, guard=p.dma_guard)
    return p, dma


def handle(p: SharedMultiHeap, name: str, size: int) -> Buffer:
    """A driver's Buffer over a fresh block, as device.alloc makes it."""
    owner = f"drv:{name}"
    addr = p.alloc(0, size, owner=owner)
    buf = Buffer(name, addr, size, "CACHEABLE", "SRAM", 0, owner)
    buf._track(p.heap_for(addr).sys_heap.live)
    return buf


# --------------------------------------------------------------------------- (a) free under DMA


def test_freeing_a_buffer_a_transfer_still_writes_is_refused_at_the_free():
    p, dma = rig()
    rx = p.alloc(0, 64, owner="uart:rx")
    p.alloc(0, 16, owner="keep")
    dma.start(0, device="spi", dst=p.alloc(0, 8, owner="other"), size=8, data=bytes(8))  # transfer #1
    t = dma.start(1, device="uart@40004000", dst=rx, size=64, data=bytes(range(64)))
    assert dma.advance(t, 16) == 16
    with pytest.raises(DmaUseAfterFree) as ei:
        p.free(rx)  # the driver's bug: the channel is still writing
    e = ei.value
    assert isinstance(e, HeapCorruption) and e.kind == "dma-use-after-free" and e.c_outcome == "panic"
    assert (e.device, e.channel, e.transfer) == ("uart@40004000", 1, 2)
    assert (e.block, e.owner, e.check) == (rx, "uart:rx", "dma-free")
    assert e.writer == "DMA channel 1 of device uart@40004000 (transfer #2)"
    msg = str(e)
    assert msg.startswith(f"free({rx:#x}) refused: block {rx:#x} (owner 'uart:rx'")
    assert "destination of DMA channel 1 of device uart@40004000 (transfer #2)" in msg
    assert "16 of 64 bytes moved" in msg and "dma_stop" in msg
    # The refused free left the block live and the transfer runs to its end into it.
    assert p.block_at(rx).owner == "uart:rx"
    dma.complete(t)
    assert p.memory.read(rx, 64) == bytes(range(64))
    p.free(rx)  # done: no longer held
    assert p.validate()


def test_a_transfer_stopped_completed_or_refused_holds_nothing():
    p, dma = rig()
    fast_free = p.free
    a, b, c = (p.alloc(0, 64, owner=o) for o in ("a", "b", "c"))
    dma.abort(dma.start(0, device="uart", dst=a, size=64, data=bytes(64)))
    p.free(a)
    dma.complete(dma.start(0, device="uart", src=b, size=64))
    p.free(b)
    with pytest.raises(HeapCorruption) as ei:  # runs past c's end: refused, holds nothing
        dma.start(0, device="uart", dst=c, size=200, data=bytes(200))
    assert ei.value.kind == "dma-overrun"
    p.free(c)
    assert p.free is fast_free, "with nothing in flight the pool's plain free is back"
    assert not p.dma_guard.held and not dma.active


def test_a_source_buffer_is_held_too_and_realloc_is_refused_like_free():
    p, dma = rig()
    tx = p.alloc(0, 64, owner="i2s:tx")
    t = dma.start(4, device="i2s", src=tx, size=64)
    dma.advance(t, 8)
    with pytest.raises(DmaUseAfterFree) as ei:
        p.free(tx)
    assert "is the source of DMA channel 4 of device i2s (transfer #1)" in str(ei.value)
    with pytest.raises(DmaUseAfterFree) as ei:
        p.realloc(0, tx, 256, owner="i2s:tx")  # a move would free it under the device
    assert str(ei.value).startswith(f"realloc({tx:#x}) refused") and ei.value.check == "dma-realloc"
    dma.abort(t)
    assert p.realloc(0, tx, 256, owner="i2s:tx") is not None


def test_two_transfers_on_one_block_hold_it_until_both_end():
    p, dma = rig()
    buf = p.alloc(0, 128, owner="cam:frame")
    t1 = dma.start(0, device="cam", dst=buf, size=64, data=bytes(64))
    t2 = dma.start(1, device="cam", dst=buf + 64, size=64, data=bytes(64))
    with pytest.raises(DmaUseAfterFree, match=r"transfer #1\) \(and 1 other transfer\(s\)\)"):
        p.free(buf)
    dma.complete(t1)
    with pytest.raises(DmaUseAfterFree, match="transfer #2"):
        p.free(buf)
    dma.complete(t2)
    p.free(buf)


def test_a_free_that_goes_round_the_pool_is_caught_at_the_next_step():
    p, dma = rig()
    rx = p.alloc(0, 64, owner="uart:rx")
    p.alloc(0, 16, owner="keep")
    t = dma.start(2, device="uart", dst=rx, size=64, data=bytes([0xEE]) * 64)
    dma.advance(t, 16)
    p.heaps[0].sys_heap.free(rx)  # not through the pool: its check cannot see it
    victim = p.alloc(0, 40, owner="app:victim")
    assert victim == rx
    p.memory.write(victim, b"victim's data")
    with pytest.raises(DmaUseAfterFree) as ei:
        dma.advance(t, 16)
    e = ei.value
    assert (e.block, e.owner, e.now_block, e.now_owner) == (rx, "uart:rx", victim, "app:victim")
    assert (e.channel, e.transfer, e.check) == (2, 1, "dma-step")
    assert "freed while the transfer was in flight" in str(e) and "owner 'app:victim'" in str(e)
    assert p.memory.read(victim, 13) == b"victim's data"  # nothing more was written
    dma.abort(t)


# --------------------------------------------------------------------------- (b) freed handles


@pytest.mark.parametrize("through", ["buffer", "view"])
def test_a_transfer_through_a_freed_and_reused_handle_is_refused_at_start(through):
    p, dma = rig()
    rx = handle(p, "rx", 64)
    p.alloc(0, 16, owner="keep")
    assert not rx.freed
    p.free(rx.addr)  # through the pool, not device.free: the handle still knows
    assert rx.freed
    victim = p.alloc(0, 40, owner="app:victim")
    assert victim == rx.addr
    before = p.memory.read(BASE, 0x200)
    target = rx if through == "buffer" else rx.view(8, 16, name="payload")
    size = 16
    with pytest.raises(DmaUseAfterFree) as ei:
        dma.start(3, device="spi@40013000", dst=target, size=size, data=bytes(size))
    e = ei.value
    assert (e.device, e.channel, e.transfer, e.buffer) == ("spi@40013000", 3, 1, "rx")
    assert (e.block, e.owner, e.now_block, e.now_owner) == (rx.addr, "drv:rx", victim, "app:victim")
    assert e.check == "dma-handle"
    msg = str(e)
    assert f"would write 16 byte(s) into buffer 'rx'" in msg and f"at {rx.addr:#x} (owner 'drv:rx')" in msg
    assert f"block {victim:#x} (owner 'app:victim'" in msg and "lives there now" in msg
    assert ("(view 'payload')" in msg) == (through == "view")
    assert p.memory.read(BASE, 0x200) == before and not dma.active and not p.dma_guard.held
    # The same address as a plain int is a DMA into the caller's block: no bug by itself.
    dma.complete(dma.start(3, device="spi@40013000", dst=victim, size=size, data=bytes(size)))


def test_a_freed_source_handle_is_refused_and_a_live_one_runs():
    p, dma = rig()
    tx = handle(p, "tx", 32)
    p.memory.write(tx.addr, b"frame")
    t = dma.start(0, device="i2s", src=tx, size=5)
    assert t.src == tx.addr and t.src_buffer is tx and t.dst_buffer is None
    assert dma.complete(t).result == b"frame"
    p.free(tx.addr)
    with pytest.raises(DmaUseAfterFree, match="would read 5 byte\\(s\\) from buffer 'tx' at"):
        dma.start(0, device="i2s", src=tx, size=5)


def test_a_handle_freed_in_flight_round_the_pool_stops_the_next_step():
    p, dma = rig()
    rx = handle(p, "rx", 64)
    t = dma.start(0, device="uart", dst=rx, size=64, data=bytes(64))
    p.heaps[0].sys_heap.free(rx.addr)
    with pytest.raises(DmaUseAfterFree) as ei:
        dma.advance(t, 8)
    assert ei.value.check == "dma-step" and (ei.value.now_block, ei.value.now_owner) == (None, None)
    assert "no live block holds that address now" in str(ei.value)


def test_a_realloc_to_another_owner_frees_the_handle():
    p, _dma = rig()
    buf = handle(p, "rx", 64)
    assert p.realloc(0, buf.addr, 32, owner="app:new") == buf.addr  # in place, new owner
    assert buf.freed


def test_below_strict_nothing_is_held_or_refused_as_in_zephyr():
    p, dma = rig(Hardening.MODERATE)
    rx = handle(p, "rx", 64)
    t = dma.start(0, device="uart", dst=rx, size=64, data=bytes(64))
    p.free(rx.addr)
    dma.complete(t)
    dma.complete(dma.start(0, device="uart", dst=rx, size=8, data=bytes(8)))


def test_a_dma_end_that_is_no_address_is_a_dma_error():
    _p, dma = rig()
    with pytest.raises(DmaError, match="dst must be an address or a buffer handle"):
        dma.start(0, device="uart", dst="0x38100040", size=4, data=bytes(4))
    with pytest.raises(DmaError, match="src must be"):
        dma.start(0, device="uart", src=True, size=4)


# --------------------------------------------------------------------------- README


def test_the_readme_cache_section_examples_raise_their_heap_kind_at_the_dma_or_free():
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = text[text.index("<!-- section:cache -->"):text.index("<!-- /section:cache -->")]
    rows = re.findall(r"^\| `(dma-[a-z-]+)` \| .*? \| `(.*)` \|$", section, re.M)
    assert [k for k, _ in rows] == ["dma-into-free", "dma-overrun", "dma-use-after-free"]
    for kind, code in rows:
        p, dma = rig()
        rx = p.alloc(0, 64, owner="uart:rx")
        p.alloc(0, 16, owner="keep")
        with pytest.raises(HeapCorruption) as ei:
            exec(compile(code, f"README.md:{kind}", "exec"), {"pool": p, "dma": dma, "rx": rx})
        assert ei.value.kind == kind, f"{code}: {ei.value}"
