"""Geometry of the map, free of any drawing library: the broken address axis, band lanes and
label stacking.

The vertical axis is piecewise.  Every band or drawn finding boundary cuts the address space
into *segments*.  An occupied segment gets a height that grows with the logarithm of its size
(between :data:`SEG_MIN` and :data:`SEG_MAX`), so a 256-byte region and a 4 GiB region are both
legible; inside a segment addresses are linear, so heap allocations are drawn to scale there.
An empty segment (nothing mapped) becomes a fixed-height axis break, however long it is.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass
from functools import cached_property

from .model import DRAWN_FINDING_KINDS, Band, MemoryMap

SEG_MIN = 24.0  #: drawn height of the smallest occupied segment (room for one label line)
SEG_PER_OCTAVE = 9.0  #: extra height per doubling of a segment's size above 256 bytes
SEG_MAX = 260.0  #: cap, so one huge region does not dwarf the rest
HEAP_SEG_MIN = 120.0  #: segments inside a heap band get room for their allocations
BREAK_H = 30.0  #: drawn height of an axis break (an empty stretch of any length)

#: Up to this many allocations a region labels each one in the note column (and, when they
#: are too thin to tell apart at scale, draws them again enlarged in a detail column);
#: past it, one note per owner.
DETAIL_LIMIT = 24
#: Up to this many allocations in one region each is its own SVG element with a tooltip;
#: past it the map *summarises* the region: adjacent blocks are merged into runs, one per
#: stretch of the strip an owner dominates, and the map says so.  The text and JSON outputs
#: always list every allocation.
ALLOC_DRAW_LIMIT = 2000
#: At most this many allocations are drawn one by one in the whole map; regions (in address
#: order) that would pass it are summarised.  Bounds the SVG to a few MiB whatever the boot.
MAP_DRAW_LIMIT = 32768
DETAIL_MIN_H = 11.0  #: height of the smallest block in a detail column


def r1(value: float) -> float:
    """Round a coordinate to 0.1 so the SVG text is stable and short."""
    return round(value + 0.0, 1)


@dataclass(frozen=True)
class Segment:
    """Addresses ``start..end`` drawn from ``y`` over ``height``; ``empty`` for axis breaks."""

    start: int
    end: int
    y: float
    height: float
    empty: bool


@dataclass(frozen=True)
class Axis:
    """The piecewise address axis: segments in address order, contiguous in y."""

    segments: tuple[Segment, ...]

    @cached_property
    def _starts(self) -> list[int]:
        return [s.start for s in self.segments]

    @property
    def height(self) -> float:
        """Total drawn height."""
        return 0.0 if not self.segments else self.segments[-1].y + self.segments[-1].height

    def y(self, addr: int) -> float:
        """Drawn y of ``addr`` (clamped to the axis; linear inside a segment)."""
        segs = self.segments
        if not segs:
            return 0.0
        if addr <= segs[0].start:
            return segs[0].y
        if addr >= segs[-1].end:
            return self.height
        i = bisect_right(self._starts, addr) - 1
        s = segs[i]
        return r1(s.y + (addr - s.start) / (s.end - s.start) * s.height)


def _extent(b: Band) -> tuple[int, int]:
    # A zero-size band still needs a segment to be drawn in.
    return b.addr, max(b.end, b.addr + 1)


def occupied_height(size: int) -> float:
    """Height of an occupied segment of ``size`` bytes (log scale, clamped)."""
    octaves = math.log2(max(size, 1) / 256)
    return r1(min(SEG_MAX, max(SEG_MIN, SEG_MIN + SEG_PER_OCTAVE * octaves)))


def build_axis(mm: MemoryMap) -> Axis:
    """Cut the address space at every band and drawn-finding boundary and size the pieces."""
    spans = [_extent(b) for b in mm.bands]
    spans += [
        (f.addr, f.addr + f.size)
        for f in mm.findings
        if f.kind in DRAWN_FINDING_KINDS and f.addr is not None and f.size > 0
    ]
    heap_spans = [_extent(b) for b in mm.bands if b.heap is not None or mm.allocations_in(b.name)]
    bounds = sorted({a for s in spans for a in s})
    band_spans = [_extent(b) for b in mm.bands]
    segs: list[Segment] = []
    y = 0.0
    for lo, hi in zip(bounds, bounds[1:]):
        # Boundaries include every start and end, so "intersects" means "contains" here.
        empty = not any(s <= lo and hi <= e for s, e in band_spans)
        if empty:
            h = BREAK_H
        else:
            h = occupied_height(hi - lo)
            if any(s <= lo and hi <= e for s, e in heap_spans):
                h = max(h, HEAP_SEG_MIN)
        segs.append(Segment(lo, hi, r1(y), h, empty))
        y += h
    # A band with a detail column needs room for its enlarged blocks: grow its segments.
    grow = [1.0] * len(segs)
    for b in mm.bands:
        if not needs_detail(mm, b):
            continue
        lo, hi = _extent(b)
        inside = [i for i, s in enumerate(segs) if lo <= s.start and s.end <= hi]
        have = sum(segs[i].height for i in inside)
        need = detail_height(len(mm.allocations_in(b.name)))
        if inside and have < need:
            for i in inside:
                grow[i] = max(grow[i], need / have)
    if any(g > 1.0 for g in grow):
        out, y = [], 0.0
        for s, g in zip(segs, grow):
            h = r1(s.height * g)
            out.append(Segment(s.start, s.end, r1(y), h, s.empty))
            y += h
        segs = out
    return Axis(tuple(segs))


def needs_detail(mm: MemoryMap, b: Band) -> bool:
    """True when ``b`` holds 1..:data:`DETAIL_LIMIT` allocations and one of them would be too
    thin (under 6 px in a :data:`HEAP_SEG_MIN` band) to tell apart at scale."""
    allocs = mm.allocations_in(b.name)
    return 0 < len(allocs) <= DETAIL_LIMIT and any(a.size * HEAP_SEG_MIN < 6 * b.size
                                                     for a in allocs)


def detail_height(n: int) -> float:
    """Band height a detail column of ``n`` blocks needs (blocks, gaps, margins)."""
    return n * (DETAIL_MIN_H + 4.0) + 10.0


def assign_lanes(mm: MemoryMap) -> dict[str, tuple[int, int]]:
    """``name -> (depth, lane)``: bands of one depth that overlap go side by side in lanes
    (greedy, in address order), so an overlap never hides a band."""
    lane_ends: dict[int, list[int]] = {}
    out: dict[str, tuple[int, int]] = {}
    for b in mm.bands:  # already sorted by (addr, -size, name)
        depth = mm.depth(b)
        ends = lane_ends.setdefault(depth, [])
        start, end = _extent(b)
        for lane, lane_end in enumerate(ends):
            if lane_end <= start:
                ends[lane] = end
                break
        else:
            lane = len(ends)
            ends.append(end)
        out[b.name] = (depth, lane)
    return out


def stack_labels(wanted: list[float], spacing: float, top: float = 0.0) -> list[float]:
    """Label baselines as close to ``wanted`` (any order) as possible, at least ``spacing``
    apart, none above ``top``; returned in the order of ``wanted``."""
    order = sorted(range(len(wanted)), key=lambda i: (wanted[i], i))
    placed = [0.0] * len(wanted)
    prev = top - spacing
    for i in order:
        prev = max(wanted[i], prev + spacing)
        placed[i] = r1(prev)
    return placed


def drawn_one_by_one(mm: MemoryMap) -> frozenset[str]:
    """Names of the regions whose allocations are drawn one element each: at most
    :data:`ALLOC_DRAW_LIMIT` in the region and :data:`MAP_DRAW_LIMIT` in the map so far (in
    address order).  Every other region with allocations is summarised."""
    out, total = set(), 0
    for b in mm.bands:
        n = len(mm.allocations_in(b.name))
        if n and n <= ALLOC_DRAW_LIMIT and total + n <= MAP_DRAW_LIMIT:
            out.add(b.name)
            total += n
    return frozenset(out)


@dataclass
class Run:
    """Adjacent allocations merged for a summarised drawing: drawn from ``p0`` to ``p1``
    (pixels along the strip or bar), ``count`` blocks, ``nbytes`` bytes, ``owners`` bytes per
    owner, covering addresses ``lo..hi``."""

    p0: float
    p1: float
    count: int
    nbytes: int
    owners: dict
    lo: int
    hi: int

    @property
    def owner(self) -> str | None:
        """The owner with the most bytes in the run (ties: the first by name)."""
        return min(self.owners.items(), key=lambda kv: (-kv[1], kv[0] is None, kv[0] or ""))[0]


def merge_runs(allocs, pos, min_len: float = 1.0) -> list[Run]:
    """Summarise ``allocs`` (in address order) for drawing: ``pos(addr)`` is the pixel
    position of an address; blocks starting in the same pixel share a run, and neighbouring
    runs whose main owner is the same and that touch (less than a pixel apart) merge.  At
    most one run per pixel, so the drawing is bounded by its size, not by the allocations."""
    runs: list[Run] = []
    for a in allocs:
        p0 = pos(a.addr)
        p1 = max(pos(a.end), p0 + min_len)
        last = runs[-1] if runs else None
        if last is not None and int(p0) == int(last.p0):
            last.p1 = max(last.p1, p1)
            last.count += 1
            last.nbytes += a.size
            last.owners[a.owner] = last.owners.get(a.owner, 0) + a.size
            last.hi = max(last.hi, a.end)
            continue
        runs.append(Run(p0, p1, 1, a.size, {a.owner: a.size}, a.addr, a.end))
    merged: list[Run] = []
    for r in runs:
        m = merged[-1] if merged else None
        if m is not None and r.p0 - m.p1 < 1.0 and m.owner == r.owner:
            m.p1 = max(m.p1, r.p1)
            m.count += r.count
            m.nbytes += r.nbytes
            for k, v in r.owners.items():
                m.owners[k] = m.owners.get(k, 0) + v
            m.hi = max(m.hi, r.hi)
        else:
            merged.append(r)
    return merged


def detail_blocks(sizes_gaps: list[tuple[int, bool]], height: float,
                  max_block: float = 24.0) -> list[tuple[float, float]]:
    """Heights in a detail column: ``(size, gap_before)`` per block in address order ->
    ``(offset, height)`` per block.  Every block gets at least :data:`DETAIL_MIN_H` (less only
    when ``height`` cannot hold that), the rest is shared by size, capped at ``max_block``; a
    gap of free space before a block is a 4-pixel space."""
    n = len(sizes_gaps)
    if n == 0:
        return []
    gaps = sum(1 for _s, g in sizes_gaps if g) * 4.0
    base = min(DETAIL_MIN_H, max((height - gaps) / n, 1.0))
    extra = max(height - gaps - base * n, 0.0)
    total = sum(s for s, _g in sizes_gaps) or 1
    out, y = [], 0.0
    for size, gap in sizes_gaps:
        if gap and out:
            y += 4.0
        h = min(base + extra * size / total, max_block)
        out.append((r1(y), r1(h)))
        y += h
    return out
