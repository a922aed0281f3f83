"""The helpers every shipped driver relies on: memory-region attributes (and their failure
messages), DMA-safe alignment and padding, boards without a data cache, channels."""

from __future__ import annotations

import dataclasses

import pytest
from drvrig import SHOWCASE, arm, boot_board, pattern

from smh_boot.board import load_board
from smh_boot.drivers._common import round_up

BOARD = "stm32h747i_disco_m7"


def _overlay(tmp_path, text: str):
    p = tmp_path / "t.overlay"
    p.write_text(text)
    return p


def test_round_up() -> None:
    assert [round_up(n, 32) for n in (0, 1, 32, 33)] == [0, 32, 32, 64]


def test_buffer_outside_its_memory_region_is_noted_in_the_log(tmp_path) -> None:
    # SRAM3 comes first among the NON_CACHEABLE heaps, so the pool serves SRAM2's users there.
    ovl = _overlay(tmp_path, "&usart1 { memory-region = <&sram2>; };\n")
    s = boot_board(BOARD, overlays=[ovl])
    dev = s.device("usart1")
    assert dev.ready
    assert "note: 'rx-ring' came from SRAM3, not memory-region SRAM2 (the pool gives the first " \
        "NON_CACHEABLE heap that fits)" in dev.messages


def test_memory_region_that_is_not_an_smh_heap(tmp_path) -> None:
    ovl = _overlay(
        tmp_path,
        "#include <zephyr/dt-bindings/memory-attr/memory-attr-arm.h>\n"
        "&sram4 { zephyr,memory-attr = <( DT_MEM_ARM(ATTR_MPU_IO) )>; };\n"
        "&usart1 { memory-region = <&sram4>; };\n",
    )
    s = boot_board(BOARD, overlays=[ovl], strict=False)
    dev = s.device("usart1")
    assert not dev.ready
    assert dev.init_error.startswith("memory-region SRAM4 is not an SMH heap (")
    assert "give it a zephyr,memory-attr that maps to CACHEABLE, NON_CACHEABLE or EXTERNAL" in dev.init_error


def test_every_dma_buffer_is_line_aligned_and_padded() -> None:
    s = boot_board(BOARD)
    line = s.memsys.line_size
    cached = [b for d in s.device_list for b in d.buffers if s.memsys.is_cacheable(b.addr)]
    assert len(cached) >= 10
    for b in cached:
        assert b.addr % line == 0 and b.size % line == 0, b
        owner = s.pool.block_at(b.addr)
        assert owner is not None and owner.addr == b.addr


@pytest.mark.parametrize("board", SHOWCASE)
def test_devices_get_distinct_channels(board) -> None:
    """No two devices hold the same channel of one engine: the UART's come from its dmas, the
    memory-to-memory driver's is one no dmas entry names, the bus masters' are channels of
    the default engine."""
    from smh_boot.drivers.dma import MemToMemDma
    from smh_boot.drivers.uart import Uart

    s = boot_board(board)
    held = []
    for d in s.device_list:
        drv = d.driver
        if isinstance(drv, Uart):
            held += [(ch.engine.path, ch.channel) for ch in (drv.rx_dma, drv.tx_dma)]
        elif isinstance(drv, MemToMemDma):
            held.append((drv.channel.engine.path, drv.channel.channel))
        else:
            held.append(("default", drv.channel))
    assert len(held) == len(set(held)) >= 4, held


def test_board_without_a_data_cache() -> None:
    """No cache: maintenance returns -ENOTSUP and is ignored, buffers need only word
    alignment, everything still moves the right bytes."""
    board = dataclasses.replace(load_board(BOARD), cache=None)
    s = boot_board(board)
    assert s.memsys.line_size == 0 and s.ready
    eth = s.device("mac").driver
    assert eth.tx_bufs[0].size == 1536 and eth.tx_bufs[0].addr % 4 == 0
    arm(s, 0, stress=False)
    f = pattern(100, 1)
    assert eth.send_frame(f) == f and eth.receive_frame(f) == f
    assert s.device("dma1").driver.copy(f) == f
    assert s.device("usart1").driver.receive(f) == f


@pytest.mark.parametrize("board, lines", [
    ("stm32h747i_disco_m7", ["memory-to-memory on channel 2, staging 1 KiB x2",
                             "4 tx / 4 rx descriptors of 16 B, 1.5 KiB frame buffers",
                             "800x480 RGB565, framebuffer 750 KiB"]),
    ("mimxrt1170_evk", ["4 tx / 4 rx descriptors of 32 B, 1.5 KiB frame buffers",
                        "720x1280 RGB565, framebuffer ~1.76 MiB"]),  # 1843200 B, rounded
    ("esp32s3_devkitc", ["320x240 RGB565, framebuffer 150 KiB"]),
])
def test_driver_lines_write_sizes_as_the_buffer_lines_do(board, lines) -> None:
    """Every size a driver logs comes from units.human_size, like its buffer lines above it
    (no raw byte counts such as "768000 B")."""
    from smh_boot.units import human_size

    s = boot_board(board)
    for line in lines:
        assert f"    {line}" in s.log, line
    dev = next(d for d in s.device_list if "framebuffer" in [b.name for b in d.buffers])
    fb = next(b for b in dev.buffers if b.name == "framebuffer")
    assert f"framebuffer {human_size(dev.driver.frame_size)}" in s.log_text
    assert f"    buffer framebuffer {fb.addr:#010x} {human_size(fb.size)} " in s.log_text
