"""The optional per-heap figure under the map: an occupancy bar drawn to scale across the
whole region, the report's figures, and a histogram of free chunks per sys_heap bucket."""

from __future__ import annotations

import drawsvg as dw

from . import palette
from .describe import alloc_label, alloc_tip
from .fmt import hex_addr, human_size, percent
from .heap_report import HeapReport
from .model import Allocation, Band
from .svgkit import attr, fit, label, rect, with_tip

BAR_H = 20.0
HIST_H = 48.0
BAR_GAP = 3.0
SUMMARY_H = 30.0
PANEL_H = 22 + BAR_H + 18 + SUMMARY_H + 14 + HIST_H + 40  #: drawn height of one panel


def _tick(index: int) -> str:
    # Histogram ticks must stay narrow: the bucket's lower bound 2^b units, in bytes (8 B,
    # 16 B, ... 1K, 2M), which is what a reader compares allocation sizes with.
    nbytes = 8 << index
    for suffix, scale in (("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)):
        if nbytes >= scale:
            return f"{nbytes // scale}{suffix}"
    return str(nbytes)


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
    x: float, y: float, width: float, bits: int,
) -> dw.Group:
    g = dw.Group(class_="heap-bar")
    g.append(rect(x, y, width, BAR_H, fill=palette.FREE_FILL, stroke=palette.AXIS,
                  stroke_width=1, stroke_dasharray="3,2"))
    scale = width / max(band.size, 1)
    for a in allocs:
        lo = max(a.addr, band.addr) - band.addr
        hi = min(a.end, band.end) - band.addr
        ag = dw.Group(class_="heap-bar-alloc", data_owner=attr(a.owner or ""))
        ag.append(rect(x + lo * scale, y, max((hi - lo) * scale, 1.5), BAR_H,
                       fill=colours[a.owner], stroke="#333333", stroke_width=0.4))
        g.append(with_tip(ag, alloc_tip(a, band, bits) + "\n" + alloc_label(a, bits)))
    g.append(label(hex_addr(band.addr, bits), x, y + BAR_H + 12, 9.5, mono=True, fill=palette.MUTED))
    g.append(label(hex_addr(band.end, bits), x + width, y + BAR_H + 12, 9.5, mono=True,
                   fill=palette.MUTED, anchor="end"))
    return g


def _histogram(h: HeapReport, x: float, y: float, width: float) -> dw.Group:
    g = dw.Group(class_="heap-histogram")
    n = len(h.buckets)
    slot = min(28.0, width / max(n, 1))
    peak = max((b.count for b in h.buckets), default=0)
    base = y + HIST_H
    g.append(dw.Line(x, base, x + slot * n, base, stroke=palette.AXIS, stroke_width=0.8))
    for i, b in enumerate(h.buckets):
        bx = x + i * slot
        bh = 0.0 if peak == 0 else HIST_H * b.count / peak
        bg = dw.Group(class_="bucket", data_bucket=str(b.index), data_count=str(b.count))
        if b.count:
            bg.append(rect(bx + BAR_GAP / 2, base - bh, slot - BAR_GAP, bh, fill="#6b8fb8"))
            bg.append(label(str(b.count), bx + slot / 2, base - bh - 3, 9, anchor="middle"))
        if slot >= 24 or i % 2 == 0 or b.count:
            bg.append(label(_tick(b.index), bx + slot / 2, base + 11, 8.5,
                            anchor="middle", fill=palette.MUTED))
        g.append(with_tip(bg, f"bucket {b.index}: chunks of {b.min_units}-{b.max_units} units\n"
                              f"{b.count} free chunk(s), {human_size(b.usable_bytes)} usable"))
    g.append(label("free chunks per sys_heap bucket (tick: bucket b starts near 8·2^b bytes)",
                   x, base + 25, 9.5, fill=palette.MUTED))
    return g


def draw_heap_panel(
    band: Band,
    allocs: tuple[Allocation, ...],
    colours: dict[str | None, str],
    x: float,
    y: float,
    width: float,
    bits: int,
) -> dw.Group:
    """The figure for ``band`` (which must carry a heap report), top-left at ``(x, y)``,
    :data:`PANEL_H` high."""
    h = band.heap
    assert h is not None, "draw_heap_panel needs a band with a heap report"
    g = dw.Group(class_="heap-figure", data_region=attr(band.name))
    title = (f"heap in {band.name} · {hex_addr(band.addr, bits)} · {human_size(band.size)} · "
             f"{band.attr or 'no attribute'}{' · DMA' if band.dma else ''} · "
             f"{'big' if h.big else 'small'} heap")
    g.append(label(fit(title, width, 12), x, y + 14, 12, bold=True))
    g.append(_bar(band, allocs, colours, x, y + 22, width, bits))
    for i, line in enumerate(summary_lines(h)):
        g.append(label(fit(line, width, 10.5), x, y + 22 + BAR_H + 30 + 14 * i, 10.5,
                       cls="heap-summary"))
    # 14 px of air so the count above the tallest bar clears the summary text
    g.append(_histogram(h, x, y + 22 + BAR_H + 18 + SUMMARY_H + 14, width))
    return g
