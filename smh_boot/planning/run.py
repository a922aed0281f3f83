"""Run a workload over the board's regions at chosen sizes, with the real heap.

Two kinds of run:

* a *probe* (:func:`probe`) answers one question, "does the workload still succeed at these
  sizes?", and stops at the first operation that says no;
* a *profile* (:func:`profile`) runs the whole workload and measures, per region: bytes in use
  over time (runtime-stats accounting: each block's chunks less one header, what
  ``sys_heap_runtime_stats_get`` reports), peak bytes and blocks, the worst fragmentation and
  the first allocation that returned NULL with every heap's state at that moment.

"Succeeds" is measured against the run at the board's own sizes (the *reference*): every
allocation that returned a block there returns one again, **in the same region**, and nothing
ends in an assert or panic earlier.  Keeping each block in its region keeps the regions
independent, which is what makes one size per region meaningful (a smaller cacheable region that
pushed its blocks into the next cacheable region would "succeed" while changing the layout).
Allocations that already failed in the reference (a test provoking ENOMEM) may fail again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import SmhError
from ..heap.config import Hardening, HeapConfig
from ..heap.introspect import block_bytes
from ..heap.region import SMH_REG_ATTR_NUM
from ..heap.trace import _Run
from .workload import ALLOC_OPS, Workload

#: profile: how many points of the usage curve are kept per region (max of each bucket)
CURVE_POINTS = 400
#: profile: at most this many ops get a fragmentation sample (a chunk walk each)
FRAG_SAMPLES = 512


def planning_config(config: HeapConfig) -> HeapConfig:
    """The board's heap configuration with Zephyr's default hardening (MODERATE): sizes,
    addresses and NULLs do not depend on the level, and C's own behaviour is what a firmware
    build would do with the trace's frees."""
    level = min(int(config.hardening), int(Hardening.MODERATE))
    return HeapConfig(ptr_size=config.ptr_size, runtime_stats=config.runtime_stats,
                      alloc_loops=config.alloc_loops, heap_mode=config.heap_mode,
                      hardening=Hardening(level))


@dataclass
class Reference:
    """What the workload does at the board's sizes: for each allocating op, the region its
    block landed in (None for NULL), and where the run ended (``len(ops)`` when it did not)."""

    regions: dict[int, int | None]
    end: int


@dataclass
class Failure:
    """Why a run did not succeed: the op (index), its text, what was expected and what
    happened."""

    op: int
    text: str
    expected: str
    got: str

    def as_dict(self) -> dict[str, Any]:
        return {"op": self.op, "text": self.text, "expected": self.expected, "got": self.got}


def _op_text(op: dict[str, Any]) -> str:
    args = ", ".join(f"{k}={v}" for k, v in op.items() if k not in ("op", "owner"))
    return f"{op['op']}({args})"


def _execute(ops: list[dict[str, Any]], config: HeapConfig, i_stop: int | None = None):
    """Generator: runs ops, yields ``(i, op, res, run)`` after each; on an assert/panic yields
    ``(i, op, None, error)`` and stops."""
    run = _Run(config)
    for i, op in enumerate(ops if i_stop is None else ops[:i_stop]):
        res: dict[str, Any] = {"i": i}
        try:
            run.run(i, op, res)
        except SmhError as e:
            yield i, op, None, e
            return
        yield i, op, res, run


def reference(workload: Workload, sizes: list[int], config: HeapConfig) -> Reference:
    """The reference run (normally at the board's sizes)."""
    regions: dict[int, int | None] = {}
    end = len(workload.ops)
    add_set = set(workload.add_ops)
    for i, op, res, _run in _execute(workload.with_sizes(sizes), config):
        if res is None:
            end = i
            break
        if op["op"] in ALLOC_OPS:
            ret = res.get("ret")
            regions[i] = None if ret is None else ret[0]
        elif i in add_set and res.get("rc") != 0:
            regions[i] = None
    return Reference(regions, end)


def probe(workload: Workload, ref: Reference, sizes: list[int], config: HeapConfig) -> Failure | None:
    """None when the workload succeeds at ``sizes`` (see the module docstring), else the first
    operation that fails."""
    add_set = set(workload.add_ops)
    ops = workload.with_sizes(sizes)
    want = ref.regions
    for i, op, res, err in _execute(ops, config, ref.end):
        if res is None:
            if op["op"] == "add":  # the heap's own message names the trace's placement, not the board
                got = f"{type(err).__name__} ({getattr(err, 'zephyr_message', None) or err})"
                return Failure(i, _op_text(op), "the region becomes a heap", got)
            return Failure(i, _op_text(op), "no assert or panic", f"{type(err).__name__}: {err}")
        kind = op["op"]
        if kind in ALLOC_OPS:
            w = want.get(i)
            if w is None:
                continue
            ret = res.get("ret")
            if ret is None or ret[0] != w:
                return Failure(i, _op_text(op), f"a block in {workload.region_name(w)}",
                               "NULL" if ret is None else f"a block in {workload.region_name(ret[0])}")
        elif i in add_set and res.get("rc") != 0:
            return Failure(i, _op_text(op), "the region becomes a heap",
                           f"rc {res.get('rc')} (region too small for a heap)")
    return None


@dataclass
class RegionProfile:
    """Usage of one region over a profiled run."""

    index: int
    capacity: int = 0  #: bytes a heap of this size can hand out (free bytes after init)
    peak_bytes: int = 0
    peak_op: int | None = None
    peak_blocks: int = 0
    worst_fragmentation: float = 0.0
    curve: list[tuple[int, int]] = field(default_factory=list)  #: (op, bytes in use)
    heap: dict[str, Any] | None = None  #: end_chunk, big, chunk0 of the heap

    @property
    def headroom_at_peak(self) -> int:
        return self.capacity - self.peak_bytes


@dataclass
class Profile:
    """A profiled run: per-region usage, the first NULL, and where the run ended."""

    regions: list[RegionProfile]
    n_ops: int
    first_null: dict[str, Any] | None = None
    terminated: dict[str, Any] | None = None


def _heap_state(run: Any) -> list[dict[str, Any]]:
    out = []
    for k, (_b, size, heap) in enumerate(run.regions):
        if heap is None:
            out.append({"region": k, "size": size, "heap": None})
            continue
        st = heap.stats()
        out.append({"region": k, "size": size, "free_bytes": st.free_bytes,
                    "allocated_bytes": st.allocated_bytes,
                    "largest_free_bytes": heap.largest_free_bytes()})
    return out


def profile(workload: Workload, sizes: list[int], config: HeapConfig) -> Profile:
    """Run the whole workload at ``sizes`` and measure it (see :class:`RegionProfile`)."""
    ops = workload.with_sizes(sizes)
    n = len(ops)
    nreg = len(workload.add_ops)
    regs = [RegionProfile(k) for k in range(nreg)]
    prof = Profile(regs, n)
    used = [0] * nreg
    blocks = [0] * nreg
    cur_max = [0] * nreg
    live: dict[int, tuple[int, int]] = {}  # block start -> (region, bytes)
    every = max(1, n // FRAG_SAMPLES)
    bucket = max(1, n // CURVE_POINTS)
    run = _Run(config)

    def take(ret: list[int]) -> None:
        k = ret[0]
        base, _size, heap = run.regions[k]
        p = base + ret[1]
        b = block_bytes(heap, p)
        live[p] = (k, b)
        used[k] += b
        blocks[k] += 1

    def drop(p: int | None) -> None:
        got = None if p is None else live.pop(p, None)
        if got is not None:
            used[got[0]] -= got[1]
            blocks[got[0]] -= 1

    def null(i: int, op: dict[str, Any]) -> None:
        if prof.first_null is None and op["size"] > 0 and op["attr"] < SMH_REG_ATTR_NUM:
            prof.first_null = {"op": i, "text": _op_text(op), "where": workload.where(i),
                               "heaps": _heap_state(run)}

    for i, op in enumerate(ops):
        kind = op["op"]
        old = None
        if kind in ("free", "realloc"):
            old = run.ptr(op["tag"])
        elif kind == "free_raw" and op["region"] < len(run.regions):
            old = _containing(live, run.regions[op["region"]][0] + op["offset"], op["region"])
        res: dict[str, Any] = {"i": i}
        try:
            run.run(i, op, res)
        except SmhError as e:
            prof.terminated = {"op": i, "text": _op_text(op), "where": workload.where(i),
                               "error": f"{type(e).__name__}: {e}"}
            break
        if kind == "add":
            k = len(run.regions) - 1
            heap = run.regions[k][2]
            if k < nreg and heap is not None:
                regs[k].capacity = heap.stats().free_bytes
                regs[k].heap = {"end_chunk": heap.end_chunk, "big": bool(heap.big), "chunk0": heap.chunk0}
        elif kind in ("alloc", "aligned_alloc"):
            if res["ret"] is not None:
                take(res["ret"])
            else:
                null(i, op)
        elif kind == "realloc":
            ret = res["ret"]
            if ret is not None:
                drop(old)
                drop(run.regions[ret[0]][0] + ret[1])
                take(ret)
            elif op["size"] == 0 and op["attr"] < SMH_REG_ATTR_NUM:
                drop(old)
            else:
                null(i, op)
        elif kind in ("free", "free_raw"):
            drop(old)
        for k in range(nreg):
            u = used[k]
            r = regs[k]
            if u > r.peak_bytes:
                r.peak_bytes, r.peak_op = u, i
            if blocks[k] > r.peak_blocks:
                r.peak_blocks = blocks[k]
            if u > cur_max[k]:
                cur_max[k] = u
        if i % bucket == bucket - 1 or i == n - 1:
            for k in range(nreg):
                regs[k].curve.append((i, cur_max[k]))
                cur_max[k] = used[k]
        if i % every == 0:
            _sample_fragmentation(run, regs)
    _sample_fragmentation(run, regs)
    return prof


def _containing(live: dict[int, tuple[int, int]], p: int, k: int) -> int | None:
    """Start of the tracked block of region ``k`` that holds ``p`` (an interior free)."""
    best = None
    for start, (kk, _b) in live.items():
        if kk == k and start <= p and (best is None or start > best):
            best = start
    return best


def _sample_fragmentation(run: Any, regs: list[RegionProfile]) -> None:
    for reg in regs:
        if reg.index >= len(run.regions):
            continue
        heap = run.regions[reg.index][2]
        if heap is None:
            continue
        free = heap.stats().free_bytes
        if free <= 0:
            continue
        frag = 1.0 - heap.largest_free_bytes() / free
        if frag > reg.worst_fragmentation:
            reg.worst_fragmentation = frag
