"""The shipped drivers run clean under the stress modes for 200 seeds each, on every showcase
board that has them, with a raising checker, and move the right bytes every time."""

from __future__ import annotations

import pytest
from drvrig import SEEDS, arm, boot_board, boards_with, driver, pattern

from smh_boot.drivers.dma import invert


def _each_seed(board: str, kind: str, step, *, cached: bool = True) -> None:
    system = boot_board(board)
    drv = driver(system, board, kind)
    for seed in SEEDS:
        arm(system, seed)  # raise_errors=True: any finding fails the test with its report
        step(drv, seed)
    stats = system.cache.stats
    if cached:  # the stress modes did act on these buffers, else "clean" would prove nothing
        assert stats.prefetches > 0 and stats.evictions > 0
    else:  # nothing of a non-cacheable ring ever enters the cache
        assert stats.hits == stats.misses == 0


@pytest.mark.parametrize("board", boards_with("eth"))
def test_ethernet(board: str) -> None:
    def step(eth, seed):
        tx = pattern(60 + seed * 7 % 700, seed)
        assert eth.send_frame(tx) == tx
        rx = pattern(64 + seed * 13 % 700, seed + 1)
        assert eth.receive_frame(rx) == rx

    _each_seed(board, "eth", step)


@pytest.mark.parametrize("board", boards_with("uart"))
def test_uart(board: str) -> None:
    def step(uart, seed):
        rx = pattern(1 + seed * 37 % 300, seed)  # wraps the 256-byte ring on many seeds
        assert uart.receive(rx, burst=1 + seed % 64) == rx
        tx = pattern(1 + seed % 200, seed)
        assert uart.send(tx) == tx

    _each_seed(board, "uart", step, cached=False)


@pytest.mark.parametrize("board", boards_with("dma"))
def test_mem_to_mem_dma(board: str) -> None:
    def step(dma, seed):
        data = pattern(1 + seed * 11 % 1200, seed)  # some above the staging size: two pieces
        assert dma.copy(data) == data
        assert dma.transform(data[:128]) == invert(data[:128])

    _each_seed(board, "dma", step)


@pytest.mark.parametrize("board", boards_with("display"))
def test_display_window(board: str) -> None:
    """Draw a band and scan out the window around it (a partial refresh: a full 720x1280
    frame costs ~1 s through the model, see test_drv_display.py for one full frame)."""

    def step(disp, seed):
        off = seed * 2 * 97 % (disp.frame_size - 4096)
        band = pattern(1024, seed)
        disp.draw(band, off + 512)
        out = disp.scan_out(off, 2048)
        assert out[512:1536] == band

    _each_seed(board, "display", step)


def test_psram_camera_capture() -> None:
    def step(cam, seed):
        frame = pattern(64 + seed * 29 % 2048, seed)
        assert cam.capture(frame) == frame

    _each_seed("esp32s3_devkitc", "display", step)
