"""Cost of the cache model, side by side with a plain memoryview copy of the same bytes.

Run on demand (figures are printed, never asserted)::

    python bench/cache_model.py            # about 1 minute
    python bench/cache_model.py --quick    # about 15 s

Every figure is given as CPU time (``time.process_time``) beside wall time: the bench shares
its machine, and CPU time is what the model costs.  Sections:

1. **frame**: an 800x480 RGB565 frame on the booted ``stm32h747i_disco_m7`` (LTDC driver): CPU
   fill of the framebuffer + flush + DMA scan-out, without and with the coherency checker, next
   to a ``memoryview`` copy of 768,000 bytes, and the line-by-line reference path
   (``memsys.bulk_min_lines = None``) for comparison.  Targets (issue 16): <= 10 ms without the
   checker, <= 25 ms with it.
2. **checker memory**: bytes the checker holds (tracemalloc) after one frame and after 100.
   Target: <= 8 MiB per frame and bounded.
3. **flush vs history**: one 768 KB flush with 0 / 10k / 100k / 300k lines already touched
   (their state kept, unflushed, by the checker).  Target: the same cost (within 2x).
4. **DMA**: a 768,000-byte transfer each way through the bus-master view, with and without
   the checker (it records one range event per transfer piece of a long transfer).
5. **throughput**: bytes/s through ``memsys.cpu`` in five access patterns, for a buffer that
   fits the cache (16 KiB) and one that streams through it (256 KiB), with and without checker,
   and with the write log every boot keeps (``memsys.record_writes()``: who wrote what, for
   heap corruption reports) beside the same column without it.  ``heap+log`` is
   ``cacheable+log`` with the buffer inside one live block of an SMH pool, wired as boots wire
   it (``memsys.set_heap_lookup(pool.cpu_store_run)``: a store that is not inside one live
   block is written through; this column measures the check on stores that are).
"""

from __future__ import annotations

import argparse
import gc
import time
import tracemalloc
from collections.abc import Callable

from smh_boot.memory import AddressSpace, CoherencyChecker, DataCache, MemorySystem, StressConfig

CACHED, UNCACHED = 0x2000_0000, 0x4000_0000
REGION = 1 << 20


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """(CPU ms, wall ms) per call, best of ``repeat`` runs."""
    best_cpu = best_wall = float("inf")
    for _ in range(repeat):
        c0, w0 = time.process_time(), time.perf_counter()
        fn()
        best_cpu = min(best_cpu, (time.process_time() - c0) * 1e3)
        best_wall = min(best_wall, (time.perf_counter() - w0) * 1e3)
    return best_cpu, best_wall


def row(label: str, cpu_ms: float, wall_ms: float, note: str = "") -> None:
    print(f"  {label:<44} {cpu_ms:9.3f} ms CPU  {wall_ms:9.3f} ms wall  {note}")


# ---------------------------------------------------------------------------- 1. frame
def booted_display():
    import smh_boot.drivers.shipped  # noqa: F401 - registers the shipped drivers
    from smh_boot.bootstage import boot

    system = boot("stm32h747i_disco_m7")
    return system, system.device("ltdc").driver


def frame_section(repeat: int) -> None:
    system, disp = booted_display()
    m = system.memsys
    print(f"1. frame: {disp.width}x{disp.height} RGB565 ({disp.frame_size} bytes), fill + flush + scan-out")
    src = bytearray(b"\x34\x12" * (disp.frame_size // 2))
    dst = bytearray(disp.frame_size)

    def plain_copy() -> None:
        memoryview(dst)[:] = memoryview(src)

    def frame() -> None:
        disp.fill(0x1234)
        disp.scan_out()

    row("plain memoryview copy of the same bytes", *timed(plain_copy, repeat * 4))
    checker = m.checker
    for label, chk, bulk in (
        ("model, no checker (bulk path)", None, True),
        ("model + checker (bulk path)", checker, True),
        ("model, no checker (line-by-line reference)", None, False),
        ("model + checker (line-by-line reference)", checker, False),
    ):
        m.checker = chk
        m.bulk_min_lines = 64 if bulk else None
        m.sys_cache_data_flush_and_invd_all()
        frame()
        row(label, *timed(frame, repeat if bulk else 1))
    m.checker, m.bulk_min_lines = checker, 64


# ---------------------------------------------------------------------------- 2. memory
def checker_bytes(frames: int) -> int:
    """Bytes allocated by a fresh checker's records after ``frames`` frames (tracemalloc)."""
    system, disp = booted_display()
    m = system.memsys
    m.sys_cache_data_flush_and_invd_all()
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    checker = CoherencyChecker(raise_errors=True)
    checker.bind(m)
    m.checker = checker
    for i in range(frames):
        disp.fill(i)
        disp.scan_out()
    # A frame also leaves small per-line work (u32 accesses, line by line) in the history.
    for a in range(disp.fb.addr, disp.fb.addr + 64 * 1024, 32):
        m.cpu.write_u32(a, a)
    m.sys_cache_data_flush_range(disp.fb.addr, 64 * 1024)
    gc.collect()
    used = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    return used


def memory_section(quick: bool) -> None:
    print("2. checker memory (tracemalloc, includes the model's own cache lines)")
    for frames in (1, 10) if quick else (1, 10, 100):
        print(f"  after {frames:>3} frame(s) + 2048 line-by-line accesses: {checker_bytes(frames) / 2**20:7.2f} MiB")


# ---------------------------------------------------------------------------- 3. flush vs history
def flush_section(quick: bool) -> None:
    print("3. one 768 KB flush (dirty frame) with N other lines already touched (unflushed, in history)")
    for n in (0, 10_000, 100_000) if quick else (0, 10_000, 100_000, 300_000):
        memory = AddressSpace(32)
        memory.map(CACHED, 16 << 20, "sdram")
        ms = MemorySystem(memory, DataCache(32, 16384, 4), cacheable=[(CACHED, 16 << 20)],
                          checker=CoherencyChecker(raise_errors=False))
        other = CACHED + (4 << 20)
        for a in range(other, other + 32 * n, 32):
            ms.cpu.write_u8(a, 1)
        fb = bytes(768_000)

        def one_flush() -> None:
            ms.sys_cache_data_flush_range(CACHED, 768_000)

        best = (float("inf"), float("inf"))
        for _ in range(3):
            ms.cpu.write(CACHED, fb)
            t = timed(one_flush, 1)
            best = min(best, t)
        row(f"{n:>7} lines in history", *best)


# ---------------------------------------------------------------------------- 5. throughput
def build(kind: str):
    """(access object, base address) for one column."""
    memory = AddressSpace(32)
    memory.map(CACHED, REGION, "sram")
    memory.map(UNCACHED, REGION, "sram_nocache")
    if kind == "raw":
        return memory, CACHED
    checker = CoherencyChecker(raise_errors=False) if kind.startswith(("checker", "stress")) else None
    stress = StressConfig(1) if kind == "stress" else None
    ms = MemorySystem(
        memory, DataCache(32, 32768, 4), cacheable=[(CACHED, REGION)], checker=checker, stress=stress
    )
    if kind.endswith("+log"):
        ms.record_writes()
    if kind.startswith("heap"):
        from smh_boot.heap import HeapConfig, SharedMultiHeap, SharedMultiHeapRegion, SmhAttr

        pool = SharedMultiHeap(memory, HeapConfig(ptr_size=4))
        pool.pool_init()
        pool.add(SharedMultiHeapRegion(SmhAttr.CACHEABLE, CACHED, REGION))
        ms.set_heap_lookup(pool.cpu_store_run)
        pool.set_writer_lookup(ms.writer_of)
        buf = pool.aligned_alloc(SmhAttr.CACHEABLE, 32, REGION // 2, owner="bench")
        return ms.cpu, buf
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

    def whole(v, base):
        v.write(base, bytes(span))
        return span

    return {
        "u32 read": u32_read,
        "u32 write": u32_write,
        "256 B read": blk_read,
        "256 B write": blk_write,
        "one write": whole,
    }


def measure(fn, view, base, seconds: float) -> tuple[float, float]:
    """(bytes per CPU second, bytes per wall second) of repeated passes of ``fn``."""
    fn(view, base)  # warm up: fill the cache, touch the pages
    moved, c0, w0 = 0, time.process_time(), time.perf_counter()
    while True:
        moved += fn(view, base)
        wall = time.perf_counter() - w0
        if wall >= seconds:
            return moved / max(time.process_time() - c0, 1e-9), moved / wall


def throughput_section(quick: bool) -> None:
    seconds = 0.05 if quick else 0.25
    columns = ["raw", "non-cacheable", "cacheable", "cacheable+log", "heap+log", "checker", "checker+log",
               "stress"]
    print("5. throughput through memsys.cpu, MB/s per CPU second (per wall second)")
    print(f"  {'pattern':<12} {'buffer':>7}  " + "  ".join(f"{c:>19}" for c in columns))
    for span in (16 << 10, (64 if quick else 256) << 10):
        for name, fn in patterns(span).items():
            cells = []
            for col in columns:
                view, base = build(col)
                cpu, wall = measure(fn, view, base, seconds)
                cells.append(f"{cpu / 1e6:9.1f} ({wall / 1e6:7.1f})")
            print(f"  {name:<12} {span >> 10:>4} KiB  " + "  ".join(f"{c:>19}" for c in cells))


# ---------------------------------------------------------------------------- 4. DMA
def dma_section(repeat: int) -> None:
    from smh_boot.memory import DmaEngine

    size = 768_000
    print(f"4. DMA transfers of {size} bytes of cacheable memory (start + complete), GB/s per CPU second")
    src = bytes(size)
    dst = bytearray(size)
    cpu, wall = timed(lambda: memoryview(dst).__setitem__(slice(None), src), repeat * 4)
    row("plain memoryview copy", cpu, wall, f"{size / cpu / 1e6:8.2f} GB/s")
    for label, chk in (("no checker", None), ("checker", CoherencyChecker())):
        memory = AddressSpace(32)
        memory.map(CACHED, 4 << 20, "sdram")
        ms = MemorySystem(memory, DataCache(32, 16384, 4), cacheable=[(CACHED, 4 << 20)], checker=chk)
        dma = DmaEngine(ms)

        def tx() -> None:
            dma.complete(dma.start(0, device="ltdc", src=CACHED, size=size))

        def rx() -> None:
            dma.complete(dma.start(0, device="cam", dst=CACHED + (2 << 20), size=size, data=src))
            ms.sys_cache_data_invd_range(CACHED + (2 << 20), size)

        for what, fn in (("memory-to-peripheral", tx), ("peripheral-to-memory + invalidate", rx)):
            cpu, wall = timed(fn, repeat)
            row(f"{what}, {label}", cpu, wall, f"{size / cpu / 1e6:8.2f} GB/s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats, smaller workloads")
    args = ap.parse_args()
    frame_section(3 if args.quick else 10)
    memory_section(args.quick)
    flush_section(args.quick)
    dma_section(3 if args.quick else 10)
    throughput_section(args.quick)


if __name__ == "__main__":
    main()
