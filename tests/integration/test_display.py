"""The display controller on every board that has one: what was drawn is what is scanned out."""

from __future__ import annotations

import pytest

from smh_boot.drivers.display import DisplayController

from .support import boards_with, device_of, pattern

pytestmark = pytest.mark.smh_board(*boards_with(DisplayController))


@pytest.fixture
def lcd(smh_system):
    return device_of(smh_system, DisplayController).driver


def test_drawn_rows_are_scanned_out(lcd):
    row = pattern(lcd.pitch)
    lcd.draw(row * 2, offset=lcd.pitch * 10)
    assert lcd.scan_out(offset=lcd.pitch * 10, size=lcd.pitch * 2) == row * 2
    assert lcd.damage is None and lcd.frames == 1


def test_fill_then_partial_redraw(lcd):
    window = lcd.pitch * 4
    lcd.fill(0xF800, offset=0, size=window)  # red
    assert lcd.scan_out(0, window) == b"\x00\xf8" * (window // 2)
    lcd.draw(b"\x1f\x00" * 8, offset=lcd.pitch)  # 8 blue pixels on row 1
    out = lcd.scan_out(0, window)
    assert out[lcd.pitch:lcd.pitch + 16] == b"\x1f\x00" * 8
    assert out[:lcd.pitch] == b"\x00\xf8" * (lcd.pitch // 2)


def test_framebuffer_is_cacheable_and_aligned(smh_system, lcd):
    assert lcd.fb.addr % 64 == 0 and lcd.fb.size >= lcd.frame_size
    assert smh_system.memsys.is_cacheable(lcd.fb.addr) or smh_system.cache is None


@pytest.mark.smh_stress(seeds=3)
def test_redraws_under_cache_stress(lcd):
    for i in range(4):
        data = pattern(lcd.pitch, salt=i)
        lcd.draw(data, offset=lcd.pitch * i)
        assert lcd.scan_out(lcd.pitch * i, lcd.pitch) == data
