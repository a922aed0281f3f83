"""#12 item 7: drivers bind like Zephyr's, and every node no driver takes is said.

* a node binds if ANY of its compatibles has a driver (the first one that has, in order);
* the UART binds with or without ``dmas`` (interrupt-driven without, as Zephyr's drivers);
  a driver that needs a DMA channel (``requires_dmas``) takes a node only where it has
  ``dmas``; without it the node is not bound, in the log and the JSON report, and the boot
  goes on;
* bus masters (Ethernet MAC, display controller) bind through memory-region, no ``dmas``;
* every status-okay node with a compatible no driver takes is in ``boot_report()["unbound"]``
  and in one log line."""

from __future__ import annotations

import json

import smh_boot
from smh_boot.bootstage.boot_report import boot_report
from smh_boot.cli import main


def test_any_compatible_binds_the_ethernet_mac(data_dir):
    system = smh_boot.boot(overlays=[data_dir / "eth_compatible_list.overlay"])
    mac = system.device("ethernet@40028000")
    assert mac.ready and type(mac.driver).__name__ == "EthernetMac"
    assert mac.compatible == "st,stm32h7-ethernet"  # Zephyr's order: first with a driver
    assert "/soc/ethernet@40028000" not in [u["path"] for u in boot_report(system)["unbound"]]


def test_usart_without_dmas_binds_interrupt_driven_and_the_rest_is_unbound(data_dir):
    system = smh_boot.boot(overlays=[data_dir / "usart_without_dmas.overlay"])
    assert system.ready  # nothing failed
    usart2 = system.device("serial@40004400")
    assert usart2.ready and type(usart2.driver).__name__ == "Uart"
    assert usart2.driver.rx_mode == usart2.driver.tx_mode == "interrupt"
    assert usart2.buffers == []  # Zephyr's driver without DMA takes no pool memory
    assert system.device("serial@40011000").driver.rx_mode == "dma"  # the one with dmas
    rep = json.loads(json.dumps(boot_report(system)))
    u = {x["path"]: x for x in rep["unbound"]}
    assert "/soc/serial@40004400" not in u
    assert "no driver" in u["/soc/rng@48021800"]["reason"]
    assert "/soc/i2c@58001c00" not in u  # disabled: not a device at all
    # one summary line, naming the devices and why
    (line,) = [l for l in system.log if l.startswith("unbound: ")]
    assert "rng@48021800 (st,stm32-rng)" in line and "serial@40004400" not in line
    assert "1 device node no driver takes" in line


def test_cli_usart_without_dmas_exits_0(data_dir, capsys):
    assert main(["boot", "--overlay", str(data_dir / "usart_without_dmas.overlay")]) == 0
    out = capsys.readouterr().out
    assert "unbound: 1 device node" in out
    assert "serial@40004400 (st,stm32-usart) Uart: ok\n    interrupt-driven (no dmas)" in out


def test_a_driver_that_requires_dmas_is_unbound_without_them(data_dir):
    # requires_dmas: the driver cannot work without a channel (the README's SPI example), so
    # a node without dmas is listed as unbound with the reason; the boot goes on.
    from smh_boot.drivers import Driver, default_registry

    class NeedsDma(Driver):
        compatibles = ("st,stm32-usart", "st,stm32-uart")  # both of the node's
        requires_dmas = True

        def init(self, device):
            self.channel = device.dma_channel("rx")

    reg = default_registry().copy()
    reg.register(NeedsDma, replace=True)
    system = smh_boot.boot(overlays=[data_dir / "usart_without_dmas.overlay"], drivers=reg)
    assert system.ready
    assert "serial@40004400" not in [d.name for d in system.device_list]
    assert system.device("serial@40011000").driver.channel.channel == 0  # has dmas: bound
    u = {x["path"]: x for x in boot_report(system)["unbound"]}
    usart = u["/soc/serial@40004400"]
    assert usart["kind"] == "device" and usart["compatible"] == ["st,stm32-usart", "st,stm32-uart"]
    assert "needs a DMA channel and the node has no 'dmas'" in usart["reason"]
    assert "NeedsDma" in usart["reason"]
    (line,) = [l for l in system.log if l.startswith("unbound: ")]
    assert "serial@40004400" in line and "2 device nodes" in line


def test_bus_masters_bind_through_memory_region_without_dmas():
    system = smh_boot.boot()
    for name in ("ethernet@40028000", "display-controller@50001000"):
        dev = system.device(name)
        assert "dmas" not in system.devicetree.get(dev.path).props
        assert dev.ready and dev.buffers


def test_default_board_unbound_lists_every_okay_node_with_a_compatible():
    system = smh_boot.boot()
    rep = boot_report(system)
    kinds = {u["path"]: u["kind"] for u in rep["unbound"]}
    assert kinds["/"] == "board"
    assert kinds["/cpus/cpu@0"] == "cpu"
    assert kinds["/soc"] == "bus"
    assert kinds["/memory@30000000"] == "memory" and kinds["/soc/flash@8000000"] == "memory"
    assert not [p for p, k in kinds.items() if k == "device"]
    bound = {d.path for d in system.device_list}
    assert not bound & set(kinds)
    (line,) = [l for l in system.log if l.startswith("unbound: ")]
    assert line.startswith("unbound: no device node without a driver")


def test_shipped_driver_not_listed_by_the_board_is_reported(tmp_path):
    import dataclasses

    from smh_boot.board import load_board

    b = dataclasses.replace(load_board("stm32h747i_disco_m7"), drivers=("st,stm32-usart",))
    system = smh_boot.boot(b)
    u = {x["path"]: x for x in boot_report(system)["unbound"]}
    assert "not in the board's drivers list" in u["/soc/ethernet@40028000"]["reason"]

