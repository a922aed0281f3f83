"""How much a boot costs compared with preprocessing + parsing the same devicetree.

Target (issue 5): boot <= 1.5x (cpp + plain dtlib parse).  Also reports the peak RSS of a
board with a 4 GiB heap region (measured in a child process so this process's own pages do
not count).

    python bench/boot_time.py [--runs N] [--boards a,b] [--nodes N]

``--nodes N`` also boots a generated board whose devicetree holds N extra memory regions, so
the per-region costs (extraction, validation, heap init) show up next to the fixed costs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from devicetree import dtlib

import smh_boot
from smh_boot.board import list_boards, load_board
from smh_boot.devicetree.preprocess import preprocess

ROOT = Path(__file__).resolve().parents[1]


def median_time(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def parse_baseline(board, overlays=()) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        pre = os.path.join(tmp, "b.pre.dts")
        preprocess(str(board.dts_path), [*map(str, board.overlay_paths), *map(str, overlays)],
                   [str(d) for d in board.include_dirs], pre)
        dtlib.DT(pre)


def generated_overlay(n: int, path: Path) -> None:
    """n non-cacheable 256-byte regions packed into a 64 MiB window above 0xC0000000."""
    lines = ["#include <zephyr/dt-bindings/memory-attr/memory-attr-arm.h>", "/ {",
             "\tgen_ram: memory@c0000000 {", '\t\tcompatible = "mmio-sram";',
             "\t\treg = <0xc0000000 0x4000000>;", "\t};"]
    for i in range(n):
        addr = 0xC0000000 + i * 0x1000
        lines += [f"\tgen{i}: memory@{addr:x} {{",
                  '\t\tcompatible = "zephyr,memory-region", "mmio-sram";',
                  f"\t\treg = <{addr:#x} 0x1000>;",
                  f'\t\tzephyr,memory-region = "GEN{i}";',
                  "\t\tzephyr,memory-attr = <( DT_MEM_ARM(ATTR_MPU_RAM_NOCACHE) )>;", "\t};"]
    lines.append("};")
    path.write_text("\n".join(lines) + "\n")


RSS_CHILD = r"""
import resource, sys, time
import smh_boot
t = time.perf_counter()
s = smh_boot.boot(sys.argv[1], overlays=[sys.argv[2]], drivers=False)
dt = time.perf_counter() - t
p = s.pool.alloc(0, 1 << 30)
print(dt, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, p is not None)
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--boards", default="")
    ap.add_argument("--nodes", type=int, default=200)
    args = ap.parse_args()
    names = args.boards.split(",") if args.boards else [b.name for b in list_boards()]
    smh_boot.boot()  # warm imports and entry points
    print(f"{'board':28} {'cpp+parse':>10} {'boot':>10} {'ratio':>7}")
    for name in names:
        b = load_board(name)
        base = median_time(lambda: parse_baseline(b), args.runs)
        full = median_time(lambda: smh_boot.boot(name), args.runs)
        print(f"{name:28} {base * 1e3:8.1f}ms {full * 1e3:8.1f}ms {full / base:6.2f}x")
    if args.nodes:
        with tempfile.TemporaryDirectory() as tmp:
            ovl = Path(tmp) / "gen.overlay"
            generated_overlay(min(args.nodes, 8), ovl)  # at most 8 heaps: SMH's global limit
            b = load_board("mps2_an521")
            base = median_time(lambda: parse_baseline(b, [ovl]), args.runs)
            full = median_time(lambda: smh_boot.boot(b.name, overlays=[ovl], drivers=False), args.runs)
            print(f"{'mps2_an521 + 8 heap regions':28} {base * 1e3:8.1f}ms {full * 1e3:8.1f}ms "
                  f"{full / base:6.2f}x")
    huge = ROOT / "tests" / "boot" / "data" / "huge_sdram.overlay"
    out = subprocess.run([sys.executable, "-c", RSS_CHILD, "qemu_cortex_a53", str(huge)],
                         capture_output=True, text=True, check=True).stdout.split()
    print(f"4 GiB region board (qemu_cortex_a53 + huge_sdram.overlay): boot {float(out[0]) * 1e3:.0f} ms, "
          f"peak RSS {int(out[1]) / 1024:.1f} MiB (after a 1 GiB allocation: {out[2]})")


if __name__ == "__main__":
    main()
