"""The DMA UART on every board that has one: reception through the ring, transmission."""

from __future__ import annotations

import pytest

from smh_boot.drivers.uart import Uart

from .support import boards_with, device_of, pattern

pytestmark = pytest.mark.smh_board(*boards_with(Uart))


@pytest.fixture
def uart(smh_system):
    return device_of(smh_system, Uart).driver


def test_receive_returns_what_the_line_delivered(uart):
    data = pattern(uart.ring_size + uart.ring_size // 2)  # wraps around the ring once
    assert uart.receive(data) == data
    assert uart.received == len(data)
    assert uart.head == uart.tail == len(data) % uart.ring_size


def test_send_puts_the_bytes_on_the_wire(uart):
    data = pattern(uart.tx_size * 2 + 5, salt=3)  # three TX-buffer-sized pieces
    assert uart.send(data) == data
    assert bytes(uart.wire) == data


def test_buffers_live_in_non_cacheable_memory(smh_system, uart):
    for buf in (uart.rx_ring, uart.tx_buf):
        assert not smh_system.memsys.any_cacheable(buf.addr, buf.size), buf
        assert smh_system.region(buf.region).attr == "NON_CACHEABLE"


@pytest.mark.smh_stress(seeds=3)
def test_echo_under_cache_stress(uart):
    for n in (1, 31, 33, uart.ring_size):
        data = pattern(n, salt=n)
        assert uart.receive(data) == data
        assert uart.send(data) == data
