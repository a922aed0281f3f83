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
from ..validate.rules.mpu import mpu_kind, mpu_problem

#: the heap's allocation granule (CHUNK_UNIT)
CHUNK = 8


@dataclass(frozen=True)
class SizeRule:
    """``kind``: ``"pow2"`` (ARMv7-M MPU), ``"step"`` (multiples of ``granule``)."""

    kind: str
    granule: int
    why: str
    unit: str | None = None  #: the protection unit (``mpu_kind``), None for plain heap chunks

    def allowed(self, addr: int, size: int) -> bool:
        """True when a region at ``addr`` may take ``size``."""
        if self.kind == "pow2":
            return size >= 32 and size & (size - 1) == 0 and addr % size == 0
        return size > 0 and size % self.granule == 0

    def problem(self, addr: int, size: int) -> str | None:
        """Why ``size`` at ``addr`` is not allowed, worded as ``smh-boot validate``'s
        ``mpu-region-constraints`` says it, or None when it is allowed."""
        if self.allowed(addr, size):
            return None
        if self.unit is not None:
            text = mpu_problem(self.unit, addr, size)
            if text:
                return text
        return f"size {size:#x} is not a multiple of the heap's {self.granule}-byte chunk"

    def candidates(self, addr: int, upto: int) -> list[int]:
        """Every allowed size below ``upto``, then ``upto`` itself when it is allowed, else
        the smallest allowed size above it (so an answer never breaks the rule)."""
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
        out.append(upto if self.allowed(addr, upto) else self.round_up(addr, upto))
        return out

    def neighbours(self, addr: int, size: int) -> tuple[int | None, int]:
        """The largest allowed size below ``size`` (None when there is none) and the
        smallest allowed size at or above it."""
        below = [c for c in self.candidates(addr, size) if c < size]
        return (below[-1] if below else None), self.round_up(addr, size)

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
        return SizeRule("step", 4096, "ARM64 MMU: whole 4 KiB pages", kind)
    if kind in ("armv7m", "armv8m"):
        programmed = dt_attr is not None and bool(dt_attr & A.DT_MEM_ARCH_ATTR_MASK & ~A.DT_MEM_ARCH_ATTR_UNKNOWN)
        if programmed and kind == "armv7m":
            return SizeRule("pow2", 32, "ARMv7-M MPU: a power of two of at least 32 bytes, base aligned to it",
                            kind)
        if programmed:
            return SizeRule("step", 32, "ARMv8-M MPU: multiples of 32 bytes", kind)
    return SizeRule("step", CHUNK, "heap chunks of 8 bytes")
