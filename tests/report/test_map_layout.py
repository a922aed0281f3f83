"""The broken log-scale axis, lanes and label stacking, and number formatting."""

from __future__ import annotations

import pytest
from mapmodels import broken_map, huge_tiny_map, stm32h7_map

from smh_boot.report import Band, MemoryMap
from smh_boot.report.fmt import hex_addr, human_size
from smh_boot.report.layout import (
    BREAK_H,
    HEAP_SEG_MIN,
    SEG_MAX,
    SEG_MIN,
    assign_lanes,
    build_axis,
    occupied_height,
    stack_labels,
)


def test_segment_height_grows_with_log_size_and_is_clamped():
    assert occupied_height(256) == SEG_MIN
    assert occupied_height(1) == SEG_MIN
    assert occupied_height(1 << 20) > occupied_height(1 << 10) > occupied_height(256)
    assert occupied_height(1 << 40) == SEG_MAX


def test_axis_is_contiguous_and_monotonic():
    for mm in (stm32h7_map(), broken_map(), huge_tiny_map()):
        axis = build_axis(mm)
        segs = axis.segments
        assert all(a.end == b.start for a, b in zip(segs, segs[1:]))
        assert all(abs(a.y + a.height - b.y) < 0.11 for a, b in zip(segs, segs[1:]))
        ys = [axis.y(s.start) for s in segs] + [axis.height]
        assert ys == sorted(ys)


def test_empty_stretches_are_fixed_height_breaks():
    axis = build_axis(huge_tiny_map())
    kinds = [(s.empty, s.height) for s in axis.segments]
    assert kinds[1] == (True, BREAK_H)
    assert [e for e, _ in kinds] == [False, True, False]


def test_heap_segments_get_room_for_allocations():
    axis = build_axis(stm32h7_map())
    seg = next(s for s in axis.segments if s.start == 0x30000000)
    assert seg.end == 0x30008000 and seg.height >= HEAP_SEG_MIN


def test_y_is_linear_inside_a_segment_and_clamped_outside():
    axis = build_axis(MemoryMap("m", 32, (Band("r", 0x1000, 0x1000),)))
    (s,) = axis.segments
    assert axis.y(0x1800) == pytest.approx(s.y + s.height / 2, abs=0.1)
    assert axis.y(0) == s.y and axis.y(0xFFFF_FFFF) == axis.height
    assert build_axis(MemoryMap("empty")).height == 0 and build_axis(MemoryMap("e")).y(5) == 0


def test_overlapping_bands_of_one_depth_get_separate_lanes():
    lanes = assign_lanes(broken_map())
    assert lanes == {"sram0": (0, 0), "dma-pool": (0, 1), "sram1": (0, 0)}
    lanes = assign_lanes(stm32h7_map())
    assert lanes["axisram-heap"] == (1, 0) and lanes["axisram"] == (0, 0)


def test_stack_labels_keeps_order_and_spacing():
    assert stack_labels([10, 11, 12, 100], 14) == [10, 24, 38, 100]
    assert stack_labels([50, 10], 14) == [50, 10]
    assert stack_labels([0, 0], 14, top=20) == [20, 34]


@pytest.mark.parametrize(
    ("addr", "bits", "text"),
    [(0x24000000, 32, "0x24000000"), (0x100, 32, "0x00000100"), (0x1_0000_0000, 64, "0x00000001_00000000"),
     (0xABC, 12, "0xabc"), (0x1_2345_6789, 36, "0x1_23456789")],
)
def test_hex_addr(addr, bits, text):
    assert hex_addr(addr, bits) == text


@pytest.mark.parametrize(
    ("n", "text"),
    [(0, "0 B"), (256, "256 B"), (1024, "1 KiB"), (1536, "1.5 KiB"), (1280, "1.25 KiB"),
     (4 << 30, "4 GiB"), ((1 << 20) + 1, "~1.00 MiB"), (1000, "1000 B"), (1100, "~1.07 KiB"),
     ((1 << 20) - 1, "~1.00 MiB"), (1843200, "~1.76 MiB"), (-16, "-16 B")],
)
def test_human_size_is_exact_or_says_it_is_rounded(n, text):
    assert human_size(n) == text


def test_every_output_uses_the_one_size_formatter():
    from smh_boot import board, units
    from smh_boot.bootstage import bootlog
    from smh_boot.report import fmt
    from smh_boot.validate.rules import base

    assert fmt.human_size is units.human_size and bootlog.human_size is units.human_size
    assert base.human is units.human_size and board.human_size is units.human_size


def test_merge_runs_keeps_every_block_and_byte_in_at_most_one_run_per_pixel():
    from smh_boot.report import Allocation
    from smh_boot.report.layout import merge_runs

    allocs = [Allocation(0x1000 + 16 * k, 12, f"o{k % 3}", "r") for k in range(10_000)]
    runs = merge_runs(allocs, lambda a: (a - 0x1000) / 160_000 * 100)  # 100 px for all
    assert len(runs) <= 101
    assert sum(r.count for r in runs) == 10_000 and sum(r.nbytes for r in runs) == 120_000
    assert all(a.p1 <= b.p0 + 1.0 for a, b in zip(runs, runs[1:]))
    assert runs[0].lo == 0x1000 and runs[-1].hi == allocs[-1].end
    # a big block stays its own run, named by its owner
    big = [Allocation(0x1000, 64_000, "fb", "r"), Allocation(0x11000, 8, "uart", "r")]
    r = merge_runs(big, lambda a: (a - 0x1000) / 0x20000 * 100)
    assert [(x.owner, x.count) for x in r] == [("fb", 1), ("uart", 1)]


def test_detail_blocks_are_in_order_at_least_the_minimum_and_fit():
    from smh_boot.report.layout import DETAIL_MIN_H, detail_blocks

    boxes = detail_blocks([(1536, False), (64, True), (64, False), (1 << 20, True)], 200)
    assert all(h >= DETAIL_MIN_H for _y, h in boxes)
    assert all(a[0] + a[1] <= b[0] for a, b in zip(boxes, boxes[1:]))
    assert boxes[-1][0] + boxes[-1][1] <= 200 + 0.2
    assert boxes[1][0] - (boxes[0][0] + boxes[0][1]) >= 3.9  # free space before it: a gap
    tight = detail_blocks([(8, False)] * 40, 100)  # cannot hold the minimum: shares the room
    assert tight[-1][0] + tight[-1][1] <= 100.5
