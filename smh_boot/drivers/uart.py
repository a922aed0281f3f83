"""A UART, interrupt-driven or with DMA, as the devicetree says.

**With DMA** (the node's ``dmas`` has entries named ``rx`` and/or ``tx``, as Zephyr's async UART
drivers take them: ``DT_INST_DMAS_HAS_NAME(n, rx)``): reception runs on the ``rx`` channel into
a circular ring, transmission on the ``tx`` channel from a bounce buffer, both on the
controller and channel the devicetree names (``device.dma_channel``, ``dma_config()`` /
``dma_start()``).  Zephyr's async UART drivers on cached cores (``uart_stm32``,
``uart_mcux_lpuart``) refuse buffers in cacheable memory: the DMA writes received bytes while
the CPU may be reading the ring, so no cache maintenance can be placed correctly.  This driver
does what they require: both buffers come from ``NON_CACHEABLE`` memory (or the node's
``memory-region``; init fails when that memory is cacheable), every transfer declares
``requires_noncacheable``, and no maintenance is needed.

**Without DMA** (no ``dmas``, or no entry for a direction): that direction is interrupt-driven,
as Zephyr's UART drivers run without DMA (``uart_irq_*`` / ``uart_poll_*``): the ISR moves each
byte between the data register and the caller, through the FIFO.  Such a driver takes no
memory from the pool (its ring buffers, if any, belong to the application or the console), so
neither does this one for that direction.

Operations: :meth:`Uart.receive` (the line delivers bytes; with DMA they land in the ring and
the driver reads them out, optionally at idle-line events while the transfer runs) and
:meth:`Uart.send` (with DMA the driver copies into the TX buffer and the DMA reads it out to
the line); both return what went through, ``wire`` keeps every byte sent.

Node properties: ``dmas`` / ``dma-names`` (``"rx"``, ``"tx"``), ``rx-ring-size`` (default 256),
``tx-buffer-size`` (default 128); the sizes matter only with DMA.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..bootstage.dmas import DmaBlockConfig, DmaConfig
from ..bootstage.driver import Driver, register_driver
from ..bootstage.levels import InitLevel
from ..heap.region import SmhAttr
from ..memory import DmaDirection
from ..units import human_size
from ._common import DeviceInitError, DriverError, as_device, prop_int, refuse_cacheable

if TYPE_CHECKING:  # pragma: no cover
    from ..bootstage.device import Buffer, Device
    from ..bootstage.dmas import DmaChannel

#: ``dma-names`` of the two directions (Zephyr's ``DT_INST_DMAS_CTLR_BY_NAME(n, rx)``...).
DIRECTIONS = ("rx", "tx")


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
class Uart(Driver):
    """UART, each direction with DMA (when ``dmas`` names it) or interrupt-driven.

    Attributes after init: ``rx_dma``, ``tx_dma`` (the :class:`DmaChannel` of each direction,
    None when it is interrupt-driven), ``rx_ring``, ``tx_buf`` (Buffers, None without DMA),
    ``ring_size``, ``tx_size``, ``head`` (where the DMA writes next in the ring), ``tail``
    (what the driver has read), ``wire`` (every byte transmitted, in order), ``received``
    (byte count)."""

    #: SMH attribute asked for when the node has no ``memory-region``.
    ring_attr = SmhAttr.NON_CACHEABLE

    def init(self, device: "Device") -> None:
        """Take the DMA channels the devicetree names; with DMA, allocate the RX ring and the
        TX buffer (nothing for an interrupt-driven direction)."""
        self.device = device
        self.data_register = device.reg[0].addr if device.reg else 0
        channels = self._channels()
        self.rx_dma: DmaChannel | None = channels.get("rx")
        self.tx_dma: DmaChannel | None = channels.get("tx")
        self.ring_size = prop_int(device, "rx-ring-size", 256, maximum=1 << 20)
        self.tx_size = prop_int(device, "tx-buffer-size", 128, maximum=1 << 20)
        self.rx_ring: Buffer | None = self._alloc("rx-ring", self.ring_size) if self.rx_dma else None
        self.tx_buf: Buffer | None = self._alloc("tx-buffer", self.tx_size) if self.tx_dma else None
        self._check_buffers()
        self.head = 0
        self.tail = 0
        self.received = 0
        self.wire = bytearray()
        device.log(self._describe_modes())

    def _channels(self) -> dict[str, "DmaChannel"]:
        """The channel of each direction ``dma-names`` gives, in ``dmas`` order (a controller
        without a channel cell hands out free channels in that order)."""
        dmas = self.device.dmas  # DeviceInitError when dmas does not decode
        if len(dmas) == 0:
            return {}
        named = [s for s in dmas if s.name in DIRECTIONS]
        if not named:
            names = ", ".join(repr(n) for n in dmas.names) or "none (no dma-names)"
            raise DeviceInitError(
                f"dmas has no entry named 'rx' or 'tx' (dma-names: {names}); a UART takes its "
                "DMA channels by name: dma-names = \"rx\", \"tx\"; or drop dmas to run it "
                "interrupt-driven")
        return {s.name: self.device.dma_channel(s.index) for s in named}  # type: ignore[misc]

    def _describe_modes(self) -> str:
        if self.rx_dma is None and self.tx_dma is None:
            return "interrupt-driven (no dmas): no DMA buffers, bytes move through the data register"
        parts = []
        for name, ch, buf, what in (("rx", self.rx_dma, self.rx_ring, "ring"),
                                    ("tx", self.tx_dma, self.tx_buf, "buffer")):
            if ch is None:
                parts.append(f"{name} interrupt-driven (no '{name}' in dma-names)")
            else:
                assert buf is not None
                ctrl = ch.controller.name if ch.controller is not None else ch.spec.controller_path
                parts.append(f"{name} {what} {human_size(buf.size)} on {ctrl} channel {ch.channel}")
        return ", ".join(parts)

    @property
    def rx_mode(self) -> str:
        """``"dma"`` or ``"interrupt"``."""
        return "dma" if self.rx_dma is not None else "interrupt"

    @property
    def tx_mode(self) -> str:
        """``"dma"`` or ``"interrupt"``."""
        return "dma" if self.tx_dma is not None else "interrupt"

    def _alloc(self, name: str, size: int) -> "Buffer":
        return self.device.region_alloc(self.ring_attr, size, name=name)

    def _check_buffers(self) -> None:
        """Refuse cacheable buffers up front (the DMA writes the ring while the CPU reads it)."""
        for buf in (self.rx_ring, self.tx_buf):
            if buf is not None:
                refuse_cacheable(self.device, buf)

    # ------------------------------------------------------------------ reception
    @as_device
    def receive(self, data: bytes, *, burst: int | None = None) -> bytes:
        """The line delivers ``data``; returns what the driver read, in order.

        With DMA, the DMA writes it into the ring, wrapping as a circular DMA does (one
        transfer per contiguous piece of the ring).  The driver reads the new bytes out at each
        idle-line event: every ``burst`` bytes, while the transfer is still running (the reason
        the ring must be non-cacheable), or by default once the piece is complete.
        Interrupt-driven, the ISR reads each byte from the data register (``burst`` is checked
        but every byte is its own interrupt)."""
        if burst is not None and burst < 1:
            raise DriverError(f"burst = {burst}; an idle-line event comes after at least 1 byte")
        data = bytes(data)
        if self.rx_dma is None:
            self.received += len(data)
            return data
        assert self.rx_ring is not None
        out = bytearray()
        pos = 0
        while pos < len(data):
            n = min(len(data) - pos, self.ring_size - self.head)
            out += self._dma_in(self.rx_ring.addr + self.head, data[pos : pos + n], burst or n)
            self.head = (self.head + n) % self.ring_size
            pos += n
        self.received += len(out)
        return bytes(out)

    def _dma_in(self, addr: int, chunk: bytes, burst: int) -> bytes:
        """Hardware side: a peripheral-to-memory transfer of ``chunk`` at ``addr`` on the
        ``rx`` channel, written ``burst`` bytes at a time; the driver drains each burst as it
        lands."""
        ch = self.rx_dma
        assert ch is not None
        ch.config(DmaConfig(
            channel_direction=DmaDirection.PERIPHERAL_TO_MEMORY,
            head_block=DmaBlockConfig(source_address=self.data_register, dest_address=addr,
                                      block_size=len(chunk)),
            requires_noncacheable=True,
        ))
        t = ch.start(chunk)
        got = bytearray()
        while t.written < t.size:
            got += self._drain(ch.advance(burst))
        ch.complete()
        return bytes(got)

    def _drain(self, n: int) -> bytes:
        """Driver side: read ``n`` bytes at ``tail`` (the ring is non-cacheable: no maintenance)."""
        assert self.rx_ring is not None
        data = self.device.cpu.read(self.rx_ring.addr + self.tail, n)
        self.tail = (self.tail + n) % self.ring_size
        return data

    # ------------------------------------------------------------------ transmission
    @as_device
    def send(self, data: bytes) -> bytes:
        """Transmit ``data``; returns the bytes that went on the wire.

        With DMA, in TX-buffer-sized pieces: the CPU copies each piece into the TX buffer and
        the DMA reads it out to the line.  Interrupt-driven, the ISR writes each byte to the
        data register."""
        data = bytes(data)
        if self.tx_dma is None:
            self.wire += data
            return data
        assert self.tx_buf is not None
        sent = bytearray()
        for pos in range(0, len(data), self.tx_size):
            chunk = data[pos : pos + self.tx_size]
            self.device.cpu.write(self.tx_buf.addr, chunk)
            self._before_tx(self.tx_buf.addr, len(chunk))
            self.tx_dma.config(DmaConfig(
                channel_direction=DmaDirection.MEMORY_TO_PERIPHERAL,
                head_block=DmaBlockConfig(source_address=self.tx_buf.addr,
                                          dest_address=self.data_register, block_size=len(chunk)),
                requires_noncacheable=True,
            ))
            self.tx_dma.start()
            sent += self.tx_dma.complete()
        self.wire += sent
        return bytes(sent)

    def _before_tx(self, addr: int, size: int) -> None:
        """Hook before the DMA reads the TX buffer: nothing to do in non-cacheable memory."""


#: The class's name before a UART without ``dmas`` bound interrupt-driven (kept for imports).
DmaUart = Uart
