"""The HTML page: self-contained, SVG inlined, hover script, tables."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from mapmodels import broken_map, stm32h7_map

from smh_boot.report import Band, MemoryMap
from smh_boot.report.html import inline_svg, render_html
from smh_boot.report.svg import render_svg


def test_page_needs_no_network():
    page = render_html(stm32h7_map())
    assert not re.search(r"https?:", page)
    assert not re.search(r"""\b(src|href)\s*=""", page)
    assert "@import" not in page and "url(http" not in page


def test_page_inlines_the_svg_with_hover_text_and_tables():
    mm = broken_map()
    page = render_html(mm)
    assert page.startswith("<!DOCTYPE html>")
    assert page.count("<svg") == 1 and "<?xml" not in page
    assert "<script>" in page and "mousemove" in page
    svg = page[page.index("<svg"):page.index("</svg>") + 6]
    root = ET.fromstring(svg)  # still well-formed XML without the namespace declarations
    titles = [t.text for t in root.iter("title")]
    assert any("dma-pool (region)" in t and "attr bits: RAM | NOCACHE" in t for t in titles)
    assert "<pre>" in page and "DT003" in page


def test_inline_svg_drops_only_header_and_namespaces():
    svg = render_svg(stm32h7_map())
    body = inline_svg(svg)
    assert body.startswith("<svg") and "xmlns" not in body
    assert body.replace(" ", "") == svg[svg.index("<svg"):].replace(
        ' xmlns="http://www.w3.org/2000/svg"', "").replace(
        ' xmlns:xlink="http://www.w3.org/1999/xlink"', "").replace(" ", "")


def test_title_is_escaped_and_output_deterministic():
    mm = MemoryMap("<script>alert(1)</script>", 32, (Band("r", 0, 256),))
    page = render_html(mm)
    assert "<title>&lt;script&gt;alert(1)&lt;/script&gt; - memory map</title>" in page
    assert page.count("<script>") == 1
    assert render_html(stm32h7_map()) == render_html(stm32h7_map())
