"""Hand-built memory maps for the report tests: a realistic STM32H7-like layout (SRAMs,
SDRAM, non-cacheable regions, live allocations), a broken one with an overlap and a gap, and
one with a 4 GiB region beside a 256-byte one."""

from __future__ import annotations

from smh_boot.report import Allocation, Band, MapFinding, MemoryMap, heap_report
from smh_boot.report.heap_report import HeapReport, bucket_idx

KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30


def build_heap(
    name: str, addr: int, size: int, blocks: list[tuple[str | None, int, bool]]
) -> tuple[HeapReport, list[Allocation]]:
    """A sys_heap laid out like Zephyr's would be after allocating ``blocks`` in order
    (``(owner, bytes, still_live)``) from an 8-aligned region: chunk 0 first, blocks packed
    upwards, freed blocks left as free chunks, the rest one free chunk."""
    big = size // 8 > 0x7FFF
    hdr, footer = (8, 8) if big else (4, 4)
    end_chunk = (size - footer) // 8
    nb = bucket_idx(end_chunk, big) + 1
    chunk0 = -(-(16 + 4 * nb) // 8)
    walk: list[tuple[int, int, bool]] = [(0, chunk0, True)]
    allocs = []
    c = chunk0
    for owner, nbytes, live in blocks:
        units = -(-(nbytes + hdr) // 8)
        if walk[-1][2] is False and not live:
            prev = walk.pop()  # freed neighbours merge, as in sys_heap_free
            walk.append((prev[0], prev[1] + units, False))
        else:
            walk.append((c, units, live))
        if live:
            allocs.append(Allocation(addr + 8 * c + hdr, nbytes, owner, name))
        c += units
    if walk[-1][2] is False:
        prev = walk.pop()
        walk.append((prev[0], end_chunk - prev[0], False))
    else:
        walk.append((c, end_chunk - c, False))
    rep = heap_report(walk, hdr=hdr, big=big, end_chunk=end_chunk, chunk0=chunk0,
                      region_size=size)
    return rep, allocs


def stm32h7_map() -> MemoryMap:
    """An STM32H7-like board after boot."""
    axi_heap, axi_allocs = build_heap("axisram-heap", 0x24040000, 256 * KiB, [
        ("display", 48 * KiB, True), ("sdmmc", 512, True), (None, 4 * KiB, False),
        ("usb", 2 * KiB, True), ("sdmmc", 1 * KiB, False), ("audio", 16 * KiB, True),
    ])
    nc_heap, nc_allocs = build_heap("sram1-nocache", 0x30000000, 32 * KiB, [
        ("eth0", 1536, True), ("eth0", 1536, True), ("eth0", 256, True),
        ("spi1", 64, False), ("uart4", 512, True), ("eth0", 1536, False),
        ("spi1", 128, True),
    ])
    sd_heap, sd_allocs = build_heap("sdram-heap", 0xC0000000, 8 * MiB, [
        ("ltdc", 1536 * KiB, True), ("ltdc", 1536 * KiB, True), ("jpeg", 256 * KiB, True),
    ])
    bands = [
        Band("dtcm", 0x20000000, 128 * KiB, "memory", None, False, "(none)"),
        Band("axisram", 0x24000000, 512 * KiB, "memory", "cacheable", True, "RAM | CACHEABLE"),
        Band("axisram-heap", 0x24040000, 256 * KiB, "region", "cacheable", True,
             "RAM | CACHEABLE | DMA", axi_heap, "axisram"),
        Band("sram1", 0x30000000, 128 * KiB, "memory", None, True, "RAM"),
        Band("sram1-nocache", 0x30000000, 32 * KiB, "region", "non-cacheable", True,
             "RAM | NOCACHE | DMA", nc_heap, "sram1"),
        Band("sram2", 0x30020000, 128 * KiB, "memory", "cacheable", True, "RAM | CACHEABLE"),
        Band("sram3", 0x30040000, 32 * KiB, "memory", "non-cacheable", True, "RAM | NOCACHE"),
        Band("sram4", 0x38000000, 64 * KiB, "memory", "non-cacheable", True, "RAM | NOCACHE"),
        Band("bkpsram", 0x38800000, 4 * KiB, "reserved", None, False, "(reserved)"),
        Band("sdram1", 0xC0000000, 32 * MiB, "memory", "external", True, "RAM | EXTERNAL"),
        Band("sdram-heap", 0xC0000000, 8 * MiB, "region", "external", True,
             "RAM | EXTERNAL | DMA", sd_heap, "sdram1"),
    ]
    return MemoryMap("stm32h7-like board", 32, bands, axi_allocs + nc_allocs + sd_allocs, [])


def broken_map() -> MemoryMap:
    """Two regions that overlap, and a 16-byte gap the validator flagged."""
    bands = [
        Band("sram0", 0x20000000, 64 * KiB, "memory", "cacheable", False, "RAM"),
        Band("dma-pool", 0x2000C000, 32 * KiB, "region", "non-cacheable", True, "RAM | NOCACHE"),
        Band("sram1", 0x20014010, 16 * KiB, "memory", "cacheable", False, "RAM"),
    ]
    findings = [
        MapFinding("overlap", 0x2000C000, 16 * KiB,
                   "dma-pool overlaps sram0 by 16 KiB; move dma-pool or shrink sram0", "DT003"),
        MapFinding("gap", 0x20014000, 16, "16 bytes between dma-pool and sram1", "DT010"),
        MapFinding("attr", None, 0, "sram1 has no zephyr,memory-attr", "DT020"),
    ]
    return MemoryMap("broken layout", 32, bands, [], findings)


def huge_tiny_map() -> MemoryMap:
    """A 64-bit board with a 4 GiB DDR region and a 256-byte mailbox."""
    bands = [
        Band("mailbox", 0x0800_0000, 256, "region", "non-cacheable", True, "RAM | NOCACHE"),
        Band("ddr", 0x1_0000_0000, 4 * GiB, "memory", "cacheable", True, "RAM | CACHEABLE"),
    ]
    return MemoryMap("huge and tiny", 64, bands, [], [])
