"""The use-after-free guard at scale (#16): ``HeapGuard`` around a STRICT pool, N live blocks
allocated, then freed in a shuffled order (every free asks ``pool.block_at`` for the block),
then ``block_at`` timed on its own at N live blocks, for block starts and interior addresses.

    python bench/heap_guard.py [--blocks 50000] [--seed 1]

Prints CPU time (time.process_time) beside wall time; targets: the guard run <= 6 s and
block_at <= 5 us per call at 100k live blocks.
"""

from __future__ import annotations

import argparse
import random
import sys
import time

from smh_boot.fuzz.guard import HeapGuard
from smh_boot.heap import HeapConfig, SharedMultiHeap, SharedMultiHeapRegion


def make_pool(blocks: int) -> SharedMultiHeap:
    pool = SharedMultiHeap(None, HeapConfig())
    pool.pool_init()
    pool.add(SharedMultiHeapRegion(0, 0x1000_0000, max(1 << 20, blocks * 160)))
    return pool


def timed(fn) -> tuple[float, float]:
    c0, t0 = time.process_time(), time.perf_counter()
    fn()
    return time.process_time() - c0, time.perf_counter() - t0


def guard_run(blocks: int, seed: int) -> None:
    rng = random.Random(seed)
    guard = HeapGuard(make_pool(blocks))
    ptrs: list[int] = []

    def run() -> None:
        for i in range(blocks):
            ptrs.append(guard.alloc(0, rng.randint(8, 96), owner=f"b{i}"))
        rng.shuffle(ptrs)
        for p in ptrs:
            guard.free(p)

    cpu, wall = timed(run)
    print(f"guard run, {blocks} blocks alloc + free: cpu {cpu:.2f} s, wall {wall:.2f} s")


def block_at(blocks: int, seed: int, calls: int = 20000) -> None:
    rng = random.Random(seed)
    pool = make_pool(blocks)
    ptrs = [pool.alloc(0, rng.randint(8, 96), owner=i) for i in range(blocks)]
    sample = [rng.choice(ptrs) for _ in range(calls)]
    ba = pool.block_at
    ba(sample[0] + 5)  # the first interior lookup builds the sorted snapshot (O(n log n), once)
    for name, offs in (("block starts", 0), ("interior", 5)):
        cpu, wall = timed(lambda: [ba(p + offs) for p in sample])
        print(f"block_at at {blocks} live blocks, {name}: cpu {cpu / calls * 1e6:.2f} us, "
              f"wall {wall / calls * 1e6:.2f} us per call")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--blocks", type=int, default=50_000)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args(argv)
    guard_run(a.blocks, a.seed)
    for n in (100, 1000, 10_000, 100_000):
        block_at(n, a.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
