"""A memory-to-memory DMA controller used as a copy (and transform) offload engine
(STM32 DMA/MDMA/BDMA, NXP eDMA, ESP32 GDMA).

The CPU writes the source through the cache, so it flushes it before the engine reads; the
engine writes the destination behind the cache, so the CPU invalidates it before the transfer
(no dirty or stale line may sit over it) and after completion (before reading).  Both staging
buffers come from the node's ``memory-region`` (else ``CACHEABLE``), line-aligned and padded.

The copies run on one channel of this controller, taken at init as ``dma_request_channel()``
takes one: the lowest channel that no ``dmas`` entry of the devicetree assigns (the
peripherals' channels are theirs, as a board's devicetree plans them) and that no device holds
yet; every transfer goes through ``dma_config()`` / ``dma_start()`` on it.

Operations: :meth:`MemToMemDma.copy` (a memory-to-memory transfer) and
:meth:`MemToMemDma.transform` (the engine reads the source, applies a function as a crypto or
CRC engine would, and writes the result: two transfers through the peripheral).  Inputs larger
than the staging buffers go through in pieces.  Node property: ``staging-size`` (default 1024).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from ..bootstage.dmas import DmaBlockConfig, DmaChannel, DmaConfig, DmaSpec, DmaSpecError, decode_dmas
from ..bootstage.driver import Driver, register_driver
from ..bootstage.levels import InitLevel
from ..heap.region import SmhAttr
from ..memory import DmaDirection
from ..units import human_size
from ._common import DeviceInitError, DriverError, as_device, prop_int

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
    ``staging`` (their usable size), ``channel`` (the :class:`DmaChannel` the copies run on),
    ``transfers`` (count)."""

    #: SMH attribute of the staging buffers when the node has no memory-region.
    staging_attr = SmhAttr.CACHEABLE
    #: The specifier cell that holds the channel number, by compatible: Zephyr's eDMA binding
    #: calls it ``mux`` (its LPUART driver passes that cell to ``dma_config()`` as the channel).
    channel_cell = {"nxp,mcux-edma": "mux"}

    def init(self, device: "Device") -> None:
        """Allocate the staging buffers and take a channel of this controller."""
        self.device = device
        self.staging = prop_int(device, "staging-size", 1024, maximum=16 << 20)
        self.src, self.dst = self._alloc_staging()
        self.channel = self._request_channel()
        self.transfers = 0
        device.log(f"memory-to-memory on channel {self.channel.channel}, "
                   f"staging {human_size(self.staging)} x2")

    def _request_channel(self) -> DmaChannel:
        """The lowest channel of this controller that no ``dmas`` entry assigns and no device
        holds (``dma_request_channel()``), claimed for the copies."""
        dev = self.device
        engine = dev.system.dma_controller(dev.path)
        assigned = self._assigned_channels()
        for number in range(engine.channels):
            if number not in assigned and number not in engine.claimed:
                engine.claimed.add(number)
                spec = DmaSpec(name="mem2mem", index=0, controller=dev, controller_path=dev.path,
                               cells=(number,), cell_names=("channel",))
                return DmaChannel(dev, spec, engine, number)
        raise DeviceInitError(
            f"no channel left for memory-to-memory copies: the devicetree's dmas entries "
            f"assign all {engine.channels} channels of {dev.path} (set dma-channels on it, or "
            "move a peripheral to another controller)")

    def _assigned_channels(self) -> set[int]:
        """Channels of this controller that some status-okay node's ``dmas`` names."""
        dev = self.device
        dt = dev.system.devicetree
        cell = self.channel_cell.get(dev.compatible, "channel")
        out: set[int] = set()
        for node in dt.nodes():
            if "dmas" not in node.props or not dt.status_okay(node):
                continue
            try:
                specs = decode_dmas(dev.system, node.path)
            except DmaSpecError:
                continue  # that node's own init reports it
            for spec in specs:
                number = spec.cell(cell)
                if spec.controller_path == dev.path and number is not None:
                    out.add(number)
        return out

    def _alloc_staging(self) -> tuple["Buffer", "Buffer"]:
        """Source and destination buffers, line-aligned and padded (see ``dma_alloc``)."""
        dev = self.device
        return (
            dev.region_alloc(self.staging_attr, self.staging, name="src"),
            dev.region_alloc(self.staging_attr, self.staging, name="dst"),
        )

    @property
    def _register(self) -> int:
        # The engine's own end of a transform (its data register), never memory.
        reg = self.device.reg
        return reg[0].addr if reg else 0

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

    def _run(self, direction: DmaDirection, src: int, dst: int, n: int,
             data: bytes | None = None) -> "DmaTransfer":
        """``dma_config()`` and ``dma_start()`` of one block on the channel."""
        self.channel.config(DmaConfig(
            channel_direction=direction,
            head_block=DmaBlockConfig(source_address=src, dest_address=dst, block_size=n)))
        return self.channel.start(data)

    def _copy_piece(self, piece: bytes) -> bytes:
        self._load(piece)
        t = self._run(DmaDirection.MEMORY_TO_MEMORY, self.src.addr, self.dst.addr, len(piece))
        self._while_running(t)
        self.channel.complete()
        return self._unload(len(piece))

    def _while_running(self, transfer: "DmaTransfer") -> None:
        """What the CPU does to the buffers while the engine runs: nothing (they are the
        engine's until completion)."""

    def _transform_piece(self, piece: bytes, fn: Callable[[bytes], bytes]) -> bytes:
        self._load(piece)
        n = len(piece)
        self._run(DmaDirection.MEMORY_TO_PERIPHERAL, self.src.addr, self._register, n)
        out = fn(self.channel.complete())
        if len(out) != n:
            raise DriverError(f"transform returned {len(out)} bytes for a {n}-byte block")
        self._run(DmaDirection.PERIPHERAL_TO_MEMORY, self._register, self.dst.addr, n, out)
        self.channel.complete()
        return self._unload(n)
