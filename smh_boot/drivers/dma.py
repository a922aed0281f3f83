"""A memory-to-memory DMA controller used as a copy (and transform) offload engine
(STM32 DMA/MDMA/BDMA, NXP eDMA, ESP32 GDMA).

The CPU writes the source through the cache, so it flushes it before the engine reads; the
engine writes the destination behind the cache, so the CPU invalidates it before the transfer
(no dirty or stale line may sit over it) and after completion (before reading).  Both staging
buffers come from the node's ``memory-region`` (else ``CACHEABLE``), line-aligned and padded.

Operations: :meth:`MemToMemDma.copy` (a memory-to-memory transfer) and
:meth:`MemToMemDma.transform` (the engine reads the source, applies a function as a crypto or
CRC engine would, and writes the result: two transfers through the peripheral).  Inputs larger
than the staging buffers go through in pieces.  Node property: ``staging-size`` (default 1024).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from ..bootstage.driver import Driver, register_driver
from ..bootstage.levels import InitLevel
from ..heap.region import SmhAttr
from ._common import DriverError, as_device, dma_channel, prop_int

if TYPE_CHECKING:  # pragma: no cover
    from ..bootstage.device import Buffer, Device
    from ..memory import DmaTransfer


def invert(block: bytes) -> bytes:
    """The default transform: every bit inverted (stands in for a cipher of equal length)."""
    return bytes(b ^ 0xFF for b in block)


@register_driver(
    "st,stm32-dma-v1",
    "st,stm32-dma-v2",
    "st,stm32-dma-v2bis",
    "st,stm32-mdma",
    "st,stm32-bdma",
    "nxp,mcux-edma",
    "espressif,esp32-gdma",
    level=InitLevel.PRE_KERNEL_1,
    priority=40,
)
class MemToMemDma(Driver):
    """Copy offload.  Attributes after init: ``src``, ``dst`` (staging Buffers),
    ``staging`` (their usable size), ``transfers`` (count)."""

    #: SMH attribute of the staging buffers when the node has no memory-region.
    staging_attr = SmhAttr.CACHEABLE

    def init(self, device: "Device") -> None:
        """Allocate the staging buffers."""
        self.device = device
        self.staging = prop_int(device, "staging-size", 1024, maximum=16 << 20)
        self.src, self.dst = self._alloc_staging()
        self.channel = dma_channel(device)
        self.transfers = 0
        device.log(f"memory-to-memory, staging {self.staging} B x2, dma channel {self.channel}")

    def _alloc_staging(self) -> tuple["Buffer", "Buffer"]:
        """Source and destination buffers, line-aligned and padded (see ``dma_alloc``)."""
        dev = self.device
        return (
            dev.region_alloc(self.staging_attr, self.staging, name="src"),
            dev.region_alloc(self.staging_attr, self.staging, name="dst"),
        )

    @as_device
    def copy(self, data: bytes) -> bytes:
        """Copy ``data`` through the engine (source buffer -> destination buffer); returns
        what the CPU reads back from the destination."""
        return self._each_piece(data, self._copy_piece)

    @as_device
    def transform(self, data: bytes, fn: Callable[[bytes], bytes] = invert) -> bytes:
        """Run ``data`` through the engine's function ``fn`` (bytes -> bytes of the same
        length), piece by piece; returns what the CPU reads back."""
        return self._each_piece(data, lambda piece: self._transform_piece(piece, fn))

    def _each_piece(self, data: bytes, one: Callable[[bytes], bytes]) -> bytes:
        data = bytes(data)
        if not data:
            raise DriverError("nothing to transfer (0 bytes)")
        return b"".join(one(data[p : p + self.staging]) for p in range(0, len(data), self.staging))

    def _load(self, piece: bytes) -> None:
        """CPU side before the transfer: source written and flushed, destination invalidated."""
        self.device.cpu.write(self.src.addr, piece)
        self._before_dma(len(piece))

    def _before_dma(self, n: int) -> None:
        cache = self.device.memsys
        cache.sys_cache_data_flush_range(self.src.addr, n)
        cache.sys_cache_data_invd_range(self.dst.addr, n)

    def _unload(self, n: int) -> bytes:
        """CPU side after completion: invalidate, then read the destination."""
        self._after_dma(n)
        self.transfers += 1
        return self.device.cpu.read(self.dst.addr, n)

    def _after_dma(self, n: int) -> None:
        self.device.memsys.sys_cache_data_invd_range(self.dst.addr, n)

    def _copy_piece(self, piece: bytes) -> bytes:
        self._load(piece)
        dma = self.device.dma
        t = dma.start(self.channel, device=self.device.name, src=self.src.addr, dst=self.dst.addr, size=len(piece))
        self._while_running(t)
        dma.complete(t)
        return self._unload(len(piece))

    def _while_running(self, transfer: "DmaTransfer") -> None:
        """What the CPU does to the buffers while the engine runs: nothing (they are the
        engine's until completion)."""

    def _transform_piece(self, piece: bytes, fn: Callable[[bytes], bytes]) -> bytes:
        self._load(piece)
        dma, name, n = self.device.dma, self.device.name, len(piece)
        t = dma.start(self.channel, device=name, src=self.src.addr, size=n)
        dma.complete(t)
        out = fn(t.result or b"")
        if len(out) != n:
            raise DriverError(f"transform returned {len(out)} bytes for a {n}-byte block")
        t = dma.start(self.channel, device=name, dst=self.dst.addr, size=n, data=out)
        dma.complete(t)
        return self._unload(n)
