"""Booting each showcase board binds its drivers, and the boot log shows their buffers; the
shipped drivers are what the boards' ``drivers:`` lists name."""

from __future__ import annotations

import importlib.metadata

import pytest
from drvrig import SHOWCASE, boot_board

from smh_boot.board import list_boards, load_board
from smh_boot.bootstage.bootlog import human_size
from smh_boot.drivers import default_registry
from smh_boot.drivers.shipped import DRIVERS


@pytest.mark.parametrize("board", SHOWCASE)
def test_boot_binds_every_listed_driver_and_logs_buffers(board: str) -> None:
    s = boot_board(board)
    b = load_board(board)
    assert s.ready, [d.init_error for d in s.device_list]
    assert {d.compatible for d in s.device_list} == set(b.drivers)
    for dev in s.device_list:
        assert dev.buffers, f"{dev.name} allocated nothing"
        head = f"] {dev.name} ({dev.compatible}) {type(dev.driver).__name__}: ok"
        at = next(i for i, line in enumerate(s.log) if line.endswith(head))
        end = next(i for i in range(at + 1, len(s.log)) if not s.log[i].startswith("    "))
        block = [line for line in s.log[at + 1 : end] if line.startswith("    buffer ")]
        assert block == [
            f"    buffer {b.name} {b.addr:#010x} {human_size(b.size)} {b.attr} in {b.region}"
            for b in dev.buffers
        ]
        assert f"    {dev.messages[0]}" in s.log[at + 1 : end]  # the driver's own summary line


def test_dma_controllers_come_up_before_their_clients() -> None:
    s = boot_board("stm32h747i_disco_m7")
    order = [d.name for d in s.device_list]
    assert order.index("dma@40020000") < order.index("serial@40011000")
    assert [d.level.name for d in s.device_list] == ["PRE_KERNEL_1", "PRE_KERNEL_1", "POST_KERNEL", "POST_KERNEL"]


def test_shipped_drivers_cover_every_board_driver_list() -> None:
    shipped = {c for cls in DRIVERS for c in cls.compatibles}
    for b in list_boards():
        assert set(b.drivers) <= shipped, (b.name, set(b.drivers) - shipped)
    reg = default_registry()
    for cls in DRIVERS:
        assert all(reg.lookup([c]).cls is cls for c in cls.compatibles)


def test_shipped_module_is_the_entry_point() -> None:
    eps = [ep for ep in importlib.metadata.entry_points(group="smh_boot.drivers") if ep.name == "shipped"]
    assert eps, 'pyproject.toml must declare [project.entry-points."smh_boot.drivers"] shipped'
    assert eps[0].value == "smh_boot.drivers.shipped"
    assert eps[0].load().DRIVERS == DRIVERS
