"""The JSON boot report (``smh-boot boot --json``).

Schema ``smh-boot-report/1``::

    {
      "format": "smh-boot-report/1",
      "board": {"name", "vendor", "soc", "cpu", "arch", "isa", "ptr_size", "dts"},
      "ready": bool,                       # every device initialised
      "heap_core": "c" | "python",         # the heap core the pool runs on (compiled or reference)
      "regions": [{"name", "path", "addr", "size", "attr", "dt_attr", "decoded",
                   "heap": null | {"index", "end_chunk", "big", "chunk0", "first_block_offset",
                                   "stats": {"free_bytes", "allocated_bytes", "max_allocated_bytes"},
                                   "largest_free_bytes", "report": {...heap report...}},
                   "error": null | str}],
      "devices": [{"name", "path", "labels", "compatible", "driver", "level", "priority",
                   "ready", "error", "depends_on", "buffers": [{"name", "addr", "size", "attr",
                   "region", "align"}]}],
      "allocations": [{"addr", "size", "usable", "attr", "region", "owner"}],
      "diagnostics": [str],
      "log": [str]
    }

Addresses and sizes are integers (JSON numbers); the text log carries the hex forms.
"""

from __future__ import annotations

from typing import Any

from ..errors import HeapError
from ..heap.compiled import pool_core
from ..heap.heap_report import heap_report_for

FORMAT = "smh-boot-report/1"


def _heap_dict(system: Any, info: Any) -> dict[str, Any] | None:
    if info.heap_index is None:
        return None
    h = system.pool.heaps[info.heap_index].sys_heap
    try:
        st = h.stats()
    except HeapError as e:  # damaged by a driver: report it instead of failing the report
        return {"index": info.heap_index, "end_chunk": h.end_chunk, "big": bool(h.big),
                "chunk0": h.chunk0, "first_block_offset": h.first_block_offset,
                "corrupt": str(e)}
    out = {
        "index": info.heap_index,
        "end_chunk": h.end_chunk,
        "big": bool(h.big),
        "chunk0": h.chunk0,
        "first_block_offset": h.first_block_offset,
        "stats": {
            "free_bytes": st.free_bytes,
            "allocated_bytes": st.allocated_bytes,
            "max_allocated_bytes": st.max_allocated_bytes,
        },
        "largest_free_bytes": h.largest_free_bytes(),
    }
    out["report"] = heap_report_for(h).to_dict()
    return out


def boot_report(system: Any) -> dict[str, Any]:
    """The whole boot as a JSON-serialisable dict (schema in the module docstring)."""
    b = system.board
    regions = []
    for info in system.regions:
        regions.append({
            "name": info.name,
            "path": info.path,
            "addr": info.addr,
            "size": info.size,
            "attr": info.attr,
            "dt_attr": info.dt_attr,
            "decoded": info.decoded,
            "heap": _heap_dict(system, info),
            "error": info.error,
        })
    allocations = []
    try:
        blocks = system.pool.blocks()
    except HeapError:  # a corrupted heap: its regions entry says so
        blocks = []
    for blk in blocks:
        allocations.append({
            "addr": blk.addr,
            "size": blk.size,
            "usable": blk.usable,
            "attr": getattr(blk.attr, "name", blk.attr),
            "region": system.region_name_at(blk.addr),
            "owner": blk.owner,
        })
    return {
        "format": FORMAT,
        "board": {
            "name": b.name,
            "vendor": getattr(b, "vendor", None),
            "soc": getattr(b, "soc", None),
            "cpu": getattr(b, "cpu", None),
            "arch": b.arch,
            "isa": getattr(b, "isa", None),
            "ptr_size": b.ptr_size,
            "dts": str(getattr(b, "dts_path", "")),
        },
        "ready": system.ready,
        "heap_core": pool_core(system.pool),
        "regions": regions,
        "devices": [d.to_dict() for d in system.device_list],
        "allocations": allocations,
        "diagnostics": [str(d) for d in system.diagnostics],
        "log": list(system.log),
    }
