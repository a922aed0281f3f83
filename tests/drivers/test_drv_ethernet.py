"""The Ethernet MAC: ring and buffer placement per MAC family, the descriptor protocol as the
MAC sees it in memory, ring wrap-around, and refused frames."""

from __future__ import annotations

import struct

import pytest
from drvrig import arm, boards_with, boot_board, driver, pattern

from smh_boot.drivers._common import DriverError
from smh_boot.drivers.ethernet import FIRST, LAST, NXP_ENET, OWN, STM32_ETH


@pytest.fixture(params=boards_with("eth"))
def rig(request):
    s = boot_board(request.param)
    arm(s, 3)
    return s, driver(s, request.param, "eth")


def _desc(system, ring, i, size):
    return struct.unpack("<III", system.memory.read(ring.addr + i * size, 12))


def test_rings_and_buffers_where_the_hardware_needs_them(rig) -> None:
    s, eth = rig
    profile = {"st,stm32-ethernet": STM32_ETH, "nxp,enet": NXP_ENET}[eth.device.compatible]
    assert eth.profile is profile
    line = s.memsys.line_size
    target = eth.device.memory_regions[0].region_name
    for ring in (eth.tx_ring, eth.rx_ring):
        assert ring.attr == "NON_CACHEABLE" and ring.region == target
        assert ring.addr % max(profile.desc_align, line) == 0
        assert not s.memsys.any_cacheable(ring.addr, ring.size)
    for buf in eth.tx_bufs + eth.rx_bufs:
        assert buf.attr == "CACHEABLE" and s.memsys.is_cacheable(buf.addr)
        assert buf.addr % max(profile.buf_align, line) == 0 and buf.size % line == 0


def test_rx_descriptors_start_owned_by_the_mac(rig) -> None:
    s, eth = rig
    ds = eth.profile.desc_size
    for i, buf in enumerate(eth.rx_bufs):
        assert _desc(s, eth.rx_ring, i, ds) == (buf.addr, eth.profile.buf_size, OWN)
    for i in range(eth.n_tx):
        assert _desc(s, eth.tx_ring, i, ds) == (0, 0, 0)


def test_send_frame_puts_the_flushed_frame_on_the_wire(rig) -> None:
    s, eth = rig
    frame = pattern(333, 1)
    assert eth.send_frame(frame) == frame
    assert eth.wire == [frame]
    assert s.memory.read(eth.tx_bufs[0].addr, 333) == frame  # flushed to memory
    assert _desc(s, eth.tx_ring, 0, eth.profile.desc_size) == (eth.tx_bufs[0].addr, 333, FIRST | LAST)


def test_receive_frame_completes_the_descriptor_and_re_arms_it(rig) -> None:
    s, eth = rig
    frame = pattern(1518, 2)
    assert eth.receive_frame(frame) == frame
    ds = eth.profile.desc_size
    assert _desc(s, eth.rx_ring, 0, ds) == (eth.rx_bufs[0].addr, eth.profile.buf_size, OWN)
    assert (eth.rx_tail, eth.hw_rx) == (1, 1)


def test_rings_wrap_around(rig) -> None:
    _, eth = rig
    for k in range(2 * eth.n_tx + 1):
        f = pattern(64 + k, k)
        assert eth.send_frame(f) == f
        assert eth.receive_frame(f[::-1]) == f[::-1]
    assert eth.tx_head == eth.hw_tx == 1 and eth.rx_tail == eth.hw_rx == 1
    assert len(eth.wire) == 2 * eth.n_tx + 1


@pytest.mark.parametrize("size", [0, 1537])
def test_send_refuses_empty_and_oversized_frames(rig, size: int) -> None:
    _, eth = rig
    with pytest.raises(DriverError, match=f"frame of {size} bytes; the MAC takes 1..1536"):
        eth.send_frame(bytes(size))
    assert eth.tx_head == 0 and eth.wire == []


def test_receive_refuses_empty_and_oversized_frames(rig) -> None:
    _, eth = rig
    with pytest.raises(DriverError, match="empty frame"):
        eth.receive_frame(b"")
    with pytest.raises(DriverError, match="frame of 1600 bytes exceeds the 1536-byte RX buffer"):
        eth.receive_frame(bytes(1600))


def test_tx_ring_full_when_the_mac_still_owns_a_descriptor(rig) -> None:
    s, eth = rig
    d = eth.tx_ring.addr + eth.profile.desc_size * eth.tx_head
    s.memory.write(d + 8, OWN.to_bytes(4, "little"))  # the MAC has not released it yet
    with pytest.raises(DriverError, match="TX ring full: descriptor 0 still owned by the MAC"):
        eth.send_frame(b"x" * 60)


def test_rx_ring_full_when_the_driver_has_not_given_a_buffer_back(rig) -> None:
    s, eth = rig
    s.memory.write(eth.rx_ring.addr + 8, bytes(4))  # descriptor 0 without OWN
    with pytest.raises(DriverError, match="RX ring full: descriptor 0 not given back"):
        eth.receive_frame(b"y" * 60)


def test_descriptor_counts_from_properties(tmp_path) -> None:
    ovl = tmp_path / "eth.overlay"
    ovl.write_text("&mac { tx-descriptors = <2>; rx-descriptors = <8>; };\n")
    s = boot_board("stm32h747i_disco_m7", overlays=[ovl])
    eth = s.device("mac").driver
    assert (len(eth.tx_bufs), len(eth.rx_bufs)) == (2, 8)
    assert eth.rx_ring.size == 8 * 16
    assert any("2 tx / 8 rx descriptors of 16 B" in line for line in s.log)
