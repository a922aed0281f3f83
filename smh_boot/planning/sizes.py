"""Which sizes a region may take: the allocation granule, and the protection unit's rules.

* Regions the architecture programs into its MPU/MMU (on arm: those whose
  ``zephyr,memory-attr`` carries ARM MPU type bits; on arm64: every heap region) keep to its
  granularity: ARMv6-M/v7-M/v7E-M MPU sizes are powers of two of at least 32 bytes with the
  base aligned to the size; ARMv8-M MPU sizes are multiples of 32 bytes; arm64 MMU sizes are
  whole 4 KiB pages.  The same rules as ``smh-boot validate``'s ``mpu-region-constraints``.
* Any other region moves in steps of one heap chunk (8 bytes), the heap's own granule.

The base never moves.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import attrs as A
from ..validate.rules.mpu import mpu_kind

#: the heap's allocation granule (CHUNK_UNIT)
CHUNK = 8


@dataclass(frozen=True)
class SizeRule:
    """``kind``: ``"pow2"`` (ARMv7-M MPU), ``"step"`` (multiples of ``granule``)."""

    kind: str
    granule: int
    why: str

    def candidates(self, addr: int, upto: int) -> list[int]:
        """Every allowed size up to ``upto`` (the current size, always included last)."""
        if self.kind == "pow2":
            out = []
            s = 32
            while s < upto:
                if addr % s == 0:
                    out.append(s)
                s <<= 1
        else:
            g = self.granule
            out = list(range(g, upto, g))
        out.append(upto)
        return out

    def round_up(self, addr: int, size: int) -> int:
        """The smallest allowed size >= ``size``."""
        if self.kind == "pow2":
            s = 32
            while s < size or addr % s:
                s <<= 1
            return s
        g = self.granule
        return -(-size // g) * g

    def smaller(self, size: int) -> int | None:
        """One granule below ``size`` (None when there is none)."""
        s = size // 2 if self.kind == "pow2" else size - self.granule
        return s if s > 0 else None


def size_rule(arch: str | None, isa: str | None, dt_attr: int | None) -> SizeRule:
    """The rule for a heap region with devicetree attribute bits ``dt_attr``."""
    kind = mpu_kind(arch, isa)
    if kind == "arm64":
        return SizeRule("step", 4096, "ARM64 MMU: whole 4 KiB pages")
    if kind in ("armv7m", "armv8m"):
        programmed = dt_attr is not None and bool(dt_attr & A.DT_MEM_ARCH_ATTR_MASK & ~A.DT_MEM_ARCH_ATTR_UNKNOWN)
        if programmed and kind == "armv7m":
            return SizeRule("pow2", 32, "ARMv7-M MPU: a power of two of at least 32 bytes, base aligned to it")
        if programmed:
            return SizeRule("step", 32, "ARMv8-M MPU: multiples of 32 bytes")
    return SizeRule("step", CHUNK, "heap chunks of 8 bytes")
