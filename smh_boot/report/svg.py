"""Render a :class:`~.model.MemoryMap` as SVG (built with drawsvg, never by string pasting).

Reading the picture: addresses grow downwards along the axis on the left; each tick is the
address where the next stretch starts.  Bands are laid out in columns by nesting depth (memory
nodes, then the regions inside them), overlapping bands of one depth side by side.  Segment
heights follow the logarithm of their size, so tiny and huge regions are both legible; inside a
segment addresses are linear, so heap allocations are to scale there.  Empty stretches become
axis breaks.  Overlaps (red cross-hatch) and gaps (amber stripes) from the validator are drawn
over everything and repeated, numbered, in the findings list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import drawsvg as dw

from . import palette
from .describe import alloc_label, alloc_tip, band_tip, band_traits, finding_line, finding_title
from .fmt import hex_addr, human_size
from .heap_figure import PANEL_H, draw_heap_panel
from .layout import Axis, assign_lanes, build_axis, r1, stack_labels
from .model import DRAWN_FINDING_KINDS, Band, MemoryMap
from .svgkit import attr, fit, hatch, label, rect, text_width, with_tip

MARGIN = 16.0
BAND_W = 250.0
LANE_GAP = 8.0
DEPTH_GAP = 22.0
ALLOC_STRIP = 0.42  #: share of a heap band's width given to its allocation strip
ALLOC_MIN_H = 2.0  #: a tiny allocation stays visible
NOTE_GAP = 34.0
NOTE_SPACING = 14.0
TWO_LINE_H = 36.0  #: bands at least this high get a second label line
LEGEND_ROW = 18.0
PANEL_W = 620.0
SCALE_NOTE = "Addresses grow downwards; heights follow log(size); allocations are to scale in their band."


class _Note(NamedTuple):
    """A label for the right-hand column: wanted y, text, colour, the point its leader line
    starts from (None: no leader), bold, CSS class."""

    want: float
    text: str
    colour: str
    anchor: tuple[float, float] | None
    bold: bool
    cls: str


@dataclass
class _Frame:
    """Where things go: computed once, then every drawing step reads it."""

    mm: MemoryMap
    axis: Axis
    lanes: dict[str, tuple[int, int]]
    col_x: dict[int, float]
    axis_x: float
    area_right: float
    notes_x: float
    top: float = 0.0

    def band_x(self, b: Band) -> float:
        depth, lane = self.lanes[b.name]
        return self.col_x[depth] + lane * (BAND_W + LANE_GAP)

    def y(self, addr: int) -> float:
        return r1(self.top + self.axis.y(addr))

    def band_y(self, b: Band) -> tuple[float, float]:
        return self.y(b.addr), self.y(max(b.end, b.addr + 1))


def _frame(mm: MemoryMap) -> _Frame:
    axis = build_axis(mm)
    lanes = assign_lanes(mm)
    axis_x = MARGIN + text_width(hex_addr(0, mm.address_bits), 11, mono=True) + 14
    x = axis_x + 14
    col_x: dict[int, float] = {}
    for depth in sorted({d for d, _ in lanes.values()}):
        n = 1 + max(lane for d, lane in lanes.values() if d == depth)
        col_x[depth] = x
        x += n * BAND_W + (n - 1) * LANE_GAP + DEPTH_GAP
    area_right = x - DEPTH_GAP if col_x else x
    return _Frame(mm, axis, lanes, col_x, axis_x, area_right, area_right + NOTE_GAP)


# --------------------------------------------------------------------------- pieces


def _axis(f: _Frame) -> dw.Group:
    g = dw.Group(class_="axis")
    bits = f.mm.address_bits
    for s in f.axis.segments:
        y0, y1 = f.top + s.y, f.top + s.y + s.height
        if s.empty:
            # An axis break: a zigzag instead of a line, and the length of the hole in words.
            path = dw.Path(stroke=palette.AXIS, fill="none", stroke_width=1.2, class_="axis-break")
            path.M(f.axis_x, y0)
            steps = 4
            for i in range(1, steps + 1):
                path.L(r1(f.axis_x + (5 if i % 2 else -5)), r1(y0 + (y1 - y0) * i / (steps + 1)))
            path.L(f.axis_x, y1)
            g.append(path)
            mid = (f.axis_x + 14 + f.area_right) / 2
            g.append(label(f"⋯ {human_size(s.end - s.start)} unmapped ⋯", mid, (y0 + y1) / 2 + 4,
                           10.5, italic=True, fill=palette.MUTED, anchor="middle", cls="break-label"))
        else:
            g.append(dw.Line(f.axis_x, r1(y0), f.axis_x, r1(y1), stroke=palette.AXIS, stroke_width=1.2))
    bounds = sorted({s.start for s in f.axis.segments} | {s.end for s in f.axis.segments})
    for addr in bounds:
        y = f.y(addr)
        g.append(dw.Line(f.axis_x - 5, y, f.axis_x, y, stroke=palette.AXIS, stroke_width=1))
        g.append(dw.Line(f.axis_x + 1, y, f.area_right, y, stroke="#e3e3e3", stroke_width=0.8))
        g.append(label(hex_addr(addr, bits), f.axis_x - 8, y + 3.8, 11, mono=True,
                       anchor="end", cls="addr", fill=palette.TEXT))
    return g


def _band(
    f: _Frame, b: Band, reserved_fill: dw.Pattern, holds_heap: bool
) -> tuple[dw.Group, dw.Group]:
    """The band's shape and, separately, its labels (drawn above the finding hatches so an
    overlap never hides the names it is about)."""
    bits = f.mm.address_bits
    x = f.band_x(b)
    y0, y1 = f.band_y(b)
    h = y1 - y0
    fill, stroke = palette.ATTR_COLOURS[b.attr]
    g = dw.Group(class_=f"band band-{b.kind}", data_name=attr(b.name), data_kind=b.kind,
                 data_attr=b.attr or "", data_dma="yes" if b.dma else "no")
    g.append(rect(x, y0, BAND_W, h, fill=reserved_fill if b.kind == "reserved" else fill,
                  stroke=stroke, stroke_width=1.3))
    if b.dma:
        g.append(rect(x, y0, 5, h, fill=palette.DMA_STRIPE, class_="dma-stripe"))
    room = BAND_W * (1 - ALLOC_STRIP if holds_heap else 1) - 16
    size_text = human_size(b.size)
    t = dw.Group(class_="band-label", data_name=attr(b.name))
    if h >= TWO_LINE_H:
        t.append(label(fit(b.name, room, 13.2), x + 10, y0 + 15, 12, bold=True, cls="band-name"))
        lines = _wrap([size_text, *band_traits(b).split(" · ")], room, 10)
        lines = lines[: max(1, int((h - 22) // 13))]
        for i, line in enumerate(lines):
            t.append(label(fit(line, room, 10), x + 10, y0 + 29 + 13 * i, 10,
                           fill=palette.TEXT, cls="band-traits"))
    else:
        one = f"{b.name} · {size_text} · {b.attr or 'no attr'}{' · DMA' if b.dma else ''}"
        t.append(label(fit(one, room, 10.5), x + 10, (y0 + y1) / 2 + 3.8, 10.5, cls="band-name"))
    tip = band_tip(b, bits)
    return with_tip(g, tip), with_tip(t, tip)


def _wrap(parts: list[str], width: float, size: float) -> list[str]:
    """Join ``parts`` with `` · `` into as few lines as fit ``width`` (estimated)."""
    lines: list[str] = []
    for part in parts:
        if lines and text_width(f"{lines[-1]} · {part}", size) <= width:
            lines[-1] = f"{lines[-1]} · {part}"
        else:
            lines.append(part)
    return lines


def _allocations(
    f: _Frame, b: Band, colours: dict[str | None, str]
) -> tuple[dw.Group, list[_Note]]:
    """The allocation strip of heap band ``b`` plus the notes that label its blocks."""
    bits = f.mm.address_bits
    x = f.band_x(b) + BAND_W * (1 - ALLOC_STRIP)
    w = BAND_W * ALLOC_STRIP - 6
    y0, y1 = f.band_y(b)
    g = dw.Group(class_="heap-strip", data_region=attr(b.name))
    g.append(rect(x, y0 + 3, w, y1 - y0 - 6, fill=palette.FREE_FILL, stroke=palette.MUTED,
                  stroke_width=0.8, stroke_dasharray="3,2", class_="heap-free"))
    notes: list[_Note] = []
    for a in f.mm.allocations_in(b.name):
        lo, hi = max(a.addr, b.addr), min(a.end, b.end)
        ay0 = f.y(lo)
        ah = max(f.y(max(hi, lo)) - ay0, ALLOC_MIN_H)
        ag = dw.Group(class_="alloc", data_owner=attr(a.owner or ""), data_addr=hex_addr(a.addr, bits),
                      data_size=str(a.size), data_region=attr(b.name))
        ag.append(rect(x + 2, ay0, w - 4, ah, fill=colours[a.owner], stroke="#333333",
                       stroke_width=0.5))
        g.append(with_tip(ag, alloc_tip(a, b, bits)))
        notes.append(_Note(ay0 + ah / 2, alloc_label(a, bits), colours[a.owner],
                           (x + w, ay0 + ah / 2), False, "alloc-label"))
    return g, notes


def _findings(f: _Frame, patterns: dict[str, dw.Pattern]) -> tuple[dw.Group, list[_Note]]:
    bits = f.mm.address_bits
    g = dw.Group(class_="findings")
    notes: list[_Note] = []
    for n, fd in enumerate(f.mm.findings, 1):
        if fd.kind not in DRAWN_FINDING_KINDS or fd.addr is None:
            continue
        colour = palette.OVERLAP if fd.kind == "overlap" else palette.GAP
        y0 = f.y(fd.addr)
        y1 = max(f.y(fd.addr + fd.size), y0 + 4)
        fg = dw.Group(class_=f"finding finding-{fd.kind}", data_index=str(n),
                      data_addr=hex_addr(fd.addr, bits), data_size=str(fd.size))
        fg.append(rect(f.axis_x + 6, y0, f.area_right - f.axis_x - 2, y1 - y0,
                       fill=patterns[fd.kind], fill_opacity=0.4, stroke=colour, stroke_width=2.2))
        fg.append(rect(f.axis_x - 3, y0, 6, y1 - y0, fill=colour))
        g.append(with_tip(fg, finding_line(fd, bits)))
        mid = (y0 + y1) / 2
        notes.append(_Note(mid, f"⚠ {n}. {finding_title(fd, bits)}", colour,
                           (f.area_right + 4, mid), True, f"finding-label finding-label-{fd.kind}"))
        notes.append(_Note(mid + NOTE_SPACING, fit(fd.message, 420, 10.5), colour, None, False,
                           "finding-message"))
    return g, notes


def _notes(f: _Frame, notes: list[_Note]) -> tuple[dw.Group, float]:
    """Labels in the right-hand column, stacked so they never collide, with leader lines;
    returns the group and the lowest baseline used."""
    g = dw.Group(class_="notes")
    ys = stack_labels([n.want + 3.5 for n in notes], NOTE_SPACING, top=f.top + 10)
    for (_want, text, colour, anchor, bold, cls), y in zip(notes, ys):
        if anchor is not None:
            ax, ay = anchor
            g.append(dw.Lines(r1(ax), r1(ay), r1(f.notes_x - 16), r1(ay), r1(f.notes_x - 4),
                              r1(y - 3.5), close=False, fill="none", stroke=colour,
                              stroke_width=0.9, stroke_opacity=0.8))
        g.append(label(text, f.notes_x, y, 10.5, bold=bold, fill=colour if bold else palette.TEXT,
                       cls=cls))
        if not bold and anchor is not None:
            g.append(rect(f.notes_x - 3, y - 8, 2, 9, fill=colour))
    return g, max(ys, default=0.0)


def _legend(x: float, y: float, width: float, patterns: dict[str, dw.Pattern]) -> tuple[dw.Group, float]:
    g = dw.Group(class_="legend")
    items: list[tuple[str, dict[str, object]]] = []
    for attr, (fill, stroke) in palette.ATTR_COLOURS.items():
        items.append((palette.ATTR_LABELS[attr], {"fill": fill, "stroke": stroke}))
    items += [
        ("reserved", {"fill": patterns["reserved"], "stroke": palette.ATTR_COLOURS[None][1]}),
        ("DMA-capable (dark left edge)", {"fill": palette.DMA_STRIPE}),
        ("free heap space", {"fill": palette.FREE_FILL, "stroke": palette.MUTED,
                             "stroke_dasharray": "3,2"}),
        ("allocation (colour = owner)", {"fill": palette.OWNER_COLOURS[0], "stroke": "#333333"}),
        ("overlap", {"fill": patterns["overlap"], "stroke": palette.OVERLAP, "stroke_width": 2}),
        ("gap", {"fill": patterns["gap"], "stroke": palette.GAP, "stroke_width": 2}),
    ]
    cx, cy = x, y
    for text, style in items:
        w = 22 + text_width(text, 10.5) + 14
        if cx + w > x + width and cx > x:
            cx, cy = x, cy + LEGEND_ROW
        g.append(rect(cx, cy, 16, 11, **style))
        g.append(label(text, cx + 21, cy + 9.5, 10.5, cls="legend-item"))
        cx += w
    return g, cy + LEGEND_ROW - y


def _finding_list(f: _Frame, x: float, y: float) -> tuple[dw.Group, float]:
    g = dw.Group(class_="finding-list")
    if not f.mm.findings:
        return g, 0.0
    g.append(label("Findings", x, y + 12, 12, bold=True))
    for n, fd in enumerate(f.mm.findings, 1):
        colour = {"overlap": palette.OVERLAP, "gap": palette.GAP}.get(fd.kind, palette.TEXT)
        g.append(label(f"{n}. {finding_line(fd, f.mm.address_bits)}", x, y + 12 + 15 * n, 10.5,
                       fill=colour, cls=attr(f"finding-item finding-item-{fd.kind}")))
    return g, 12 + 15 * len(f.mm.findings) + 10


# --------------------------------------------------------------------------- whole drawing


def build_drawing(mm: MemoryMap, *, heap_figures: bool = True) -> dw.Drawing:
    """The map as a drawsvg Drawing (see the module docstring for what it shows).
    ``heap_figures`` adds one heap panel per band that carries a heap report."""
    f = _frame(mm)
    colours = palette.owner_colours(mm.owners())
    patterns = {
        "reserved": hatch(palette.RESERVED_HATCH, palette.RESERVED_FILL),
        "overlap": hatch(palette.OVERLAP, "#ffffff", cross=True),
        "gap": hatch(palette.GAP, "#fff6e0"),
    }
    heap_bands = [b for b in mm.bands if b.heap is not None or mm.allocations_in(b.name)]
    # Dry run at top = 0 only to learn how wide the notes are: the legend (and so the top of
    # the map) depends on the width.
    _layers, notes = _body(f, colours, patterns, heap_bands)
    note_w = max((text_width(n.text, 10.5) for n in notes), default=0.0)
    width = max(f.notes_x + note_w + MARGIN, PANEL_W + 2 * MARGIN, 560.0)
    lines = [finding_line(fd, mm.address_bits) for fd in mm.findings]
    width = r1(max([width] + [MARGIN * 2 + text_width(f"99. {t}", 10.5) for t in lines]))

    head = dw.Group(class_="header")
    head.append(label(mm.title, MARGIN, 26, 17, bold=True, cls="title"))
    head.append(label(_subtitle(mm), MARGIN, 44, 10.5, fill=palette.MUTED, cls="subtitle"))
    head.append(label(SCALE_NOTE, MARGIN, 58, 10.5, fill=palette.MUTED, cls="subtitle"))
    legend, legend_h = _legend(MARGIN, 70, width - 2 * MARGIN, patterns)
    f.top = r1(70 + legend_h + 22)
    layers, notes = _body(f, colours, patterns, heap_bands)
    body = [_axis(f), *layers]
    notes_g, note_bottom = _notes(f, notes)
    y = r1(max(f.top + f.axis.height, note_bottom) + 24)
    flist, flist_h = _finding_list(f, MARGIN, y)
    y += flist_h
    panels = dw.Group(class_="heap-figures")
    if heap_figures:
        for b in heap_bands:
            if b.heap is None:
                continue
            panels.append(draw_heap_panel(b, mm.allocations_in(b.name), colours, MARGIN, y,
                                          min(PANEL_W, width - 2 * MARGIN), mm.address_bits))
            y += PANEL_H
    d = dw.Drawing(width, r1(y + MARGIN), id_prefix="smh")
    d.append(rect(0, 0, width, r1(y + MARGIN), fill="#ffffff"))
    for part in (head, legend, *body, notes_g, flist, panels):
        d.append(part)
    return d


def _body(
    f: _Frame, colours: dict[str | None, str], patterns: dict[str, dw.Pattern],
    heap_bands: list[Band],
) -> tuple[list[dw.Group], list[_Note]]:
    """Bands, allocation strips and findings (in drawing order) plus the notes they need."""
    bands = dw.Group(class_="bands")
    band_labels = dw.Group(class_="band-labels")
    layers = [bands]
    notes: list[_Note] = []
    for b in f.mm.bands:
        shape, text = _band(f, b, patterns["reserved"], b in heap_bands)
        bands.append(shape)
        band_labels.append(text)
    for b in heap_bands:
        strip, strip_notes = _allocations(f, b, colours)
        layers.append(strip)
        notes += strip_notes
    fgroup, fnotes = _findings(f, patterns)
    layers += [fgroup, band_labels]
    return layers, notes + fnotes


def _subtitle(mm: MemoryMap) -> str:
    n_b, n_a, n_f = len(mm.bands), len(mm.allocations), len(mm.findings)
    return (f"{mm.address_bits}-bit address space · {n_b} band(s) · {n_a} allocation(s) · "
            f"{n_f} finding(s)")


def render_svg(mm: MemoryMap, *, heap_figures: bool = True) -> str:
    """The map as an SVG document (UTF-8 text).  Same map in, byte-identical SVG out."""
    return build_drawing(mm, heap_figures=heap_figures).as_svg()
