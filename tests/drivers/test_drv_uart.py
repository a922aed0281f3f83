"""The DMA UART: where its buffers live, the circular ring, chunked transmission, and the
init-time refusal of cacheable memory."""

from __future__ import annotations

import pytest
from drvrig import arm, boot_board, pattern

BOARD = "stm32h747i_disco_m7"


@pytest.fixture()
def system():
    s = boot_board(BOARD)
    arm(s, 0)
    return s


def test_buffers_are_non_cacheable_and_from_the_memory_region_attribute(system) -> None:
    dev = system.device("usart1")
    uart = dev.driver
    assert [b.name for b in dev.buffers] == ["rx-ring", "tx-buffer"]
    target = dev.memory_regions[0].region_name
    for b in dev.buffers:
        assert b.attr == "NON_CACHEABLE" and b.region == target
        assert not system.memsys.any_cacheable(b.addr, b.size)
    assert uart.rx_ring.size == 256 and uart.tx_buf.size == 128


def test_receive_wraps_the_ring_and_keeps_order(system) -> None:
    uart = system.device("usart1").driver
    first = pattern(200, 1)
    assert uart.receive(first) == first
    second = pattern(150, 2)  # 56 bytes to the end of the ring, 94 after the wrap
    assert uart.receive(second) == second
    assert uart.head == uart.tail == (200 + 150) % 256
    assert uart.received == 350
    ring = system.memory.read(uart.rx_ring.addr, 256)
    assert ring[200:256] == second[:56] and ring[:94] == second[56:]


def test_receive_longer_than_the_ring(system) -> None:
    uart = system.device("usart1").driver
    data = pattern(700, 3)
    assert uart.receive(data) == data


def test_send_goes_out_in_tx_buffer_pieces(system) -> None:
    uart = system.device("usart1").driver
    data = pattern(300, 4)  # 128 + 128 + 44
    assert uart.send(data) == data
    assert uart.send(b"ok") == b"ok"
    assert bytes(uart.wire) == data + b"ok"
    assert system.memory.read(uart.tx_buf.addr, 2) == b"ok"


def test_receive_nothing(system) -> None:
    assert system.device("usart1").driver.receive(b"") == b""


def _overlay(tmp_path, text: str):
    p = tmp_path / "uart.overlay"
    p.write_text(text)
    return p


def test_cacheable_memory_region_fails_init_and_boot_goes_on(tmp_path) -> None:
    ovl = _overlay(tmp_path, "&usart1 { memory-region = <&sram1>; };\n")
    s = boot_board(BOARD, overlays=[ovl])
    dev = s.device("usart1")
    assert not dev.ready
    assert "'rx-ring'" in dev.init_error and "is cacheable" in dev.init_error
    assert "NON_CACHEABLE" in dev.init_error
    assert s.device("mac").ready
    assert any("FAILED" in line and "serial@40011000" in line for line in s.log)


def test_memory_region_without_attribute_fails_init(tmp_path) -> None:
    ovl = _overlay(tmp_path, "&usart1 { memory-region = <&sram4>; };\n")
    dev = boot_board(BOARD, overlays=[ovl]).device("usart1")
    assert not dev.ready
    assert "memory-region target /memory@38000000 has no zephyr,memory-attr" in dev.init_error


@pytest.mark.parametrize("value", ['"big"', "<0>"])
def test_bad_ring_size_property(tmp_path, value: str) -> None:
    ovl = _overlay(tmp_path, f"&usart1 {{ rx-ring-size = {value}; }};\n")
    dev = boot_board(BOARD, overlays=[ovl]).device("usart1")
    assert not dev.ready
    assert dev.init_error.startswith("property rx-ring-size = ") and "integer >= 1" in dev.init_error


def test_ring_size_property(tmp_path) -> None:
    ovl = _overlay(tmp_path, "&usart1 { rx-ring-size = <64>; tx-buffer-size = <16>; };\n")
    s = boot_board(BOARD, overlays=[ovl])
    uart = s.device("usart1").driver
    assert (uart.ring_size, uart.tx_size) == (64, 16)
    arm(s, 5)
    data = pattern(100, 5)
    assert uart.receive(data) == data and uart.send(data) == data


def test_receive_in_bursts_while_the_transfer_runs(system) -> None:
    uart = system.device("usart1").driver
    seen = []
    drain = uart._drain

    def spy(n):
        seen.append((n, len(system.dma.active)))  # bytes drained, transfers in flight
        return drain(n)

    uart._drain = spy
    data = pattern(300, 6)  # 256 to the end of the ring, then 44
    assert uart.receive(data, burst=100) == data
    assert seen == [(100, 1), (100, 1), (56, 1), (44, 1)]
    assert not system.dma.active


def test_burst_must_be_positive(system) -> None:
    from smh_boot.drivers import DriverError

    with pytest.raises(DriverError, match="burst = 0"):
        system.device("usart1").driver.receive(b"abc", burst=0)
