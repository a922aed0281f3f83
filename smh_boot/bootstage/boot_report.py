"""The JSON boot report (``smh-boot boot --json``).

Schema ``smh-boot-report/1``::

    {
      "format": "smh-boot-report/1",
      "board": {"name", "vendor", "soc", "cpu", "arch", "isa", "ptr_size", "dts",
                "origin",                  # yaml | dts | zephyr | build (smh_boot.resolve)
                "inferred": [str],         # where each inferred value came from
                "warnings": [str]},        # what had to be guessed (each names a flag)
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
      "refused": [{"name", "path", "addr", "size", "attr", "reason"}],  # heaps not added
      "unbound": [{"path", "compatible", "reason"}],  # status-okay nodes no driver takes
      "diagnostics": [str],
      "log": [str]
    }

Addresses and sizes are integers (JSON numbers); every address (and ``dt_attr``) also has a
``*_hex`` string beside it (``"addr_hex": "0x30000000"``), the convention of every smh-boot JSON
document (:mod:`smh_boot.units`).
"""

from __future__ import annotations

from typing import Any

from ..errors import HeapError
from ..heap.compiled import pool_core
from ..heap.heap_report import heap_report_for
from ..resources import display_name
from ..units import with_hex

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


def _device_dict(dev: Any) -> dict[str, Any]:
    d = dev.to_dict()
    if isinstance(d.get("buffers"), list):
        d["buffers"] = [with_hex(b, "addr") if isinstance(b, dict) else b for b in d["buffers"]]
    return d


def refused_regions(system: Any) -> list[dict[str, Any]]:
    """Regions the policy maps to an SMH attribute that the boot could not add to the pool
    (each is also a ``heap-refused`` error in ``system.diagnostics``)."""
    return [
        with_hex({"name": i.name, "path": i.path, "addr": i.addr, "size": i.size, "attr": i.attr,
                  "reason": i.error}, "addr")
        for i in system.regions if i.attr is not None and i.heap_index is None
    ]


def boot_report(system: Any) -> dict[str, Any]:
    """The whole boot as a JSON-serialisable dict (schema in the module docstring)."""
    b = system.board
    regions = []
    for info in system.regions:
        regions.append(with_hex({
            "name": info.name,
            "path": info.path,
            "addr": info.addr,
            "size": info.size,
            "attr": info.attr,
            "dt_attr": info.dt_attr,
            "decoded": info.decoded,
            "heap": _heap_dict(system, info),
            "error": info.error,
        }, "addr", "dt_attr"))
    allocations = []
    try:
        blocks = system.pool.blocks()
    except HeapError:  # a corrupted heap: its regions entry says so
        blocks = []
    for blk in blocks:
        allocations.append(with_hex({
            "addr": blk.addr,
            "size": blk.size,
            "usable": blk.usable,
            "attr": getattr(blk.attr, "name", blk.attr),
            "region": system.region_name_at(blk.addr),
            "owner": blk.owner,
        }, "addr"))
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
            "dts": display_name(getattr(b, "dts_path", "")),
            "origin": getattr(b, "origin", None),
            "inferred": list(getattr(b, "notes", ())),
            "warnings": list(getattr(b, "warnings", ())),
        },
        "ready": system.ready,
        "heap_core": pool_core(system.pool),
        "regions": regions,
        "devices": [_device_dict(d) for d in system.device_list],
        "allocations": allocations,
        "refused": refused_regions(system),
        "unbound": [dict(u) for u in getattr(system, "unbound_nodes", ())],
        "diagnostics": [str(d) for d in system.diagnostics],
        "log": list(system.log),
    }
