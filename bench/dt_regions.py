"""Region extraction cost versus a plain dtlib parse (issue 3 target: at most 1.3x).

For N = 100, 1,000 and 10,000 regions, generate a devicetree whose /reserved-memory children
each carry compatible, reg, zephyr,memory-region and a macro-built zephyr,memory-attr;
preprocess it once with cpp; then time, on the same preprocessed file:

* plain: ``dtlib.DT(pre)``
* ours:  ``load_preprocessed(pre)`` (dtlib + location shim) + ``find_regions(dt)``

cpp is excluded from both.  Prints medians of CPU time and the ratio.  Run:
``python bench/dt_regions.py [--repeat 5] [--sizes 100,1000,10000]``
"""

from __future__ import annotations

import argparse
import gc
import statistics
import tempfile
import time
from pathlib import Path

from devicetree import dtlib

from smh_boot.devicetree import find_regions, load_preprocessed
from smh_boot.devicetree.preprocess import preprocess

_ATTRS = (
    "DT_MEM_CACHEABLE | DT_MEM_SW_ALLOC_CACHE",
    "DT_MEM_ARM(ATTR_MPU_RAM_NOCACHE)",
    "DT_MEM_DMA | DT_MEM_SW_ALLOC_DMA",
    "DT_MEM_ARM(ATTR_MPU_RAM)",
)


def generate(n: int) -> str:
    """A board with ``n`` attributed regions under /reserved-memory."""
    out = [
        "/dts-v1/;",
        "#include <zephyr/dt-bindings/memory-attr/memory-attr-sw.h>",
        "#include <zephyr/dt-bindings/memory-attr/memory-attr-arm.h>",
        "/ {",
        "\t#address-cells = <1>;",
        "\t#size-cells = <1>;",
        "\treserved-memory {",
        "\t\t#address-cells = <1>;",
        "\t\t#size-cells = <1>;",
        "\t\tranges;",
    ]
    for i in range(n):
        addr = 0x20000000 + i * 0x1000
        out += [
            f"\t\tr{i}: memory@{addr:x} {{",
            '\t\t\tcompatible = "zephyr,memory-region", "mmio-sram";',
            f"\t\t\treg = <{addr:#x} 0x1000>;",
            f'\t\t\tzephyr,memory-region = "R{i}";',
            f"\t\t\tzephyr,memory-attr = <( {_ATTRS[i % len(_ATTRS)]} )>;",
            "\t\t};",
        ]
    out += ["\t};", "};", ""]
    return "\n".join(out)


def _median(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        # CPU time of this process: the machine is shared, wall time swings with the load
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
    return statistics.median(times)


def run(sizes: list[int], repeat: int) -> list[tuple[int, float, float]]:
    """[(n, plain seconds, ours seconds)] (medians)."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            src = Path(tmp) / f"r{n}.dts"
            src.write_text(generate(n))
            pre = str(Path(tmp) / f"r{n}.pre.dts")
            preprocess(str(src), [], [], pre)

            def ours(pre: str = pre, n: int = n) -> None:
                scan = find_regions(load_preprocessed(pre), "arm")
                assert len(scan.regions) == n

            plain = _median(lambda pre=pre: dtlib.DT(pre), repeat)
            mine = _median(ours, repeat)
            rows.append((n, plain, mine))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--sizes", default="100,1000,10000")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"{'regions':>8}  {'dtlib.DT':>10}  {'load+find':>10}  {'ratio':>6}")
    for n, plain, mine in run(sizes, args.repeat):
        print(f"{n:>8}  {plain * 1e3:>8.1f}ms  {mine * 1e3:>8.1f}ms  {mine / plain:>5.2f}x")
    print("target: ratio <= 1.30 (cpp excluded from both)")


if __name__ == "__main__":
    main()
