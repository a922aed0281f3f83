"""An outside team's drivers with use-after-free bugs around DMA (#13): an I2S capture driver
that frees its buffer with the stream still running, and an SPI driver that keeps a buffer
handle after freeing it.  Each is caught at the operation that causes it, as a typed
``DmaUseAfterFree`` naming the device, the DMA channel, the transfer, the freed buffer and the
block that lives there now; the correct variants stay clean on every stress seed."""

from __future__ import annotations

import pytest

from smh_boot import boot
from smh_boot.drivers import (
    DmaBlockConfig,
    DmaConfig,
    DmaDirection,
    DmaUseAfterFree,
    Driver,
    InitLevel,
    SmhAttr,
    as_device,
    default_registry,
)
from smh_boot.errors import DoubleFree
from smh_boot.memory import CoherencyKind, CoherencyViolation

H7 = "stm32h747i_disco_m7"
I2S_FIFO = 0x40015820
SPI_DR = 0x40013020

OVERLAY = """/ {
	soc {
		i2s: i2s@40015800 {
			compatible = "acme,i2s-capture";
			reg = <0x40015800 0x400>;
			dmas = <&dma1 5 88 0x400 0x3>;
			dma-names = "rx";
			memory-region = <&sram1>;
			status = "okay";
		};
		spi: spi@40013000 {
			compatible = "acme,spi-rx";
			reg = <0x40013000 0x400>;
			dmas = <&dma1 3 38 0x400 0x3>;
			dma-names = "rx";
			memory-region = <&sram1>;
			status = "okay";
		};
	};
};
"""


# --------------------------------------------------------------------------- the drivers


class I2sCapture(Driver):
    """Captures into a 64-byte buffer through a channel of dma1; ``shutdown()`` stops the
    stream, then frees the buffer."""

    compatibles = ("acme,i2s-capture",)
    level, priority = InitLevel.POST_KERNEL, 70

    def init(self, device):
        self.rx = device.dma_channel("rx")
        self.buf = device.region_alloc(SmhAttr.CACHEABLE, 64, name="rx")

    @as_device
    def begin(self, samples: bytes) -> None:
        """Start capturing ``samples``; the codec has sent its first 16 bytes when it returns."""
        dev = self.device
        dev.memsys.sys_cache_data_invd_range(self.buf.addr, self.buf.size)
        self.rx.config(DmaConfig(DmaDirection.PERIPHERAL_TO_MEMORY, DmaBlockConfig(
            source_address=I2S_FIFO, dest_address=self.buf, block_size=len(samples))))
        self.rx.start(samples)
        self.rx.advance(16)

    @as_device
    def shutdown(self) -> None:
        self.rx.stop()
        self.device.free(self.buf)


class ForgetsToStopI2s(I2sCapture):
    """The bug: shutdown frees the capture buffer while the stream still writes into it."""

    @as_device
    def shutdown(self) -> None:
        self.device.free(self.buf)


class SpiRx(Driver):
    """Receives into a DMA buffer it can grow: ``resize(n)`` takes a new buffer, then frees
    the old one; ``receive(reply)`` DMAs ``reply`` into the buffer through its handle."""

    compatibles = ("acme,spi-rx",)
    level, priority = InitLevel.POST_KERNEL, 71

    def init(self, device):
        self.chan = device.dma_channel("rx")
        self.buf = device.region_alloc(SmhAttr.CACHEABLE, 64, name="rx")

    @as_device
    def resize(self, n: int) -> None:
        old, self.buf = self.buf, self.device.region_alloc(SmhAttr.CACHEABLE, n, name="rx")
        self.device.free(old)

    @as_device
    def receive(self, reply: bytes) -> bytes:
        dev, n = self.device, len(reply)
        dev.memsys.sys_cache_data_invd_range(self.buf.addr, self.buf.size)
        self.chan.config(DmaConfig(DmaDirection.PERIPHERAL_TO_MEMORY, DmaBlockConfig(
            source_address=SPI_DR, dest_address=self.buf, block_size=n)))
        self.chan.start(reply)
        self.chan.complete()
        dev.memsys.sys_cache_data_invd_range(self.buf.addr, self.buf.size)
        return dev.cpu.read(self.buf.addr, n)


class StaleHandleSpi(SpiRx):
    """The bug: resize frees the buffer first and keeps the old handle for receiving."""

    @as_device
    def resize(self, n: int) -> None:
        self.device.free(self.buf)
        self.spare = self.device.region_alloc(SmhAttr.CACHEABLE, 2 * n, name="rx2")


# --------------------------------------------------------------------------- rig


def booted(tmp_path, *drivers, **kw):
    ov = tmp_path / "uaf.overlay"
    ov.write_text(OVERLAY)
    reg = default_registry().copy()
    for cls in drivers:
        reg.register(cls, replace=True)
    system = boot(H7, overlays=[str(ov)], drivers=reg, **kw)
    assert system.ready, [d.init_error for d in system.device_list if not d.ready]
    return system


def app_alloc(system, size: int, owner: str = "app:frame") -> int:
    """Another part of the firmware takes a line-aligned buffer from the same heap afterwards."""
    return system.pool.aligned_alloc(SmhAttr.CACHEABLE, 32, size, owner=owner)


# --------------------------------------------------------------------------- (a)


def test_freeing_the_capture_buffer_with_the_stream_running_is_reported_at_the_free(tmp_path):
    system = booted(tmp_path, ForgetsToStopI2s, SpiRx)
    drv = system.device("i2s").driver
    buf = drv.buf
    drv.begin(bytes(range(64)))
    with pytest.raises(DmaUseAfterFree) as ei:
        drv.shutdown()
    e = ei.value
    assert e.kind == "dma-use-after-free"
    assert (e.device, e.channel, e.buffer) == ("i2s@40015800", 5, "rx")
    assert e.transfer == drv.rx.transfer.id
    assert (e.block, e.owner) == (buf.addr, "i2s@40015800:rx")
    msg = str(e)
    assert f"free({buf.addr:#x}) refused" in msg and "owner 'i2s@40015800:rx'" in msg
    assert f"DMA channel 5 of device i2s@40015800 (transfer #{e.transfer})" in msg
    assert "16 of 64 bytes moved" in msg
    # Nothing was freed: the buffer is still the driver's, and the pool cannot reuse it.
    assert not buf.freed and buf in system.device("i2s").buffers
    assert app_alloc(system, 40) != buf.addr


def test_the_correct_driver_stops_the_stream_first_and_is_clean_on_every_seed(tmp_path):
    for seed in range(200):
        system = booted(tmp_path, I2sCapture, SpiRx, seed=seed, stress=True)
        drv = system.device("i2s").driver
        buf = drv.buf
        drv.begin(bytes(range(64)))
        drv.shutdown()
        assert buf.freed and not system.pool.dma_guard.held
        assert app_alloc(system, 40) == buf.addr  # the pool reuses the memory


# --------------------------------------------------------------------------- (b)


def test_a_dma_through_the_freed_handle_is_refused_at_start_naming_the_new_owner(tmp_path):
    system = booted(tmp_path, I2sCapture, StaleHandleSpi)
    drv = system.device("spi").driver
    assert drv.receive(b"ping") == b"ping"
    stale = drv.buf
    drv.resize(128)
    victim = app_alloc(system, 40)
    assert victim == stale.addr  # the pool gave the freed memory to someone else
    system.memsys.cpu.write(victim, b"app data")
    system.memsys.sys_cache_data_flush_range(victim, 40)
    with pytest.raises(DmaUseAfterFree) as ei:
        drv.receive(b"pong")
    e = ei.value
    assert (e.device, e.channel, e.buffer, e.check) == ("spi@40013000", 3, "rx", "dma-handle")
    assert (e.block, e.owner) == (stale.addr, "spi@40013000:rx")
    assert (e.now_block, e.now_owner) == (victim, "app:frame")
    msg = str(e)
    assert msg.startswith(f"DMA refused: DMA channel 3 of device spi@40013000 (transfer #{e.transfer})")
    assert f"buffer 'rx' at {stale.addr:#x} (owner 'spi@40013000:rx')" in msg
    assert f"block {victim:#x} (owner 'app:frame'" in msg
    assert system.memory.read(victim, 8) == b"app data" and not drv.chan.busy


def test_the_correct_resize_keeps_receiving_on_every_seed(tmp_path):
    for seed in range(200):
        system = booted(tmp_path, I2sCapture, SpiRx, seed=seed, stress=True)
        drv = system.device("spi").driver
        drv.resize(128)
        app_alloc(system, 40)
        assert drv.receive(bytes(range(100))) == bytes(range(100))


def test_cache_maintenance_through_the_stale_handle_names_the_victim(tmp_path):
    # The stale handle's invalidate drops the new owner's unflushed writes: the coherency
    # checker reports it at the invalidate, naming the victim, before the DMA is refused.
    system = booted(tmp_path, I2sCapture, StaleHandleSpi)
    drv = system.device("spi").driver
    drv.resize(128)
    victim = app_alloc(system, 40)
    with system.memsys.acting_as("app"):
        system.memsys.cpu.write(victim, b"unflushed")
    with pytest.raises(CoherencyViolation) as ei:
        drv.receive(b"pong")
    report = ei.value.report
    assert report.kind is CoherencyKind.INVALIDATE_DISCARDED_DIRTY
    assert report.actor == "spi@40013000" and report.buffer.allocation.owner == "app:frame"


def test_freeing_the_stale_handle_again_is_refused_and_spares_the_new_block(tmp_path):
    system = booted(tmp_path, I2sCapture, StaleHandleSpi)
    dev = system.device("spi")
    stale = dev.driver.buf
    dev.driver.resize(128)
    victim = app_alloc(system, 40)
    with pytest.raises(DoubleFree) as ei:
        dev.free(stale)
    assert f"block {victim:#x} (owner 'app:frame'" in str(ei.value)
    assert "freed already" in str(ei.value) and ei.value.block == stale.addr
    assert system.pool.block_at(victim).owner == "app:frame"
