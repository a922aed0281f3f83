"""A DMA-driven UART: circular RX ring and TX bounce buffer in non-cacheable memory.

Zephyr's async UART drivers on cached cores (``uart_stm32``, ``uart_mcux_lpuart``) refuse
buffers in cacheable memory: the DMA writes received bytes while the CPU may be reading the
ring, so no cache maintenance can be placed correctly.  This driver does what they require:
both buffers come from ``NON_CACHEABLE`` memory (or the node's ``memory-region``; init fails
when that memory is cacheable), every transfer declares ``requires_noncacheable``, and no
maintenance is needed.

Operations: :meth:`DmaUart.receive` (the line delivers bytes; the DMA writes them into the
ring; the driver reads them out, optionally at idle-line events while the transfer runs) and :meth:`DmaUart.send` (the driver copies into the TX
buffer; the DMA reads it out to the line, returned as ``wire`` bytes).

Node properties: ``rx-ring-size`` (default 256), ``tx-buffer-size`` (default 128).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..bootstage.driver import Driver, register_driver
from ..bootstage.levels import InitLevel
from ..heap.region import SmhAttr
from ._common import DriverError, as_device, dma_channel, prop_int, refuse_cacheable

if TYPE_CHECKING:  # pragma: no cover
    from ..bootstage.device import Buffer, Device


@register_driver(
    "st,stm32-usart",
    "st,stm32-uart",
    "st,stm32-lpuart",
    "nxp,lpuart",
    "nxp,kinetis-lpuart",
    "espressif,esp32-uart",
    level=InitLevel.PRE_KERNEL_1,
    priority=55,
)
class DmaUart(Driver):
    """UART with DMA reception into a circular ring (``head`` = where the DMA writes next,
    ``tail`` = what the driver has read).  Attributes after init: ``rx_ring``, ``tx_buf``
    (Buffers), ``wire`` (every byte transmitted, in order), ``received`` (byte count)."""

    #: SMH attribute asked for when the node has no ``memory-region``.
    ring_attr = SmhAttr.NON_CACHEABLE
    #: binds only to nodes with ``dmas`` (the boot stage lists the others as unbound)
    requires_dmas = True

    def init(self, device: "Device") -> None:
        """Allocate the RX ring and the TX buffer and start reception."""
        self.device = device
        self.ring_size = prop_int(device, "rx-ring-size", 256, maximum=1 << 20)
        self.tx_size = prop_int(device, "tx-buffer-size", 128, maximum=1 << 20)
        self.rx_ring = self._alloc("rx-ring", self.ring_size)
        self.tx_buf = self._alloc("tx-buffer", self.tx_size)
        self._check_buffers()
        self.channel = dma_channel(device)
        self.head = 0
        self.tail = 0
        self.received = 0
        self.wire = bytearray()
        device.log(f"rx ring {self.ring_size} B, tx buffer {self.tx_size} B, dma channel {self.channel}")

    def _alloc(self, name: str, size: int) -> "Buffer":
        return self.device.region_alloc(self.ring_attr, size, name=name)

    def _check_buffers(self) -> None:
        """Refuse cacheable buffers up front (the DMA writes the ring while the CPU reads it)."""
        refuse_cacheable(self.device, self.rx_ring)
        refuse_cacheable(self.device, self.tx_buf)

    # ------------------------------------------------------------------ reception
    @as_device
    def receive(self, data: bytes, *, burst: int | None = None) -> bytes:
        """The line delivers ``data``: the DMA writes it into the ring, wrapping as a circular
        DMA does (one transfer per contiguous piece of the ring).  The driver reads the new
        bytes out at each idle-line event: every ``burst`` bytes, while the transfer is still
        running (the reason the ring must be non-cacheable), or by default once the piece is
        complete.  Returns what the driver read, in order."""
        if burst is not None and burst < 1:
            raise DriverError(f"burst = {burst}; an idle-line event comes after at least 1 byte")
        out = bytearray()
        pos = 0
        while pos < len(data):
            n = min(len(data) - pos, self.ring_size - self.head)
            out += self._dma_in(self.rx_ring.addr + self.head, bytes(data[pos : pos + n]), burst or n)
            self.head = (self.head + n) % self.ring_size
            pos += n
        self.received += len(out)
        return bytes(out)

    def _dma_in(self, addr: int, chunk: bytes, burst: int) -> bytes:
        """Hardware side: a peripheral-to-memory transfer of ``chunk`` at ``addr``, written
        ``burst`` bytes at a time; the driver drains each burst as it lands."""
        dma = self.device.dma
        t = dma.start(
            self.channel, device=self.device.name, dst=addr, size=len(chunk), data=chunk,
            requires_noncacheable=True,
        )
        got = bytearray()
        while t.written < t.size:
            got += self._drain(dma.advance(t, burst))
        dma.complete(t)
        return bytes(got)

    def _drain(self, n: int) -> bytes:
        """Driver side: read ``n`` bytes at ``tail`` (the ring is non-cacheable: no maintenance)."""
        data = self.device.cpu.read(self.rx_ring.addr + self.tail, n)
        self.tail = (self.tail + n) % self.ring_size
        return data

    # ------------------------------------------------------------------ transmission
    @as_device
    def send(self, data: bytes) -> bytes:
        """Transmit ``data`` in TX-buffer-sized pieces: the CPU copies each piece into the TX
        buffer and the DMA reads it out to the line.  Returns the bytes that went on the wire."""
        sent = bytearray()
        for pos in range(0, len(data), self.tx_size):
            chunk = bytes(data[pos : pos + self.tx_size])
            self.device.cpu.write(self.tx_buf.addr, chunk)
            self._before_tx(self.tx_buf.addr, len(chunk))
            t = self.device.dma.start(
                self.channel, device=self.device.name, src=self.tx_buf.addr, size=len(chunk),
                requires_noncacheable=True,
            )
            self.device.dma.complete(t)
            sent += t.result or b""
        self.wire += sent
        return bytes(sent)

    def _before_tx(self, addr: int, size: int) -> None:
        """Hook before the DMA reads the TX buffer: nothing to do in non-cacheable memory."""
