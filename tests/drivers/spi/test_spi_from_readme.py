"""A driver written from the README alone (issue #15): an SPI controller with TX/RX DMA on the
channels its devicetree names, a completion callback, a header-plus-payload buffer, and no
private import."""

import ast
from pathlib import Path

import pytest
from acme_spi import AcmeSpi

from smh_boot.errors import CoherencyError
from smh_boot.memory import CoherencyKind

pytestmark = [pytest.mark.smh_board("stm32h747i_disco_m7"), pytest.mark.smh_overlay("spi.overlay")]


def test_the_driver_imports_nothing_private():
    tree = ast.parse((Path(__file__).parent / "acme_spi.py").read_text())
    mods = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    mods += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert mods and all(not any(p.startswith("_") for p in m.split(".")) for m in mods), mods


def test_dmas_decode_by_name(smh_system):
    spi = smh_system.device("flash_spi")
    assert spi.ready, spi.init_error
    tx, rx = spi.dmas["tx"], spi.dmas["rx"]
    assert tx.controller is smh_system.device("dma1")
    assert tx.controller_path == "/soc/dma@40020000"
    assert tx.cells == (2, 37, 0x440, 3)
    assert tx.cell_names == ("channel", "slot", "channel-config", "features")
    assert (tx.cell("channel"), tx.cell("slot"), rx.cell("channel")) == (2, 37, 3)
    assert spi.dmas.names == ["tx", "rx"] and spi.dmas[1] is rx
    drv = spi.driver
    assert (drv.tx.channel, drv.rx.channel) == (2, 3)
    assert drv.tx.engine is smh_system.dma_controller("/soc/dma@40020000")
    assert "tx on dma@40020000 channel 2 slot 37, rx channel 3" in smh_system.log_text


@pytest.mark.smh_stress(seeds=3)
def test_full_duplex_transfer_with_callbacks(smh_system):
    spi = smh_system.device("flash_spi").driver
    for size in (1, 13, 40):
        payload = bytes((7 * i + size) & 0xFF for i in range(size))
        reply = bytes(range(100, 104 + size))
        spi.completed.clear()
        wire, got = spi.transceive(0x02, 0x012345, payload, reply)
        assert wire == b"\x02\x01\x23\x45" + payload
        assert got == reply
        assert spi.completed == [("tx", 2, 0), ("rx", 3, 0)]


def test_forgetting_the_flush_is_caught_at_the_driver(smh_system, monkeypatch):
    spi = smh_system.device("flash_spi").driver
    memsys = smh_system.memsys
    real = memsys.sys_cache_data_flush_range
    monkeypatch.setattr(memsys, "sys_cache_data_flush_range", lambda a, n: 0)
    with pytest.raises(CoherencyError) as e:
        spi.transceive(0x02, 0, b"abc", bytes(7))
    assert e.value.report.kind is CoherencyKind.STALE_TX_DATA
    assert e.value.report.actor == "spi@40013000"
    assert "spi@40013000:tx" in str(e.value.report.buffer)
    monkeypatch.setattr(memsys, "sys_cache_data_flush_range", real)


def test_refused_requests(smh_system):
    from smh_boot.drivers import DriverError

    spi = smh_system.device("flash_spi").driver
    with pytest.raises(DriverError, match="payload of 41 bytes"):
        spi.transceive(0x02, 0, bytes(41), bytes(45))
    assert isinstance(spi, AcmeSpi)
