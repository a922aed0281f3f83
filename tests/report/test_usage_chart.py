"""The fit picture shows the peak: every bucket of the usage curve is drawn over its own ops,
the last one included, and the peak is marked and labelled (user trial, finding 4)."""

from __future__ import annotations

import re
from types import SimpleNamespace as NS

from svgparse import parse, with_class

from smh_boot.report.usage_chart import usage_svg


def _report(curve, peak_op):
    peak = max(v for _, v in curve)
    rf = NS(region=NS(name="R", attr_name="CACHEABLE", addr=0x30000000), current=8192,
            minimum=4096, suggested=4096, peak_bytes=peak, peak_blocks=3, peak_op=peak_op,
            worst_fragmentation=0.0, curves=[curve])
    return NS(regions=[rf], workloads=[{}])


def _points(root):
    (line,) = root.iter("polyline")
    return [tuple(map(float, p.split(","))) for p in line.get("points").split()]


def test_a_peak_in_the_last_bucket_is_as_wide_as_the_others():
    # 10 buckets of 10 ops; the peak is the last bucket
    curve = [(i * 10 + 9, 100) for i in range(9)] + [(99, 3000)]
    root = parse(usage_svg("b", _report(curve, 97)))
    pts = _points(root)
    top = min(y for _, y in pts)
    at_peak = [x for x, y in pts if y == top]
    width = max(at_peak) - min(at_peak)
    (frame,) = [r for r in root.iter("rect") if r.get("fill") == "#fafafa"]
    pw = float(frame.get("width"))
    assert abs(width - pw / 10) < 0.2, (width, pw)
    assert max(x for x, _ in pts) == float(frame.get("x")) + pw  # the curve reaches the right edge


def test_the_peak_is_marked_and_labelled():
    curve = [(i * 10 + 9, 100 + 1436 * (i == 4)) for i in range(10)]
    root = parse(usage_svg("b", _report(curve, 45)))
    (mark,) = with_class(root, "peak")
    (frame,) = [r for r in root.iter("rect") if r.get("fill") == "#fafafa"]
    x0, pw = float(frame.get("x")), float(frame.get("width"))
    assert abs(float(mark.get("cx")) - (x0 + pw * 45.5 / 100)) < 0.2
    labels = ["".join(t.itertext()) for t in with_class(root, "peak-label")]
    assert labels and re.fullmatch(r"peak 1.5 KiB \(op 45\)", labels[0]), labels


def test_an_empty_region_has_no_peak_mark():
    root = parse(usage_svg("b", _report([(9, 0), (19, 0)], None)))
    assert not with_class(root, "peak")
