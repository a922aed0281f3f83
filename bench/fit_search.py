"""How fast `fit` answers: a synthetic driver-like workload (packet buffers, descriptors,
DMA staging buffers: allocs and frees with a bounded live set) of N ops, written without
`add` ops so it runs on the board's own regions, fitted on stm32h747i_disco_m7 (4 heap
regions).  Prints ops, probes, wall and CPU seconds, and the answer per region.

    python bench/fit_search.py                 # 100,000 ops
    python bench/fit_search.py --ops 10000 --ops 100000
    python bench/fit_search.py --raw          # 4 regions in 8-byte steps: the most probes
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path

from smh_boot.cli import main


def workload(n_ops: int, seed: int = 7) -> dict:
    """A golden-format trace without regions: alloc/aligned_alloc/free of CACHEABLE frame
    buffers (1-1.5 KiB) and NON_CACHEABLE descriptors (16-256 B), at most ~12 live each."""
    r = random.Random(seed)
    ops: list[dict] = []
    live: dict[int, list[str]] = {0: [], 1: []}
    tag = 0
    while len(ops) < n_ops:
        attr = 0 if r.random() < 0.6 else 1
        if live[attr] and (len(live[attr]) >= 12 or r.random() < 0.45):
            t = live[attr].pop(r.randrange(len(live[attr])))
            ops.append({"op": "free", "tag": t})
            continue
        tag += 1
        t = f"p{tag}"
        size = r.randint(1024, 1536) if attr == 0 else r.choice((16, 32, 64, 128, 256))
        if r.random() < 0.5:
            ops.append({"op": "aligned_alloc", "attr": attr, "align": 32, "size": size, "tag": t})
        else:
            ops.append({"op": "alloc", "attr": attr, "size": size, "tag": t})
        live[attr].append(t)
    return {"format": "zephyr-shared-multi-heap-golden/1", "name": f"synthetic-{n_ops}",
            "variant": {"name": "p4_nostats", "ptr_size": 4, "runtime_stats": False},
            "config": {}, "terminated": None, "n_ops": len(ops), "ops": ops}


def run(n_ops: int, board: str) -> dict:
    from smh_boot.heap.trace import dumps_trace

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "w.json"
        path.write_text(dumps_trace(workload(n_ops)))
        out = Path(d) / "fit.json"
        import contextlib
        import io

        buf = io.StringIO()
        w0, c0 = time.perf_counter(), time.process_time()
        with contextlib.redirect_stdout(buf):
            rc = main(["fit", board, "--trace", str(path), "--json"])
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        doc = json.loads(buf.getvalue())
    return {"ops": n_ops, "rc": rc, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
            "probes": doc["search"]["probes"],
            "minimum": {r["name"]: r["minimum"] for r in doc["regions"]}}


def run_raw(n_ops: int) -> dict:
    """The worst case for the search: 4 regions (2 per attribute) moving in 8-byte steps (no
    MPU rule), straight through the library."""
    from smh_boot.heap import HeapConfig
    from smh_boot.heap.trace import parse_trace
    from smh_boot.planning import PlanRegion, bind, fit

    regions = [PlanRegion("A", "/a", 0, "CACHEABLE", 0x2000_0000, 24 * 1024),
               PlanRegion("B", "/b", 1, "NON_CACHEABLE", 0x2001_0000, 2 * 1024),
               PlanRegion("C", "/c", 0, "CACHEABLE", 0x2002_0000, 64 * 1024),
               PlanRegion("D", "/d", 1, "NON_CACHEABLE", 0x2003_0000, 8 * 1024)]
    w = bind(parse_trace(workload(n_ops)), regions)
    w0, c0 = time.perf_counter(), time.process_time()
    rep = fit(regions, [w], HeapConfig(), arch="riscv", isa=None)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    return {"ops": n_ops, "mode": "raw 4 regions, 8-byte steps", "ok": rep.ok,
            "wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "probes": rep.probes,
            "minimum": {rf.region.name: rf.minimum for rf in rep.regions}}


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ops", type=int, action="append")
    ap.add_argument("--board", default="stm32h747i_disco_m7")
    ap.add_argument("--raw", action="store_true", help="4 synthetic regions in 8-byte steps (library only)")
    a = ap.parse_args()
    for n in a.ops or [100_000]:
        print(json.dumps(run_raw(n) if a.raw else run(n, a.board)))
