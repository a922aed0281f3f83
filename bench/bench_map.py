"""How long the memory map takes to render (run on demand: python bench/bench_map.py).

Builds a synthetic map - N regions of mixed sizes, each with a heap and A allocations - and
prints the time of each renderer.  Figures are printed, never asserted."""

from __future__ import annotations

import time

from smh_boot.report import Allocation, Band, MemoryMap, heap_report, render


def synthetic(regions: int, allocs_per_region: int) -> MemoryMap:
    bands, allocs = [], []
    addr = 0x2000_0000
    for i in range(regions):
        size = 1 << (12 + i % 12)  # 4 KiB .. 8 MiB
        end_chunk = (size - 8) // 8
        big = end_chunk > 0x7FFF
        hdr = 8 if big else 4
        chunk0 = 8
        step = max((end_chunk - chunk0) // (allocs_per_region + 1), 2)
        walk = [(0, chunk0, True)]
        c = chunk0
        for k in range(allocs_per_region):
            walk.append((c, step, k % 3 != 0))
            if k % 3 != 0:
                allocs.append(Allocation(addr + 8 * c + hdr, 8 * step - hdr, f"dev{k % 7}", f"r{i}"))
            c += step
        walk.append((c, end_chunk - c, False))
        # merge neighbouring free chunks as the heap would
        merged = []
        for cid, units, used in walk:
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


def main() -> None:
    for regions, per in ((8, 10), (32, 20), (64, 50)):
        mm = synthetic(regions, per)
        for fmt in ("svg", "html", "text", "json"):
            t = time.perf_counter()
            out = render(mm, fmt)
            ms = (time.perf_counter() - t) * 1000
            print(f"{regions:3d} regions {len(mm.allocations):5d} allocations  {fmt:4s} "
                  f"{ms:8.1f} ms  {len(out) / 1024:8.1f} KiB")


if __name__ == "__main__":
    main()
