"""``fit``: the smallest size of every heap region at which a set of workloads still succeeds,
found with the real heap.

The search (per region, the others held where they are):

1. a profile at the board's sizes gives each region's peak usage, from which a first guess is
   made (peak + the heap's own header);
2. a gallop from the guess, then a bisection, over the sizes the region may take
   (:mod:`.sizes`), keeps one invariant: ``hi`` succeeds and ``lo`` fails.  The answer is a
   ``hi`` whose next smaller allowed size fails.  The heap is not monotone in its size (the
   chunk header grows from 4 to 8 bytes past 256 KiB on 32-bit targets, the bucket array grows
   with the size), so the answer is a verified boundary, not a proof that nothing smaller works;
3. regions are searched one after another, each with the ones before it already at their
   answers (every step keeps a configuration that succeeds), then every boundary is checked
   again at the final sizes, and a region whose smaller size now succeeds is searched again
   (at most :data:`MAX_ROUNDS` rounds).

Every workload must succeed (see :mod:`.run` for what "succeed" means).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from ..errors import InputError
from ..heap.config import HeapConfig
from ..units import human_size, with_hex
from . import run as R
from .sizes import SizeRule, size_rule
from .workload import PlanRegion, Workload

MAX_ROUNDS = 3


@dataclass
class RegionFit:
    """What fit says about one region."""

    region: PlanRegion
    rule: SizeRule
    current: int  #: size on the board (or after --resize)
    minimum: int | None = None  #: smallest size found at which every workload succeeds
    below: dict[str, Any] | None = None  #: the failure one granule below ``minimum``
    suggested: int | None = None  #: minimum plus the margin, rounded to the rule
    peak_bytes: int = 0
    peak_blocks: int = 0
    capacity: int = 0
    worst_fragmentation: float = 0.0
    peak_op: int | None = None
    peak_where: str | None = None
    heap: dict[str, Any] | None = None
    curves: list[list[tuple[int, int]]] = field(default_factory=list)

    @property
    def headroom_at_peak(self) -> int:
        return self.capacity - self.peak_bytes

    def as_dict(self) -> dict[str, Any]:
        r = self.region
        return with_hex({
            "name": r.name, "path": r.path, "attr": r.attr_name, "addr": r.addr,
            "size": self.current, "rule": self.rule.why,
            "peak_bytes": self.peak_bytes, "peak_blocks": self.peak_blocks,
            "capacity": self.capacity, "headroom_at_peak": self.headroom_at_peak,
            "worst_fragmentation": round(self.worst_fragmentation, 4),
            "peak_op": self.peak_op, "peak_where": self.peak_where, "heap": self.heap,
            "minimum": self.minimum, "suggested": self.suggested,
            "below_minimum": self.below,
        }, "addr")


@dataclass
class FitReport:
    """The answer of :func:`fit`."""

    regions: list[RegionFit]
    workloads: list[dict[str, Any]]
    margin: float
    config: HeapConfig
    probes: int = 0
    seconds: float = 0.0
    resized: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when every workload ran to its end without a NULL or an assert/panic at the
        sizes evaluated (the board's, or the --resize ones)."""
        return all(w["first_null"] is None and w["terminated"] is None for w in self.workloads)

    def by_attr(self) -> list[dict[str, Any]]:
        """Per SMH attribute: the regions' sums."""
        out: dict[str, dict[str, Any]] = {}
        for rf in self.regions:
            a = out.setdefault(rf.region.attr_name, {"attr": rf.region.attr_name, "regions": [],
                                                      "size": 0, "peak_bytes": 0, "minimum": 0,
                                                      "suggested": 0})
            a["regions"].append(rf.region.name)
            a["size"] += rf.current
            a["peak_bytes"] += rf.peak_bytes
            a["minimum"] += rf.minimum or 0
            a["suggested"] += rf.suggested or 0
        return list(out.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": "smh-boot-fit/1",
            "ok": self.ok,
            "margin": self.margin,
            "resized": self.resized,
            "config": {"ptr_size": self.config.ptr_size, "runtime_stats": self.config.runtime_stats,
                       "heap_mode": self.config.heap_mode, "alloc_loops": self.config.alloc_loops,
                       "hardening": self.config.hardening.name},
            "workloads": self.workloads,
            "regions": [r.as_dict() for r in self.regions],
            "attrs": self.by_attr(),
            "search": {"probes": self.probes, "seconds": round(self.seconds, 3)},
        }


class _Searcher:
    def __init__(self, workloads: list[Workload], config: HeapConfig, sizes: list[int]):
        self.workloads = workloads
        self.config = config
        self.refs = [R.reference(w, sizes, config) for w in workloads]
        self.probes = 0
        self.cache: dict[tuple[int, ...], R.Failure | None] = {}

    def fails(self, sizes: list[int]) -> tuple[str, R.Failure] | None:
        key = tuple(sizes)
        if key in self.cache:
            hit = self.cache[key]
            return None if hit is None else hit  # type: ignore[return-value]
        out = None
        for w, ref in zip(self.workloads, self.refs):
            self.probes += 1
            f = R.probe(w, ref, sizes, self.config)
            if f is not None:
                out = (w.name, f, w.where(f.op))
                break
        self.cache[key] = out  # type: ignore[assignment]
        return out  # type: ignore[return-value]

    def search(self, k: int, sizes: list[int], rule: SizeRule, addr: int, guess: int) -> int:
        """Index walk over the allowed sizes of region k (the others as in ``sizes``)."""
        cands = rule.candidates(addr, sizes[k])
        at = lambda j: [*sizes[:k], cands[j], *sizes[k + 1:]]  # noqa: E731
        hi = len(cands) - 1  # succeeds: the current size (or the allowed size above it)
        if cands[hi] != sizes[k] and self.fails(at(hi)) is not None:
            return sizes[k]  # a size the rule forbids, and the allowed one above it fails
        lo = -1  # "fails": below the smallest allowed size
        g = min(hi, max(0, _index_at_least(cands, guess)))
        if self.fails(at(g)) is None:
            hi = g
            step = 1
            while hi - step > lo:
                j = hi - step
                if self.fails(at(j)) is None:
                    hi = j
                    step *= 2
                else:
                    lo = j
                    break
            else:
                lo = -1
        else:
            lo = g
            step = 1
            while lo + step < hi:
                j = lo + step
                if self.fails(at(j)) is None:
                    hi = j
                    break
                lo = j
                step *= 2
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if self.fails(at(mid)) is None:
                hi = mid
            else:
                lo = mid
        return cands[hi]


def _check_resize(rf: RegionFit) -> None:
    """A --resize the region cannot take is an error, as ``smh-boot validate`` reports the
    same layout (``mpu-region-constraints``): the what-if would size a region Zephyr cannot
    program, and every answer drawn from it would be one the board cannot have."""
    addr, size = rf.region.addr, rf.current
    problem = rf.rule.problem(addr, size)
    if problem is None:
        return
    below, above = rf.rule.neighbours(addr, size)
    near = " or ".join(f"{n} ({human_size(n)})" for n in (below, above) if n is not None)
    raise InputError(
        f"--resize {rf.region.name}={size} ({human_size(size)}): {problem} "
        "[mpu-region-constraints]",
        hint=f"the nearest sizes {rf.region.name} may take are {near} [{rf.rule.why}]",
    )


def _index_at_least(cands: list[int], size: int) -> int:
    for j, c in enumerate(cands):
        if c >= size:
            return j
    return len(cands) - 1


def fit(regions: list[PlanRegion], workloads: list[Workload], config: HeapConfig, *,
        arch: str | None, isa: str | None, dt_attrs: dict[str, int | None] | None = None,
        margin: float = 0.0, resize: dict[str, int] | None = None, search: bool = True) -> FitReport:
    """Profile the workloads on the regions (at their sizes, or ``resize``d ones) and, with
    ``search``, find each region's smallest size (see the module docstring)."""
    t0 = time.perf_counter()
    if not regions:
        raise InputError("the board has no heap regions to fit",
                         hint="fit sizes the zephyr,memory-attr regions the boot turns into heaps")
    if not workloads:
        raise InputError("no workload to fit", hint="pass traces, or let fit record the boot's own")
    cfg = R.planning_config(config)
    sizes = [r.size for r in regions]
    resized: dict[str, int] = {}
    for key, size in (resize or {}).items():
        hits = [k for k, r in enumerate(regions) if r.matches(key)]
        if not hits:
            raise InputError(f"--resize {key}={size}: no heap region is called {key!r}",
                             hint="known regions: " + ", ".join(r.name for r in regions))
        for k in hits:
            sizes[k] = size
            resized[regions[k].name] = size
    dt_attrs = dt_attrs or {}
    fits = [RegionFit(r, size_rule(arch, isa, dt_attrs.get(r.path)), sizes[k])
            for k, r in enumerate(regions)]
    for rf in fits:
        if rf.region.name in resized:
            _check_resize(rf)

    wl_info = []
    for w in workloads:
        prof = R.profile(w, sizes, cfg)
        wl_info.append({"name": w.name, "source": w.source, "ops": len(w.ops) - w.prefix,
                        "first_null": prof.first_null, "terminated": prof.terminated})
        for rf, rp in zip(fits, prof.regions):
            rf.capacity = rp.capacity
            rf.heap = rp.heap
            if rp.peak_bytes > rf.peak_bytes:
                rf.peak_bytes, rf.peak_op = rp.peak_bytes, rp.peak_op
                rf.peak_where = None if rp.peak_op is None else w.where(rp.peak_op)
            rf.peak_blocks = max(rf.peak_blocks, rp.peak_blocks)
            rf.worst_fragmentation = max(rf.worst_fragmentation, rp.worst_fragmentation)
            rf.curves.append(rp.curve)

    report = FitReport(fits, wl_info, margin, cfg, resized=resized)
    if search:
        s = _Searcher(workloads, cfg, sizes)
        cur = list(sizes)
        todo = list(range(len(fits)))
        for _round in range(MAX_ROUNDS):
            for k in todo:
                rf = fits[k]
                guess = rf.peak_bytes + 8 * ((rf.heap or {}).get("chunk0", 1) + 2)
                cur[k] = s.search(k, cur, rf.rule, rf.region.addr, guess)
            # every boundary again, at the final sizes
            todo = []
            for k, rf in enumerate(fits):
                smaller = rf.rule.smaller(cur[k])
                if smaller is None or (rf.rule.kind == "pow2" and rf.region.addr % smaller):
                    rf.below = None
                    continue
                f = s.fails([*cur[:k], smaller, *cur[k + 1:]])
                if f is None:
                    todo.append(k)
                else:
                    name, fail, where = f
                    rf.below = {"size": smaller, "workload": name, "where": where, **fail.as_dict()}
            if not todo:
                break
        for k, rf in enumerate(fits):
            rf.minimum = cur[k]
            rf.suggested = rf.rule.round_up(rf.region.addr, int(-(-cur[k] * (1 + margin) // 1)))
        report.probes = s.probes
    report.seconds = time.perf_counter() - t0
    return report
