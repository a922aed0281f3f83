"""#15 section 3, #14 F9: a map a person reads at a glance - names, the kernel's RAM, refused
regions, busy regions, located findings, legible text - and bounded past many allocations."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from mapmodels import stm32h7_map
from svgparse import band_group, first_rect, parse, texts, with_class

from smh_boot.board import list_boards
from smh_boot.bootstage import boot
from smh_boot.report import Allocation, Band, MemoryMap, heap_report, map_from_system
from smh_boot.report import layout
from smh_boot.report.layout import ALLOC_DRAW_LIMIT, DETAIL_MIN_H
from smh_boot.report.svg import render_svg

OVERLAP = Path(__file__).parent / "data" / "overlap.overlay"
BOARDS = sorted(b.name for b in list_boards())


@pytest.fixture(scope="module")
def rt1170():
    mm = map_from_system(boot("mimxrt1170_evk", strict=False))
    return mm, parse(render_svg(mm))


@pytest.fixture(scope="module")
def broken_board():
    mm = map_from_system(boot(None, overlays=[str(OVERLAP)], strict=False))
    return mm, parse(render_svg(mm))


def _font_sizes(svg: str) -> list[float]:
    return [float(m) for m in re.findall(r'font-size="([0-9.]+)"', svg)]


@pytest.mark.parametrize("board", BOARDS)
def test_no_text_under_10_px_on_any_shipped_board(board):
    sizes = _font_sizes(render_svg(map_from_system(boot(board, strict=False))))
    assert sizes and min(sizes) >= 10


def test_no_text_under_10_px_in_hand_built_and_summarised_maps():
    for mm in (stm32h7_map(), _one_region(ALLOC_DRAW_LIMIT + 5)):
        assert min(_font_sizes(render_svg(mm))) >= 10


def test_memories_are_named_by_label_or_region_name_with_the_node_beside(rt1170):
    mm, root = rt1170
    names = {b.name: b.node for b in mm.bands}
    assert names["OCRAM1_CACHED"] == "memory@20240000"  # zephyr,memory-region
    assert names["dtcm"] == "dtcm@20000000" and names["ocram1"] == "ocram@20240000"  # labels
    g = band_group(root, "ocram1")
    assert g.get("data-node") == "ocram@20240000"
    label = [lb for lb in with_class(root, "band-label") if lb.get("data-name") == "ocram1"][0]
    assert texts(with_class(label, "band-name")[0])[0] == "ocram1"
    assert [t.text for t in with_class(label, "band-node")] == ["ocram@20240000"]


def test_the_kernels_ram_is_marked(rt1170):
    mm, root = rt1170
    assert [b.name for b in mm.bands if b.kernel_ram] == ["dtcm"]  # chosen zephyr,sram = &dtcm
    marked = with_class(root, "band-kernel-ram")
    assert [g.get("data-name") for g in marked] == ["dtcm"]
    assert [t.text for t in with_class(root, "kernel-ram-badge-text")] == ["KERNEL RAM"]


def test_a_region_the_boot_refused_looks_distinct_and_says_why(broken_board):
    mm, root = broken_board
    bad = mm.band("BAD_POOL")
    assert bad.refused and "overlaps heap" in bad.refused
    g = band_group(root, "BAD_POOL")
    assert "band-refused" in g.get("class").split()
    shape = first_rect(g)
    assert shape.get("stroke-dasharray") and len(with_class(g, "refused-cross")) == 2
    assert g.get("data-refused") == bad.refused
    others = [first_rect(band_group(root, b.name)) for b in mm.bands if not b.refused]
    assert all(not r.get("stroke-dasharray") for r in others)
    label = [lb for lb in with_class(root, "band-label") if lb.get("data-name") == "BAD_POOL"][0]
    assert "refused" in " ".join(texts(label))


def test_findings_under_the_map_carry_node_and_file_line(broken_board):
    mm, root = broken_board
    where = [t.text for t in with_class(root, "finding-where")]
    assert len(where) == len(mm.findings)
    # every finding names the node and the overlay line (the reg line, or the node's own line
    # for the boot's heap-refused finding)
    assert all(re.search(r"^at /memory@3003c000 · \S*tests/report/data/overlap\.overlay:(8|10):\d+$", w)
               for w in where), where


def test_a_busy_regions_allocations_are_told_apart(rt1170):
    mm, root = rt1170
    allocs = mm.allocations_in("OCRAM1_CACHED")
    assert len(allocs) == 10
    strip = [g for g in with_class(root, "heap-strip") if g.get("data-region") == "OCRAM1_CACHED"][0]
    # at scale each 1.5 KiB block of the 256 KiB region is under a pixel: the detail column
    # draws every one again, at least DETAIL_MIN_H high, in address order
    detail = with_class(strip, "alloc-detail")
    assert [d.get("data-addr") for d in detail] == [a.get("data-addr") for a in with_class(strip, "alloc")]
    ys = [float(first_rect(d).get("y")) for d in detail]
    assert ys == sorted(ys)
    assert all(float(first_rect(d).get("height")) >= DETAIL_MIN_H for d in detail)
    # neighbours never share a fill, so two blocks of one owner do not read as one
    fills = [first_rect(d).get("fill") for d in detail]
    assert all(a != b for a, b in zip(fills, fills[1:]))
    fills = [first_rect(a).get("fill") for a in with_class(strip, "alloc")]
    assert all(a != b for a, b in zip(fills, fills[1:]))


def test_a_quiet_region_needs_no_detail_column():
    mm = MemoryMap("q", 32, (Band("heap", 0x1000_0000, 1 << 20, "region", "cacheable"),),
                   (Allocation(0x1000_0100, 256 << 10, "a", "heap"),
                    Allocation(0x1004_0200, 128 << 10, "b", "heap")))
    root = parse(render_svg(mm))
    assert len(with_class(root, "alloc")) == 2 and not with_class(root, "alloc-detail")


def _one_region(n: int, owners: int = 5) -> MemoryMap:
    size = 64 << 20
    step = size // (n + 1) // 8 * 8
    allocs = [Allocation(0x8000_0000 + 64 + k * step, step - 16, f"dev{k % owners}", "big")
              for k in range(n)]
    rep = heap_report([(0, 8, True), (8, size // 8 - 9, False)], hdr=8, big=True,
                      end_chunk=size // 8 - 1, chunk0=8, region_size=size)
    return MemoryMap("many", 32, (Band("big", 0x8000_0000, size, "region", "cacheable", True,
                                       "", rep),), allocs)


def test_past_the_limit_a_region_is_summarised_and_the_map_says_so():
    n = 20_000
    mm = _one_region(n)
    svg = render_svg(mm)
    root = parse(svg)
    assert not with_class(root, "alloc")
    runs = with_class(root, "alloc-run")
    strip = first_rect(band_group(root, "big"))
    assert 0 < len(runs) <= float(strip.get("height")) + 1  # at most one run per pixel
    assert sum(int(r.get("data-count")) for r in runs) == n
    assert sum(int(r.get("data-bytes")) for r in runs) == sum(a.size for a in mm.allocations)
    note = [t.text for t in with_class(root, "summary-note")]
    assert note and f"{n} allocations, summarised" in note[0]
    assert "summarised" in root.find(".//text[@class='subtitle']").text
    assert len(svg) < 400_000  # the F9 map of 192k allocations was 236 MB


def test_at_the_limit_every_allocation_is_still_drawn():
    root = parse(render_svg(_one_region(ALLOC_DRAW_LIMIT)))
    assert len(with_class(root, "alloc")) == ALLOC_DRAW_LIMIT and not with_class(root, "alloc-run")
    # one note per owner instead of one per block
    assert len(with_class(root, "alloc-owner-label")) == 5


def test_the_map_wide_limit_summarises_the_regions_past_it(monkeypatch):
    monkeypatch.setattr(layout, "MAP_DRAW_LIMIT", 8)
    mm = stm32h7_map()
    each = layout.drawn_one_by_one(mm)
    counts = [(b.name, len(mm.allocations_in(b.name))) for b in mm.bands if mm.allocations_in(b.name)]
    total = 0
    for name, n in counts:  # address order: the first that would pass the limit is summarised
        assert (name in each) == (total + n <= 8)
        total += n if name in each else 0
    assert any(name not in each for name, _ in counts)
