"""The SVG map, parsed back: bands, address labels, allocations, findings, legibility."""

from __future__ import annotations

import pytest
from mapmodels import broken_map, huge_tiny_map, stm32h7_map
from svgparse import band_group, first_rect, parse, texts, with_class

from smh_boot.report import Allocation, Band, MapFinding, MemoryMap
from smh_boot.report.fmt import hex_addr, human_size
from smh_boot.report.layout import BREAK_H, SEG_MIN
from smh_boot.report.svg import render_svg


@pytest.fixture(scope="module")
def h7_svg() -> str:
    return render_svg(stm32h7_map())


def _addr_labels(root) -> set[str]:
    return {t.text for t in with_class(root, "addr")}


def test_every_band_is_drawn_with_its_address_labels(h7_svg):
    mm = stm32h7_map()
    root = parse(h7_svg)
    labels = _addr_labels(root)
    for b in mm.bands:
        g = band_group(root, b.name)
        assert g.get("data-kind") == b.kind
        assert g.get("data-attr") == (b.attr or "")
        assert hex_addr(b.addr) in labels and hex_addr(b.end) in labels, b.name
        assert float(first_rect(g).get("height")) >= SEG_MIN
        tip = g.find("title").text
        assert hex_addr(b.addr) in tip and human_size(b.size) in tip
        assert (b.attr_bits in tip) if b.attr_bits else True
        names = [t for lbl in with_class(root, "band-label") if lbl.get("data-name") == b.name
                 for t in texts(lbl)]
        assert any(t.startswith(b.name) for t in names), names


def test_bands_are_coloured_by_attribute_and_dma_is_marked(h7_svg):
    root = parse(h7_svg)
    fills = {}
    for b in stm32h7_map().bands:
        g = band_group(root, b.name)
        if b.kind != "reserved":
            fills.setdefault(b.attr, set()).add(first_rect(g).get("fill"))
        assert bool(with_class(g, "dma-stripe")) == b.dma, b.name
    assert all(len(v) == 1 for v in fills.values())  # one colour per attribute
    assert len({next(iter(v)) for v in fills.values()}) == len(fills)  # and all different
    assert band_group(root, "bkpsram").find("rect").get("fill").startswith("url(#")


def test_bands_are_drawn_in_address_order_down_the_axis(h7_svg):
    root = parse(h7_svg)
    mm = stm32h7_map()
    tops = [float(first_rect(band_group(root, b.name)).get("y")) for b in mm.bands]
    assert tops == sorted(tops)


def test_nested_regions_sit_beside_their_parent_at_the_same_height(h7_svg):
    root = parse(h7_svg)
    parent = first_rect(band_group(root, "sdram1"))
    child = first_rect(band_group(root, "sdram-heap"))
    assert float(child.get("x")) > float(parent.get("x")) + float(parent.get("width")) - 1
    assert child.get("y") == parent.get("y")


def test_allocations_are_drawn_to_scale_inside_their_region_and_labelled(h7_svg):
    root = parse(h7_svg)
    mm = stm32h7_map()
    allocs = with_class(root, "alloc")
    assert len(allocs) == len(mm.allocations)
    region = first_rect(band_group(root, "sdram-heap"))
    ry, rh = float(region.get("y")), float(region.get("height"))
    ltdc = [a for a in allocs if a.get("data-owner") == "ltdc"]
    assert len(ltdc) == 2
    for a in ltdc:
        r = first_rect(a)
        y, h = float(r.get("y")), float(r.get("height"))
        assert ry <= y and y + h <= ry + rh
        # 1.5 MiB of an 8 MiB region: 3/16 of the band's height (0.1 px rounding)
        assert h == pytest.approx(rh * 3 / 16, abs=0.3)
    notes = [t.text for t in with_class(root, "alloc-label")]
    for a in mm.allocations:
        assert f"{a.owner} · {human_size(a.size)} @ {hex_addr(a.addr)}" in notes


def test_labels_in_the_note_column_never_collide(h7_svg):
    root = parse(h7_svg)
    ys = sorted(float(t.get("y")) for t in with_class(root.find(".//g[@class='notes']"), "alloc-label"))
    assert all(b - a >= 13.9 for a, b in zip(ys, ys[1:]))


def test_overlap_is_marked_over_the_bands_with_its_range_and_message():
    mm = broken_map()
    root = parse(render_svg(mm))
    (ov,) = with_class(root, "finding-overlap")
    rect = first_rect(ov)
    assert rect.get("stroke") == "#d62728"
    # the hatch spans every band column and the exact shared addresses
    for name in ("sram0", "dma-pool"):
        b = first_rect(band_group(root, name))
        assert float(rect.get("x")) <= float(b.get("x"))
        assert float(rect.get("x")) + float(rect.get("width")) >= float(b.get("x")) + float(b.get("width"))
    assert float(rect.get("y")) == float(first_rect(band_group(root, "dma-pool")).get("y"))
    labels = [t.text for t in with_class(root, "finding-label-overlap")]
    assert labels == ["⚠ 1. OVERLAP 0x2000c000-0x2000ffff (16 KiB)"]
    assert any("dma-pool overlaps sram0" in t.text for t in with_class(root, "finding-message"))
    # overlapping bands of one depth are side by side, never on top of each other
    a, b = first_rect(band_group(root, "sram0")), first_rect(band_group(root, "dma-pool"))
    assert float(b.get("x")) >= float(a.get("x")) + float(a.get("width"))


def test_gap_is_marked_and_every_finding_is_listed():
    mm = broken_map()
    root = parse(render_svg(mm))
    (gap,) = with_class(root, "finding-gap")
    assert first_rect(gap).get("stroke") == "#f0a30a"
    assert float(first_rect(gap).get("height")) >= BREAK_H
    items = [t.text for t in with_class(root, "finding-item")]
    assert len(items) == 3
    assert items[2] == "3. ATTR [DT020]: sram1 has no zephyr,memory-attr"
    assert items[0].startswith("1. OVERLAP 0x2000c000-0x2000ffff (16 KiB) [DT003]: dma-pool")


def test_4gib_and_256_byte_regions_are_both_legible():
    root = parse(render_svg(huge_tiny_map()))
    tiny = first_rect(band_group(root, "mailbox"))
    huge = first_rect(band_group(root, "ddr"))
    assert float(tiny.get("height")) >= SEG_MIN
    assert float(huge.get("height")) >= float(tiny.get("height"))
    assert float(huge.get("height")) < 400  # a 4 GiB band does not swallow the page
    labels = _addr_labels(root)
    for addr in (0x0800_0000, 0x0800_0100, 0x1_0000_0000, 0x2_0000_0000):
        assert hex_addr(addr, 64) in labels
    name_texts = [t for lbl in with_class(root, "band-label") for t in texts(lbl)]
    assert any(t.startswith("mailbox · 256 B") for t in name_texts)
    assert "ddr" in name_texts and any("4 GiB" in t for t in name_texts)


def test_long_empty_stretches_become_short_axis_breaks():
    root = parse(render_svg(huge_tiny_map()))
    breaks = [t.text for t in with_class(root, "break-label")]
    gap = 0x1_0000_0000 - 0x0800_0100
    assert breaks == [f"⋯ {human_size(gap)} unmapped ⋯"]
    assert len(with_class(root, "axis-break")) == 1


def test_heap_figures_show_each_heap_with_its_histogram(h7_svg):
    root = parse(h7_svg)
    mm = stm32h7_map()
    figs = {g.get("data-region"): g for g in with_class(root, "heap-figure")}
    heaps = [b for b in mm.bands if b.heap is not None]
    assert sorted(figs) == sorted(b.name for b in heaps)
    for b in heaps:
        rows = with_class(figs[b.name], "bucket")
        counts = {int(g.get("data-bucket")): int(g.get("data-count")) for g in rows}
        assert counts == {k.index: k.count for k in b.heap.buckets if k.count}
        # bars measure bytes, not chunks: the longest bar is the bucket with the most bytes
        widths = {int(g.get("data-bucket")): float(with_class(g, "bucket-bar")[0].get("width"))
                  for g in rows}
        most = max((k for k in b.heap.buckets if k.count), key=lambda k: k.usable_bytes)
        assert widths[most.index] == max(widths.values())
        summary = " ".join(t.text for t in with_class(figs[b.name], "heap-summary"))
        assert f"largest free block {human_size(b.heap.largest_free)}" in summary
        assert len(with_class(figs[b.name], "heap-bar-alloc")) == len(mm.allocations_in(b.name))


def test_heap_figures_can_be_left_out():
    assert not with_class(parse(render_svg(stm32h7_map(), heap_figures=False)), "heap-figure")


def test_rendering_is_deterministic(h7_svg):
    assert render_svg(stm32h7_map()) == h7_svg
    assert render_svg(broken_map()) == render_svg(broken_map())


def test_numbers_have_at_most_one_decimal(h7_svg):
    import re

    for m in re.finditer(r' (?:x|y|width|height|x1|y1|x2|y2)="([^"]+)"', h7_svg):
        assert re.fullmatch(r"-?\d+(\.\d)?", m.group(1)), m.group(0)


def test_text_is_escaped_and_empty_maps_render():
    mm = MemoryMap("<a & b>", 32, (Band("x<y>", 0x1000, 0x100),), (Allocation(0x1000, 8, "o&p", "x<y>"),),
                   (MapFinding("overlap", 0x1000, 4, "a < b"),))
    root = parse(render_svg(mm))
    assert root.find(".//text[@class='title']").text == "<a & b>"
    assert band_group(root, "x<y>").get("data-name") == "x<y>"
    assert with_class(root, "alloc")[0].get("data-owner") == "o&p"
    odd = MemoryMap("k", 32, (), (), (MapFinding('a"b', None, 0, "quote in kind"),))
    assert parse(render_svg(odd)).find(".//text[@class]") is not None
    assert parse(render_svg(MemoryMap("empty"))).find(".//text[@class='title']").text == "empty"


def test_zero_size_band_and_allocation_stay_visible():
    mm = MemoryMap("z", 32, (Band("zero", 0x100, 0), Band("heap", 0x1000, 0x10000)),
                   (Allocation(0x1000, 0, "o", "heap"),))
    root = parse(render_svg(mm))
    assert float(first_rect(band_group(root, "zero")).get("height")) >= SEG_MIN
    (alloc,) = with_class(root, "alloc")
    assert float(first_rect(alloc).get("height")) >= 2


def test_legend_explains_every_colour_and_mark(h7_svg):
    items = [t.text for t in with_class(parse(h7_svg), "legend-item")]
    assert items == ["cacheable", "non-cacheable", "external", "no SMH attribute", "reserved",
                     "refused by the boot (crossed out, reason in the label)",
                     "kernel RAM (chosen zephyr,sram)", "DMA-capable (dark left edge)",
                     "free heap space", "allocation (colour = owner; neighbours alternate shades)",
                     "busy region: blocks enlarged beside the strip, in address order",
                     "overlap", "gap"]


def test_characters_xml_cannot_hold_are_replaced_not_passed_through():
    # a devicetree string may carry "\x01": the map must still be a readable document
    mm = MemoryMap("t\x03", 32, (Band("A\x01B", 0x1000, 0x1000, "region"),),
                   (Allocation(0x1010, 16, "o\x02", "A\x01B"),),
                   (MapFinding("overlap", 0x1000, 4, "m\x05", node="/a\x06", location="f:1"),))
    root = parse(render_svg(mm))
    assert band_group(root, "A\ufffdB").get("data-name") == "A\ufffdB"
    from smh_boot.report import render

    assert not any(c in render(mm, "html") for c in "\x01\x02\x03\x05\x06")
