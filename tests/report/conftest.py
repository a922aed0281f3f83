"""Fixtures for the memory-map tests; the models themselves live in mapmodels.py (a unique
module name: several test folders have a conftest.py, so ``from conftest import`` is ambiguous
when they are collected together)."""

from __future__ import annotations

import pytest

from mapmodels import broken_map, huge_tiny_map, stm32h7_map
from smh_boot.report import MemoryMap


@pytest.fixture
def h7() -> MemoryMap:
    return stm32h7_map()


@pytest.fixture
def broken() -> MemoryMap:
    return broken_map()


@pytest.fixture
def huge_tiny() -> MemoryMap:
    return huge_tiny_map()
