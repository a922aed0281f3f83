"""A region that carries zephyr,memory-attr but that the SMH policy cannot map is drawn as
refused (crossed out, with the reason) in the SVG, the HTML and the JSON alike, and the cross
never runs through its label (user trial, findings 2 and 7)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace as NS

import pytest
from svgparse import band_group, parse, texts, with_class

from smh_boot.attrs import decode_attr
from smh_boot.bootstage import boot
from smh_boot.report import map_from_system, render
from smh_boot.report.describe import band_traits
from smh_boot.report.from_system import _refusal
from smh_boot.report.svg import render_svg
from smh_boot.report.svgkit import text_width

OVERLAY = Path(__file__).parent / "data" / "unmapped_attr.overlay"


@pytest.fixture(scope="module")
def unmapped_map():
    return map_from_system(boot("stm32h747i_disco_m7", overlays=[str(OVERLAY)], strict=False))


def test_unmapped_regions_are_refused_with_the_policys_reason(unmapped_map):
    mm = unmapped_map
    for name, bits in (("DMA_BOTH", "0x00300000"), ("DMA_EXTRA", "0x00000009")):
        b = mm.band(name)
        assert b.refused and b.refused.startswith("unmapped attribute: ")
        assert bits in b.refused and "cannot map" in b.refused
        assert "unmapped attribute" in band_traits(b) and "no attribute" not in band_traits(b)
    assert {r.name for r in mm.refused} == {"DMA_BOTH", "DMA_EXTRA"}


def test_svg_html_and_json_agree_on_the_refusal(unmapped_map):
    mm = unmapped_map
    root = parse(render_svg(mm))
    html = render(mm, "html")
    doc = json.loads(render(mm, "json"))
    refused = {r["name"]: r["reason"] for r in doc["refused"]}
    for name in ("DMA_BOTH", "DMA_EXTRA"):
        g = band_group(root, name)
        assert "band-refused" in g.get("class").split()
        assert len(with_class(g, "refused-cross")) == 2
        assert g.get("data-refused") == mm.band(name).refused == refused[name]
        band = [b for b in doc["bands"] if b["name"] == name][0]
        assert band["refused"] == refused[name]
        assert f'data-refused="{refused[name]}"' in html
    # the validator's findings about the same regions are on the map too
    rules = {f["rule"] for f in doc["findings"]}
    assert {"attr-conflict", "attr-arm-mpu-type-missing"} <= rules


def _meant(dt_attr, arch="arm", **kw):
    rec = NS(decoded=decode_attr(dt_attr, arch))
    return _refusal(NS(attr=None, dt_attr=dt_attr, heap_index=None, record=rec,
                       error="policy arm-mpu cannot map attr", **kw))


def test_regions_that_are_not_heap_memory_are_not_refused():
    assert _meant(0x00300000) == "unmapped attribute: policy arm-mpu cannot map attr"
    assert _meant(0x00400000) is None       # DT_MEM_ARM(ATTR_MPU_FLASH): flash, not a heap
    assert _meant(0x01000000) is None       # ATTR_MPU_IO
    assert _meant(0x00010001) is None       # software bits: a mem_attr_heap heap
    assert _refusal(NS(attr=None, dt_attr=None, heap_index=None, record=None)) is None


def test_the_cross_never_runs_through_a_label(unmapped_map):
    root = parse(render_svg(unmapped_map))
    for name in ("DMA_BOTH", "DMA_EXTRA"):
        label = [lb for lb in with_class(root, "band-label") if lb.get("data-name") == name][0]
        (bg,) = with_class(label, "label-bg")
        x0, y0 = float(bg.get("x")), float(bg.get("y"))
        x1, y1 = x0 + float(bg.get("width")), y0 + float(bg.get("height"))
        assert bg.get("fill") and bg.get("fill") != "none"
        for t in label.iter("text"):
            tx, ty = float(t.get("x")), float(t.get("y"))
            size = float(t.get("font-size"))
            w = text_width("".join(t.itertext()), size)
            assert x0 <= tx and tx + w <= x1 + 1 and y0 <= ty - size and ty + 3 <= y1, (
                name, "".join(t.itertext()))
        assert "refused" in " ".join(texts(label))
