"""Maps of every shipped board (really booted), parsed back and checked, plus a deliberately
broken layout (tests/report/data/overlap.overlay) whose overlaps must be marked."""

from __future__ import annotations

from pathlib import Path

import pytest
from svgparse import band_group, first_rect, parse, with_class

from smh_boot.board import list_boards
from smh_boot.bootstage import boot
from smh_boot.report import map_from_system
from smh_boot.report.fmt import hex_addr
from smh_boot.report.layout import SEG_MIN
from smh_boot.report.svg import render_svg

OVERLAP = Path(__file__).parent / "data" / "overlap.overlay"
BOARDS = sorted(b.name for b in list_boards())


@pytest.mark.parametrize("board", BOARDS)
def test_every_region_of_a_shipped_board_is_on_its_map(board):
    system = boot(board, strict=False)
    mm = map_from_system(system)
    root = parse(render_svg(mm))
    labels = {t.text for t in with_class(root, "addr")}
    assert mm.bands, f"{board}: nothing on the map"
    for b in mm.bands:  # every memory node and region, with its address labels
        band_group(root, b.name)
        assert {hex_addr(b.addr, mm.address_bits), hex_addr(b.end, mm.address_bits)} <= labels
    for info in (r for r in system.regions if r.size):
        g = band_group(root, info.name)
        assert float(first_rect(g).get("height")) >= SEG_MIN
        assert hex_addr(info.addr, mm.address_bits) in labels
        assert hex_addr(info.addr + info.size, mm.address_bits) in labels
        if info.heap_index is not None:
            assert [f for f in with_class(root, "heap-figure") if f.get("data-region") == info.name]
        attr = {"CACHEABLE": "cacheable", "NON_CACHEABLE": "non-cacheable",
                "EXTERNAL": "external"}.get(info.attr or "", "")
        assert g.get("data-attr") == attr
    assert render_svg(map_from_system(boot(board, strict=False))) == render_svg(mm)


def test_a_broken_board_layout_has_its_overlaps_marked():
    system = boot(None, overlays=[str(OVERLAP)], strict=False)
    mm = map_from_system(system)
    root = parse(render_svg(mm))
    band_group(root, "BAD_POOL")
    marks = with_class(root, "finding-overlap")
    ranges = sorted((g.get("data-addr"), int(g.get("data-size"))) for g in marks)
    # BAD_POOL [0x3003c000, 0x30044000) against SRAM2 (ends 0x30040000) and SRAM3 (from it)
    assert ranges == [("0x3003c000", 0x4000), ("0x30040000", 0x4000)]
    labels = [t.text for t in with_class(root, "finding-label-overlap")]
    assert len(labels) == 2 and all(t.startswith("⚠") and "OVERLAP" in t for t in labels)
