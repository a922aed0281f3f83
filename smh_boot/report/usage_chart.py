"""The picture of ``smh-boot fit``: bytes in use over the workload, one panel per heap region,
with the region's size, the smallest size that works and the suggested one drawn across.

Plain SVG text (no drawing library): a few hundred points per panel."""

from __future__ import annotations

from html import escape
from typing import Any

from .fmt import human_size

_W = 800  # panel width
_H = 150  # panel height
_ML, _MR, _MT, _MB = 70, 190, 30, 28  # margins of a panel (the right one holds the labels)
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
        # op i owns [X(i), X(i + 1)): the last op, like every other, has a width
        return x0 + pw * (i / max(n_ops, 1))

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
        # each point is the largest use over the ops since the one before: drawn over them
        pts = [(X(0), Y(0))]
        start = 0
        for i, v in curve:
            pts.append((X(start), Y(v)))
            pts.append((X(i + 1), Y(v)))
            start = i + 1
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
        out.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="1.5"/>')
    ly = []
    peak_op = getattr(rf, "peak_op", None)
    if rf.peak_bytes > 0 and peak_op is not None:
        # the peak: a dot on the curve, a dotted level across and its label with the others
        px, py = X(peak_op + 0.5), Y(rf.peak_bytes)
        out.append(f'<line x1="{x0}" x2="{x0 + pw}" y1="{py:.1f}" y2="{py:.1f}" stroke="{color}" '
                   f'stroke-dasharray="1 3" stroke-opacity="0.8"/>')
        out.append(f'<circle class="peak" cx="{px:.1f}" cy="{py:.1f}" r="4" fill="{color}" '
                   f'stroke="white" stroke-width="1.5"><title>peak {rf.peak_bytes} B at op {peak_op}'
                   f'</title></circle>')
        ly.append((f"peak {human_size(rf.peak_bytes)} (op {peak_op})", None, color, py, False, "peak-label"))
    for name, v, col, dash in levels:
        if v > ymax:
            ly.append((name, v, col, y0 - 2, True, ""))
            continue
        y = Y(v)
        d = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(f'<line x1="{x0}" x2="{x0 + pw}" y1="{y:.1f}" y2="{y:.1f}" stroke="{col}"{d}/>')
        ly.append((name, v, col, y, False, ""))
    # labels right of the panel, pushed apart so they never overlap
    ly.sort(key=lambda t: t[3])
    last = -1e9
    for name, v, col, y, off, cls in ly:
        y = max(y + 4, last + 13)
        last = y
        arrow = " (above)" if off else ""
        text = name if v is None else f"{name} {human_size(v)}{arrow}"
        c = f' class="{cls}"' if cls else ""
        out.append(f'<text{c} x="{x0 + pw + 6}" y="{y:.1f}" font-size="11" fill="{col}">'
                   f'{escape(text)}</text>')
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
