"""Helpers shared by the integration tests: which boards carry a driver, and finding its device.

These are examples too: a project testing its own drivers writes the same two helpers."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from smh_boot.board import list_boards


@lru_cache(maxsize=None)  # board YAML files do not change during a run
def _board_drivers() -> tuple[tuple[str, frozenset[str]], ...]:
    return tuple((b.name, frozenset(b.drivers)) for b in list_boards())


def boards_with(driver: type) -> list[str]:
    """Names of the shipped boards whose definition binds one of ``driver``'s compatibles
    (the ``drivers:`` list of the board YAML), for ``@pytest.mark.smh_board(*boards_with(X))``."""
    compat = set(driver.compatibles)
    return [name for name, drivers in _board_drivers() if compat & drivers]


def device_of(system: Any, driver: type) -> Any:
    """The (first) ready device of ``system`` bound to ``driver`` (exactly that class, so a
    subclass such as the ESP32 LCD_CAM does not stand in for a plain display controller)."""
    found = [d for d in system.device_list if type(d.driver) is driver]
    assert found, (f"{system.board.name} has no device bound to {driver.__name__}; devices: "
                   f"{', '.join(f'{d.name} ({d.compatible})' for d in system.device_list)}")
    dev = found[0]
    assert dev.ready, f"{dev.name} failed to initialise: {dev.init_error}"
    return dev


def pattern(n: int, salt: int = 0) -> bytes:
    """``n`` bytes that differ from memory's initial zeros and from each other."""
    return bytes((i * 7 + salt + 1) & 0xFF or 0x5A for i in range(n))
