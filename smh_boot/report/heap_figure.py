"""The optional per-heap figure under the map: an occupancy bar drawn to scale across the
whole region, the report's figures, and where the free space is by chunk size - one bar per
non-empty sys_heap bucket, as long as the *bytes* free in it (a count of chunks would make nine
16-byte slivers the tallest bar beside a 200 KiB block)."""

from __future__ import annotations

from typing import Any

import drawsvg as dw

from . import palette
from .describe import alloc_tip, attr_word, span
from .fmt import hex_addr, human_size, percent
from .heap_report import CHUNK_UNIT, HeapReport
from .layout import DETAIL_LIMIT, merge_runs, r1
from .model import Allocation, Band
from .svgkit import attr, fit, label, rect, with_tip

BAR_H = 20.0
SUMMARY_H = 30.0
ROW_H = 15.0  #: one bucket row of the free-space chart
TICK_W = 70.0  #: the bucket column left of the bars
HEAD_H = 22 + BAR_H + 18 + SUMMARY_H + 10  #: title, bar, addresses and figures


def panel_height(h: HeapReport) -> float:
    """Drawn height of the panel of heap report ``h`` (it grows with the non-empty buckets)."""
    rows = max(1, sum(1 for b in h.buckets if b.count))
    return r1(HEAD_H + 18 + rows * ROW_H + 26)


def _bucket_tick(b: Any) -> str:
    """The row label of bucket ``b``: chunks from ``8·2^b`` bytes (``≥ 64 B``); a bucket
    holding one size only says that size."""
    if b.min_units == b.max_units:
        return human_size(b.min_units * CHUNK_UNIT)
    return f"≥ {human_size(CHUNK_UNIT << b.index)}"


def summary_lines(h: HeapReport) -> tuple[str, str]:
    """Two lines of figures: occupancy, then free-space shape."""
    first = (
        f"used {human_size(h.used_bytes)} in {h.used_chunks} block(s) · "
        f"free {human_size(h.free_bytes)} in {h.free_chunks} chunk(s) · "
        f"overhead {human_size(h.overhead_bytes)}"
    )
    second = (
        f"largest free block {human_size(h.largest_free)} · "
        f"fragmentation {percent(h.fragmentation)}"
    )
    if h.undersized:
        second += f" · {h.undersized} undersized free chunk(s)"
    return first, second


def _bar(
    band: Band, allocs: tuple[Allocation, ...], colours: dict[str | None, str],
    x: float, y: float, width: float, bits: int, one_by_one: bool,
) -> dw.Group:
    g = dw.Group(class_="heap-bar")
    g.append(rect(x, y, width, BAR_H, fill=palette.FREE_FILL, stroke=palette.AXIS,
                  stroke_width=1, stroke_dasharray="3,2"))
    scale = width / max(band.size, 1)
    parts = []
    # A block per element while they can be told apart; past DETAIL_LIMIT (~3 px each across
    # the bar) merged runs say the same in a bounded number of elements.
    if one_by_one and len(allocs) <= DETAIL_LIMIT:
        for i, a in enumerate(allocs):
            lo = max(a.addr, band.addr) - band.addr
            hi = min(a.end, band.end) - band.addr
            fill = palette.shade(colours[a.owner], i % 2 == 1)
            parts.append(
                f'<g class="heap-bar-alloc" data-owner="{attr(a.owner or "")}">'
                f"<title>{attr(alloc_tip(a, band, bits))}</title>"
                f'<rect x="{r1(x + lo * scale)}" y="{r1(y)}" width="{r1(max((hi - lo) * scale, 1.5))}"'
                f' height="{r1(BAR_H)}" fill="{fill}" stroke="#333333" stroke-width="0.4"/></g>')
    else:
        pos = lambda addr: x + (min(max(addr, band.addr), band.end) - band.addr) * scale  # noqa: E731
        for i, r in enumerate(merge_runs(allocs, pos, 1.5)):
            fill = palette.shade(colours[r.owner], i % 2 == 1)
            parts.append(
                f'<g class="heap-bar-run" data-count="{r.count}"><title>{r.count} allocation(s), '
                f"{attr(human_size(r.nbytes))}, {span(r.lo, r.hi - r.lo, bits)}</title>"
                f'<rect x="{r1(r.p0)}" y="{r1(y)}" width="{r1(r.p1 - r.p0)}" height="{r1(BAR_H)}"'
                f' fill="{fill}" stroke="#333333" stroke-width="0.3"/></g>')
    if parts:
        g.append(dw.Raw("\n".join(parts)))
    g.append(label(hex_addr(band.addr, bits), x, y + BAR_H + 13, 10, mono=True, fill=palette.MUTED))
    g.append(label(hex_addr(band.end, bits), x + width, y + BAR_H + 13, 10, mono=True,
                   fill=palette.MUTED, anchor="end"))
    return g


def _free_chart(h: HeapReport, x: float, y: float, width: float) -> dw.Group:
    """Free bytes per non-empty bucket, one horizontal bar each, longest = most bytes."""
    g = dw.Group(class_="heap-histogram")
    g.append(label("free space by chunk size (bytes free in each sys_heap bucket)", x, y + 11,
                   10.5, bold=True, fill=palette.TEXT))
    rows = [b for b in h.buckets if b.count]
    peak = max((b.usable_bytes for b in rows), default=0)
    bar_x = x + TICK_W
    bar_w = max(width - TICK_W - 170, 60)
    cy = y + 18
    if not rows:
        g.append(label("no free space", bar_x, cy + 11, 10, fill=palette.MUTED))
    for b in rows:
        bg = dw.Group(class_="bucket", data_bucket=str(b.index), data_count=str(b.count),
                      data_bytes=str(b.usable_bytes))
        bw = 0.0 if peak == 0 else max(bar_w * b.usable_bytes / peak, 1.5)
        bg.append(label(fit(_bucket_tick(b), TICK_W - 6, 10), x,
                        cy + 11, 10, fill=palette.MUTED, cls="bucket-range"))
        bg.append(rect(bar_x, cy + 2, bw, ROW_H - 4, fill="#6b8fb8", class_="bucket-bar"))
        text = f"{human_size(b.usable_bytes)} in {b.count} chunk(s)"
        bg.append(label(text, bar_x + bw + 5, cy + 11, 10, cls="bucket-value"))
        g.append(with_tip(bg, f"bucket {b.index}: chunks of {b.min_units}-{b.max_units} units "
                              f"({b.min_units * CHUNK_UNIT}-{b.max_units * CHUNK_UNIT + CHUNK_UNIT - 1} bytes)\n"
                              f"{b.count} free chunk(s), {human_size(b.usable_bytes)} usable"))
        cy += ROW_H
    return g


def draw_heap_panel(
    band: Band,
    allocs: tuple[Allocation, ...],
    colours: dict[str | None, str],
    x: float,
    y: float,
    width: float,
    bits: int,
    *,
    one_by_one: bool = True,
) -> dw.Group:
    """The figure for ``band`` (which must carry a heap report), top-left at ``(x, y)``,
    :func:`panel_height` high.  The bar draws each allocation of a region with up to
    :data:`~.layout.DETAIL_LIMIT` of them, else merged runs (each with its count and owners);
    ``one_by_one=False`` (a summarised region) always draws runs."""
    h = band.heap
    assert h is not None, "draw_heap_panel needs a band with a heap report"
    g = dw.Group(class_="heap-figure", data_region=attr(band.name))
    title = (f"heap in {band.name} · {hex_addr(band.addr, bits)} · {human_size(band.size)} · "
             f"{attr_word(band)}{' · DMA' if band.dma else ''} · "
             f"{'big' if h.big else 'small'} heap")
    g.append(label(fit(title, width, 12), x, y + 14, 12, bold=True))
    g.append(_bar(band, allocs, colours, x, y + 22, width, bits, one_by_one))
    for i, line in enumerate(summary_lines(h)):
        g.append(label(fit(line, width, 10.5), x, y + 22 + BAR_H + 32 + 14 * i, 10.5,
                       cls="heap-summary"))
    g.append(_free_chart(h, x, y + HEAD_H, width))
    return g
