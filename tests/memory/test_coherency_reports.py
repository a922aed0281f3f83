"""What a coherency report says, detection that does not depend on luck, collection mode,
and the data corruption the bugs cause when nobody checks."""

from __future__ import annotations

import pytest
from memrig import LINE, SRAM, heap_lookup, make_rig

from smh_boot.errors import CoherencyError, SmhError
from smh_boot.memory import (
    AllocationInfo,
    CoherencyChecker,
    CoherencyKind,
    CoherencyViolation,
    MemorySystem,
)

BUF = SRAM + 0x1000
FRAME = bytes(range(1, 65))
OWNED = AllocationInfo(BUF, 64, "sram_dma", "eth0")


def test_report_names_kind_device_buffer_allocation_line_and_events():
    r = make_rig(owner_lookup=heap_lookup(OWNED))
    with r.memsys.acting_as("eth0"):
        r.cpu.write(BUF, FRAME)
        with pytest.raises(CoherencyViolation) as e:
            r.dma.start(0, device="eth0-mac", src=BUF, size=64)
    rep = e.value.report
    assert isinstance(e.value, CoherencyError) and isinstance(e.value, SmhError)
    assert rep.kind is CoherencyKind.STALE_TX_DATA and e.value.kind is rep.kind
    assert (rep.device, rep.actor) == ("eth0-mac", "eth0")
    assert (rep.buffer.addr, rep.buffer.size, rep.buffer.region) == (BUF, 64, "sram_dma")
    assert rep.buffer.allocation == OWNED
    assert (rep.line_addr, rep.line_state) == (BUF, "dirty (all bytes)")
    assert [ev.what for ev in rep.events] == ["miss fill", "cpu write", "dma start (reads)"]
    assert rep.transfer.startswith("transfer #1 (memory-to-peripheral, channel 0, eth0-mac")
    text = str(e.value)
    assert text.startswith("coherency error STALE_TX_DATA: eth0-mac started a transfer that reads line 0x20001000")
    assert "owned by eth0 from sram_dma" in text
    assert "hint: call sys_cache_data_flush_range()" in text
    assert r.dma.active == {}  # the refused transfer did not start


def test_region_falls_back_to_the_mapping_name():
    r = make_rig(raise_errors=False)
    r.cpu.write(BUF, b"x")
    r.memsys.dma.read(BUF, 1, device="dev")
    assert r.checker.reports[0].buffer.region == "sram"
    assert r.checker.reports[0].buffer.allocation is None


def test_unflushed_data_is_caught_even_after_a_lucky_eviction():
    r = make_rig()
    r.cpu.write(BUF, FRAME)
    assert r.memsys.evict_line(BUF)  # memory now holds the data, by chance
    with pytest.raises(CoherencyViolation) as e:
        r.dma.start(0, device="eth0-mac", src=BUF, size=64)
    assert e.value.kind is CoherencyKind.STALE_TX_DATA
    assert "evict" in [ev.what for ev in e.value.report.events]


def test_missing_rx_invalidate_is_caught_even_if_the_line_was_never_cached():
    r = make_rig()
    t = r.dma.start(0, device="eth0-mac", dst=BUF, size=64, data=FRAME)
    r.dma.complete(t)
    assert r.cache.peek(BUF) is None
    with pytest.raises(CoherencyViolation) as e:
        r.cpu.read_u8(BUF + 63)
    assert e.value.kind is CoherencyKind.STALE_RX_DATA and e.value.report.line_addr == BUF + 32


def test_partial_invalidate_is_caught_even_if_the_neighbour_was_written_back():
    r = make_rig()
    r.cpu.write_u32(BUF, 7)
    r.memsys.evict_line(BUF)
    with pytest.raises(CoherencyViolation) as e:
        r.memsys.sys_cache_data_invd_range(BUF + 8, 24)
    assert e.value.kind is CoherencyKind.PARTIAL_LINE_INVALIDATE
    assert "bytes 0-3 outside that range" in str(e.value)


def test_invalidate_of_unflushed_data_inside_the_range_is_one_finding_per_call():
    """Issue 13 item 4: invalidate where a flush was needed; the device would read old memory."""
    r = make_rig(raise_errors=False, owner_lookup=heap_lookup(OWNED))
    with r.memsys.acting_as("spi0"):
        r.cpu.write(BUF, FRAME)
        assert r.memsys.sys_cache_data_invd_range(BUF, 64) == 0
    assert r.checker.kinds() == [CoherencyKind.INVALIDATE_DISCARDED_DIRTY]
    rep = r.checker.reports[0]
    assert (rep.device, rep.actor, rep.line_addr) == ("spi0", "spi0", BUF)
    assert rep.buffer.allocation == OWNED
    assert "discards CPU writes to bytes 0-31 of line 0x20001000 and 1 more line(s)" in rep.message
    assert [e.what for e in rep.events][-2:] == ["cpu write", "invalidate"]
    assert "victim:" not in str(rep)  # its own data in the buffer it names: nothing to add
    assert r.memory.read(BUF, 64) == bytes(64)  # the data is indeed gone


def test_flush_and_invalidate_of_a_shared_line_is_safe():
    r = make_rig()
    r.cpu.write_u32(BUF, 7)
    assert r.memsys.sys_cache_data_flush_and_invd_range(BUF + 8, 24) == 0
    assert r.cpu.read_u32(BUF) == 7


def test_cpu_overwriting_device_bytes_leaves_nothing_stale():
    r = make_rig()
    r.dma.complete(r.dma.start(0, device="dev", dst=BUF, size=4, data=b"abcd"))
    r.memsys.sys_cache_data_invd_range(BUF, 4)  # we do not care about them, but must drop the line
    r.memsys.dma.write(BUF + 4, b"efgh", device="dev")
    r.cpu.write(BUF + 4, b"WXYZ")
    assert r.cpu.read(BUF + 4, 4) == b"WXYZ"


def test_collection_mode_reports_each_finding_once_and_keeps_going():
    r = make_rig(raise_errors=False)
    t = r.dma.start(0, device="eth0-mac", dst=BUF, size=64, data=FRAME)
    r.dma.complete(t)
    for _ in range(3):
        r.cpu.read(BUF, 64)
    assert r.checker.kinds() == [CoherencyKind.STALE_RX_DATA] * 2  # two lines, once each
    t = r.dma.start(0, device="eth0-mac", dst=BUF, size=64, data=FRAME)  # a second transfer
    r.dma.complete(t)
    r.cpu.read(BUF, 1)
    assert len(r.checker.reports) == 3


def test_unpadded_buffer_reports_the_first_line_too():
    left = AllocationInfo(BUF, 16, None, "shell")
    right = AllocationInfo(BUF + 16, 48, None, "eth0")
    r = make_rig(owner_lookup=heap_lookup(left, right))
    with pytest.raises(CoherencyViolation) as e:
        r.dma.start(0, device="eth0-mac", dst=right.addr, size=right.size, data=FRAME[:48])
    assert e.value.kind is CoherencyKind.UNPADDED_DMA_BUFFER
    assert "first cache line" in str(e.value) and "owned by shell" in str(e.value)


def test_unpadded_check_ignores_free_tails_and_transmit_buffers():
    alone = AllocationInfo(BUF, 40, None, "eth0")
    r = make_rig(owner_lookup=heap_lookup(alone, AllocationInfo(BUF + 48, 16, None, "x")))
    r.dma.start(0, device="eth0-mac", src=BUF, size=40)  # the device only reads: harmless
    r2 = make_rig(owner_lookup=heap_lookup(alone))
    r2.dma.start(0, device="eth0-mac", dst=BUF, size=40, data=FRAME[:40])  # tail is free


def test_cacheable_m2m_destination_must_be_invalidated_before_reading():
    r = make_rig()
    r.memory.write(SRAM + 0x5000, FRAME)
    t = r.dma.start(0, device="dma2", src=SRAM + 0x5000, dst=BUF, size=64)
    r.dma.complete(t)
    with pytest.raises(CoherencyViolation, match="STALE_RX_DATA"):
        r.cpu.read(BUF, 64)


def test_history_is_bounded():
    memsys_rig = make_rig()
    checker = memsys_rig.checker
    for i in range(100):
        memsys_rig.cpu.write_u8(BUF, i)
    assert len(checker.log.history(BUF)) == 16
    assert checker.log.history(BUF)[-1].what == "cpu write"
    assert checker.log.history(0x1234) == ()


def test_a_checker_watches_one_system():
    r = make_rig()
    with pytest.raises(ValueError, match="one MemorySystem"):
        MemorySystem(r.memory, None, checker=r.checker)


def test_no_findings_for_non_cacheable_or_cacheless_systems():
    r = make_rig(cache=None)
    r.cpu.write(BUF, FRAME)
    t = r.dma.start(0, device="dev", src=BUF, size=64, requires_noncacheable=True)
    r.dma.complete(t)
    assert r.checker.reports == [] and t.result == FRAME


def test_require_noncacheable_without_checker_just_answers():
    r = make_rig(check=False)
    assert not r.memsys.require_noncacheable(BUF, 4)


# --------------------------------------------------------------------------- without a checker
def test_dirty_eviction_clobbers_what_the_device_wrote():
    r = make_rig(check=False)
    r.cpu.fill(BUF, 0, 64)
    t = r.dma.start(0, device="eth0-mac", dst=BUF, size=64, data=FRAME)
    r.dma.complete(t)
    assert r.memory.read(BUF, 64) == FRAME
    r.memsys.evict_line(BUF)  # any time later
    assert r.memory.read(BUF, LINE) == bytes(LINE)


def test_refill_between_early_invalidate_and_completion_returns_old_data():
    r = make_rig(check=False)
    r.memory.write(BUF, b"old!" * 16)
    t = r.dma.start(0, device="eth0-mac", dst=BUF, size=64, data=FRAME)
    r.memsys.sys_cache_data_invd_range(BUF, 64)
    r.memsys.prefetch_line(BUF)  # the core speculates
    r.dma.complete(t)
    assert r.cpu.read(BUF, 4) == b"old!"


@pytest.mark.parametrize("seed", range(3))
def test_stress_makes_missing_rx_invalidate_visible_in_the_data_on_some_seeds(seed):
    # Without a checker the outcome depends on the seed; over 50 seeds some must go stale.
    stale = 0
    for s in range(seed * 50, seed * 50 + 50):
        r = make_rig(s, check=False)
        t = r.dma.start(0, device="eth0-mac", dst=BUF, size=64, data=FRAME)
        r.dma.complete(t)
        stale += r.cpu.read(BUF, 64) != FRAME
    assert 0 < stale < 50


def test_a_checker_can_be_built_standalone():
    c = CoherencyChecker(raise_errors=False, history=4)
    assert c.reports == [] and c.log.depth == 4 and c.kinds() == []


def test_a_refused_memory_to_memory_start_leaves_no_transfer_behind():
    r = make_rig()
    r.cpu.write(SRAM + 0x5000, FRAME)  # source never flushed
    with pytest.raises(CoherencyViolation, match="STALE_TX_DATA"):
        r.dma.start(0, device="dma2", src=SRAM + 0x5000, dst=BUF, size=64)
    r.cpu.write(BUF, b"mine")  # no transfer is writing BUF: not a finding
    assert r.dma.active == {}


def test_aborted_transfer_is_forgotten_by_the_checker():
    r = make_rig()
    t = r.dma.start(0, device="eth0-mac", dst=BUF, size=64, data=FRAME)
    r.dma.abort(t)
    r.cpu.write(BUF, b"mine")
    assert "dma abort" in [ev.what for ev in r.checker.log.history(BUF)]


def test_invalidate_all_shows_in_the_history_of_the_report():
    r = make_rig()
    t = r.dma.start(0, device="eth0-mac", dst=BUF, size=64, data=FRAME)
    r.memsys.sys_cache_data_invd_all()
    r.dma.complete(t)
    with pytest.raises(CoherencyViolation) as e:
        r.cpu.read(BUF, 4)
    assert e.value.kind is CoherencyKind.INVALIDATE_BEFORE_COMPLETION
    assert "invalidate all" in [ev.what for ev in e.value.report.events]


def test_dirty_eviction_report_shows_the_state_the_write_produced():
    """Issue 13 item 7: not "(clean)", the line's state before the offending write."""
    r = make_rig()
    r.memsys.sys_cache_data_invd_range(BUF, 64)
    r.cpu.read(BUF, 64)  # the line is cached, clean
    t = r.dma.start(0, device="eth0-mac", dst=BUF, size=64, data=FRAME)
    with r.memsys.acting_as("eth0"), pytest.raises(CoherencyViolation) as e:
        r.cpu.write_u32(BUF + 4, 0)
    rep = e.value.report
    assert rep.kind is CoherencyKind.DIRTY_EVICTION_DURING_DMA
    assert rep.line_state == "dirty (bytes 4-7)"
    assert "cache line: 0x20001000 (dirty (bytes 4-7))" in str(rep)
    r.dma.abort(t)


def test_partial_line_invalidate_names_the_device_and_the_victim_allocation():
    """Issue 13 item 7: a device line, and the allocation whose unflushed bytes are lost."""
    rx_buf = AllocationInfo(BUF + 16, 32, "sram", "uart0")
    counter = AllocationInfo(BUF, 16, "sram", "shell")
    r = make_rig(raise_errors=False, owner_lookup=heap_lookup(rx_buf, counter))
    with r.memsys.acting_as("shell"):
        r.cpu.write_u32(BUF, 1)  # rx_count++, in the first bytes of the line
    with r.memsys.acting_as("uart0"):
        r.memsys.sys_cache_data_invd_range(rx_buf.addr, rx_buf.size)
    rep = r.checker.reports[0]
    assert rep.kind is CoherencyKind.PARTIAL_LINE_INVALIDATE
    assert (rep.device, rep.actor) == ("uart0", "uart0")
    assert rep.buffer.allocation == rx_buf
    assert rep.victim == f"allocation {counter}; unflushed CPU writes by shell"
    text = str(rep)
    assert "  device:     uart0\n" in text and "  victim:     allocation [0x20001000, 0x20001010)" in text


def test_every_report_has_a_device_line():
    r = make_rig(raise_errors=False)
    r.cpu.write_u32(BUF, 7)
    r.memsys.sys_cache_data_invd_range(BUF + 8, 24)
    assert "  device:     none named (CPU code outside any acting_as block)" in str(r.checker.reports[0])
