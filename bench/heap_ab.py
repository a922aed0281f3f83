"""Paired before/after comparison of the pure-Python heap core: this tree against a git revision.

The 2-vCPU development VM swings by +-25% between back-to-back runs, so two separate
``heap_throughput.py`` runs cannot resolve a 5% change.  This script loads both versions of the
package into *one* process (the other revision is exported with ``git archive`` and imported
under another package name), builds the same pool on each, and runs the README's
1,000,000-op workload through both in alternating chunks of ``--chunk`` operations, so a slow
phase of the machine hits both sides alike.  It reports each side's CPU rate over the whole run
and the median of the per-chunk ratios (the steadier figure), and checks that both sides return
the same pointers.

    python bench/heap_ab.py --base 472ce9f [--ops N] [--chunk N] [--hardening strict]
                            [--variant p8_nostats ...]

Both sides run on the pure-Python core (``SMH_BOOT_HEAP_CORE=python``): the compiled core is
measured by heap_throughput.py.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import io
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import heap_throughput as ht  # noqa: E402  (the workload and pool set-up of the main bench)


def load_revision(rev: str, where: Path) -> object:
    """``smh_boot.heap`` of git revision ``rev``, imported as ``smh_base.heap``."""
    data = subprocess.run(["git", "-C", str(HERE.parent), "archive", rev, "smh_boot"],
                          check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(where, filter="data")
    (where / "smh_boot").rename(where / "smh_base")
    sys.path.insert(0, str(where))
    return importlib.import_module("smh_base.heap")


def make_pool(mod: object, variant: str, hardening: str) -> object:
    ptr_size, stats = ht.VARIANTS[variant]
    cfg = mod.HeapConfig(ptr_size=ptr_size, runtime_stats=stats,
                         hardening=mod.Hardening[hardening.upper()])
    pool = mod.SharedMultiHeap(None, cfg)
    pool.pool_init()
    for attr, size, off in ht.REGIONS:
        pool.add(mod.SharedMultiHeapRegion(attr, ht.BUFFER_BASE + off, size))
    return pool


def runner(pool: object, slots: int, out: list):
    """A function running a chunk of ops on ``pool`` with heap_throughput's op loop (results
    into ``out``), returning CPU seconds."""
    loop = ht.make_loop(pool, slots)

    def chunk(ops: list, i: int) -> float:
        c0 = time.process_time()
        loop(ops, out, i)
        return time.process_time() - c0

    return chunk


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base", required=True, help="git revision to compare against")
    ap.add_argument("--ops", type=int, default=1_000_000)
    ap.add_argument("--chunk", type=int, default=10_000)
    ap.add_argument("--slots", type=int, default=512)
    ap.add_argument("--hardening", default="strict")
    ap.add_argument("--variant", action="append", choices=list(ht.VARIANTS))
    a = ap.parse_args(argv)
    saved = os.environ.get("SMH_BOOT_HEAP_CORE")
    os.environ["SMH_BOOT_HEAP_CORE"] = "python"
    try:
        return _compare(a)
    finally:
        if saved is None:
            del os.environ["SMH_BOOT_HEAP_CORE"]
        else:
            os.environ["SMH_BOOT_HEAP_CORE"] = saved


def _compare(a: argparse.Namespace) -> int:
    import smh_boot.heap as new

    with tempfile.TemporaryDirectory() as tmp:
        base = load_revision(a.base, Path(tmp))
        ops = ht.generate(a.ops, 1, a.slots)
        print(f"{a.ops} ops in chunks of {a.chunk}, hardening {a.hardening.upper()}, pure-Python "
              f"core, base {a.base} vs this tree")
        print(f"{'variant':11s} {'base k ops/s':>12s} {'this k ops/s':>12s} {'this/base':>9s} "
              f"{'median chunk ratio':>18s}")
        gc.disable()
        for variant in a.variant or list(ht.VARIANTS):
            seen_b, seen_n = [None] * a.ops, [None] * a.ops
            run_b = runner(make_pool(base, variant, a.hardening), a.slots, seen_b)
            run_n = runner(make_pool(new, variant, a.hardening), a.slots, seen_n)
            tb = tn = 0.0
            ratios = []
            for k, i in enumerate(range(0, a.ops, a.chunk)):
                part = ops[i:i + a.chunk]
                if k % 2:
                    n = run_n(part, i)
                    b = run_b(part, i)
                else:
                    b = run_b(part, i)
                    n = run_n(part, i)
                tb += b
                tn += n
                ratios.append(b / n)
            if seen_b != seen_n:
                print(f"{variant}: the two trees returned different pointers", file=sys.stderr)
                return 1
            ratios.sort()
            print(f"{variant:11s} {a.ops / tb / 1e3:12.0f} {a.ops / tn / 1e3:12.0f} {tb / tn:9.3f} "
                  f"{ratios[len(ratios) // 2]:18.3f}", flush=True)
            gc.collect()
    return 0


if __name__ == "__main__":
    sys.exit(main())
