"""Shared helpers of the heap tests (plain functions, imported by the test modules)."""

from __future__ import annotations

from pathlib import Path

from smh_boot.heap import Hardening, HeapConfig, SysHeap

ROOT = Path(__file__).resolve().parents[2]
SHARED_GOLDEN = ROOT.parent / "shared" / "golden"
BUNDLED_GOLDEN = ROOT / "tests" / "data" / "golden"

#: (ptr_size, runtime_stats) per golden variant name
VARIANTS = {"p4_nostats": (4, False), "p4_stats": (4, True), "p8_nostats": (8, False), "p8_stats": (8, True)}


def cfg(ptr_size: int = 4, stats: bool = False, level: Hardening = Hardening.MODERATE, **kw) -> HeapConfig:
    """A HeapConfig with short argument names."""
    return HeapConfig(ptr_size=ptr_size, runtime_stats=stats, hardening=level, **kw)


def heap(size: int, addr: int = 0x2000_0000, **kw) -> SysHeap:
    """A SysHeap over a private address space."""
    return SysHeap(None, addr, size, cfg(**kw))


def golden_files(folder: Path) -> list[Path]:
    """Every trace file of a golden folder (index.json excluded)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.json") if p.name != "index.json")
