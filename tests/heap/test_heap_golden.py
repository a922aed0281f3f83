"""Every golden trace recorded from Zephyr's C code replays identically: results, digests,
terminations and final state (the shared set when present, and the bundled subset)."""

from __future__ import annotations

import pytest
from heap_helpers import BUNDLED_GOLDEN, SHARED_GOLDEN, golden_files

from smh_boot.heap.trace import compare, load_trace, replay

SHARED = golden_files(SHARED_GOLDEN)
BUNDLED = golden_files(BUNDLED_GOLDEN)
# A bundled copy identical to a shared file adds nothing when the shared set runs.
_SHARED_BYTES = {p.name: p for p in SHARED}
BUNDLED_ONLY = [p for p in BUNDLED
                if p.name not in _SHARED_BYTES or _SHARED_BYTES[p.name].read_bytes() != p.read_bytes()]


def _check(path):
    trace = load_trace(path)
    diff = compare(trace, replay(trace))
    assert diff is None, diff.describe(str(path))


@pytest.mark.skipif(not SHARED, reason="../shared/golden is not present beside the project")
@pytest.mark.parametrize("path", SHARED, ids=lambda p: p.stem)
def test_shared_golden_trace_replays_identically(path):
    _check(path)


@pytest.mark.parametrize("path", BUNDLED_ONLY or [pytest.param(None, marks=pytest.mark.skip(
    reason="every bundled trace is identical to a shared one, which is replayed"))],
    ids=lambda p: p.stem if p else "none")
def test_bundled_golden_trace_replays_identically(path):
    _check(path)


def test_bundled_subset_is_representative():
    names = {p.name for p in BUNDLED}
    # terminated kinds, the rewind-gap and interior-free surprises, one random trace per
    # pointer size
    for must in ("t02b_region_too_small.p8_stats.json", "t09_total_heaps_assert.p4_nostats.json",
                 "t12_bad_align_assert.p4_stats.json", "t13_double_free_panic.p8_nostats.json",
                 "t14_interior_free.p4_nostats.json", "t15_rewind_gap.p8_stats.json"):
        assert must in names
    assert any(n.startswith("r") and ".p4_" in n for n in names)
    assert any(n.startswith("r") and ".p8_" in n for n in names)
    assert sum(p.stat().st_size for p in BUNDLED) < 2_100_000


def test_terminated_trace_stops_at_the_recorded_op_with_the_c_message():
    trace = load_trace(BUNDLED_GOLDEN / "t09_total_heaps_assert.p8_stats.json")
    out = replay(trace)
    assert out["terminated"]["kind"] == "assert"
    assert out["terminated"]["op"] == 10
    assert out["terminated"]["partial_result"] == {"i": 10, "region": 8}
    assert out["terminated"]["message"] == "mheap->nheaps < ARRAY_SIZE(mheap->heaps)"
    assert out["final_state"] is None
    assert len(out["results"]) == 10


def test_a_changed_result_is_reported_as_the_first_difference():
    trace = load_trace(BUNDLED_GOLDEN / "t05_realloc.p4_nostats.json")
    trace.doc["results"][7]["sd"] = "0000000000000000"
    trace.doc["results"][9]["usable"] = 1
    diff = compare(trace, replay(trace))
    assert diff is not None and diff.where == "op" and diff.index == 7 and diff.field == "sd"
    assert diff.expected == "0000000000000000"
    text = diff.describe("t05.json")
    assert "op 7" in text and "expected" in text and "actual" in text


def test_a_changed_final_state_is_reported():
    trace = load_trace(BUNDLED_GOLDEN / "t06_free_merge.p8_nostats.json")
    trace.doc["final_state"][0]["avail_buckets"] ^= 1
    diff = compare(trace, replay(trace))
    assert diff is not None and diff.where == "final_state" and "avail_buckets" in diff.field


def test_a_changed_termination_is_reported():
    trace = load_trace(BUNDLED_GOLDEN / "t13_double_free_panic.p4_nostats.json")
    trace.doc["terminated"]["message"] = "something else"
    diff = compare(trace, replay(trace))
    assert diff is not None and diff.where == "terminated" and diff.field == "message"
