"""Heap throughput: the 1,000,000-op workload of ../shared/golden/README.md ("Native speed").

Runs the README's splitmix64-generated workload through ``SharedMultiHeap`` (by default at
the hardening level users get, STRICT, with the pool lock) for the four variants on each heap
core (the compiled one and the pure-Python reference, side by side), prints ops/s (CPU time
and wall time) and the digest, and checks each digest against the one recorded from Zephyr's
C code.  Only the op loop is timed; the digest is computed from the recorded results afterwards.

    python bench/heap_throughput.py [--ops N] [--slots 512|2048] [--hardening strict|moderate]
                                    [--repeat R] [--variant p8_nostats ...] [--core c|python ...]

Exit status 1 when a digest differs from C's (only checked for the full 1,000,000 ops).
"""

from __future__ import annotations

import argparse
import sys
import time

from smh_boot.heap import Hardening, HeapConfig, SharedMultiHeap, SharedMultiHeapRegion
from smh_boot.heap.compiled import compiled_available, use_core
from smh_boot.heap.trace import BUFFER_BASE

M64 = (1 << 64) - 1
FNV_OFFSET, FNV_PRIME = 0xCBF29CE484222325, 0x100000001B3
NONE_V = 0xFFFFFFFF

#: Region (attr, size) in add order and their offsets in the harness buffer (README).
REGIONS = ((0, 204800, 0), (0, 1048576, 208896), (1, 262144, 1261568))

#: variant -> (ptr_size, runtime_stats)
VARIANTS = {"p8_nostats": (8, False), "p8_stats": (8, True), "p4_nostats": (4, False), "p4_stats": (4, True)}

#: C digests for 1,000,000 ops, seed 1 (README), per (variant, slots).
C_DIGESTS = {
    ("p8_nostats", 512): 0xD23C9FE61BDDBFDB, ("p8_nostats", 2048): 0xF756E20D393F19CC,
    ("p8_stats", 512): 0x782119EBD6F748AB, ("p8_stats", 2048): 0x20086992B983A31E,
    ("p4_nostats", 512): 0x72BE5BBF7B97E9C5, ("p4_nostats", 2048): 0xC6BCF49FB0642E8B,
    ("p4_stats", 512): 0x318587BAF2E10E7B, ("p4_stats", 2048): 0xED3C4EB169423054,
}


def generate(n: int, seed: int, slots: int) -> list[tuple[int, int, int, int, int]]:
    """(kind, slot, attr, size, align) per op; kind 0 alloc, 1 aligned, 2 realloc, 3 free."""
    state = seed
    ops = []

    def nxt() -> int:
        nonlocal state
        state = (state + 0x9E3779B97F4A7C15) & M64
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        return z ^ (z >> 31)

    for _ in range(n):
        r = nxt()
        k = r % 100
        kind = 0 if k < 45 else 1 if k < 55 else 2 if k < 62 else 3
        slot = (r >> 8) % slots
        attr = 1 if (r >> 24) % 4 == 0 else 0
        s = nxt()
        size = 1 + (s >> 8) % 65536 if s % 64 == 0 else 1 + (s >> 8) % 4096
        align = 1 << (3 + (s >> 40) % 10)
        ops.append((kind, slot, attr, size, align))
    return ops


def make_pool(variant: str, hardening: Hardening) -> SharedMultiHeap:
    ptr_size, stats = VARIANTS[variant]
    pool = SharedMultiHeap(None, HeapConfig(ptr_size=ptr_size, runtime_stats=stats, hardening=hardening))
    pool.pool_init()
    for attr, size, off in REGIONS:
        pool.add(SharedMultiHeapRegion(attr, BUFFER_BASE + off, size))
    return pool


def make_loop(pool: SharedMultiHeap, slots: int):
    """The benchmark's op loop over ``pool``: ``loop(ops, out, i)`` runs ``ops`` (continuing the
    slot table of earlier calls) and stores each op's result pointer (or None) at ``out[i]``,
    ``out[i + 1]``, ...  (bench/heap_ab.py runs the same loop in chunks.)"""
    alloc, aligned_alloc, realloc, free = pool.alloc, pool.aligned_alloc, pool.realloc, pool.free
    table: list = [None] * slots

    def loop(ops: list, out: list, i: int) -> None:
        for kind, slot, attr, size, align in ops:
            if kind < 2:
                p = table[slot]
                if p is not None:
                    free(p)
                    table[slot] = None
                elif kind == 0:
                    out[i] = table[slot] = alloc(attr, size)
                else:
                    out[i] = table[slot] = aligned_alloc(attr, align, size)
            elif kind == 2:
                p = realloc(attr, table[slot], size)
                if p is not None:
                    table[slot] = p
                out[i] = p
            else:
                free(table[slot])
                table[slot] = None
            i += 1

    return loop


def run(pool: SharedMultiHeap, ops: list, slots: int) -> tuple[float, float, list]:
    """Time the op loop; returns (wall seconds, CPU seconds of this process, per-op result
    pointers or None).  CPU time is the steadier figure on a shared, loaded machine."""
    loop = make_loop(pool, slots)
    out: list = [None] * len(ops)
    c0 = time.process_time()
    t0 = time.perf_counter()
    loop(ops, out, 0)
    return time.perf_counter() - t0, time.process_time() - c0, out


def digest(results: list) -> int:
    d = FNV_OFFSET
    for p in results:
        v = NONE_V if p is None else p - BUFFER_BASE
        d = ((d ^ v) * FNV_PRIME) & M64
    return d


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ops", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--slots", type=int, default=512)
    ap.add_argument("--repeat", type=int, default=1, help="runs per variant (best and median shown)")
    ap.add_argument("--hardening", default="strict", choices=[h.name.lower() for h in Hardening])
    ap.add_argument("--variant", action="append", choices=list(VARIANTS))
    ap.add_argument("--core", action="append", choices=["c", "python"],
                    help="heap core(s) to run (default: both, the compiled one when built)")
    a = ap.parse_args(argv)
    hardening = Hardening[a.hardening.upper()]
    cores = a.core or (["c", "python"] if compiled_available() else ["python"])
    if "c" in cores and not compiled_available():
        print("the compiled heap core is not built (see README: The heap stack)", file=sys.stderr)
        return 2
    ops = generate(a.ops, a.seed, a.slots)
    bad = 0
    print(f"{a.ops} ops, seed {a.seed}, slots {a.slots}, hardening {hardening.name}, pool lock on")
    print(f"{'variant':11s} {'core':6s} {'cpu k ops/s median/best':>24s} {'wall k ops/s median/best':>25s}  digest")
    for variant in a.variant or list(VARIANTS):
        for core in cores:
            rates, cpu_rates = [], []
            d = None
            for _ in range(a.repeat):
                with use_core(core):
                    pool = make_pool(variant, hardening)
                secs, cpu, results = run(pool, ops, a.slots)
                rates.append(a.ops / secs)
                cpu_rates.append(a.ops / cpu)
                d = digest(results)
                assert pool.validate(), "heap invalid after the run"
            want = C_DIGESTS.get((variant, a.slots)) if a.ops == 1_000_000 and a.seed == 1 else None
            verdict = "n/a" if want is None else ("matches C" if d == want else f"DIFFERS (C {want:016x})")
            bad += want is not None and d != want
            rates.sort()
            cpu_rates.sort()
            med, cmed = rates[len(rates) // 2], cpu_rates[len(cpu_rates) // 2]
            print(f"{variant:11s} {core:6s} {cmed / 1e3:11.1f} / {cpu_rates[-1] / 1e3:8.1f}   "
                  f"{med / 1e3:11.1f} / {rates[-1] / 1e3:8.1f}  {d:016x} {verdict}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
