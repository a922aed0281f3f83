"""How long the memory map takes to render (run on demand: python bench/bench_map.py [--quick]).

Builds synthetic maps - heap regions of mixed sizes, each with the same number of live
allocations from 7 owners - and prints CPU time (time.process_time) beside wall time for each
renderer, the output size and the SVG cost per allocation.  Figures are printed, never asserted.

Rows ``64 / 640 / 6.4k / 32k``: allocations spread so that every region stays under
``ALLOC_DRAW_LIMIT`` (each allocation is its own SVG element: the per-allocation cost of #16).
Side by side with another tree (e.g. main before the string path):
``PYTHONPATH=/tmp/old python bench/bench_map.py --quick`` after ``git archive main smh_boot |
tar -x -C /tmp/old``.

Rows ``1 region``: all allocations in one region, past the limit, so the map summarises them
(#14 F9: 192k allocations must not give a 236 MB SVG).
"""

from __future__ import annotations

import sys
import time

from smh_boot.report import Allocation, Band, MemoryMap, heap_report, render
try:
    from smh_boot.report.layout import ALLOC_DRAW_LIMIT
except ImportError:  # an older tree, for side-by-side figures
    ALLOC_DRAW_LIMIT = None


def synthetic(regions: int, allocs_per_region: int, first_size: int = 12) -> MemoryMap:
    """``regions`` heap regions (4 KiB .. 8 MiB, grown to hold the allocations) with
    ``allocs_per_region`` live blocks each; every third block is freed again."""
    bands, allocs = [], []
    addr = 0x2000_0000
    for i in range(regions):
        size = 1 << (first_size + i % 12)
        size = max(size, 1 << (allocs_per_region * 3 // 2 * 64).bit_length())
        end_chunk = (size - 8) // 8
        big = end_chunk > 0x7FFF
        hdr = 8 if big else 4
        chunk0 = 8
        slots = allocs_per_region * 3 // 2 + 1
        step = max((end_chunk - chunk0) // (slots + 1), 2)
        walk = [(0, chunk0, True)]
        c = chunk0
        live = 0
        k = 0
        while live < allocs_per_region:
            used = k % 3 != 0
            walk.append((c, step, used))
            if used:
                allocs.append(Allocation(addr + 8 * c + hdr, 8 * step - hdr, f"dev{k % 7}", f"r{i}"))
                live += 1
            c += step
            k += 1
        walk.append((c, end_chunk - c, False))
        merged: list[tuple[int, int, bool]] = []
        for cid, units, used in walk:  # neighbouring free chunks merge, as in the heap
            if merged and not used and not merged[-1][2]:
                merged[-1] = (merged[-1][0], merged[-1][1] + units, False)
            else:
                merged.append((cid, units, used))
        rep = heap_report(merged, hdr=hdr, big=big, end_chunk=end_chunk, chunk0=chunk0,
                          region_size=size)
        attr = ("cacheable", "non-cacheable", "external")[i % 3]
        bands.append(Band(f"r{i}", addr, size, "region", attr, i % 2 == 0, "RAM", rep))
        addr += size + (0x1000_0000 if i % 4 == 3 else 0)
    return MemoryMap("synthetic", 32, bands, allocs, [])


def timed(fn):
    c0, w0 = time.process_time(), time.perf_counter()
    out = fn()
    return out, (time.process_time() - c0) * 1000, (time.perf_counter() - w0) * 1000


CASES = (
    ("64", 8, 8),
    ("640", 8, 80),
    ("6.4k", 8, 800),
    ("32k", 16, 2000),
    ("32k, 1 region", 1, 32000),
    ("192k, 1 region", 1, 192000),
)


def main(argv: list[str]) -> None:
    quick = "--quick" in argv
    fmts = ("svg",) if quick else ("svg", "html", "text", "json")
    print(f"ALLOC_DRAW_LIMIT = {ALLOC_DRAW_LIMIT} allocations per region")
    print(f"{'case':16s} {'allocs':>7s} {'fmt':4s} {'CPU ms':>9s} {'wall ms':>9s} "
          f"{'size':>10s} {'us/alloc (CPU)':>15s}")
    render(synthetic(1, 4), "svg")  # warm-up: imports and first-call costs out of the figures
    for name, regions, per in CASES:
        if quick and per > 32000:
            continue
        mm = synthetic(regions, per)
        n = len(mm.allocations)
        for fmt in fmts:
            if fmt in ("html", "text") and n > 40000:
                continue  # the tables list every allocation; not the point of these rows
            out, cpu, wall = timed(lambda: render(mm, fmt))
            print(f"{name:16s} {n:7d} {fmt:4s} {cpu:9.1f} {wall:9.1f} "
                  f"{len(out) / 1024:8.1f} KiB {1000 * cpu / max(n, 1):15.1f}")


if __name__ == "__main__":
    main(sys.argv[1:])
