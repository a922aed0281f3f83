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
from html import escape
from typing import NamedTuple

import drawsvg as dw

from . import palette
from .describe import (alloc_label, alloc_tip, attr_word, band_tip, band_traits, finding_line, finding_title,
                       finding_where, span)
from .fmt import hex_addr, human_size
from .heap_figure import draw_heap_panel, panel_height
from .layout import (ALLOC_DRAW_LIMIT, DETAIL_LIMIT, MAP_DRAW_LIMIT, Axis, Run, assign_lanes,
                     build_axis, detail_blocks, drawn_one_by_one, merge_runs, needs_detail, r1,
                     stack_labels)
from .model import DRAWN_FINDING_KINDS, Allocation, Band, MemoryMap
from .svgkit import attr, clean, fit, hatch, label, rect, text_width, with_tip


def esc(text: str) -> str:
    """Text made safe for an attribute value or element text of hand-built SVG."""
    return escape(clean(text), quote=True)


MARGIN = 16.0
BAND_W = 250.0
LANE_GAP = 8.0
DEPTH_GAP = 22.0
ALLOC_STRIP = 0.42  #: share of a heap band's width given to its allocation strip
ALLOC_MIN_H = 2.0  #: a tiny allocation stays visible
DETAIL_SCALE_W = 24.0  #: width of the to-scale strip when a detail column sits beside it
DETAIL_FUNNEL_W = 18.0  #: the funnel between the to-scale strip and the detail column
BADGE = "KERNEL RAM"
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


#: the font size whose plain estimate covers bold 10 px text (bold capitals run ~30% wider)
BOLD_EST = 13


def _band(
    f: _Frame, b: Band, patterns: dict[str, dw.Pattern], holds_heap: bool
) -> tuple[dw.Group, dw.Group]:
    """The band's shape and, separately, its labels (drawn above the finding hatches so an
    overlap never hides the names it is about).  Named by its label or region name, the node
    name under it; the kernel's RAM carries a badge; a refused region is cross-hatched with a
    dashed border and says why."""
    bits = f.mm.address_bits
    x = f.band_x(b)
    y0, y1 = f.band_y(b)
    h = y1 - y0
    fill, stroke = palette.ATTR_COLOURS[b.attr]
    cls = f"band band-{b.kind}" + (" band-refused" if b.refused else "") + (
        " band-kernel-ram" if b.kernel_ram else "")
    g = dw.Group(class_=cls, data_name=attr(b.name), data_kind=b.kind,
                 data_attr=b.attr or "", data_dma="yes" if b.dma else "no",
                 data_node=attr(b.node or ""), data_refused=attr(b.refused or ""))
    if b.refused:
        # a pale band crossed out corner to corner: unlike any hatch, even under an overlap's
        g.append(rect(x, y0, BAND_W, h, fill=palette.REFUSED_FILL, stroke=palette.REFUSED,
                      stroke_width=2, stroke_dasharray="7,3"))
        for ya, yb in ((y0, y1), (y1, y0)):
            g.append(dw.Line(r1(x), r1(ya), r1(x + BAND_W), r1(yb), stroke=palette.REFUSED_HATCH,
                             stroke_width=2, class_="refused-cross"))
    else:
        g.append(rect(x, y0, BAND_W, h, fill=patterns["reserved"] if b.kind == "reserved" else fill,
                      stroke=stroke, stroke_width=1.3))
    if b.dma:
        g.append(rect(x, y0, 5, h, fill=palette.DMA_STRIPE, class_="dma-stripe"))
    room = BAND_W * (1 - ALLOC_STRIP if holds_heap else 1) - 16
    size_text = human_size(b.size)
    t = dw.Group(class_="band-label", data_name=attr(b.name))
    name_room = room
    if b.kernel_ram:
        bw = len(BADGE) * 10 * 0.72 + 8  # bold capitals run wider than the average glyph
        bx = x + BAND_W - bw - 5 if not holds_heap else x + 10 + room - bw
        t.append(rect(bx, y0 + 4, bw, 14, fill=palette.KERNEL_RAM, class_="kernel-ram-badge"))
        t.append(label(BADGE, bx + 4, y0 + 14.5, 10, bold=True, fill="#ffffff",
                       cls="kernel-ram-badge-text"))
        name_room = room - bw - 4
    if h >= TWO_LINE_H:
        t.append(label(fit(b.name, name_room, 13.2), x + 10, y0 + 15, 12, bold=True,
                       cls="band-name"))
        lines: list[tuple[str, str, bool]] = []
        if b.node and b.node != b.name:
            lines.append((b.node, "band-node", False))
        lines += [(ln, "band-traits", False)
                  for ln in _wrap([size_text, *band_traits(b).split(" · ")], room, 10)]
        if b.refused:
            lines = lines[:1] + [(ln, "band-refused-reason", True)
                                 for ln in _wrap_words(f"refused: {b.refused}", room, BOLD_EST)] + lines[1:]
        lines = lines[: max(1, int((h - 22) // 13))]
        shown = [(fit(b.name, name_room, 13.2), 13.2, 12, y0 + 15)]
        for i, (line, lcls, bold) in enumerate(lines):
            # bold 10 px text is estimated as BOLD_EST px: bold capitals run much wider
            est = BOLD_EST if bold else 10
            shown.append((fit(line, room, est), est, 10, y0 + 29 + 13 * i))
            t.append(label(shown[-1][0], x + 10, shown[-1][3], 10, bold=bold,
                           fill=palette.MUTED if lcls == "band-node" else palette.TEXT, cls=lcls))
    else:
        node = f" ({b.node})" if b.node and b.node != b.name else ""
        flag = " · REFUSED" if b.refused else ""
        one = (f"{b.name}{node} · {size_text} · {attr_word(b)}"
               f"{' · DMA' if b.dma else ''}{flag}")
        shown = [(fit(one, name_room, 10.5), 10.5, 10.5, (y0 + y1) / 2 + 3.8)]
        t.append(label(shown[0][0], x + 10, shown[0][3], 10.5, cls="band-name"))
    if b.refused:
        # the cross stays visible around the label but never runs through its text
        t.children.insert(0, _label_background(x, y0, y1, shown))
    tip = band_tip(b, bits)
    return with_tip(g, tip), with_tip(t, tip)


def _label_background(x: float, y0: float, y1: float,
                      shown: list[tuple[str, float, float, float]]) -> dw.Rectangle:
    """A pale box behind a refused band's label lines (text, the font size its width is
    estimated at, font size, baseline), inside the band."""
    right = max(x + 10 + text_width(text, est) for text, est, _, _ in shown) + 4
    top = max(y0 + 1, min(base - size - 1 for _, _, size, base in shown))
    bottom = min(y1 - 1, max(base + 4 for _, _, _, base in shown))
    return rect(x + 6, top, min(right, x + BAND_W - 2) - (x + 6), max(bottom - top, 0),
                fill=palette.REFUSED_FILL, fill_opacity=0.85, class_="label-bg")


def _wrap_words(text: str, width: float, size: float) -> list[str]:
    """``text`` broken at spaces into lines that fit ``width`` (estimated)."""
    lines: list[str] = []
    for word in text.split():
        if lines and text_width(f"{lines[-1]} {word}", size) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def _wrap(parts: list[str], width: float, size: float) -> list[str]:
    """Join ``parts`` with `` · `` into as few lines as fit ``width`` (estimated)."""
    lines: list[str] = []
    for part in parts:
        if lines and text_width(f"{lines[-1]} · {part}", size) <= width:
            lines[-1] = f"{lines[-1]} · {part}"
        else:
            lines.append(part)
    return lines


def _rect_str(x: float, y: float, w: float, h: float, fill: str, extra: str = "") -> str:
    return (f'<rect x="{r1(x)}" y="{r1(y)}" width="{r1(w)}" height="{r1(h)}" fill="{fill}"'
            f'{extra}/>')


def _alloc_elements(
    f: _Frame, b: Band, allocs: tuple[Allocation, ...], colours: dict[str | None, str],
    x: float, w: float,
) -> tuple[list[str], list[tuple[float, float]]]:
    """One ``<g class="alloc">`` per allocation, built as text (a drawing-library object per
    block costs ~200 us; this costs a few): to scale, alternate shades, a tooltip each.
    Returns the elements and each block's (top, height)."""
    bits = f.mm.address_bits
    region = esc(b.name)
    out: list[str] = []
    spans: list[tuple[float, float]] = []
    for i, a in enumerate(allocs):
        lo, hi = max(a.addr, b.addr), min(a.end, b.end)
        ay0 = f.y(lo)
        ah = max(f.y(max(hi, lo)) - ay0, ALLOC_MIN_H)
        spans.append((ay0, ah))
        fill = palette.shade(colours[a.owner], i % 2 == 1)
        out.append(
            f'<g class="alloc" data-owner="{esc(a.owner or "")}" '
            f'data-addr="{hex_addr(a.addr, bits)}" data-size="{a.size}" data-region="{region}">'
            f"<title>{esc(alloc_tip(a, b, bits))}</title>"
            + _rect_str(x, ay0, w, ah, fill, ' stroke="#333333" stroke-width="0.5"')
            + "</g>"
        )
    return out, spans


def _run_tip(r: Run, b: Band, bits: int) -> str:
    owners = sorted(r.owners.items(), key=lambda kv: (-kv[1], kv[0] is None, kv[0] or ""))
    shown = ", ".join(f"{o or '(no owner)'} {human_size(n)}" for o, n in owners[:6])
    more = f", and {len(owners) - 6} more owner(s)" if len(owners) > 6 else ""
    return (f"{r.count} allocation(s), {human_size(r.nbytes)} ({r.nbytes} bytes)\n"
            f"address: {span(r.lo, r.hi - r.lo, bits)}\nregion: {b.name}\n"
            f"owners: {shown}{more}")


def _run_elements(
    f: _Frame, b: Band, allocs: tuple[Allocation, ...], colours: dict[str | None, str],
    x: float, w: float,
) -> list[str]:
    """A summarised strip: :func:`~.layout.merge_runs` of the allocations, one element per
    run, coloured by its main owner (tooltip: count, bytes, owners)."""
    bits = f.mm.address_bits
    out = []
    for i, r in enumerate(merge_runs(allocs, lambda addr: f.y(min(max(addr, b.addr), b.end)))):
        fill = palette.shade(colours[r.owner], i % 2 == 1)
        out.append(
            f'<g class="alloc-run" data-count="{r.count}" data-bytes="{r.nbytes}" '
            f'data-owner="{esc(r.owner or "")}"><title>{esc(_run_tip(r, b, bits))}</title>'
            + _rect_str(x, r.p0, w, r.p1 - r.p0, fill, ' stroke="#333333" stroke-width="0.3"')
            + "</g>"
        )
    return out


def _detail(
    f: _Frame, b: Band, allocs: tuple[Allocation, ...], colours: dict[str | None, str],
    spans: list[tuple[float, float]], sx: float, dx: float, dw_: float,
) -> tuple[list[str], list[tuple[float, float]]]:
    """The busy region's blocks again, enlarged and in address order (not to scale), joined
    to their to-scale span by a funnel.  Returns the elements and each block's centre y."""
    bits = f.mm.address_bits
    y0, y1 = f.band_y(b)
    gaps = [(a.size, i > 0 and a.addr - allocs[i - 1].end > 8) for i, a in enumerate(allocs)]
    boxes = detail_blocks(gaps, y1 - y0 - 10)
    used = boxes[-1][0] + boxes[-1][1]
    span_top = spans[0][0]
    span_bot = max(t + h for t, h in spans)
    top = min(max((span_top + span_bot) / 2 - used / 2, y0 + 5), y1 - 5 - used)
    out = [
        f'<polygon class="detail-funnel" points="{r1(sx)},{r1(span_top)} {r1(dx)},{r1(top)} '
        f'{r1(dx)},{r1(top + used)} {r1(sx)},{r1(span_bot)}" fill="#000000" fill-opacity="0.07" '
        f'stroke="{palette.MUTED}" stroke-width="0.6"/>'
    ]
    mids = []
    for i, (a, (off, h)) in enumerate(zip(allocs, boxes)):
        fill = palette.shade(colours[a.owner], i % 2 == 1)
        out.append(
            f'<g class="alloc-detail" data-owner="{esc(a.owner or "")}" '
            f'data-addr="{hex_addr(a.addr, bits)}"><title>{esc(alloc_tip(a, b, bits))}</title>'
            + _rect_str(dx, top + off, dw_, h, fill, ' stroke="#333333" stroke-width="0.6"')
            + "</g>"
        )
        mids.append(top + off + h / 2)
    return out, mids


def _owner_notes(
    allocs: tuple[Allocation, ...], spans_of: dict[str | None, float], colours: dict[str | None, str],
    anchor_x: float,
) -> list[_Note]:
    """One note per owner (the 12 with the most bytes; the rest counted in one line)."""
    per: dict[str | None, list[int]] = {}
    for a in allocs:
        c = per.setdefault(a.owner, [0, 0])
        c[0] += 1
        c[1] += a.size
    ranked = sorted(per.items(), key=lambda kv: (-kv[1][1], kv[0] is None, kv[0] or ""))
    notes = []
    for owner, (count, nbytes) in ranked[:12]:
        y = spans_of[owner]
        notes.append(_Note(y, f"{owner or '(no owner)'} · {count} block(s) · {human_size(nbytes)}",
                           colours[owner], (anchor_x, y), False, "alloc-label alloc-owner-label"))
    if len(ranked) > 12:
        rest = ranked[12:]
        y = spans_of[rest[0][0]]
        notes.append(_Note(y, f"+ {len(rest)} more owner(s), {sum(c for _o, (c, _n) in rest)} "
                              f"block(s)", palette.MUTED, None, False, "alloc-label"))
    return notes


def _allocations(
    f: _Frame, b: Band, colours: dict[str | None, str], one_by_one: bool
) -> tuple[dw.Group, list[_Note]]:
    """The allocation strip of heap band ``b`` plus the notes that label its blocks."""
    bits = f.mm.address_bits
    x = f.band_x(b) + BAND_W * (1 - ALLOC_STRIP)
    w = BAND_W * ALLOC_STRIP - 6
    y0, y1 = f.band_y(b)
    allocs = f.mm.allocations_in(b.name)
    g = dw.Group(class_="heap-strip", data_region=attr(b.name),
                 data_mode="each" if one_by_one else "summary")
    g.append(rect(x, y0 + 3, w, y1 - y0 - 6, fill=palette.FREE_FILL, stroke=palette.MUTED,
                  stroke_width=0.8, stroke_dasharray="3,2", class_="heap-free"))
    detail = one_by_one and needs_detail(f.mm, b)
    sw = DETAIL_SCALE_W if detail else w - 4
    parts: list[str]
    notes: list[_Note] = []
    if one_by_one:
        parts, spans = _alloc_elements(f, b, allocs, colours, x + 2, sw)
        mids = [t + h / 2 for t, h in spans]
        anchor_x = x + w
        if detail:
            dparts, mids = _detail(f, b, allocs, colours, spans, x + 2 + sw,
                                   x + 2 + sw + DETAIL_FUNNEL_W, w - 4 - sw - DETAIL_FUNNEL_W)
            parts += dparts
        if len(allocs) <= DETAIL_LIMIT:
            for a, mid in zip(allocs, mids):
                notes.append(_Note(mid, alloc_label(a, bits), colours[a.owner], (anchor_x, mid),
                                   False, "alloc-label"))
        else:
            first: dict[str | None, float] = {}
            for a, mid in zip(allocs, mids):
                first.setdefault(a.owner, mid)
            notes += _owner_notes(allocs, first, colours, anchor_x)
    else:
        parts = _run_elements(f, b, allocs, colours, x + 2, w - 4)
        first = {}
        for a in allocs:
            first.setdefault(a.owner, f.y(max(a.addr, b.addr)))
        notes.append(_Note(y0, f"{b.name}: {len(allocs)} allocations, summarised "
                               f"(more than {ALLOC_DRAW_LIMIT} in a region or "
                               f"{MAP_DRAW_LIMIT} in the map)", palette.TEXT, None, True,
                           "summary-note"))
        notes += _owner_notes(allocs, first, colours, x + w)
    if parts:
        g.append(dw.Raw("\n".join(parts)))
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
    for attr_, (fill, stroke) in palette.ATTR_COLOURS.items():
        items.append((palette.ATTR_LABELS[attr_], {"fill": fill, "stroke": stroke}))
    items += [
        ("reserved", {"fill": patterns["reserved"], "stroke": palette.ATTR_COLOURS[None][1]}),
        ("refused by the boot (crossed out, reason in the label)",
         {"fill": palette.REFUSED_FILL, "stroke": palette.REFUSED, "stroke_dasharray": "4,2",
          "stroke_width": 1.5}),
        ("kernel RAM (chosen zephyr,sram)", {"fill": palette.KERNEL_RAM}),
        ("DMA-capable (dark left edge)", {"fill": palette.DMA_STRIPE}),
        ("free heap space", {"fill": palette.FREE_FILL, "stroke": palette.MUTED,
                             "stroke_dasharray": "3,2"}),
        ("allocation (colour = owner; neighbours alternate shades)",
         {"fill": palette.OWNER_COLOURS[0], "stroke": "#333333"}),
        ("busy region: blocks enlarged beside the strip, in address order",
         {"fill": "#000000", "fill_opacity": 0.07, "stroke": palette.MUTED}),
        ("overlap", {"fill": patterns["overlap"], "stroke": palette.OVERLAP, "stroke_width": 2}),
        ("gap", {"fill": patterns["gap"], "stroke": palette.GAP, "stroke_width": 2}),
    ]
    cx, cy = x, y
    for text, style in items:
        w = 22 + text_width(text, 10.5) + 14
        if cx + w > x + width and cx > x:
            cx, cy = x, cy + LEGEND_ROW
        if text.startswith("busy"):  # a small funnel: thin span on the left, wide on the right
            g.append(dw.Raw(
                f'<polygon points="{r1(cx)},{r1(cy + 4.5)} {r1(cx + 10)},{r1(cy)} '
                f'{r1(cx + 10)},{r1(cy + 11)} {r1(cx)},{r1(cy + 6.5)}" fill="#000000" '
                f'fill-opacity="0.12" stroke="{palette.MUTED}" stroke-width="0.6"/>'))
            g.append(rect(cx + 10, cy, 6, 11, fill=palette.OWNER_COLOURS[1], stroke="#333333",
                          stroke_width=0.6))
        else:
            g.append(rect(cx, cy, 16, 11, **style))
        if text.startswith("refused"):
            for ya, yb in ((cy, cy + 11), (cy + 11, cy)):
                g.append(dw.Line(r1(cx), r1(ya), r1(cx + 16), r1(yb), stroke=palette.REFUSED_HATCH,
                                 stroke_width=1.5))
        g.append(label(text, cx + 21, cy + 9.5, 10.5, cls="legend-item"))
        cx += w
    return g, cy + LEGEND_ROW - y


def _finding_list(mm: MemoryMap, x: float, y: float) -> tuple[dw.Group, float]:
    """Every finding, numbered: its line, then (muted) the node and ``file:line`` it is at."""
    g = dw.Group(class_="finding-list")
    if not mm.findings:
        return g, 0.0
    g.append(label("Findings", x, y + 12, 12, bold=True))
    cy = y + 12
    for n, fd in enumerate(mm.findings, 1):
        colour = {"overlap": palette.OVERLAP, "gap": palette.GAP}.get(fd.kind, palette.TEXT)
        cy += 15
        g.append(label(f"{n}. {finding_line(fd, mm.address_bits)}", x, cy, 10.5,
                       fill=colour, cls=attr(f"finding-item finding-item-{fd.kind}")))
        where = finding_where(fd)
        if where:
            cy += 13
            g.append(label(where, x + 18, cy, 10, fill=palette.MUTED, cls="finding-where"))
    return g, cy - y + 10


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
    each = drawn_one_by_one(mm)
    # The body is laid out once at top = 0 and moved down as a whole: its notes decide the
    # width, the width the legend, and the legend where the body starts.
    layers, notes = _body(f, colours, patterns, heap_bands, each)
    notes_g, note_bottom = _notes(f, notes)
    note_w = max((text_width(n.text, 10.5) for n in notes), default=0.0)
    width = max(f.notes_x + note_w + MARGIN, PANEL_W + 2 * MARGIN, 560.0)
    lines = [finding_line(fd, mm.address_bits) for fd in mm.findings]
    width = r1(max([width] + [MARGIN * 2 + text_width(f"99. {t}", 10.5) for t in lines]
                   + [MARGIN * 2 + 18 + text_width(finding_where(fd), 10) for fd in mm.findings]))

    head = dw.Group(class_="header")
    head.append(label(mm.title, MARGIN, 26, 17, bold=True, cls="title"))
    head.append(label(_subtitle(mm, each), MARGIN, 44, 10.5, fill=palette.MUTED, cls="subtitle"))
    head.append(label(SCALE_NOTE, MARGIN, 58, 10.5, fill=palette.MUTED, cls="subtitle"))
    legend, legend_h = _legend(MARGIN, 70, width - 2 * MARGIN, patterns)
    top = r1(70 + legend_h + 22)
    body = dw.Group(class_="body", transform=f"translate(0,{top})")
    for part in (_axis(f), *layers, notes_g):
        body.append(part)
    y = r1(top + max(f.axis.height, note_bottom) + 24)
    flist, flist_h = _finding_list(mm, MARGIN, y)
    y = r1(y + flist_h)
    panels = dw.Group(class_="heap-figures")
    if heap_figures:
        pw = min(PANEL_W, width - 2 * MARGIN)
        for b in heap_bands:
            if b.heap is None:
                continue
            panels.append(draw_heap_panel(b, mm.allocations_in(b.name), colours, MARGIN, y,
                                          pw, mm.address_bits, one_by_one=b.name in each))
            y = r1(y + panel_height(b.heap))
    d = dw.Drawing(width, r1(y + MARGIN), id_prefix="smh")
    d.append(rect(0, 0, width, r1(y + MARGIN), fill="#ffffff"))
    for part in (head, legend, body, flist, panels):
        d.append(part)
    return d


def _body(
    f: _Frame, colours: dict[str | None, str], patterns: dict[str, dw.Pattern],
    heap_bands: list[Band], each: frozenset[str],
) -> tuple[list[dw.Group], list[_Note]]:
    """Bands, allocation strips and findings (in drawing order) plus the notes they need."""
    bands = dw.Group(class_="bands")
    band_labels = dw.Group(class_="band-labels")
    layers = [bands]
    notes: list[_Note] = []
    for b in f.mm.bands:
        shape, text = _band(f, b, patterns, b in heap_bands)
        bands.append(shape)
        band_labels.append(text)
    for b in heap_bands:
        strip, strip_notes = _allocations(f, b, colours, b.name in each or
                                          not f.mm.allocations_in(b.name))
        layers.append(strip)
        notes += strip_notes
    fgroup, fnotes = _findings(f, patterns)
    layers += [fgroup, band_labels]
    return layers, notes + fnotes


def _subtitle(mm: MemoryMap, each: frozenset[str]) -> str:
    n_b, n_a, n_f = len(mm.bands), len(mm.allocations), len(mm.findings)
    text = (f"{mm.address_bits}-bit address space · {n_b} band(s) · {n_a} allocation(s) · "
            f"{n_f} finding(s)")
    summarised = [b.name for b in mm.bands if mm.allocations_in(b.name) and b.name not in each]
    if summarised:
        text += (f" · allocations of {len(summarised)} region(s) summarised (more than "
                 f"{ALLOC_DRAW_LIMIT} per region or {MAP_DRAW_LIMIT} in all)")
    return text


def render_svg(mm: MemoryMap, *, heap_figures: bool = True) -> str:
    """The map as an SVG document (UTF-8 text).  Same map in, byte-identical SVG out."""
    return build_drawing(mm, heap_figures=heap_figures).as_svg()
