"""A display controller scanning a framebuffer out of cacheable memory (STM32 LTDC, i.MX
eLCDIF/LCDIFv2).

The CPU draws into the framebuffer through the data cache; the controller's DMA reads memory.
Whatever the CPU drew and did not flush is not on the panel, which is why Zephyr's display
drivers call ``sys_cache_data_flush_range`` on the written area before the controller fetches
it.  This driver keeps the damaged byte range since the last scan-out and flushes exactly that.

Node properties: ``width`` and ``height`` in pixels (default 320x240); pixels are RGB565
(2 bytes).  The framebuffer comes from the node's ``memory-region`` (else ``CACHEABLE``),
aligned to 64 bytes (the controllers' burst size) and to the cache line.

Operations: :meth:`DisplayController.draw` (bytes at an offset), :meth:`DisplayController.fill`
(one pixel value everywhere, or in a byte range) and :meth:`DisplayController.scan_out` (the
bytes the controller DMA-read: the whole frame, or a window of it for a partial refresh).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..bootstage.driver import Driver, register_driver
from ..bootstage.levels import InitLevel
from ..heap.region import SmhAttr
from ..units import human_size
from ._common import DriverError, as_device, bus_master_channel, prop_int

if TYPE_CHECKING:  # pragma: no cover
    from ..bootstage.device import Device

#: Bytes per pixel (RGB565).
BYTES_PER_PIXEL = 2
#: Framebuffer alignment the controllers' AXI/AHB bursts want.
FB_ALIGN = 64


@register_driver(
    "st,stm32-ltdc",
    "nxp,imx-elcdif",
    "nxp,imx-lcdifv2",
    level=InitLevel.POST_KERNEL,
    priority=85,
)
class DisplayController(Driver):
    """Framebuffer display.  Attributes after init: ``width``, ``height``, ``pitch`` (bytes
    per row), ``fb`` (the framebuffer Buffer), ``frame_size`` (bytes), ``damage`` (the
    ``(lo, hi)`` byte range drawn since the last scan-out, or None), ``frames`` (count)."""

    #: SMH attribute of the framebuffer when the node has no memory-region.
    fb_attr = SmhAttr.CACHEABLE

    def init(self, device: "Device") -> None:
        """Allocate the framebuffer (it starts as memory holds it: zeros in the emulator)."""
        self.device = device
        self.width = prop_int(device, "width", 320, maximum=8192)
        self.height = prop_int(device, "height", 240, maximum=8192)
        self.pitch = self.width * BYTES_PER_PIXEL
        self.frame_size = self.pitch * self.height
        self.fb = device.region_alloc(self.fb_attr, self.frame_size, name="framebuffer", align=FB_ALIGN)
        self.channel = bus_master_channel(device)
        self.damage: tuple[int, int] | None = None
        self.frames = 0
        device.log(f"{self.width}x{self.height} RGB565, framebuffer {human_size(self.frame_size)}")

    # ------------------------------------------------------------------ drawing (CPU)
    def _span(self, offset: int, size: int) -> tuple[int, int]:
        if offset < 0 or size < 0 or offset + size > self.frame_size:
            raise DriverError(
                f"bytes [{offset}, {offset + size}) fall outside the {self.frame_size}-byte framebuffer"
            )
        return offset, offset + size

    def _damage(self, lo: int, hi: int) -> None:
        if lo < hi:
            self.damage = (lo, hi) if self.damage is None else (min(lo, self.damage[0]), max(hi, self.damage[1]))

    @as_device
    def draw(self, pattern: bytes, offset: int = 0) -> None:
        """Write ``pattern`` (raw RGB565 bytes) into the framebuffer at byte ``offset``."""
        lo, hi = self._span(offset, len(pattern))
        self.device.cpu.write(self.fb.addr + lo, bytes(pattern))
        self._damage(lo, hi)

    @as_device
    def fill(self, pixel: int, offset: int = 0, size: int | None = None) -> None:
        """Set every pixel of ``[offset, offset+size)`` (default: the whole frame) to the
        RGB565 value ``pixel``."""
        size = self.frame_size - offset if size is None else size
        lo, hi = self._span(offset, size)
        if lo % BYTES_PER_PIXEL or hi % BYTES_PER_PIXEL:
            raise DriverError(f"fill range [{lo}, {hi}) is not whole {BYTES_PER_PIXEL}-byte pixels")
        self.device.cpu.write(self.fb.addr + lo, (pixel & 0xFFFF).to_bytes(2, "little") * ((hi - lo) // 2))
        self._damage(lo, hi)

    # ------------------------------------------------------------------ scan-out (controller)
    @as_device
    def scan_out(self, offset: int = 0, size: int | None = None) -> bytes:
        """Flush what was drawn since the last scan-out, then let the controller DMA-read the
        frame (or the window ``[offset, offset+size)`` of it); returns the bytes it read."""
        size = self.frame_size - offset if size is None else size
        lo, hi = self._span(offset, size)
        if size == 0:
            raise DriverError("scan-out of an empty window")
        self._before_scan_out()
        self.damage = None
        t = self.device.dma.start(self.channel, device=self.device.name, src=self.fb.addr + lo, size=hi - lo)
        self.device.dma.complete(t)
        self.frames += 1
        return t.result or b""

    def _before_scan_out(self) -> None:
        """Write the drawn range back to memory, where the controller reads it."""
        if self.damage is not None:
            lo, hi = self.damage
            self.device.memsys.sys_cache_data_flush_range(self.fb.addr + lo, hi - lo)
