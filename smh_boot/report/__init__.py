"""Memory-map pictures and heap reports.

Build a :class:`~.model.MemoryMap` (bands, allocations, findings; heap reports from
:func:`~.heap_report.heap_report`) and render it with :func:`render` as SVG, HTML or text.
This package imports nothing from the devicetree or boot layers.
"""

from __future__ import annotations

from .heap_report import Bucket, HeapReport, bucket_idx, heap_report, heap_report_for
from .model import Allocation, Band, MapFinding, MemoryMap, RefusedRegion, memory_map
from .from_system import map_from_system
from .render import FORMATS, as_map, format_for, render, write_map

__all__ = [
    "FORMATS",
    "Allocation",
    "Band",
    "Bucket",
    "HeapReport",
    "MapFinding",
    "MemoryMap",
    "RefusedRegion",
    "bucket_idx",
    "as_map",
    "format_for",
    "heap_report",
    "heap_report_for",
    "map_from_system",
    "memory_map",
    "render",
    "write_map",
]
