"""The boot log: deterministic lines a person and a test can read.

Shape (addresses in hex, sizes in bytes with a human suffix)::

    *** smh-boot 0.1.0 - booting stm32h747i_disco_m7 (STMicroelectronics STM32H747I-DISCO) ***
    cpu: Cortex-M7 (arm, armv7e-m), 32-bit pointers, d-cache 16 KiB 4-way 32 B lines
    heap: runtime stats off, alloc loops 3, hardening STRICT
    OF: reserved mem: SRAM3_DMA [0x30040000-0x30047fff] 32 KiB NON_CACHEABLE (...) heap: 4095 chunks small, first block +0x4c
    [PRE_KERNEL_1 10] dma@40020000 (st,stm32-dma-v2) StmDma: ok
        buffer desc 0x30040054 128 B NON_CACHEABLE in SRAM3_DMA
    memory map:
      region  base  size  used  free  largest
"""

from __future__ import annotations

from typing import Any

from .. import __version__
from ..errors import HeapError
from ..units import human_size


class BootLog:
    """Collects boot log lines."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.corrupt: list[str] = []

    def line(self, text: str) -> None:
        """Append one line."""
        self.lines.append(text)

    def banner(self, b: Any, overlays: Any) -> None:
        """Board banner, CPU/cache and heap configuration."""
        title = " ".join(x for x in (getattr(b, "vendor", ""), getattr(b, "description", "")) if x)
        self.line(f"*** smh-boot {__version__} - booting {b.name}" + (f" ({title})" if title else "") + " ***")
        cache = getattr(b, "cache", None)
        if cache:
            get = cache.get if isinstance(cache, dict) else lambda k, d=None: getattr(cache, k, d)
            c = f"d-cache {human_size(get('size', 0))} {get('ways', 0)}-way {get('line_size', 0)} B lines"
        else:
            c = "no data cache"
        self.line(f"cpu: {getattr(b, 'cpu', '?')} ({b.arch}, {getattr(b, 'isa', '?')}), "
                  f"{8 * b.ptr_size}-bit pointers, {c}")
        dts = getattr(b, "dts_path", "")
        ovl = [*getattr(b, "overlay_paths", ()), *overlays]
        self.line(f"devicetree: {getattr(dts, 'name', dts)}"
                  + (f" + overlays {', '.join(getattr(o, 'name', str(o)) for o in ovl)}" if ovl else ""))

    def diagnostic(self, d: Any) -> None:
        """A validator finding."""
        self.line(f"layout: {d}")

    def region(self, info: Any, pool: Any) -> None:
        """One ``OF: reserved mem:`` style line per zephyr,memory-attr region."""
        rng = f"[{info.addr:#010x}-{info.end - 1:#010x}]"
        head = f"OF: reserved mem: {info.name} {rng} {human_size(info.size)}"
        attr = info.attr or "unmapped"
        bits = f" ({info.decoded})" if info.decoded else ""
        if info.heap_index is not None:
            h = pool.heaps[info.heap_index].sys_heap
            geo = (f"heap: {h.end_chunk} chunks {'big' if h.big else 'small'}, "
                   f"first block +{h.first_block_offset:#x}")
            self.line(f"{head} {attr}{bits} {geo}")
        else:
            self.line(f"{head} {attr}{bits} not a heap: {info.error}")

    def device(self, dev: Any) -> None:
        """One line per device, then one per buffer."""
        drv = type(dev.driver).__name__ if dev.driver is not None else "-"
        state = "ok" if dev.ready else f"FAILED ({dev.init_error})"
        self.line(f"[{dev.level.name} {dev.priority}] {dev.name} ({dev.compatible}) {drv}: {state}")
        for b in dev.buffers:
            where = f" in {b.region}" if b.region else ""
            self.line(f"    buffer {b.name} {b.addr:#010x} {human_size(b.size)} {b.attr}{where}")
        for m in dev.messages:
            self.line(f"    {m}")

    def memory_map(self, system: Any) -> None:
        """Closing table: per heap region size, used, free, largest free block."""
        rows = [("region", "attr", "base", "size", "used", "free", "largest")]
        for info in system.regions:
            if info.heap_index is None:
                continue
            h = system.pool.heaps[info.heap_index].sys_heap
            try:
                st = h.stats()
                largest = h.largest_free_bytes()
            except HeapError as e:  # a driver damaged it: the summary must not lose the boot
                rows.append((info.name, info.attr or "-", f"{info.addr:#010x}", str(info.size),
                             "CORRUPT", "-", "-"))
                self.corrupt.append(f"heap {info.name} is corrupted: {e}")
                continue
            rows.append((info.name, info.attr or "-", f"{info.addr:#010x}", str(info.size),
                         str(st.allocated_bytes), str(st.free_bytes), str(largest)))
        self.line("memory map:")
        if len(rows) == 1:
            self.line("  (no heap regions)")
            return
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        for r in rows:
            self.line("  " + "  ".join(c.ljust(w) if i < 3 else c.rjust(w)
                                       for i, (c, w) in enumerate(zip(r, widths))).rstrip())
        for text in self.corrupt:
            self.line(f"  {text}")
        ready = sum(1 for d in system.device_list if d.ready)
        self.line(f"devices: {ready}/{len(system.device_list)} ready")
