"""Minimum heap sizes against the golden table (t02_min_region) and the spec's formula."""

from __future__ import annotations

import pytest

from smh_boot.validate.heapsize import heap_fit, min_heap_size

# golden/README.md, "Minimum region size that sys_heap_init accepts"
GOLDEN = {
    (8, True): (80, 87, 84),
    (8, False): (56, 63, 60),
    (4, True): (52, 59, 56),
    (4, False): (44, 51, 48),
}


@pytest.mark.parametrize("ptr,stats", list(GOLDEN))
def test_golden_minimum_sizes(ptr, stats):
    assert tuple(min_heap_size(ptr, stats, b) for b in (0, 1, 4)) == GOLDEN[(ptr, stats)]


@pytest.mark.parametrize("ptr,stats", list(GOLDEN))
def test_one_byte_less_is_rejected(ptr, stats):
    for base, need in zip((0, 1, 4), GOLDEN[(ptr, stats)]):
        assert heap_fit(0x20000000 + base, need, ptr, stats).ok
        fit = heap_fit(0x20000000 + base, need - 1, ptr, stats)
        assert not fit.ok and fit.reason == "heap size is too small"


def test_geometry_matches_spec_table():
    # heap spec 7.1: 0x1000 bytes, 32-bit no stats -> end_chunk 511; 0x40008 -> 32768 (big)
    assert heap_fit(0x20000000, 0x1000).end_chunk == 511
    assert heap_fit(0x20000000, 0x40008).end_chunk == 32768
    assert heap_fit(0x20000000, 0x40000).end_chunk == 32767


def test_wrapping_size_arithmetic_is_bogus_not_ok():
    # base 7 past a boundary, 9 bytes: end rounds below the rounded-up start
    fit = heap_fit(0x20000001, 9, 4, False)
    assert not fit.ok and fit.bogus and fit.lost == 7


def test_too_big():
    fit = heap_fit(0, 8 * 0x80000000, 8, False)
    assert not fit.ok and fit.reason == "heap size is too big"


def test_lost_bytes_reported():
    assert heap_fit(0x20000003, 4096).lost == 5
    assert heap_fit(0x20000000, 4096).lost == 0


def test_heap_modes():
    # SMALL_ONLY on 32-bit is AUTO for small regions; BIG_ONLY takes 8-byte headers/footer
    assert min_heap_size(4, False, 0, "small") == 44
    assert min_heap_size(4, False, 0, "big") == 56
    assert min_heap_size(4, True, 0, "big") == 64
    # SMALL_ONLY refuses more than 0x7fff chunks: "262136 bytes or less" (Kconfig help)
    assert heap_fit(0, 262136, 4, False, "small").ok
    assert heap_fit(0, 262144, 4, False, "small").reason == "heap size is too big"
    assert heap_fit(0, 262144, 4, False, "auto").ok
    with pytest.raises(ValueError):
        heap_fit(0, 64, 4, False, "tiny")
