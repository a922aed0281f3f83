"""The bug classes, each as a small buggy sequence against the API, caught with the
right kind on every one of 200 stress seeds; the matching correct sequences run clean (and
move the right data) on the same 200 seeds."""

from __future__ import annotations

import pytest
from memrig import SRAM, SRAM_NC, heap_lookup, make_rig

from smh_boot.memory import AllocationInfo, CoherencyKind, CoherencyViolation

SEEDS = range(200)
BUF = SRAM + 0x1000  #: line-aligned, 64 bytes: a correct DMA buffer
N = 64
FRAME = bytes((i * 7 + 3) & 0xFF for i in range(N))
DESC = SRAM + 0x1800  #: a descriptor in cacheable memory
MISALIGNED = SRAM + 0x2010  #: a 32-byte buffer straddling two lines
COUNTER = SRAM + 0x2004  #: a variable sharing MISALIGNED's first line

# Heap-like neighbours for the padding cases: A is aligned but 40 bytes long, so its second
# line also holds B; P is aligned and padded, and Q starts on the next line.
A = AllocationInfo(SRAM + 0x3000, 40, "sram", "eth0")
B = AllocationInfo(SRAM + 0x3030, 16, "sram", "shell")
P = AllocationInfo(SRAM + 0x3100, 64, "sram", "eth0")
Q = AllocationInfo(SRAM + 0x3140, 16, "sram", "shell")
HEAP = heap_lookup(A, B, P, Q)


def background(r, k: int = 3) -> None:
    """Unrelated CPU traffic, so that the stress mode has something to work with."""
    for i in range(k):
        addr = SRAM + 0x8000 + ((r.cpu.read_u8(SRAM + 0x8000) + i) % 16) * 0x40
        r.cpu.write_u32(addr, r.cpu.read_u32(addr) + 1)


def rx(r, dst, size, data, *, channel=0):
    t = r.dma.start(channel, device="eth0-mac", dst=dst, size=size, data=data)
    background(r)
    r.dma.complete(t)
    return t


# --------------------------------------------------------------------------- buggy sequences
def stale_tx(r):
    with r.memsys.acting_as("eth0"):
        r.cpu.write(BUF, FRAME)
        background(r)
        r.dma.start(0, device="eth0-mac", src=BUF, size=N)


def stale_tx_descriptor(r):
    r.cpu.write_u32(DESC, 0x8000_0000)  # OWN bit for the MAC, never flushed
    background(r)
    r.memsys.dma.read_u32(DESC, device="eth0-mac")


def stale_rx(r):
    rx(r, BUF, N, FRAME)
    r.cpu.read(BUF, N)


def stale_rx_invalidated_only_before_start(r):
    r.memsys.sys_cache_data_invd_range(BUF, N)
    rx(r, BUF, N, FRAME)
    r.cpu.read(BUF, N)


def invalidate_before_completion(r):
    t = r.dma.start(0, device="eth0-mac", dst=BUF, size=N, data=FRAME)
    r.memsys.sys_cache_data_invd_range(BUF, N)
    background(r)
    r.dma.complete(t)
    r.cpu.read(BUF, N)


def invalidate_all_before_completion(r):
    t = r.dma.start(0, device="eth0-mac", dst=BUF, size=N, data=FRAME)
    r.memsys.sys_cache_data_flush_and_invd_all()
    r.dma.complete(t)
    r.cpu.read_u32(BUF + 32)


def dirty_before_rx(r):
    r.cpu.fill(BUF, 0, N)  # memset() of the RX buffer, no flush
    background(r)
    rx(r, BUF, N, FRAME)


def write_during_rx(r):
    r.memsys.sys_cache_data_invd_range(BUF, N)
    t = r.dma.start(0, device="eth0-mac", dst=BUF, size=N, data=FRAME)
    r.cpu.write_u32(BUF + 4, 0)  # touching the buffer before the transfer completed
    r.dma.complete(t)


def partial_line_invalidate(r):
    rx(r, MISALIGNED, 32, FRAME[:32])
    r.cpu.write_u32(COUNTER, 1)  # e.g. rx_count++ in the same line
    background(r)
    r.memsys.sys_cache_data_invd_range(MISALIGNED, 32)


def invalidate_instead_of_flush(r):
    with r.memsys.acting_as("spi0"):
        r.cpu.write(BUF, FRAME)  # the TX data
        background(r)
        r.memsys.sys_cache_data_invd_range(BUF, N)  # meant sys_cache_data_flush_range


def invalidate_all_drops_other_driver(r):
    with r.memsys.acting_as("display"):
        r.cpu.fill(BUF, 0x5A, N)  # drawn, flush pending until the next refresh
    background(r)
    with r.memsys.acting_as("i2s0"):
        r.memsys.sys_cache_data_invd_all()


def tx_buffer_rewritten_in_flight(r):
    with r.memsys.acting_as("spi0"):
        r.cpu.write(BUF, FRAME)
        r.memsys.sys_cache_data_flush_range(BUF, N)
        t = r.dma.start(0, device="spi0-dma", src=BUF, size=N)
        r.dma.advance(t, 16)
        r.cpu.write_u32(BUF + 40, 0)  # the next message, before the transfer completed
        r.dma.complete(t)


def unpadded_buffer(r):
    r.cpu.write_u32(B.addr, 0x5A5A5A5A)
    rx(r, A.addr, A.size, FRAME[: A.size])


def cacheable_for_dma(r):
    r.dma.start(0, device="uart0", src=BUF, size=N, requires_noncacheable=True)


def cacheable_descriptor_ring(r):
    r.memsys.require_noncacheable(DESC, 64, device="eth0-mac")


BUGS = [
    (stale_tx, CoherencyKind.STALE_TX_DATA, None),
    (stale_tx_descriptor, CoherencyKind.STALE_TX_DATA, None),
    (stale_rx, CoherencyKind.STALE_RX_DATA, None),
    (stale_rx_invalidated_only_before_start, CoherencyKind.STALE_RX_DATA, None),
    (invalidate_before_completion, CoherencyKind.INVALIDATE_BEFORE_COMPLETION, None),
    (invalidate_all_before_completion, CoherencyKind.INVALIDATE_BEFORE_COMPLETION, None),
    (dirty_before_rx, CoherencyKind.DIRTY_EVICTION_DURING_DMA, None),
    (write_during_rx, CoherencyKind.DIRTY_EVICTION_DURING_DMA, None),
    (partial_line_invalidate, CoherencyKind.PARTIAL_LINE_INVALIDATE, None),
    (invalidate_instead_of_flush, CoherencyKind.INVALIDATE_DISCARDED_DIRTY, None),
    (invalidate_all_drops_other_driver, CoherencyKind.INVALIDATE_DISCARDED_DIRTY, None),
    (tx_buffer_rewritten_in_flight, CoherencyKind.TX_BUFFER_WRITTEN_DURING_DMA, None),
    (unpadded_buffer, CoherencyKind.UNPADDED_DMA_BUFFER, HEAP),
    (cacheable_for_dma, CoherencyKind.CACHEABLE_BUFFER_FOR_DMA, None),
    (cacheable_descriptor_ring, CoherencyKind.CACHEABLE_BUFFER_FOR_DMA, None),
]


@pytest.mark.parametrize("bug, kind, owner", BUGS, ids=[b[0].__name__ for b in BUGS])
def test_bug_is_caught_with_its_kind_on_every_seed(bug, kind, owner):
    for seed in SEEDS:
        r = make_rig(seed, owner_lookup=owner)
        with pytest.raises(CoherencyViolation) as e:
            bug(r)
        assert e.value.kind is kind, f"seed {seed}: {e.value}"


@pytest.mark.parametrize("bug, kind, owner", BUGS, ids=[b[0].__name__ for b in BUGS])
def test_bug_is_caught_without_stress_and_collected_when_asked(bug, kind, owner):
    r = make_rig(owner_lookup=owner, raise_errors=False)
    bug(r)
    assert r.checker.kinds()[:1] == [kind]


def test_every_kind_has_a_buggy_sequence():
    assert {k for _, k, _ in BUGS} == set(CoherencyKind)


# --------------------------------------------------------------------------- correct sequences
def good_tx(r):
    with r.memsys.acting_as("eth0"):
        r.cpu.write(BUF, FRAME)
        r.memsys.sys_cache_data_flush_range(BUF, N)
        t = r.dma.start(0, device="eth0-mac", src=BUF, size=N)
        background(r)
        r.dma.complete(t)
    assert t.result == FRAME


def good_rx(r):
    r.cpu.fill(BUF, 0xEE, N)  # the buffer was used before...
    r.memsys.sys_cache_data_flush_and_invd_range(BUF, N)  # ...so clean it out first
    rx(r, BUF, N, FRAME)
    r.memsys.sys_cache_data_invd_range(BUF, N)
    assert r.cpu.read(BUF, N) == FRAME


def good_rx_invalidate_before_and_after(r):
    r.cpu.read(BUF, N)
    r.memsys.sys_cache_data_invd_range(BUF, N)
    t = r.dma.start(0, device="eth0-mac", dst=BUF, size=N, data=FRAME)
    r.memsys.sys_cache_data_invd_range(BUF, N)  # harmless in flight, as long as it is repeated
    r.dma.advance(t, 20)
    background(r)
    r.dma.complete(t)
    r.memsys.sys_cache_data_invd_range(BUF, N)
    assert r.cpu.read(BUF, N) == FRAME


def good_tx_then_rx_same_buffer(r):
    good_tx(r)
    rx(r, BUF, N, FRAME[::-1])
    r.memsys.sys_cache_data_invd_range(BUF, N)
    assert r.cpu.read(BUF, N) == FRAME[::-1]


def good_m2m(r):
    src, dst = SRAM + 0x4000, SRAM + 0x4100
    r.cpu.write(src, FRAME)
    r.memsys.sys_cache_data_flush_range(src, N)
    r.memsys.sys_cache_data_invd_range(dst, N)
    t = r.dma.start(1, device="dma2", src=src, dst=dst, size=N)
    background(r)
    r.dma.complete(t)
    r.memsys.sys_cache_data_invd_range(dst, N)
    assert r.cpu.read(dst, N) == FRAME


def good_noncacheable_ring(r):
    t = r.dma.start(2, device="uart0", dst=SRAM_NC, size=N, data=FRAME, requires_noncacheable=True)
    got = bytearray()
    while t.written < N:
        r.dma.advance(t, 10)
        got += r.cpu.read(SRAM_NC + len(got), t.written - len(got))  # read while in flight
        background(r, 1)
    r.dma.complete(t)
    assert bytes(got) == FRAME
    assert r.memsys.require_noncacheable(SRAM_NC, N, device="uart0")


def good_padded_heap_buffer_with_busy_neighbour(r):
    r.memsys.sys_cache_data_invd_range(P.addr, P.size)
    t = r.dma.start(0, device="eth0-mac", dst=P.addr, size=P.size, data=FRAME)
    r.cpu.write_u32(Q.addr, 1)  # the neighbour lives its own life on its own line
    background(r)
    r.dma.complete(t)
    r.memsys.sys_cache_data_invd_range(P.addr, P.size)
    assert r.cpu.read(P.addr, P.size) == FRAME
    assert r.cpu.read_u32(Q.addr) == 1


def good_cacheable_descriptor_with_maintenance(r):
    r.cpu.write_u32(DESC, 0x8000_0000)
    r.memsys.sys_cache_data_flush_range(DESC, 32)
    assert r.memsys.dma.read_u32(DESC, device="eth0-mac") == 0x8000_0000
    r.memsys.dma.write_u32(DESC, 0x0000_0040, device="eth0-mac")  # status written back
    background(r)
    r.memsys.sys_cache_data_invd_range(DESC, 32)
    assert r.cpu.read_u32(DESC) == 0x40


def good_flush_all_before_tx(r):
    r.cpu.write(BUF, FRAME)
    r.memsys.sys_cache_data_flush_all()
    t = r.dma.start(0, device="eth0-mac", src=BUF, size=N)
    r.dma.complete(t)
    assert t.result == FRAME


GOOD = [
    good_tx,
    good_rx,
    good_rx_invalidate_before_and_after,
    good_tx_then_rx_same_buffer,
    good_m2m,
    good_noncacheable_ring,
    good_padded_heap_buffer_with_busy_neighbour,
    good_cacheable_descriptor_with_maintenance,
    good_flush_all_before_tx,
]


@pytest.mark.parametrize("seq", GOOD, ids=[g.__name__ for g in GOOD])
def test_correct_sequence_runs_clean_on_every_seed(seq):
    for seed in SEEDS:
        r = make_rig(seed, owner_lookup=HEAP)
        seq(r)
        assert r.checker.reports == []
