"""Display controllers (LTDC, eLCDIF) and the ESP32-S3 LCD_CAM: framebuffer placement, what
the controller scans out, damage tracking, and refused requests."""

from __future__ import annotations

import pytest
from drvrig import arm, boards_with, boot_board, driver, pattern

from smh_boot.drivers._common import DriverError
from smh_boot.drivers.display import FB_ALIGN

GEOMETRY = {"stm32h747i_disco_m7": (800, 480), "mimxrt1170_evk": (720, 1280), "esp32s3_devkitc": (320, 240)}


@pytest.fixture(params=boards_with("display"))
def rig(request):
    s = boot_board(request.param)
    arm(s, 11)
    return request.param, s, driver(s, request.param, "display")


def test_framebuffer_geometry_and_placement(rig) -> None:
    board, s, disp = rig
    w, h = GEOMETRY[board]
    assert (disp.width, disp.height, disp.pitch) == (w, h, 2 * w)
    assert disp.fb.size == disp.frame_size == w * h * 2
    assert disp.fb.addr % FB_ALIGN == 0
    assert disp.fb.region == disp.device.memory_regions[0].region_name
    assert disp.fb.attr == ("EXTERNAL" if board == "esp32s3_devkitc" else "CACHEABLE")
    assert s.memsys.is_cacheable(disp.fb.addr)


def test_draw_then_scan_out_a_window(rig) -> None:
    _, s, disp = rig
    band = pattern(3000, 1)
    disp.draw(band, 10_000)
    assert disp.damage == (10_000, 13_000)
    out = disp.scan_out(9_000, 5_000)
    assert out == bytes(1_000) + band + bytes(1_000)
    assert disp.damage is None and disp.frames == 1
    assert s.memory.read(disp.fb.addr + 10_000, 3000) == band  # flushed


def test_damage_is_the_union_of_draws(rig) -> None:
    _, _, disp = rig
    disp.draw(b"\x01\x02", 100)
    disp.fill(0xABCD, 4000, 8)
    assert disp.damage == (100, 4008)
    assert disp.scan_out(4000, 8) == b"\xcd\xab" * 4


def test_scan_out_without_drawing_reads_memory(rig) -> None:
    _, s, disp = rig
    s.memory.write(disp.fb.addr + 64, b"panel")
    assert disp.scan_out(64, 5) == b"panel"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda d: d.draw(b"xx", d.frame_size - 1), "fall outside the"),
        (lambda d: d.draw(b"x", -1), "fall outside the"),
        (lambda d: d.fill(0, 1, 4), "not whole 2-byte pixels"),
        (lambda d: d.scan_out(0, 0), "empty window"),
        (lambda d: d.scan_out(d.frame_size, 1), "fall outside the"),
    ],
)
def test_refused_requests(rig, call, message: str) -> None:
    _, _, disp = rig
    with pytest.raises(DriverError, match=message):
        call(disp)


def test_one_whole_frame_through_the_model() -> None:
    """A full 320x240 frame (the smallest showcase panel) under stress: fill, draw, scan out."""
    s = boot_board("esp32s3_devkitc")
    arm(s, 42)
    disp = s.device("lcd_cam").driver
    disp.fill(0xF800)
    disp.draw(pattern(disp.pitch, 3), disp.pitch * 100)
    frame = disp.scan_out()
    assert len(frame) == disp.frame_size
    row = disp.pitch
    assert frame[:row] == b"\x00\xf8" * disp.width
    assert frame[row * 100 : row * 101] == pattern(row, 3)
    assert frame[-row:] == b"\x00\xf8" * disp.width


def test_camera_capture_in_external_memory() -> None:
    s = boot_board("esp32s3_devkitc")
    arm(s, 4)
    cam = s.device("lcd_cam").driver
    assert cam.capture_buf.attr == "EXTERNAL" and cam.capture_buf.region == "PSRAM_EXT"
    assert cam.capture_buf.size == cam.frame_size
    frame = pattern(5000, 9)
    assert cam.capture(frame) == frame and cam.captures == 1
    with pytest.raises(DriverError, match="capture buffer holds 1..153600"):
        cam.capture(b"")
    with pytest.raises(DriverError, match="camera frame of 153601 bytes"):
        cam.capture(bytes(cam.frame_size + 1))
