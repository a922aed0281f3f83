#!/usr/bin/env python3
"""How much validation costs, and how the overlap pass scales.

Part 1 - a generated devicetree with N regions (reserved-memory children with compatible,
reg, zephyr,memory-region and an arithmetic zephyr,memory-attr, the shape of the devicetree
notes' speed table), preprocessed once with cpp; then, on the same preprocessed file:

    parse     plain ``dtlib.DT`` (the reference)
    load      ``smh_boot.devicetree.load_preprocessed`` (dtlib + source locations)
    validate  ``validate_devicetree`` on the loaded tree, split into ``scan`` (the front end's
              ``find_regions``) and ``rules`` (adapter + all 19 rules, given the scan)

The target is validate <= 1.2 x parse for N = 10,000 (``val/parse``); the last column also
counts the front end's own load overhead.

Part 2 - the overlap rule alone on synthetic layouts of up to 100,000 regions (a few percent
of them overlapping a neighbour, one big region covering many small ones), with
time / (n log2 n) printed to show the O(n log n + k) behaviour.

Run: ``python bench/validate_scaling.py [--sizes 1000,10000] [--repeat 3] [--max-overlap 100000]``
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import random
import sys
import tempfile
import time
from pathlib import Path

from devicetree import dtlib

from smh_boot.devicetree import find_regions, load_preprocessed
from smh_boot.devicetree.preprocess import preprocess
from smh_boot.validate import Layout, LayoutNode, ValidationOptions, validate_devicetree
from smh_boot.validate.rules import RULES, Context


def generate_dts(n: int, seed: int = 1) -> str:
    """A board with ``n`` attributed reserved-memory regions (1 in 50 overlaps its neighbour)."""
    rnd = random.Random(seed)
    out = [
        "/dts-v1/;",
        "#include <zephyr/dt-bindings/memory-attr/memory-attr.h>",
        "#include <zephyr/dt-bindings/memory-attr/memory-attr-arm.h>",
        "/ {",
        "\t#address-cells = <1>;",
        "\t#size-cells = <1>;",
        "\tchosen { zephyr,sram = &sram0; };",
        "\tsram0: memory@20000000 {",
        '\t\tcompatible = "mmio-sram";',
        "\t\treg = <0x20000000 0x10000>;",
        "\t};",
        "\tbig: memory@40000000 {",
        '\t\tcompatible = "mmio-sram";',
        "\t\treg = <0x40000000 0x40000000>;",
        "\t};",
        "\treserved-memory {",
        "\t\t#address-cells = <1>;",
        "\t\t#size-cells = <1>;",
        "\t\tranges;",
    ]
    for i in range(n):
        addr = 0x40000000 + i * 0x10000
        size = 0x18000 if rnd.random() < 0.02 else 0x8000
        attr = "DT_MEM_ARM(ATTR_MPU_RAM)" if i % 2 else "DT_MEM_ARM(ATTR_MPU_RAM_NOCACHE)"
        out += [
            f"\t\tr{i}: memory@{addr:x} {{",
            '\t\t\tcompatible = "zephyr,memory-region";',
            f"\t\t\treg = <{addr:#x} {size:#x}>;",
            f'\t\t\tzephyr,memory-region = "R{i}";',
            f"\t\t\tzephyr,memory-attr = <( {attr} )>;",
            "\t\t};",
        ]
    out += ["\t};", "};", ""]
    return "\n".join(out)


def timed(fn) -> tuple[float, object]:
    """Wall time of one call.  As ``timeit`` does, the cyclic GC is off during the call (and
    run just before): otherwise whichever step happens to trigger a full collection over the
    other steps' live trees pays for it."""
    gc.collect()
    gc.disable()
    try:
        t0 = time.perf_counter()
        result = fn()
        return time.perf_counter() - t0, result
    finally:
        gc.enable()


def best_of(fn, repeat: int) -> tuple[float, object]:
    """Best time of ``repeat`` calls, and the last result."""
    best, result = math.inf, None
    for _ in range(repeat):
        result = None
        t, result = timed(fn)
        best = min(best, t)
    return best, result


def part1(sizes: list[int], repeat: int) -> None:
    print("Part 1: validation vs plain dtlib parse of the same preprocessed file (best of "
          f"{repeat} interleaved rounds, seconds)")
    print(f"{'regions':>8} {'lines':>7} {'parse':>7} {'load':>7} {'validate':>8} {'scan':>6} "
          f"{'rules':>6} {'findings':>8} {'val/parse':>9} {'(load+val)/parse':>16}")
    opts = ValidationOptions(arch="arm", isa="armv7e-m")
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            src = os.path.join(tmp, f"gen{n}.dts")
            Path(src).write_text(generate_dts(n))
            pre = os.path.join(tmp, f"gen{n}.pre.dts")
            preprocess(src, (), (), pre, None)
            lines = sum(1 for _ in open(pre))
            # Interleave the steps in every round and keep each one's best: on a shared,
            # noisy machine a slow spell then hits all steps alike instead of one of them.
            best = dict.fromkeys(("parse", "load", "validate", "scan", "rules"), math.inf)
            diags: list = []
            for _ in range(repeat):
                t, tree = timed(lambda: dtlib.DT(pre))
                best["parse"] = min(best["parse"], t)
                del tree
                t, dt = timed(lambda: load_preprocessed(pre, dts=src))
                best["load"] = min(best["load"], t)
                t, diags = timed(lambda: validate_devicetree(dt, opts))
                best["validate"] = min(best["validate"], t)
                # the same split in two: the front end's region scan, then the validator's work
                t, scan = timed(lambda: find_regions(dt, arch=opts.arch))
                best["scan"] = min(best["scan"], t)
                t, _ = timed(lambda: validate_devicetree(dt, opts, scan=scan))
                best["rules"] = min(best["rules"], t)
                del dt, scan
            b = best
            print(f"{n:>8} {lines:>7} {b['parse']:>7.3f} {b['load']:>7.3f} {b['validate']:>8.3f} "
                  f"{b['scan']:>6.3f} {b['rules']:>6.3f} {len(diags):>8} "
                  f"{b['validate'] / b['parse']:>9.2f} {(b['load'] + b['validate']) / b['parse']:>16.2f}")


def synthetic_layout(n: int, seed: int = 2) -> Layout:
    """``n`` regions side by side; 2% overlap the next one, one big region covers 100."""
    rnd = random.Random(seed)
    lay = Layout()
    for i in range(n):
        addr = 0x1_0000_0000 + i * 0x1000
        size = 0x1800 if rnd.random() < 0.02 else 0x800
        if i == n // 2:
            size = 0x1000 * 100
        lay.add(LayoutNode(f"/r{i}", f"memory@{addr:x}", regs=((addr, size),), in_reserved_memory=True))
    return lay


def part2(max_n: int, repeat: int) -> None:
    print("\nPart 2: the region-overlap rule alone (sweep line), synthetic layouts")
    print(f"{'regions':>8} {'pairs':>7} {'seconds':>9} {'us per n*log2(n)':>17}")
    check = RULES["region-overlap"].check
    opts = ValidationOptions()
    for n in [k for k in (1000, 3000, 10_000, 30_000, 100_000) if k <= max_n]:
        lay = synthetic_layout(n)
        # a fresh Context each time: building the region list is part of the pass
        t, found = best_of(lambda: list(check(Context(lay, opts))), repeat)
        print(f"{n:>8} {len(found):>7} {t:>9.4f} {1e6 * t / (n * math.log2(n)):>17.3f}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100,1000,10000", help="regions for part 1 (comma list)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--max-overlap", type=int, default=100_000, help="largest layout for part 2")
    ap.add_argument("--skip-part1", action="store_true")
    args = ap.parse_args(argv)
    if not args.skip_part1:
        part1([int(s) for s in args.sizes.split(",") if s], args.repeat)
    part2(args.max_overlap, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
