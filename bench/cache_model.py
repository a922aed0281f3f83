"""Cost of the cache model: bytes/s through the CPU view, cacheable vs non-cacheable.

Run on demand (figures are printed, never asserted)::

    python bench/cache_model.py            # about 15 s
    python bench/cache_model.py --quick    # about 3 s

Each row moves data through ``MemorySystem.cpu`` in one access pattern:

* ``u32 read`` / ``u32 write``: 4-byte accesses walking a buffer (driver register-like code);
* ``256 B read`` / ``256 B write``: block accesses (memcpy-sized chunks);
* ``memcpy 256 B``: ``cpu.copy`` of 256-byte chunks from one buffer to another.

The buffer is 16 KiB (fits the 32 KiB cache: mostly hits) or 256 KiB (streams through it:
every line misses and dirty victims are written back).  Columns: the raw ``AddressSpace``
(no model at all), non-cacheable memory, cacheable memory, cacheable with the coherency
checker, and cacheable with checker and stress (seed 1, default rates).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from smh_boot.memory import AddressSpace, CoherencyChecker, DataCache, MemorySystem, StressConfig

CACHED, UNCACHED = 0x2000_0000, 0x4000_0000
REGION = 1 << 20


def build(kind: str):
    """(memory, access object, base address) for one column."""
    memory = AddressSpace(32)
    memory.map(CACHED, REGION, "sram")
    memory.map(UNCACHED, REGION, "sram_nocache")
    if kind == "raw":
        return memory, CACHED
    checker = CoherencyChecker(raise_errors=False) if kind in ("checker", "stress") else None
    stress = StressConfig(1) if kind == "stress" else None
    ms = MemorySystem(
        memory, DataCache(32, 32768, 4), cacheable=[(CACHED, REGION)], checker=checker, stress=stress
    )
    return ms.cpu, UNCACHED if kind == "non-cacheable" else CACHED


def patterns(span: int) -> dict[str, Callable[[object, int], int]]:
    """name -> function(view, base) that does one pass and returns the bytes moved."""

    def u32_read(v, base):
        rd = v.read_u32
        for a in range(base, base + span, 4):
            rd(a)
        return span

    def u32_write(v, base):
        wr = v.write_u32
        for a in range(base, base + span, 4):
            wr(a, a)
        return span

    def blk_read(v, base):
        for a in range(base, base + span, 256):
            v.read(a, 256)
        return span

    block = bytes(range(256))

    def blk_write(v, base):
        for a in range(base, base + span, 256):
            v.write(a, block)
        return span

    def memcpy(v, base):
        half = span // 2
        for off in range(0, half, 256):
            v.write(base + half + off, v.read(base + off, 256))
        return half

    return {
        "u32 read": u32_read,
        "u32 write": u32_write,
        "256 B read": blk_read,
        "256 B write": blk_write,
        "memcpy 256 B": memcpy,
    }


def measure(fn, view, base, seconds: float) -> float:
    """Bytes/s of repeated passes of ``fn`` for about ``seconds``."""
    fn(view, base)  # warm up: fill the cache, touch the pages
    moved, t0 = 0, time.perf_counter()
    while True:
        moved += fn(view, base)
        dt = time.perf_counter() - t0
        if dt >= seconds:
            return moved / dt


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="shorter runs, smaller streaming buffer")
    args = ap.parse_args()
    seconds = 0.05 if args.quick else 0.25
    columns = ["raw", "non-cacheable", "cacheable", "checker", "stress"]
    print(f"{'pattern':<14} {'buffer':>7}  " + "  ".join(f"{c:>13}" for c in columns) + "   (MB/s)")
    for span in (16 << 10, (64 if args.quick else 256) << 10):
        for name, fn in patterns(span).items():
            cells = []
            for col in columns:
                view, base = build(col)
                cells.append(measure(fn, view, base, seconds) / 1e6)
            label = f"{span >> 10} KiB"
            print(f"{name:<14} {label:>7}  " + "  ".join(f"{c:13.1f}" for c in cells))


if __name__ == "__main__":
    main()
