"""The Ethernet MAC on every board that has one: descriptor rings, TX flush, RX invalidate."""

from __future__ import annotations

import pytest

from smh_boot.drivers.ethernet import EthernetMac

from .support import boards_with, device_of, pattern

pytestmark = pytest.mark.smh_board(*boards_with(EthernetMac))


@pytest.fixture
def mac(smh_system):
    return device_of(smh_system, EthernetMac).driver


def frame(n: int, salt: int = 0) -> bytes:
    dst, src, ethertype = b"\xff" * 6, b"\x02\x00\x00\x00\x00\x01", b"\x08\x00"
    return dst + src + ethertype + pattern(n - 14, salt)


def test_send_frame_transmits_exactly_the_frame(mac):
    f = frame(64)
    assert mac.send_frame(f) == f
    assert mac.wire == [f]


def test_receive_frame_reads_what_the_mac_wrote(mac):
    f = frame(1514, salt=9)
    assert mac.receive_frame(f) == f


def test_rings_wrap(mac):
    # more frames than descriptors: every descriptor is reused
    for i in range(max(mac.n_tx, mac.n_rx) + 2):
        f = frame(60 + i, salt=i)
        assert mac.send_frame(f) == f
        assert mac.receive_frame(f) == f


def test_memory_layout_matches_the_mac(smh_system, mac):
    line = smh_system.memsys.line_size
    for ring in (mac.tx_ring, mac.rx_ring):
        assert ring.addr % mac.profile.desc_align == 0
        assert not smh_system.memsys.any_cacheable(ring.addr, ring.size)
    for buf in [*mac.tx_bufs, *mac.rx_bufs]:
        assert buf.addr % max(line, mac.profile.buf_align) == 0 and buf.size % line == 0
        assert smh_system.region(buf.region).attr == "CACHEABLE"


@pytest.mark.smh_stress(seeds=3)
def test_traffic_under_cache_stress(mac):
    for i in range(6):
        f = frame(100 + 37 * i, salt=i)
        assert mac.send_frame(f) == f
        assert mac.receive_frame(f[::-1]) == f[::-1]
