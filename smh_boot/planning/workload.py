"""Workloads for capacity planning: golden-format allocation traces bound to a board's heap
regions.

A *workload* is one trace's operations on one shared multi-heap pool.  Traces come from
:class:`~smh_boot.testing.trace_recorder.TraceRecorder` (a boot's own driver allocations, or a
test recorded by the pytest plugin's ``--smh-record``), or are written by hand in the golden
format.  Binding a trace to a board:

* a trace whose ``add`` ops are the board's heap regions (a trace recorded on that board) runs
  with those adds, one per board region, in order: the count must match, and so must each
  region's SMH attribute (else a :class:`~smh_boot.errors.TraceError` naming the op);
* a trace without ``add`` ops (hand-written: just allocations and frees) runs on the board's
  pool: ``init_pool`` and the board's regions are put in front of it.

Either way each ``add`` carries the region's ``base_mod`` (its address modulo 4 KiB, which keeps
every chunk boundary where the board has it), so the heap results are the board's.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import TraceError
from ..heap.trace import INDEX_FORMAT, SLOT_ALIGN, Trace, is_index, load_trace, parse_trace

#: ops that allocate (their result is a pointer or NULL)
ALLOC_OPS = frozenset({"alloc", "aligned_alloc", "realloc"})


@dataclass(frozen=True)
class PlanRegion:
    """One heap region of the board, as capacity planning sees it."""

    name: str  #: zephyr,memory-region name, else the node name
    path: str  #: devicetree node path
    attr: int  #: SMH attribute (enum value)
    attr_name: str
    addr: int
    size: int
    labels: tuple[str, ...] = ()

    def matches(self, key: str) -> bool:
        """True when ``key`` names this region (its name, node path, node name or a label)."""
        return key in (self.name, self.path, self.path.rsplit("/", 1)[-1], *self.labels)


@dataclass
class Workload:
    """One trace bound to the board's regions: ``ops`` (golden format, the region ``add`` ops
    with the board's sizes), ``add_ops`` (index of each region's ``add`` in ``ops``), where it
    came from (``source``, and each op's line in that file)."""

    name: str
    source: str
    ops: list[dict[str, Any]]
    add_ops: list[int]
    op_lines: list[int | None] = field(default_factory=list)
    #: how many ops were put in front of the trace's own (init_pool + the board's adds)
    prefix: int = 0
    #: the board's region names, by region index
    region_names: list[str] = field(default_factory=list)

    def region_name(self, k: int | None) -> str:
        if k is None:
            return "NULL"
        return self.region_names[k] if 0 <= k < len(self.region_names) else f"region {k}"

    def line_of(self, i: int) -> int | None:
        """The source line of op ``i`` (None for ops smh-boot put in front, or unknown)."""
        j = i - self.prefix
        if 0 <= j < len(self.op_lines):
            return self.op_lines[j]
        return None

    def where(self, i: int) -> str:
        """``file:line`` (or ``file: op N``) of op ``i``, for messages."""
        line = self.line_of(i)
        owner = self.ops[i].get("owner") if 0 <= i < len(self.ops) else None
        who = f" ({owner})" if owner else ""
        if line is not None:
            return f"{self.source}:{line}{who}"
        if i < self.prefix:
            return f"{self.source}: board region setup (op {i})"
        return f"{self.source}: op {i - self.prefix}{who}"

    def with_sizes(self, sizes: list[int]) -> list[dict[str, Any]]:
        """The ops with region ``k``'s ``add`` given ``sizes[k]``."""
        ops = list(self.ops)
        for k, i in enumerate(self.add_ops):
            if ops[i]["size"] != sizes[k]:
                ops[i] = {**ops[i], "size": sizes[k]}
        return ops


def bind(trace: Trace, regions: list[PlanRegion], name: str | None = None) -> Workload:
    """Bind a loaded trace to the board's regions (see the module docstring)."""
    ops = trace.ops
    adds = [i for i, op in enumerate(ops) if op["op"] == "add"]
    label = name or trace.name
    if not adds:
        prefix: list[dict[str, Any]] = [{"op": "init_pool"}]
        prefix += [{"op": "add", "attr": r.attr, "base_mod": r.addr % SLOT_ALIGN, "size": r.size}
                   for r in regions]
        body = [op for op in ops]
        return Workload(label, trace.path, prefix + body, list(range(1, len(regions) + 1)),
                        list(trace.op_lines), prefix=len(prefix), region_names=[r.name for r in regions])
    if len(adds) != len(regions):
        raise TraceError(
            f"the trace adds {len(adds)} heap region(s), the board has {len(regions)}",
            trace.path, trace.line_of(adds[0]),
            hint="record the trace on this board (boot with --record, or pytest --smh-record), "
                 "or write it without 'add' ops so it runs on the board's own regions",
        )
    bound = list(ops)
    for k, (i, r) in enumerate(zip(adds, regions)):
        op = ops[i]
        if op["attr"] != r.attr:
            raise TraceError(
                f"op {i} adds region {k} with SMH attribute {op['attr']}, but the board's region "
                f"{k} ({r.name}) is {r.attr_name} ({r.attr})",
                trace.path, trace.line_of(i),
                hint="the trace was recorded on another layout; record it on this board",
            )
        bound[i] = {**op, "base_mod": r.addr % SLOT_ALIGN, "size": r.size}
    return Workload(label, trace.path, bound, adds, list(trace.op_lines), prefix=0,
                    region_names=[r.name for r in regions])


def trace_files(path: str | os.PathLike[str]) -> list[Path]:
    """The trace files a path names: a file, a golden ``index.json`` (the files it lists) or
    a folder (its ``*.json`` files that are traces, sorted, recursively)."""
    p = Path(path)
    if p.is_dir():
        out = []
        for f in sorted(p.rglob("*.json")):
            if not is_index(f):
                out.append(f)
        if not out:
            raise TraceError("no trace files in this folder", str(p),
                             hint="pass a golden-format .json file, a folder of them or an index.json")
        return out
    if is_index(p):
        try:
            doc = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise TraceError(f"cannot read the trace index: {e}", str(p)) from e
        files = doc.get("files") if isinstance(doc, dict) else None
        if not isinstance(files, list):
            raise TraceError(f"an index ({INDEX_FORMAT}) must list 'files'", str(p), 1)
        names = [f["file"] if isinstance(f, dict) else f for f in files]
        return [p.parent / str(n) for n in names]
    if not p.exists():
        raise TraceError("no such trace file", str(p),
                         hint="pass a golden-format .json file, a folder of them or an index.json")
    return [p]


def load_workloads(paths: list[str], regions: list[PlanRegion]) -> list[Workload]:
    """Every trace the paths name, bound to ``regions``."""
    out = []
    for path in paths:
        for f in trace_files(path):
            t = load_trace(f)
            out.append(bind(t, regions, name=str(t.doc.get("name") or f.stem)))
    return out


def workload_from_doc(doc: dict[str, Any], regions: list[PlanRegion], source: str) -> Workload:
    """Bind an in-memory trace document (e.g. :meth:`TraceRecorder.to_trace`)."""
    return bind(parse_trace(doc, source), regions, name=doc.get("name") or source)
