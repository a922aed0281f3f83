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
    return Axis(tuple(segs))


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
