from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent / "data"
ZBASE = DATA / "zephyrproject" / "zephyr"
HAL = DATA / "zephyrproject" / "modules" / "hal" / "stm32"


@pytest.fixture
def in_data(monkeypatch):
    """Run from tests/zephyr/data, as the README examples do; no ZEPHYR_BASE from outside."""
    monkeypatch.chdir(DATA)
    monkeypatch.delenv("ZEPHYR_BASE", raising=False)
    monkeypatch.delenv("SMH_BOOT_BOARD_ROOT", raising=False)
    return DATA


@pytest.fixture(autouse=True)
def _no_outside_env(monkeypatch):
    monkeypatch.delenv("ZEPHYR_BASE", raising=False)
    monkeypatch.delenv("SMH_BOOT_BOARD_ROOT", raising=False)
