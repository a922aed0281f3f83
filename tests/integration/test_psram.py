"""The ESP32-S3 LCD_CAM: framebuffer and camera buffer in external PSRAM (SMH EXTERNAL)."""

from __future__ import annotations

import pytest

from smh_boot.drivers.psram import Esp32LcdCam

from .support import boards_with, device_of, pattern

pytestmark = pytest.mark.smh_board(*boards_with(Esp32LcdCam))


@pytest.fixture
def lcd_cam(smh_system):
    return device_of(smh_system, Esp32LcdCam).driver


def test_buffers_come_from_external_memory(smh_system, lcd_cam):
    for buf in (lcd_cam.fb, lcd_cam.capture_buf):
        assert buf.attr == "EXTERNAL"
        assert smh_system.region(buf.region).attr == "EXTERNAL"


def test_capture_reads_the_cameras_frame(lcd_cam):
    frame = pattern(lcd_cam.pitch * 3, salt=4)
    assert lcd_cam.capture(frame) == frame
    assert lcd_cam.captures == 1


def test_lcd_half_draws_to_psram(lcd_cam):
    row = pattern(lcd_cam.pitch, salt=8)
    lcd_cam.draw(row, offset=lcd_cam.pitch * 5)
    assert lcd_cam.scan_out(lcd_cam.pitch * 5, lcd_cam.pitch) == row


@pytest.mark.smh_stress(seeds=3)
def test_capture_and_display_under_cache_stress(lcd_cam):
    for i in range(3):
        frame = pattern(lcd_cam.pitch, salt=i)
        assert lcd_cam.capture(frame) == frame
        lcd_cam.draw(frame)
        assert lcd_cam.scan_out(0, lcd_cam.pitch) == frame
