"""The heap report is computed in :mod:`smh_boot.heap.heap_report` (the boot stage needs it
and must not import this rendering package); re-exported here for the renderers."""

from ..heap.heap_report import (  # noqa: F401
    CHUNK_UNIT,
    Bucket,
    HeapReport,
    bucket_bounds,
    bucket_idx,
    heap_report,
    heap_report_for,
    min_chunk_units,
)
