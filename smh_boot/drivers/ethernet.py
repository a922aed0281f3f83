"""An Ethernet MAC with DMA descriptor rings, as the STM32H7 ETH and the i.MX RT ENET have.

Memory, as the real drivers arrange it:

* descriptor rings in **non-cacheable** memory (the node's ``memory-region``, else
  ``NON_CACHEABLE``), aligned as the MAC requires: the CPU and the MAC both poll and update
  the descriptors, so no cache maintenance could order their accesses;
* frame buffers in **cacheable** memory, aligned to the cache line and padded to whole lines;
  the driver flushes a TX frame before handing its descriptor to the MAC, and invalidates an
  RX buffer before first giving it to the MAC and after the MAC reports each frame complete
  (a speculative fill may have cached stale lines while the frame arrived).

The descriptor format is smh-boot's own (little-endian 32-bit words), shared by both MACs:

====  ===================================================================
word  meaning
====  ===================================================================
0     buffer address
1     bits 0-15: buffer size (RX, set by the driver) / frame length (TX, and RX after receive)
2     status: bit 31 OWN (the MAC owns the descriptor), bit 29 FIRST, bit 28 LAST
3..   reserved (the ENET's enhanced descriptors are 32 bytes)
====  ===================================================================

Operations: :meth:`EthernetMac.send_frame` returns what went on the wire (what the MAC's DMA
read), :meth:`EthernetMac.receive_frame` returns what the driver read back.  ``wire`` keeps every
transmitted frame.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..bootstage.driver import Driver, register_driver
from ..bootstage.levels import InitLevel
from ..heap.region import SmhAttr
from ..units import human_size
from ._common import DriverError, as_device, bus_master_channel, prop_int

if TYPE_CHECKING:  # pragma: no cover
    from ..bootstage.device import Buffer, Device

OWN = 1 << 31
FIRST = 1 << 29
LAST = 1 << 28
_WORDS = struct.Struct("<III")


@dataclass(frozen=True)
class MacProfile:
    """What one MAC family needs: descriptor size and alignment, frame buffer alignment."""

    desc_size: int
    desc_align: int
    buf_align: int
    buf_size: int = 1536  #: a whole number of 64-byte blocks, enough for a 1518-byte frame


#: STM32H7 ETH: 16-byte descriptors, word aligned; buffers word aligned (RM0399 58.10).
STM32_ETH = MacProfile(desc_size=16, desc_align=4, buf_align=4)
#: i.MX RT ENET enhanced descriptors: 32 bytes; the SDK aligns rings and buffers to 64.
NXP_ENET = MacProfile(desc_size=32, desc_align=64, buf_align=64)

_PROFILES = {
    "st,stm32-ethernet": STM32_ETH,
    "st,stm32h7-ethernet": STM32_ETH,
    "nxp,enet": NXP_ENET,
    "nxp,enet-mac": NXP_ENET,
}


#: Most descriptors per ring accepted from the devicetree (Zephyr's MAC drivers use 4-64).
MAX_DESCRIPTORS = 1024


@register_driver(*_PROFILES, level=InitLevel.POST_KERNEL, priority=80)
class EthernetMac(Driver):
    """Ethernet MAC driver.  Attributes after init: ``tx_ring``/``rx_ring`` (descriptor ring
    Buffers), ``tx_bufs``/``rx_bufs`` (frame Buffers), ``profile``, ``wire`` (transmitted
    frames), and the MAC's own ring positions ``hw_tx``/``hw_rx``."""

    #: SMH attribute of the rings when the node has no memory-region.
    ring_attr = SmhAttr.NON_CACHEABLE
    #: SMH attribute of the frame buffers.
    frame_attr = SmhAttr.CACHEABLE

    def init(self, device: "Device") -> None:
        """Allocate rings and frame buffers, give every RX buffer to the MAC."""
        self.device = device
        self.profile = _PROFILES.get(device.compatible, STM32_ETH)
        self.n_tx = prop_int(device, "tx-descriptors", 4, maximum=MAX_DESCRIPTORS)
        self.n_rx = prop_int(device, "rx-descriptors", 4, maximum=MAX_DESCRIPTORS)
        self.channel = bus_master_channel(device)
        ds = self.profile.desc_size
        self.tx_ring = self._ring("tx-desc", self.n_tx * ds)
        self.rx_ring = self._ring("rx-desc", self.n_rx * ds)
        self.tx_bufs = [self._frame_buffer(f"tx-buf{i}") for i in range(self.n_tx)]
        self.rx_bufs = [self._frame_buffer(f"rx-buf{i}") for i in range(self.n_rx)]
        self.tx_head = self.rx_tail = 0  # driver side
        self.hw_tx = self.hw_rx = 0  # MAC side
        self.wire: list[bytes] = []
        with device.memsys.acting_as(device.name):
            for i in range(self.n_tx):
                self._write_desc(self.tx_ring, i, 0, 0, 0)
            for i in range(self.n_rx):
                self._give_rx(i, first=True)
        device.log(
            f"{self.n_tx} tx / {self.n_rx} rx descriptors of {human_size(ds)}, "
            f"{human_size(self.profile.buf_size)} frame buffers"
        )

    def _ring(self, name: str, size: int) -> "Buffer":
        return self.device.region_alloc(self.ring_attr, size, name=name, align=self.profile.desc_align)

    def _frame_buffer(self, name: str) -> "Buffer":
        return self.device.dma_aligned_alloc(self.frame_attr, self.profile.buf_align, self.profile.buf_size, name=name)

    # ------------------------------------------------------------------ descriptors (CPU side)
    def _desc_addr(self, ring: "Buffer", i: int) -> int:
        return ring.addr + i * self.profile.desc_size

    def _write_desc(self, ring: "Buffer", i: int, addr: int, length: int, status: int) -> None:
        """CPU writes a descriptor: address and length first, the status word (with OWN) last,
        as drivers do behind a barrier so the MAC never sees OWN before the rest."""
        d = self._desc_addr(ring, i)
        self.device.cpu.write(d, struct.pack("<II", addr, length))
        self.device.cpu.write_u32(d + 8, status)

    def _read_status(self, ring: "Buffer", i: int) -> tuple[int, int]:
        """CPU reads (length, status) of a descriptor."""
        d = self._desc_addr(ring, i)
        return self.device.cpu.read_u32(d + 4) & 0xFFFF, self.device.cpu.read_u32(d + 8)

    def _give_rx(self, i: int, *, first: bool = False) -> None:
        """Hand RX buffer ``i`` to the MAC (OWN set).  The first time, drop any cached copy of
        it: no dirty line may sit over a buffer the MAC fills.  Later the CPU has only read the
        buffer, so it holds no dirty line of it, and the invalidate after each frame is the one
        that matters."""
        buf = self.rx_bufs[i]
        if first:
            self._before_rx_dma(buf)
        self._write_desc(self.rx_ring, i, buf.addr, self.profile.buf_size, OWN)

    def _before_rx_dma(self, buf: "Buffer") -> None:
        """No dirty or stale line of an RX buffer may stay cached while the MAC fills it."""
        self.device.memsys.sys_cache_data_invd_range(buf.addr, buf.size)

    # ------------------------------------------------------------------ MAC (hardware side)
    def _fetch(self, ring: "Buffer", i: int) -> tuple[int, int, int]:
        """The MAC reads a descriptor over the bus (the rings must be non-cacheable)."""
        d = self._desc_addr(ring, i)
        ms = self.device.memsys
        ms.require_noncacheable(d, self.profile.desc_size, device=self.device.name)
        return _WORDS.unpack(ms.dma.read(d, 12, device=self.device.name))

    def _writeback(self, ring: "Buffer", i: int, length: int, status: int) -> None:
        """The MAC updates a descriptor's length and status words over the bus."""
        d = self._desc_addr(ring, i)
        self.device.memsys.dma.write(d + 4, struct.pack("<II", length, status), device=self.device.name)

    def _mac_transmit(self) -> bytes:
        """The MAC takes the next TX descriptor it owns, DMA-reads the frame, releases it."""
        i = self.hw_tx
        addr, length, status = self._fetch(self.tx_ring, i)
        if not status & OWN:
            raise DriverError(f"TX timeout: the MAC does not see OWN in descriptor {i} (a stale copy?)")
        length &= 0xFFFF
        t = self.device.dma.start(self.channel, device=self.device.name, src=addr, size=length)
        self.device.dma.complete(t)
        self._writeback(self.tx_ring, i, length, status & ~OWN)
        self.hw_tx = (i + 1) % self.n_tx
        return t.result or b""

    def _mac_receive(self, frame: bytes) -> int:
        """The MAC DMA-writes ``frame`` into the buffer of the next RX descriptor it owns and
        marks it complete; returns the descriptor index."""
        i = self.hw_rx
        addr, size, status = self._fetch(self.rx_ring, i)
        if not status & OWN:
            raise DriverError(f"RX ring full: descriptor {i} not given back to the MAC")
        if len(frame) > (size & 0xFFFF):
            raise DriverError(f"frame of {len(frame)} bytes exceeds the {size & 0xFFFF}-byte RX buffer")
        t = self.device.dma.start(self.channel, device=self.device.name, dst=addr, size=len(frame), data=frame)
        self.device.dma.complete(t)
        self._writeback(self.rx_ring, i, len(frame), FIRST | LAST)
        self.hw_rx = (i + 1) % self.n_rx
        return i

    # ------------------------------------------------------------------ driver operations
    @as_device
    def send_frame(self, frame: bytes) -> bytes:
        """Transmit ``frame``: copy it into the next TX buffer, flush, hand the descriptor to
        the MAC, let it transmit, reclaim the descriptor.  Returns the bytes on the wire."""
        frame = bytes(frame)
        if not 0 < len(frame) <= self.profile.buf_size:
            raise DriverError(f"frame of {len(frame)} bytes; the MAC takes 1..{self.profile.buf_size}")
        i = self.tx_head
        _, status = self._read_status(self.tx_ring, i)
        if status & OWN:
            raise DriverError(f"TX ring full: descriptor {i} still owned by the MAC")
        buf = self.tx_bufs[i]
        self.device.cpu.write(buf.addr, frame)
        self._before_tx_dma(buf, len(frame))
        self._write_desc(self.tx_ring, i, buf.addr, len(frame), OWN | FIRST | LAST)
        try:
            wire = self._mac_transmit()
        except DriverError:
            # The TX timeout path of a real driver: take the descriptor back, report failure.
            self._write_desc(self.tx_ring, i, 0, 0, 0)
            raise
        _, status = self._read_status(self.tx_ring, i)
        if status & OWN:  # pragma: no cover - the simulated MAC always completes
            raise DriverError(f"TX descriptor {i} not released by the MAC")
        self.tx_head = (i + 1) % self.n_tx
        self.wire.append(wire)
        return wire

    def _before_tx_dma(self, buf: "Buffer", length: int) -> None:
        """The CPU's frame must be in memory before the MAC reads it."""
        self.device.memsys.sys_cache_data_flush_range(buf.addr, length)

    @as_device
    def receive_frame(self, frame: bytes) -> bytes:
        """A frame arrives from the wire: the MAC DMA-writes it into an RX buffer; the driver
        sees the descriptor complete, invalidates the buffer, reads the frame and gives the
        buffer back to the MAC.  Returns the frame as the driver read it."""
        frame = bytes(frame)
        if not frame:
            raise DriverError("an empty frame cannot be received")
        self._mac_receive(frame)
        i = self.rx_tail
        length, status = self._read_status(self.rx_ring, i)
        if status & OWN:  # pragma: no cover - the simulated MAC always completes
            raise DriverError(f"RX descriptor {i} still owned by the MAC")
        buf = self.rx_bufs[i]
        self._after_rx_dma(buf, length)
        data = self.device.cpu.read(buf.addr, length)
        self._give_rx(i)
        self.rx_tail = (i + 1) % self.n_rx
        return data

    def _after_rx_dma(self, buf: "Buffer", length: int) -> None:
        """Drop lines the core may have filled while the frame arrived, before reading it."""
        self.device.memsys.sys_cache_data_invd_range(buf.addr, length)
