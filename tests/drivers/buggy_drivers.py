"""Deliberately buggy variants of the shipped drivers, one (or two) per bug class of issue 6.

Each subclasses a shipped driver and changes only the step that real driver fixes changed
(Zephyr, NuttX, SOF), so the diff against the shipped driver is the bug.  They are not
registered in the process registry: tests pass them to ``boot()`` through
``drvrig.registry(variant)``, which makes them replace the shipped driver of the same
compatibles for that boot only.

``BUGS`` lists, per class: the variant, the device kind it replaces (see ``drvrig.NODES``),
the operation that reveals it and the kind the checker must report first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from drvrig import boards_with, pattern

from smh_boot.drivers.display import DisplayController
from smh_boot.drivers.dma import MemToMemDma
from smh_boot.drivers.ethernet import EthernetMac
from smh_boot.drivers.psram import Esp32LcdCam
from smh_boot.drivers.uart import Uart
from smh_boot.heap.region import SmhAttr
from smh_boot.memory import CoherencyKind

# ---------------------------------------------------------------------------- class 1
class NoFlushTxEthernet(EthernetMac):
    """1. Stale TX data: the frame is handed to the MAC without flushing the cache."""

    def _before_tx_dma(self, buf: Any, length: int) -> None:
        pass


class NoFlushDisplay(DisplayController):
    """1, for a framebuffer: scan-out without writing back what the CPU drew."""

    def _before_scan_out(self) -> None:
        pass


# ---------------------------------------------------------------------------- class 2
class NoInvalidateRxEthernet(EthernetMac):
    """2. Stale RX data: the driver reads a received frame without invalidating first."""

    def _after_rx_dma(self, buf: Any, length: int) -> None:
        pass


class NoInvalidateCapture(Esp32LcdCam):
    """2, in PSRAM: the camera frame is read without invalidating after the GDMA wrote it."""

    def _after_capture(self, length: int) -> None:
        pass


# ---------------------------------------------------------------------------- class 3
class EarlyInvalidateDma(MemToMemDma):
    """3. Invalidate while the engine is still writing (right after starting it, "before the
    data arrives"), and not after completion: a speculative fill in between stays stale."""

    def _while_running(self, transfer: Any) -> None:
        self.device.memsys.sys_cache_data_invd_range(self.dst.addr, transfer.size)

    def _after_dma(self, n: int) -> None:
        pass


# ---------------------------------------------------------------------------- class 4
class DirtyDestinationDma(MemToMemDma):
    """4. The driver clears the destination through the cache ("to be safe") and starts the
    engine without flushing or invalidating it: the dirty lines, evicted during the transfer,
    overwrite what the engine wrote."""

    def _before_dma(self, n: int) -> None:
        self.device.memsys.sys_cache_data_flush_range(self.src.addr, n)
        self.device.cpu.fill(self.dst.addr, 0, n)


class TouchDuringTransferDma(MemToMemDma):
    """4, the other way round: the CPU clears the destination while the engine is still
    writing it ("touched the buffer before the transfer completed")."""

    def _while_running(self, transfer: Any) -> None:
        self.device.cpu.fill(self.dst.addr, 0, transfer.size)


# ---------------------------------------------------------------------------- classes 5, 6
#: Staging size of the padding variants: not a whole number of lines, and chosen so that on
#: every showcase heap the job record lands in the destination's last line (checked by a test).
ODD_STAGING = 176


class _JobRecordDma(MemToMemDma):
    """Shared by the padding variants: the driver keeps a small job record (source,
    destination, length) in cacheable memory, allocated right after the destination, and
    writes it before each transfer (CPU-only data: it is never flushed, and need not be)."""

    def _alloc_staging(self) -> tuple[Any, Any]:
        self.staging = ODD_STAGING
        src, dst = self._staging_pair()
        self.job = self.device.alloc(SmhAttr.CACHEABLE, 16, name="job")
        return src, dst

    def _staging_pair(self) -> tuple[Any, Any]:  # pragma: no cover - overridden
        raise NotImplementedError

    def _load(self, piece: bytes) -> None:
        cpu = self.device.cpu
        cpu.write(self.src.addr, piece)
        for i, word in enumerate((self.src.addr, self.dst.addr, len(piece), self.transfers)):
            cpu.write_u32(self.job.addr + 4 * i, word)
        self._before_dma(len(piece))


class UnalignedDma(_JobRecordDma):
    """5. Staging buffers neither aligned nor padded: invalidating the destination drops the
    whole last line, with the job record's unflushed bytes in it."""

    def _staging_pair(self) -> tuple[Any, Any]:
        dev = self.device
        return (dev.alloc(SmhAttr.CACHEABLE, ODD_STAGING, name="src"), dev.alloc(SmhAttr.CACHEABLE, ODD_STAGING, name="dst"))


class UnpaddedDma(_JobRecordDma):
    """6. Staging buffers aligned to the line but not padded: the heap gives the tail of the
    destination's last line to the job record, and the transfer's lines (and the invalidate
    after it) clobber it.  This driver invalidates only after completion, so the first thing
    the checker sees is the transfer starting over a shared line."""

    def _staging_pair(self) -> tuple[Any, Any]:
        dev = self.device
        line = dev.memsys.line_size or 4
        return (
            dev.aligned_alloc(SmhAttr.CACHEABLE, line, ODD_STAGING, name="src"),
            dev.aligned_alloc(SmhAttr.CACHEABLE, line, ODD_STAGING, name="dst"),
        )

    def _before_dma(self, n: int) -> None:
        self.device.memsys.sys_cache_data_flush_range(self.src.addr, n)


# ---------------------------------------------------------------------------- class 7
class CacheableRingUart(Uart):
    """7. RX ring and TX buffer from cacheable memory, which this UART's DMA cannot use (and
    without the shipped driver's init-time refusal of such buffers)."""

    def _alloc(self, name: str, size: int) -> Any:
        return self.device.dma_alloc(SmhAttr.CACHEABLE, size, name=name)

    def _check_buffers(self) -> None:
        pass


class CacheableRingEthernet(EthernetMac):
    """7, for descriptors: rings from cacheable memory, polled by both the CPU and the MAC."""

    def _ring(self, name: str, size: int) -> Any:
        return self.device.dma_aligned_alloc(SmhAttr.CACHEABLE, self.profile.desc_align, size, name=name)


# ---------------------------------------------------------------------------- class 8 (issue 13)
class InvalidateTxEthernet(EthernetMac):
    """8. Invalidate where a flush was needed: the TX frame is dropped from the cache before
    the MAC reads it, so the MAC sends what memory held before (and the frame is lost)."""

    def _before_tx_dma(self, buf: Any, length: int) -> None:
        self.device.memsys.sys_cache_data_invd_range(buf.addr, length)


class InvalidateAllDma(MemToMemDma):
    """8, across drivers: after each copy the engine's driver invalidates the *whole* cache
    (``sys_cache_data_invd_all()``) instead of its destination, discarding what other drivers
    wrote and have not flushed yet (here: the display's drawing, before its next refresh)."""

    def _after_dma(self, n: int) -> None:
        self.device.memsys.sys_cache_data_invd_all()


# ---------------------------------------------------------------------------- class 9 (issue 13)
class TearingDisplay(DisplayController):
    """9. Single-buffered drawing during scan-out: the CPU draws the next frame (and flushes
    it) while the controller is still fetching this one, so the panel shows half of each."""

    def scan_out(self, offset: int = 0, size: int | None = None) -> bytes:
        with self.device.memsys.acting_as(self.device.name):
            size = self.frame_size - offset if size is None else size
            self._before_scan_out()
            self.damage = None
            dma = self.device.dma
            t = dma.start(self.channel, device=self.device.name, src=self.fb.addr + offset, size=size)
            dma.advance(t, size // 2)
            self.device.cpu.write(self.fb.addr + offset, pattern(size, 99))  # the next frame
            self.device.memsys.sys_cache_data_flush_range(self.fb.addr + offset, size)
            dma.complete(t)
            self.frames += 1
            return t.result or b""


# ---------------------------------------------------------------------------- the table
def _eth(drv: Any, seed: int) -> None:
    drv.send_frame(pattern(200, seed))
    drv.receive_frame(pattern(300, seed + 1))


def _dma(drv: Any, seed: int) -> None:
    drv.copy(pattern(ODD_STAGING, seed))


def _display(drv: Any, seed: int) -> None:
    drv.draw(pattern(256, seed), 1024)
    drv.scan_out(1024, 256)


def _uart(drv: Any, seed: int) -> None:
    drv.receive(pattern(100, seed))
    drv.send(pattern(50, seed))


def _capture(drv: Any, seed: int) -> None:
    drv.capture(pattern(512, seed))


def _draw_then_dma(drv: Any, seed: int) -> None:
    """The display draws (flush pending until its next scan-out), then the DMA driver copies."""
    system = drv.device.system
    display = next(d.driver for d in system.devices.values() if isinstance(d.driver, DisplayController))
    display.draw(pattern(256, seed), 4096)
    drv.copy(pattern(64, seed))


@dataclass(frozen=True)
class Bug:
    """One buggy variant: the class number, the variant, the device kind it replaces, the
    operation that reveals it and the kind the checker must report first."""

    number: int
    variant: type
    device: str
    operation: Callable[[Any, int], None]
    kind: CoherencyKind
    only: tuple[str, ...] = ()  #: restrict to these boards (default: every board with the device)
    breaks: bool = False  #: the bug also makes the operation fail (DriverError) after the report
    victim: str | None = None  #: device kind whose buffer the report names (default: ``device``)

    @property
    def boards(self) -> list[str]:
        """The showcase boards this variant runs on."""
        return list(self.only) or boards_with(self.device)

    @property
    def id(self) -> str:
        """Test id: ``"1-NoFlushTxEthernet"``."""
        return f"{self.number}-{self.variant.__name__}"


BUGS = (
    Bug(1, NoFlushTxEthernet, "eth", _eth, CoherencyKind.STALE_TX_DATA),
    Bug(1, NoFlushDisplay, "display", _display, CoherencyKind.STALE_TX_DATA,
        ("stm32h747i_disco_m7", "mimxrt1170_evk")),
    Bug(2, NoInvalidateRxEthernet, "eth", _eth, CoherencyKind.STALE_RX_DATA),
    Bug(2, NoInvalidateCapture, "display", _capture, CoherencyKind.STALE_RX_DATA, ("esp32s3_devkitc",)),
    Bug(3, EarlyInvalidateDma, "dma", _dma, CoherencyKind.INVALIDATE_BEFORE_COMPLETION),
    Bug(4, DirtyDestinationDma, "dma", _dma, CoherencyKind.DIRTY_EVICTION_DURING_DMA),
    Bug(4, TouchDuringTransferDma, "dma", _dma, CoherencyKind.DIRTY_EVICTION_DURING_DMA),
    Bug(5, UnalignedDma, "dma", _dma, CoherencyKind.PARTIAL_LINE_INVALIDATE),
    Bug(6, UnpaddedDma, "dma", _dma, CoherencyKind.UNPADDED_DMA_BUFFER),
    Bug(7, CacheableRingUart, "uart", _uart, CoherencyKind.CACHEABLE_BUFFER_FOR_DMA),
    # The MAC reads the descriptor from memory while the CPU's OWN bit sits in the cache: the
    # frame is never sent, and the driver's TX timeout path raises DriverError.
    Bug(7, CacheableRingEthernet, "eth", _eth, CoherencyKind.CACHEABLE_BUFFER_FOR_DMA, breaks=True),
    Bug(8, InvalidateTxEthernet, "eth", _eth, CoherencyKind.INVALIDATE_DISCARDED_DIRTY),
    Bug(8, InvalidateAllDma, "dma", _draw_then_dma, CoherencyKind.INVALIDATE_DISCARDED_DIRTY,
        victim="display"),
    Bug(9, TearingDisplay, "display", _display, CoherencyKind.TX_BUFFER_WRITTEN_DURING_DMA,
        ("stm32h747i_disco_m7", "mimxrt1170_evk")),
)
