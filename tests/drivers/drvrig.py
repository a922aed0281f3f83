"""Test rig for driver-level tests: boot a showcase board with the shipped drivers (optionally
with buggy variants swapped in), and arm a fresh coherency checker and stress seed.

Why seeds reuse one booted system: a boot costs about 16 ms (mostly the devicetree's cpp run),
a driver operation under stress 0.3-1 ms, so booting per seed would make a 200-seed sweep of
every bug class take tens of seconds.  Each seed instead gets a clean cache (flush and
invalidate all), a new checker and a new stressor seeded with it: the same sequence then runs
against a cache whose speculative fills and evictions follow that seed.  A few seeds are also
run through ``boot(board, seed=s, stress=True)`` itself (test_drv_bug_classes.py) to show the
two agree.
"""

from __future__ import annotations

from typing import Any

import smh_boot.drivers.shipped  # noqa: F401 - registers the shipped drivers (entry point pending)
from smh_boot.bootstage import boot
from smh_boot.drivers import DriverRegistry, default_registry
from smh_boot.memory import CoherencyChecker, StressConfig, Stressor

SHOWCASE = ("stm32h747i_disco_m7", "mimxrt1170_evk", "esp32s3_devkitc")
SEEDS = range(200)

#: Which node (label) carries each kind of device on each showcase board.
NODES: dict[str, dict[str, str]] = {
    "stm32h747i_disco_m7": {"uart": "usart1", "eth": "mac", "display": "ltdc", "dma": "dma1"},
    "mimxrt1170_evk": {"uart": "lpuart1", "eth": "enet", "display": "lcdif", "dma": "edma0"},
    "esp32s3_devkitc": {"uart": "uart0", "display": "lcd_cam", "dma": "dma"},
}


def boards_with(kind: str) -> list[str]:
    """Showcase boards that have a device of ``kind`` ("uart", "eth", "display", "dma")."""
    return [b for b in SHOWCASE if kind in NODES[b]]


def registry(*variants: type) -> DriverRegistry:
    """The process registry (shipped drivers) with ``variants`` replacing the shipped drivers
    of their compatibles, without touching the process registry."""
    reg = default_registry().copy()
    for cls in variants:
        reg.register(cls, replace=True)
    return reg


def boot_board(board: str, *variants: type, **kwargs: Any):
    """Boot ``board`` with the shipped drivers (and ``variants`` swapped in)."""
    return boot(board, drivers=registry(*variants), **kwargs)


def driver(system: Any, board: str, kind: str) -> Any:
    """The driver object of the ``kind`` device of ``board``."""
    return system.device(NODES[board][kind]).driver


def engines(system: Any) -> list[Any]:
    """Every DMA engine the system's devices use: the default one (bus masters) and each
    controller a ``dmas`` entry names or a memory-to-memory driver copies on."""
    from smh_boot.drivers.dma import MemToMemDma

    paths = {s.controller_path for d in system.device_list for s in d.dmas}
    paths |= {d.path for d in system.device_list if isinstance(d.driver, MemToMemDma)}
    return [system.dma, *(system.dma_controller(p) for p in sorted(paths))]


def arm(system: Any, seed: int, *, raise_errors: bool = True, stress: bool = True) -> CoherencyChecker:
    """Start a seed on a booted system: empty cache, fresh checker (returned), fresh stressor."""
    m = system.memsys
    for engine in engines(system):
        assert not engine.active, "a transfer was left in flight by the previous seed"
    m.sys_cache_data_flush_and_invd_all()
    checker = CoherencyChecker(raise_errors=raise_errors)
    checker.bind(m)
    m.checker = checker
    m.stressor = Stressor(StressConfig(seed=seed), m) if stress else None
    return checker


_BASE = bytes((i * 31 + 1) & 0xFF for i in range(256))


def pattern(n: int, salt: int = 0) -> bytes:
    """``n`` bytes, never all zeros, different for each ``salt``."""
    k = salt % 251
    base = _BASE[k:] + _BASE[:k]
    return (base * (n // 256 + 1))[:n]
