"""Rig for the memory-system tests (imported as ``memrig``; no package, so a plain module): a cacheable SRAM, a non-cacheable SRAM, a small
cache (so evictions happen), a DMA engine and, optionally, a checker and stress."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from smh_boot.memory import (
    AddressSpace,
    AllocationInfo,
    CoherencyChecker,
    DataCache,
    DmaEngine,
    MemorySystem,
    StressConfig,
)

SRAM = 0x2000_0000  #: cacheable, 64 KiB, mapping "sram"
SRAM_NC = 0x3000_0000  #: non-cacheable, 16 KiB, mapping "sram_nocache"
LINE = 32


@dataclass
class Rig:
    memory: AddressSpace
    memsys: MemorySystem
    dma: DmaEngine
    checker: CoherencyChecker | None

    @property
    def cpu(self):
        return self.memsys.cpu

    @property
    def cache(self) -> DataCache:
        assert self.memsys.cache is not None
        return self.memsys.cache


def make_rig(
    seed: int | None = None,
    *,
    check: bool = True,
    raise_errors: bool = True,
    owner_lookup: Callable[[int], AllocationInfo | None] | None = None,
    cache: DataCache | None | bool = True,
    rate: float = 0.1,
    stress: StressConfig | None = None,
) -> Rig:
    """A fresh system; ``seed`` turns the stress modes on (``stress`` gives the whole config)."""
    memory = AddressSpace(32)
    memory.map(SRAM, 0x10000, "sram")
    memory.map(SRAM_NC, 0x4000, "sram_nocache")
    if cache is True:
        cache = DataCache(line_size=LINE, size=2048, ways=2)  # 32 sets: small, so sets fill up
    checker = CoherencyChecker(raise_errors=raise_errors) if check else None
    memsys = MemorySystem(
        memory,
        cache or None,
        cacheable=[(SRAM, 0x10000)],
        owner_lookup=owner_lookup,
        stress=stress or (StressConfig(seed, rate=rate) if seed is not None else None),
        checker=checker,
    )
    return Rig(memory, memsys, DmaEngine(memsys), checker)


def heap_lookup(*allocs: AllocationInfo) -> Callable[[int], AllocationInfo | None]:
    """An owner_lookup over a fixed set of live allocations."""

    def lookup(addr: int) -> AllocationInfo | None:
        for a in allocs:
            if a.addr <= addr < a.end:
                return a
        return None

    return lookup
