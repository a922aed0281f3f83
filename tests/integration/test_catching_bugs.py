"""What a driver bug looks like to a test: expected failures, written with the plugin.

A test that *wants* a bug (a regression test for the checker, or a buggy variant kept as a
warning) boots with its own driver registry through ``smh_boot_factory`` and expects the
error; the same code without ``pytest.raises`` is a failing test with the full report.
"""

from __future__ import annotations

import pytest

from smh_boot.drivers import default_registry
from smh_boot.drivers.dma import MemToMemDma
from smh_boot.drivers.ethernet import EthernetMac
from smh_boot.errors import CoherencyError, HeapError
from smh_boot.heap import SmhAttr
from smh_boot.memory import CoherencyKind

from .support import boards_with, device_of, pattern


class MacWithoutFlush(EthernetMac):
    """The classic bug: the frame is handed to the MAC while it is still only in the cache."""

    def _before_tx_dma(self, buf, length):
        pass


@pytest.mark.smh_board(*boards_with(EthernetMac))
@pytest.mark.smh_stress(seeds=2)
def test_missing_flush_before_tx_is_caught(smh_board, smh_boot_factory):
    registry = default_registry().copy()  # the process registry stays untouched
    registry.register(MacWithoutFlush, replace=True)
    system = smh_boot_factory(smh_board, drivers=registry)
    mac = device_of(system, MacWithoutFlush).driver
    with pytest.raises(CoherencyError) as e:
        mac.send_frame(pattern(64))
    assert e.value.report.kind is CoherencyKind.STALE_TX_DATA
    assert e.value.report.device == device_of(system, MacWithoutFlush).name


@pytest.mark.smh_board(*boards_with(MemToMemDma))
def test_freeing_a_drivers_buffer_twice_is_caught(smh_system, smh_pool):
    dev = device_of(smh_system, MemToMemDma)
    buf = dev.buffers[0]
    smh_pool.free(buf.addr)
    with pytest.raises(HeapError) as e:
        smh_pool.free(buf.addr)
    assert e.value.c_outcome == "panic"  # Zephyr: k_panic() in the heap hardening checks


@pytest.mark.smh_board(*boards_with(MemToMemDma))  # boards with heaps, a cache and DMA
def test_raw_dma_with_the_memory_fixtures(smh_pool, smh_memsys, smh_dma, smh_cache):
    """The lower-level fixtures: a buffer from the pool, written by the CPU through the cache,
    flushed, then read by a bus master."""
    line = smh_cache.line_size
    addr = smh_pool.aligned_alloc(SmhAttr.CACHEABLE, line, 4 * line, owner="test:tx")
    data = pattern(4 * line)
    smh_memsys.cpu.write(addr, data)
    assert smh_memsys.memory.read(addr, len(data)) != data  # still only in the cache
    smh_memsys.sys_cache_data_flush_range(addr, len(data))
    t = smh_dma.start(0, device="test-dma", src=addr, size=len(data))
    smh_dma.complete(t)
    assert t.result == data
