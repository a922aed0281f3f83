"""heap_report(): figures, buckets and fragmentation from a plain chunk walk."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from smh_boot.report.heap_report import (
    bucket_bounds,
    bucket_idx,
    heap_report,
    heap_report_for,
)


def test_fresh_small_heap_matches_zephyr_initial_free_bytes():
    # 2048-byte 32-bit heap without stats: end_chunk 255, chunk0 6, hdr 4 -> 8*249-4 free.
    r = heap_report([(0, 6, True), (6, 249, False)], hdr=4, big=False, end_chunk=255,
                    chunk0=6, region_size=2048)
    assert (r.used_bytes, r.used_chunks) == (0, 0)
    assert (r.free_bytes, r.free_chunks, r.largest_free) == (1988, 1, 1988)
    assert r.fragmentation == 0.0
    assert r.overhead_bytes == 2048 - 1988
    assert len(r.buckets) == bucket_idx(255, False) + 1 == 8
    assert [b.count for b in r.buckets] == [0] * 7 + [1]


def test_used_free_largest_and_fragmentation():
    walk = [(0, 6, True), (6, 5, True), (11, 4, False), (15, 10, True), (25, 230, False)]
    r = heap_report(walk, hdr=4, big=False, end_chunk=255, chunk0=6, region_size=2048)
    assert r.used_bytes == (8 * 5 - 4) + (8 * 10 - 4)
    assert r.used_chunks == 2
    assert r.free_bytes == (8 * 4 - 4) + (8 * 230 - 4)
    assert r.free_chunks == 2
    assert r.largest_free == 8 * 230 - 4
    assert r.fragmentation == pytest.approx(1 - (8 * 230 - 4) / r.free_bytes)
    counts = {b.index: b.count for b in r.buckets if b.count}
    assert counts == {2: 1, 7: 1}  # 4 units -> bucket 2 (4..7); 230 -> bucket 7 (128..255)


def test_nothing_free_means_zero_fragmentation():
    r = heap_report([(0, 6, True), (6, 249, True)], hdr=4, big=False, end_chunk=255, chunk0=6,
                    region_size=2048)
    assert r.free_bytes == 0 and r.largest_free == 0 and r.fragmentation == 0.0


def test_big_heap_undersized_chunk_is_not_free_and_not_bucketed():
    walk = [(0, 8, True), (8, 2, True), (10, 1, False), (11, 4, True), (15, 40000, False)]
    r = heap_report(walk, hdr=8, big=True, end_chunk=40015, chunk0=8, region_size=40015 * 8 + 8)
    assert r.undersized == 1
    assert r.free_chunks == 1
    assert r.free_bytes == 8 * 40000 - 8
    assert sum(b.count for b in r.buckets) == 1
    assert r.overhead_bytes == r.region_size - r.used_bytes - r.free_bytes


@pytest.mark.parametrize(
    ("big", "index", "bounds"),
    [(False, 0, (1, 1)), (False, 1, (2, 3)), (False, 2, (4, 7)),
     (True, 0, (2, 2)), (True, 1, (3, 4)), (True, 2, (5, 8))],
)
def test_bucket_bounds_follow_sys_heap(big, index, bounds):
    assert bucket_bounds(index, big) == bounds
    lo, hi = bounds
    assert bucket_idx(lo, big) == bucket_idx(hi, big) == index
    assert bucket_idx(hi + 1, big) == index + 1


def test_to_dict_is_plain_data():
    r = heap_report([(0, 6, True), (6, 3, False), (9, 2, True), (11, 244, False)], hdr=4,
                    big=False, end_chunk=255, chunk0=6, region_size=2048)
    d = r.to_dict()
    assert d["free_chunks"] == 2 and d["used_chunks"] == 1
    assert d["fragmentation"] == round(r.fragmentation, 4)
    assert d["overhead_bytes"] == r.overhead_bytes
    assert d["buckets"][1] == {"index": 1, "min_units": 2, "max_units": 3, "count": 1,
                               "usable_bytes": 20}


def test_heap_report_for_reads_a_heap_object():
    heap = SimpleNamespace(chunks=lambda: [(0, 6, True), (6, 249, False)], hdr=4, big=False,
                           end_chunk=255, chunk0=6, size=2048)
    assert heap_report_for(heap).free_bytes == 1988


@pytest.mark.parametrize(
    ("walk", "kw", "message"),
    [
        ([], {}, "the chunk walk is empty"),
        ([(0, 5, True), (5, 250, False)], {}, "must start with used chunk 0 of 6 units"),
        ([(0, 6, False), (6, 249, False)], {}, "must start with used chunk 0"),
        ([(0, 6, True), (7, 248, False)], {}, "chunk 7 found where chunk 6 should start"),
        ([(0, 6, True), (6, 0, False)], {}, "chunk 6 has size 0"),
        ([(0, 6, True), (6, 200, False)], {}, "ends at chunk 206, not at end_chunk 255"),
        ([(0, 6, True), (6, 249, False)], {"hdr": 8}, "hdr 8 does not match a small heap"),
        ([(0, 6, True), (6, 249, False)], {"region_size": 2000}, "exceeds region_size 2000"),
    ],
)
def test_bad_walks_are_rejected_with_a_reason(walk, kw, message):
    args = {"hdr": 4, "big": False, "end_chunk": 255, "chunk0": 6, "region_size": 2048, **kw}
    with pytest.raises(ValueError, match=message):
        heap_report(walk, **args)
