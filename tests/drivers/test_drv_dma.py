"""The memory-to-memory DMA engine: staging buffers, copies in pieces, transforms."""

from __future__ import annotations

import pytest
from drvrig import arm, boards_with, boot_board, driver, pattern

from smh_boot.drivers._common import DriverError
from smh_boot.drivers.dma import invert


@pytest.fixture(params=boards_with("dma"))
def rig(request):
    s = boot_board(request.param)
    arm(s, 8)
    return s, driver(s, request.param, "dma")


def test_staging_buffers_cacheable_aligned_padded(rig) -> None:
    s, dma = rig
    line = s.memsys.line_size
    for b in (dma.src, dma.dst):
        assert b.attr == "CACHEABLE" and b.addr % line == 0 and b.size % line == 0
        assert s.memsys.is_cacheable(b.addr)
    regions = dma.device.memory_regions
    if regions:
        assert dma.src.region == regions[0].region_name


def test_copy_in_pieces(rig) -> None:
    _, dma = rig
    data = pattern(2500, 1)  # 1024 + 1024 + 452
    assert dma.copy(data) == data
    assert dma.transfers == 3


def test_transform(rig) -> None:
    _, dma = rig
    data = pattern(300, 2)
    assert dma.transform(data) == invert(data)
    assert dma.transform(data, lambda b: b[::-1]) == data[::-1]


def test_refused(rig) -> None:
    _, dma = rig
    with pytest.raises(DriverError, match="nothing to transfer"):
        dma.copy(b"")
    with pytest.raises(DriverError, match="transform returned 3 bytes for a 4-byte block"):
        dma.transform(b"abcd", lambda b: b[:3])
    # the failed transform left no transfer in flight
    assert not dma.channel.busy and not dma.channel.engine.active


def test_staging_size_property(tmp_path) -> None:
    ovl = tmp_path / "dma.overlay"
    ovl.write_text("&edma0 { staging-size = <100>; };\n")
    s = boot_board("mimxrt1170_evk", overlays=[ovl])
    dma = s.device("edma0").driver
    assert dma.staging == 100 and dma.src.size == 128  # padded to whole 32-byte lines
    arm(s, 1)
    data = pattern(250, 4)
    assert dma.copy(data) == data and dma.transfers == 3


# ------------------------------------------------------------------ its channel


def _node(tmp_path, body: str, name: str = "n.overlay"):
    p = tmp_path / name
    p.write_text("/ {\n\tsoc {\n" + body + "\t};\n};\n")
    return p


def _peripheral(label: str, addr: int, dmas: str, status: str = "okay") -> str:
    return (f'\t\t{label}: thing@{addr:x} {{\n\t\t\tcompatible = "acme,no-driver";\n'
            f'\t\t\treg = <{addr:#x} 0x400>;\n\t\t\t{dmas}\n\t\t\tstatus = "{status}";\n\t\t}};\n')


def test_copies_run_on_the_lowest_channel_no_dmas_entry_names() -> None:
    # usart1 has DMA1 streams 0 and 1: the copies take stream 2, through dma_config().
    s = boot_board("stm32h747i_disco_m7")
    dma = s.device("dma1").driver
    ch = dma.channel
    assert (ch.channel, ch.engine) == (2, s.dma_controller("/soc/dma@40020000"))
    assert ch.controller is dma.device and 2 in ch.engine.claimed
    assert "    memory-to-memory on channel 2, staging 1 KiB x2" in s.log
    arm(s, 4)
    seen = []
    dma._while_running = lambda t: seen.append((t.channel, t.src, t.dst, t.size))
    assert dma.copy(b"0123456789") == b"0123456789"
    assert seen == [(2, dma.src.addr, dma.dst.addr, 10)]
    assert not ch.busy and dma.transfers == 1


def test_channels_assigned_in_the_devicetree_are_left_to_their_peripherals(tmp_path) -> None:
    ovl = _node(tmp_path, _peripheral("p", 0x40013000, "dmas = <&dma1 2 37 0 0>, <&dma1 3 38 0 0>;"))
    s = boot_board("stm32h747i_disco_m7", overlays=[ovl])
    assert s.device("dma1").driver.channel.channel == 4  # 0, 1: usart1; 2, 3: the node's


def test_the_edma_mux_cell_is_its_channel(tmp_path) -> None:
    # Zephyr's eDMA binding calls the channel cell "mux" (lpuart1 has 0 and 1).
    ovl = _node(tmp_path, _peripheral("p", 0x40300000, "dmas = <&edma0 2 5>;"))
    s = boot_board("mimxrt1170_evk", overlays=[ovl])
    assert s.device("edma0").driver.channel.channel == 3


def test_disabled_nodes_and_dmas_that_do_not_decode_assign_nothing(tmp_path) -> None:
    body = (_peripheral("p", 0x40013000, "dmas = <&dma1 2 37 0 0>;", status="disabled")
            + _peripheral("q", 0x40013400, "dmas = <&dma1 3 1>;"))  # 2 cells, #dma-cells 4
    s = boot_board("stm32h747i_disco_m7", overlays=[_node(tmp_path, body)])
    dev = s.device("dma1")
    assert dev.ready and dev.driver.channel.channel == 2


def test_no_channel_left_fails_init_with_the_reason(tmp_path) -> None:
    ovl = tmp_path / "two.overlay"
    ovl.write_text("&dma1 { dma-channels = <2>; };\n")  # both taken by usart1
    s = boot_board("stm32h747i_disco_m7", overlays=[ovl])
    dev = s.device("dma1")
    assert not dev.ready
    assert dev.init_error.startswith("no channel left for memory-to-memory copies: the "
                                     "devicetree's dmas entries assign all 2 channels of "
                                     "/soc/dma@40020000")
    assert not s.device("usart1").ready  # its controller is not ready
    assert s.device("mac").ready
