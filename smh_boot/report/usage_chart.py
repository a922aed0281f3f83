"""The picture of ``smh-boot fit``: bytes in use over the workload, one panel per heap region,
with the region's size, the smallest size that works and the suggested one drawn across.

Plain SVG text (no drawing library): a few hundred points per panel."""

from __future__ import annotations

from html import escape
from typing import Any

from .fmt import human_size

_W = 760  # panel width
_H = 150  # panel height
_ML, _MR, _MT, _MB = 70, 150, 30, 28  # margins of a panel
_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf", "#7f7f7f")


def _panel(rf: Any, top: int, n_ops: int, color: str) -> list[str]:
    r = rf.region
    pw, ph = _W - _ML - _MR, _H - _MT - _MB
    levels = [("size", rf.current, "#444", "")]
    if rf.suggested is not None and rf.suggested != rf.minimum:
        levels.append(("suggested", rf.suggested, "#2ca02c", "6 3"))
    if rf.minimum is not None:
        levels.append(("minimum", rf.minimum, "#d62728", "3 3"))
    peak = max(rf.peak_bytes, rf.minimum or 0, 1)
    # The y range shows the usage and the sizes that matter near it (a 32 MiB region holding
    # 750 KiB would otherwise flatten the curve): up to the largest level within 4x the peak.
    near = [v for _n, v, _c, _d in levels if v <= 4 * peak]
    ymax = max([peak, *near]) * 1.08
    x0, y0 = _ML, top + _MT

    def X(i: float) -> float:
        return x0 + pw * (i / max(n_ops - 1, 1))

    def Y(v: float) -> float:
        return y0 + ph - ph * min(v, ymax) / ymax

    out = [f'<g class="region"><title>{escape(r.name)}: peak {rf.peak_bytes} B of {rf.current} B</title>',
           f'<rect x="{x0}" y="{y0}" width="{pw}" height="{ph}" fill="#fafafa" stroke="#bbb"/>',
           f'<text x="{x0}" y="{top + 18}" font-size="13" font-weight="bold">{escape(r.name)} '
           f'<tspan font-weight="normal" fill="#555">{escape(r.attr_name)} at {r.addr:#x}, peak '
           f'{escape(human_size(rf.peak_bytes))} in {rf.peak_blocks} block(s), worst fragmentation '
           f'{rf.worst_fragmentation:.1%}</tspan></text>']
    for frac in (0.0, 0.5, 1.0):
        v = ymax * frac / 1.08
        out.append(f'<text x="{x0 - 6}" y="{Y(v) + 4:.1f}" font-size="11" text-anchor="end" fill="#555">'
                   f'{escape(human_size(int(v)))}</text>')
    for curve in rf.curves:
        if not curve:
            continue
        pts = [(X(0), Y(0))]
        prev = 0
        for i, v in curve:
            pts.append((X(i), Y(prev)))
            pts.append((X(i), Y(v)))
            prev = v
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
        out.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="1.5"/>')
    ly = []
    for name, v, col, dash in levels:
        if v > ymax:
            ly.append((name, v, col, y0 - 2, True))
            continue
        y = Y(v)
        d = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(f'<line x1="{x0}" x2="{x0 + pw}" y1="{y:.1f}" y2="{y:.1f}" stroke="{col}"{d}/>')
        ly.append((name, v, col, y, False))
    # labels right of the panel, pushed apart so they never overlap
    ly.sort(key=lambda t: t[3])
    last = -1e9
    for name, v, col, y, off in ly:
        y = max(y + 4, last + 13)
        last = y
        arrow = " (above)" if off else ""
        out.append(f'<text x="{x0 + pw + 6}" y="{y:.1f}" font-size="11" fill="{col}">{name} '
                   f'{escape(human_size(v))}{arrow}</text>')
    out.append(f'<text x="{x0 + pw}" y="{y0 + ph + 16}" font-size="11" text-anchor="end" fill="#555">'
               f'op {n_ops - 1}</text>')
    out.append(f'<text x="{x0}" y="{y0 + ph + 16}" font-size="11" fill="#555">op 0</text>')
    out.append("</g>")
    return out


def usage_svg(board: str, report: Any) -> str:
    """The SVG document for a :class:`~smh_boot.planning.fit.FitReport`."""
    n_ops = max((c[-1][0] + 1 for rf in report.regions for c in rf.curves if c), default=1)
    height = 40 + _H * len(report.regions)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{height}" '
             f'viewBox="0 0 {_W} {height}" font-family="sans-serif">',
             f'<rect width="{_W}" height="{height}" fill="white"/>',
             f'<text x="10" y="24" font-size="15" font-weight="bold">{escape(board)}: heap bytes in use '
             f'over {len(report.workloads)} workload(s)</text>']
    for k, rf in enumerate(report.regions):
        parts += _panel(rf, 30 + k * _H, n_ops, _COLORS[k % len(_COLORS)])
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
