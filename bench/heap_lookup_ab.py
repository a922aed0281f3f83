"""Paired cost of the heap-metadata check on CPU stores (``memsys.set_heap_lookup``).

Boots ``stm32h747i_disco_m7`` (its LTDC framebuffer is a block of the SMH pool) and times one
frame (CPU fill + flush + DMA scan-out, no checker) with the boot's lookup and without it
(``set_heap_lookup(None)``), alternating in one process so a slow phase of the shared host hits
both alike; prints the median and best CPU time of each.  Then word stores alternating between
two blocks of a pool of 300 (the look-up path the last-two-runs cache serves).

    python bench/heap_lookup_ab.py [--frames N] [--reference]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def frames(n: int, reference: bool) -> None:
    from cache_model import booted_display

    system, disp = booted_display()
    m, pool = system.memsys, system.pool
    m.checker = None
    m.bulk_min_lines = None if reference else 64

    def frame() -> None:
        disp.fill(0x1234)
        disp.scan_out()

    res: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(n):
        for lookup in (True, False):
            m.set_heap_lookup(pool.cpu_store_run if lookup else None)
            m.sys_cache_data_flush_and_invd_all()
            frame()
            c0 = time.process_time()
            frame()
            res[lookup].append(time.process_time() - c0)
    path = "line-by-line reference" if reference else "bulk path"
    for lookup in (True, False):
        v = sorted(res[lookup])
        print(f"  frame ({path}), {'with the lookup' if lookup else 'no lookup     '}: "
              f"median {v[len(v) // 2] * 1e3:7.2f} ms CPU, best {v[0] * 1e3:7.2f} ms")


def alternating() -> None:
    from smh_boot.heap import HeapConfig, SharedMultiHeap, SharedMultiHeapRegion
    from smh_boot.memory import DataCache, MemorySystem

    base = 0x3810_0000
    for lookup in (True, False):
        p = SharedMultiHeap(None, HeapConfig(ptr_size=4))
        p.pool_init()
        p.add(SharedMultiHeapRegion(0, base, 0x4000))
        ms = MemorySystem(p.memory, DataCache(32, 4096, 2), cacheable=[(base, 0x4000)])
        ms.record_writes()
        if lookup:
            ms.set_heap_lookup(p.cpu_store_run)
        blocks = [p.alloc(0, 8) for _ in range(300)]
        a, b = blocks[10], blocks[200]
        w = ms.cpu.write_u32
        best = float("inf")
        for _ in range(5):
            c0 = time.process_time()
            for _ in range(500):
                w(a, 1)
                w(b, 2)
            best = min(best, time.process_time() - c0)
        print(f"  u32 stores alternating between two blocks, {'with the lookup' if lookup else 'no lookup     '}: "
              f"{best / 1000 * 1e6:5.2f} us a store (best of 5)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--frames", type=int, default=40)
    ap.add_argument("--reference", action="store_true", help="also time the line-by-line reference path")
    args = ap.parse_args()
    frames(args.frames, False)
    if args.reference:
        frames(max(args.frames // 5, 3), True)
    alternating()


if __name__ == "__main__":
    main()
