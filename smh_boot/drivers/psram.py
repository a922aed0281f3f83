"""ESP32-S3 LCD_CAM: the external-memory (``SMH_REG_ATTR_EXTERNAL``) user.

On the ESP32-S3 the octal PSRAM is reached by the CPU through the MMU and the data cache, and
by the GDMA directly (ESP-IDF's "EDMA"), so a framebuffer there needs a write-back before the
LCD reads it and a capture buffer an invalidate after the camera wrote it
(``esp_cache_msync`` in ESP-IDF).  Internal SRAM is too small for frames, so both buffers come
from ``EXTERNAL`` memory (the node's ``memory-region``, else the ``EXTERNAL`` attribute).

The LCD half is :class:`~smh_boot.drivers.display.DisplayController` (``draw``/``fill``/
``scan_out``); the camera half adds :meth:`Esp32LcdCam.capture`.  Node properties: ``width``,
``height`` (default 320x240, RGB565); the capture buffer holds one frame.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..bootstage.driver import register_driver
from ..bootstage.levels import InitLevel
from ..heap.region import SmhAttr
from ._common import DriverError, as_device
from .display import FB_ALIGN, DisplayController

if TYPE_CHECKING:  # pragma: no cover
    from ..bootstage.device import Device


@register_driver("espressif,esp32-lcd-cam", level=InitLevel.POST_KERNEL, priority=85)
class Esp32LcdCam(DisplayController):
    """LCD framebuffer and camera capture buffer in PSRAM.  Extra attributes: ``capture_buf``
    (Buffer), ``captures`` (count)."""

    fb_attr = SmhAttr.EXTERNAL

    def init(self, device: "Device") -> None:
        """Allocate the framebuffer and the capture buffer from external memory."""
        super().init(device)
        self.capture_buf = device.region_alloc(self.fb_attr, self.frame_size, name="capture", align=FB_ALIGN)
        self.captures = 0
        with device.memsys.acting_as(device.name):
            self._before_capture()

    @as_device
    def capture(self, frame: bytes) -> bytes:
        """The camera delivers ``frame``: the GDMA writes it into the capture buffer; after
        completion the driver invalidates and reads it.  Returns what the CPU read."""
        frame = bytes(frame)
        if not 0 < len(frame) <= self.frame_size:
            raise DriverError(f"camera frame of {len(frame)} bytes; the capture buffer holds 1..{self.frame_size}")
        addr = self.capture_buf.addr
        t = self.device.dma.start(self.channel, device=self.device.name, dst=addr, size=len(frame), data=frame)
        self.device.dma.complete(t)
        self._after_capture(len(frame))
        data = self.device.cpu.read(addr, len(frame))
        self.captures += 1
        return data

    def _after_capture(self, length: int) -> None:
        """Drop lines the core may have filled while the camera wrote."""
        self.device.memsys.sys_cache_data_invd_range(self.capture_buf.addr, length)

    def _before_capture(self) -> None:
        """At init: nothing of the capture buffer may stay cached while the camera writes.
        (The CPU only reads it afterwards, so it never holds dirty lines of it again.)"""
        self.device.memsys.sys_cache_data_invd_range(self.capture_buf.addr, self.capture_buf.size)
