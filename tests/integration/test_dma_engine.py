"""The memory-to-memory DMA engine on every board that has one: copy and transform."""

from __future__ import annotations

import pytest

from smh_boot.drivers.dma import MemToMemDma, invert

from .support import boards_with, device_of, pattern

pytestmark = pytest.mark.smh_board(*boards_with(MemToMemDma))


@pytest.fixture
def engine(smh_system):
    return device_of(smh_system, MemToMemDma).driver


def test_copy(engine):
    data = pattern(200)
    assert engine.copy(data) == data
    assert engine.transfers == 1


def test_copy_larger_than_the_staging_buffers(engine):
    data = pattern(engine.staging * 2 + 17, salt=5)
    assert engine.copy(data) == data
    assert engine.transfers == 3


def test_transform(engine):
    data = pattern(96)
    assert engine.transform(data) == invert(data)
    assert engine.transform(data, lambda b: b[::-1]) == data[::-1]


@pytest.mark.smh_stress(seeds=3)
def test_copies_under_cache_stress(engine):
    for n in (1, 32, 33, 500):
        data = pattern(n, salt=n)
        assert engine.copy(data) == data
