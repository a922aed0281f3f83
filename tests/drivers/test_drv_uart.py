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

    engine = system.dma_controller("/soc/dma@40020000")

    def spy(n):
        seen.append((n, sorted(engine.active)))  # bytes drained, channels with a transfer in flight
        return drain(n)

    uart._drain = spy
    data = pattern(300, 6)  # 256 to the end of the ring, then 44
    assert uart.receive(data, burst=100) == data
    assert seen == [(100, [0]), (100, [0]), (56, [0]), (44, [0])]  # on DMA1 stream 0, the rx one
    assert not engine.active and not system.dma.active


def test_burst_must_be_positive(system) -> None:
    from smh_boot.drivers import DriverError

    with pytest.raises(DriverError, match="burst = 0"):
        system.device("usart1").driver.receive(b"abc", burst=0)


# ------------------------------------------------------------------ channels and modes


def test_dma_channels_are_the_ones_the_devicetree_names(system, monkeypatch) -> None:
    # usart1: dmas = <&dma1 0 41 0x400 0x3>, <&dma1 1 42 0x440 0x3>; dma-names = "rx", "tx";
    dev = system.device("usart1")
    uart = dev.driver
    dma1 = system.dma_controller("/soc/dma@40020000")
    assert (uart.rx_mode, uart.tx_mode) == ("dma", "dma")
    assert (uart.rx_dma.channel, uart.tx_dma.channel) == (0, 1)
    assert uart.rx_dma.engine is dma1 and uart.tx_dma.controller is system.device("dma1")
    assert uart.rx_dma is dev.dma_channel("rx") and uart.tx_dma is dev.dma_channel("tx")
    assert {0, 1} <= dma1.claimed
    assert ("    rx ring 256 B on dma@40020000 channel 0, tx buffer 128 B on dma@40020000 "
            "channel 1") in system.log
    started = []
    real = dma1.start

    def spy(channel, **kw):
        started.append((channel, kw["dst"] is not None))  # (channel, writes memory)
        return real(channel, **kw)

    monkeypatch.setattr(dma1, "start", spy)
    uart.receive(b"abc")
    uart.send(b"xyz")
    assert started == [(0, True), (1, False)]
    assert not system.dma.active and not dma1.active


def test_edma_channels_follow_the_dmas_order() -> None:
    # eDMA's cells are mux and source: the channels come from dma_request_channel(), in dmas
    # order (tx, then rx), after the memory-to-memory driver of edma0 took the first channel
    # no dmas entry names.
    s = boot_board("mimxrt1170_evk")
    uart = s.device("lpuart1").driver
    assert (uart.tx_dma.channel, uart.rx_dma.channel) == (0, 1)
    assert s.device("edma0").driver.channel.channel == 2
    arm(s, 3)
    data = pattern(40, 3)
    assert uart.receive(data) == data and uart.send(data) == data


def test_without_dmas_the_uart_is_interrupt_driven_and_takes_no_pool_memory(tmp_path) -> None:
    ovl = _overlay(tmp_path, "&usart1 { /delete-property/ dmas; /delete-property/ dma-names; };\n")
    s = boot_board(BOARD, overlays=[ovl])
    dev = s.device("usart1")
    uart = dev.driver
    assert dev.ready and s.ready
    assert (uart.rx_mode, uart.tx_mode) == ("interrupt", "interrupt")
    assert uart.rx_dma is None and uart.tx_dma is None
    assert uart.rx_ring is None and uart.tx_buf is None and dev.buffers == []
    assert not [b for b in s.pool.blocks() if (b.owner or "").startswith("serial@40011000")]
    assert s.dma_controller("/soc/dma@40020000").claimed == {0}  # the memory-to-memory one
    at = s.log.index("[PRE_KERNEL_1 55] serial@40011000 (st,stm32-usart) Uart: ok")
    assert s.log[at + 1] == ("    interrupt-driven (no dmas): no DMA buffers, bytes move "
                             "through the data register")
    arm(s, 1)
    data = pattern(300, 7)
    assert uart.receive(data) == data and uart.receive(b"") == b""
    assert uart.send(data) == data and uart.send(b"!") == b"!"
    assert uart.received == 300 and bytes(uart.wire) == data + b"!"
    from smh_boot.drivers import DriverError

    with pytest.raises(DriverError, match="burst = 0"):
        uart.receive(b"abc", burst=0)


def test_a_direction_without_a_dmas_entry_is_interrupt_driven(tmp_path) -> None:
    ovl = _overlay(tmp_path, '&usart1 { dmas = <&dma1 0 41 0x400 0x3>; dma-names = "rx"; };\n')
    s = boot_board(BOARD, overlays=[ovl])
    dev = s.device("usart1")
    uart = dev.driver
    assert dev.ready and (uart.rx_mode, uart.tx_mode) == ("dma", "interrupt")
    assert [b.name for b in dev.buffers] == ["rx-ring"] and uart.tx_buf is None
    assert ("    rx ring 256 B on dma@40020000 channel 0, tx interrupt-driven (no 'tx' in "
            "dma-names)") in s.log
    arm(s, 2)
    data = pattern(90, 2)
    assert uart.receive(data) == data and uart.send(data) == data
    assert s.memory.read(uart.rx_ring.addr, 90) == data


@pytest.mark.parametrize("dmas, message", [
    ('dmas = <&dma1 0 41 0x400 0x3>; dma-names = "bulk";',
     "dmas has no entry named 'rx' or 'tx' (dma-names: 'bulk')"),
    ("dmas = <&dma1 0 41 0x400 0x3>; /delete-property/ dma-names;",
     "dmas has no entry named 'rx' or 'tx' (dma-names: none (no dma-names))"),
    ('dmas = <&dma1 0 41>; dma-names = "rx";', "whose #dma-cells is 4"),
    ('dmas = <&dma1 9 41 0x400 0x3>; dma-names = "rx";', "channel 9 does not exist"),
])
def test_a_dmas_the_uart_cannot_use_fails_its_init(tmp_path, dmas, message) -> None:
    s = boot_board(BOARD, overlays=[_overlay(tmp_path, f"&usart1 {{ {dmas} }};\n")])
    dev = s.device("usart1")
    assert not dev.ready and message in dev.init_error, dev.init_error
    assert dev.buffers == []  # refused before it took any memory
    assert s.device("mac").ready  # the boot goes on
