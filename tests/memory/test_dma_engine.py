"""DmaEngine: the three directions, start and completion as separate events, progress, misuse."""

from __future__ import annotations

import pytest
from memrig import SRAM, SRAM_NC, make_rig

from smh_boot.memory import DmaDirection, DmaEngine, DmaError


def test_memory_to_peripheral_reads_only_by_completion():
    r = make_rig(check=False)
    r.memory.write(SRAM_NC, b"frame")
    t = r.dma.start(0, device="uart0", src=SRAM_NC, size=5)
    assert t.direction is DmaDirection.MEMORY_TO_PERIPHERAL and not t.writes_memory and t.reads_memory
    assert t.result == b"" and t.read == 0 and not t.done
    assert r.dma.active == {0: t}
    assert r.dma.complete(t) is t and t.done and r.dma.active == {}
    assert t.result == b"frame" and t.read == 5


def test_peripheral_to_memory_writes_only_by_completion():
    r = make_rig(check=False)
    t = r.dma.start(1, device="eth0", dst=SRAM_NC + 0x40, size=4, data=b"\x01\x02\x03\x04")
    assert t.direction is DmaDirection.PERIPHERAL_TO_MEMORY and t.result is None
    assert r.memory.read(SRAM_NC + 0x40, 4) == bytes(4)  # not yet
    r.dma.complete(t)
    assert r.memory.read(SRAM_NC + 0x40, 4) == b"\x01\x02\x03\x04" and t.written == 4


def test_progressive_writes_with_advance():
    r = make_rig(check=False)
    t = r.dma.start(0, device="uart0", dst=SRAM_NC, size=6, data=b"abcdef")
    assert r.dma.advance(t, 2) == 2
    assert r.memory.read(SRAM_NC, 6) == b"ab" + bytes(4)
    assert r.dma.advance(t, 100) == 4 and r.dma.advance(t, 1) == 0
    r.dma.complete(t)
    assert r.memory.read(SRAM_NC, 6) == b"abcdef"


def test_memory_to_memory_reads_and_writes_progressively():
    r = make_rig(check=False)
    r.memory.write(SRAM_NC, b"source")
    t = r.dma.start(2, device="m2m", src=SRAM_NC, dst=SRAM_NC + 0x100, size=6)
    assert t.direction is DmaDirection.MEMORY_TO_MEMORY
    assert r.dma.advance(t, 2) == 2
    assert r.memory.read(SRAM_NC + 0x100, 6) == b"so" + bytes(4)
    r.memory.write(SRAM_NC, b"change")  # the first two bytes are already read, the rest not
    r.dma.complete(t)
    assert r.memory.read(SRAM_NC + 0x100, 6) == b"soange" and t.result == b"soange"


def test_advance_reads_the_next_bytes_of_a_tx_buffer():
    """The RX twin of test_progressive_writes_with_advance: a CPU write to the TX buffer in
    flight changes what the device sends (the checker reports it: test_coherency_bugs.py)."""
    r = make_rig(check=False)
    r.memory.write(SRAM_NC, b"abcd")
    t = r.dma.start(0, device="uart0", src=SRAM_NC, size=4)
    assert r.dma.advance(t, 1) == 1 and t.result == b"a"
    r.memory.write(SRAM_NC, b"WXYZ")
    assert r.dma.advance(t, 100) == 3 and r.dma.advance(t, 1) == 0
    r.dma.complete(t)
    assert t.result == b"aXYZ"


def test_abort_of_a_read_keeps_what_was_read():
    r = make_rig(check=False)
    r.memory.write(SRAM_NC, b"abcd")
    t = r.dma.start(0, device="uart0", src=SRAM_NC, size=4)
    r.dma.advance(t, 2)
    r.dma.abort(t)
    assert t.result == b"ab" and t.done and r.dma.active == {}


def test_channels_are_independent_and_reusable():
    r = make_rig(check=False)
    a = r.dma.start(0, device="a", src=SRAM_NC, size=1)
    b = r.dma.start(7, device="b", src=SRAM_NC, size=1)
    assert a.id != b.id and set(r.dma.active) == {0, 7}
    r.dma.complete(a)
    c = r.dma.start(0, device="c", src=SRAM_NC, size=1)
    assert c.channel == 0 and "transfer #3" in str(c) and "channel 0" in str(c)


@pytest.mark.parametrize(
    "kw, words",
    [
        ({"channel": 8, "src": SRAM_NC, "size": 4}, "does not exist"),
        ({"channel": -1, "src": SRAM_NC, "size": 4}, "does not exist"),
        ({"channel": 0, "src": SRAM_NC, "size": 0}, "must be positive"),
        ({"channel": 0, "size": 4}, "needs src"),
        ({"channel": 0, "dst": SRAM_NC, "size": 4}, "got no data"),
        ({"channel": 0, "dst": SRAM_NC, "size": 4, "data": b"xy"}, "got 2 bytes"),
        ({"channel": 0, "src": SRAM_NC, "size": 4, "data": b"abcd"}, "only for peripheral-to-memory"),
    ],
)
def test_malformed_requests_are_refused(kw, words):
    r = make_rig(check=False)
    channel = kw.pop("channel")
    with pytest.raises(DmaError, match=words):
        r.dma.start(channel, device="dev", **kw)
    assert r.dma.active == {}


def test_busy_channel_and_stale_transfer_handles_are_refused():
    r = make_rig(check=False)
    t = r.dma.start(3, device="dev", src=SRAM_NC, size=4)
    with pytest.raises(DmaError, match="busy"):
        r.dma.start(3, device="dev", src=SRAM_NC, size=4)
    r.dma.complete(t)
    with pytest.raises(DmaError, match="not in flight"):
        r.dma.complete(t)
    with pytest.raises(DmaError, match="not in flight"):
        r.dma.advance(t, 1)
    with pytest.raises(DmaError, match="at least one channel"):
        DmaEngine(r.memsys, channels=0)


def test_dma_never_looks_into_the_cache():
    r = make_rig(check=False)
    r.cpu.write(SRAM, b"cached")
    t = r.dma.start(0, device="eth0", src=SRAM, size=6)
    r.dma.complete(t)
    assert t.result == bytes(6)


def test_abort_frees_the_channel_and_drops_unwritten_bytes():
    r = make_rig(check=False)
    t = r.dma.start(0, device="uart0", dst=SRAM_NC, size=4, data=b"wxyz")
    r.dma.advance(t, 2)
    assert r.dma.abort(t) is t and t.done and r.dma.active == {}
    assert r.memory.read(SRAM_NC, 4) == b"wx\x00\x00"
    with pytest.raises(DmaError, match="not in flight"):
        r.dma.abort(t)
