"""An SPI controller with TX/RX DMA and a completion callback, written from the README's
"Writing a driver" section and docs/driver-api.md alone: public imports only."""

from smh_boot.drivers import (
    DmaBlockConfig,
    DmaConfig,
    DmaDirection,
    Driver,
    DriverError,
    InitLevel,
    SmhAttr,
    as_device,
    register_driver,
)

#: The SPI data register: the peripheral end of both DMA channels.
SPI_DR = 0x40013020
CMD_PAGE_PROGRAM = 0x02


@register_driver("acme,spi-dma", level=InitLevel.POST_KERNEL, priority=80)
class AcmeSpi(Driver):
    """Full-duplex SPI: TX from a buffer the CPU writes (a 4-byte command header, then the
    payload), RX into a buffer the DMA writes; each channel calls back on completion."""

    HEADER = 4
    requires_dmas = True  # no dmas, no driver: the node is listed as unbound

    def init(self, device):
        n = device.prop("transfer-size", 64)
        self.max_payload = n
        # Both buffers are DMA buffers: line-aligned, padded, from the memory-region's heap.
        self.tx_buf = device.region_alloc(SmhAttr.CACHEABLE, self.HEADER + n, name="tx")
        self.rx_buf = device.region_alloc(SmhAttr.CACHEABLE, self.HEADER + n, name="rx")
        self.tx = device.dma_channel("tx")  # the channel cell of the "tx" dmas entry, on dma1
        self.rx = device.dma_channel("rx")
        self.completed = []
        spec = device.dmas["tx"]
        device.log(f"tx on {spec.controller.name} channel {spec.cell('channel')} "
                   f"slot {spec.cell('slot')}, rx channel {device.dmas['rx'].cell('channel')}")

    def _done(self, dev, user_data, channel, status):
        self.completed.append((user_data, channel, status))

    @as_device
    def transceive(self, cmd: int, addr: int, payload: bytes, reply: bytes) -> tuple[bytes, bytes]:
        """Send ``cmd``, a 24-bit ``addr`` and ``payload`` while the slave answers ``reply``
        (as many bytes); returns (bytes on the wire, what the driver read back)."""
        if len(payload) > self.max_payload:
            raise DriverError(f"payload of {len(payload)} bytes > {self.max_payload}")
        dev = self.device
        n = self.HEADER + len(payload)
        if len(reply) != n:
            raise DriverError(f"reply must be {n} bytes")
        header, body = self.tx_buf.split(self.HEADER)
        dev.cpu.write(header.addr, bytes([cmd]) + addr.to_bytes(3, "big"))
        dev.cpu.write(body.addr, payload)
        dev.memsys.sys_cache_data_flush_range(self.tx_buf.addr, n)
        dev.memsys.sys_cache_data_invd_range(self.rx_buf.addr, n)

        self.rx.config(DmaConfig(
            channel_direction=DmaDirection.PERIPHERAL_TO_MEMORY,
            head_block=DmaBlockConfig(source_address=SPI_DR, dest_address=self.rx_buf.addr,
                                      block_size=n),
            dma_callback=self._done, user_data="rx"))
        self.tx.config(DmaConfig(
            channel_direction=DmaDirection.MEMORY_TO_PERIPHERAL,
            head_block=DmaBlockConfig(source_address=self.tx_buf.addr, dest_address=SPI_DR,
                                      block_size=n),
            dma_callback=self._done, user_data="tx"))
        self.rx.start(reply)  # what the slave clocks in
        self.tx.start()
        wire = self.tx.complete()
        self.rx.complete()
        dev.memsys.sys_cache_data_invd_range(self.rx_buf.addr, n)
        return wire, dev.cpu.read(self.rx_buf.addr, n)
