"""Whether a region can be an MPU/MMU region on the board's architecture."""

from __future__ import annotations

from collections.abc import Iterator

from ... import attrs as A
from .base import Context, Finding, rule


def mpu_kind(arch: str | None, isa: str | None) -> str | None:
    """Which protection unit programs DT regions: ``"armv7m"`` (ARMv6-M/v7-M/v7E-M MPU:
    power-of-two regions), ``"armv8m"`` (ARMv8-M MPU: 32-byte base/limit), ``"arm64"`` (MMU,
    4 KiB pages) or None.  An ``arm`` board without an ISA gets the ARMv8-M rule, the weaker
    one, so an unknown ISA never causes a false alarm."""
    family = A.arch_family(arch)
    if family == "arm64":
        return "arm64"
    if family != "arm":
        return None
    isa = (isa or "").lower().replace("_", "-")
    if isa.startswith(("armv6-m", "armv7-m", "armv7e-m", "armv7m", "armv7em", "armv6m")):
        return "armv7m"
    return "armv8m"


def _problems(kind: str, addr: int, size: int) -> list[str]:
    out = []
    if kind == "armv7m":
        if size < 32 or size & (size - 1):
            out.append(f"size {size:#x} is not a power of two of at least 32 bytes")
        elif addr % size:
            out.append(f"base {addr:#x} is not aligned to the region size {size:#x}")
    elif kind == "armv8m":
        if addr % 32:
            out.append(f"base {addr:#x} is not a multiple of 32 bytes")
        if size < 32 or size % 32:
            out.append(f"size {size:#x} is not a multiple of 32 bytes (the limit address is 32-byte granular)")
    elif kind == "arm64":
        if addr % 4096:
            out.append(f"base {addr:#x} is not 4 KiB page aligned")
        if size % 4096:
            out.append(f"size {size:#x} is not a whole number of 4 KiB pages")
    return out


_WHAT = {
    "armv7m": "an ARMv7-M MPU region",
    "armv8m": "an ARMv8-M MPU region",
    "arm64": "an ARM64 MMU mapping",
}


def mpu_problem(kind: str, addr: int, size: int) -> str | None:
    """``region cannot be an ARMv7-M MPU region: size 0xc00 is not ...`` for a region at
    ``addr`` of ``size`` under protection unit ``kind`` (see :func:`mpu_kind`), or None when
    the unit can take it: the message of ``mpu-region-constraints``, for ``fit`` to share."""
    problems = _problems(kind, addr, size)
    return f"region cannot be {_WHAT[kind]}: " + "; ".join(problems) if problems else None


@rule(
    "mpu-region-constraints",
    "error",
    "a region cannot be an MPU/MMU region on the board's architecture",
    """
Regions the architecture code programs into its protection unit must fit its granularity:
  - ARMv6-M/ARMv7-M/ARMv7E-M MPU (Cortex-M0+/M3/M4/M7): size a power of two, at least 32
    bytes, base aligned to the size;
  - ARMv8-M MPU (Cortex-M23/M33/M55/M85): base and limit on 32-byte boundaries;
  - ARM64 MMU: base and size whole 4 KiB pages.
On arm the rule checks regions whose zephyr,memory-attr carries ARM MPU type bits (those are
the ones Zephyr's ARM MPU driver programs with CONFIG_MEM_ATTR); on arm64 every region with
zephyr,memory-attr and every heap region (they are mapped with their cache attribute).
Pass --isa (or the board's ISA) to choose between ARMv7-M and ARMv8-M; without it the ARMv8-M
rule is used, since it is the weaker of the two.

Why it matters: the MPU driver cannot express the region, so it rounds it (covering
neighbouring memory with the wrong attributes), fails with -EINVAL at boot, or - on ARMv7-M -
needs several subregions it does not have. Cache attributes then do not apply where the heap
thinks they do, which breaks DMA coherency.

Fix: size and align the region as the message says.
""",
)
def check_mpu(ctx: Context) -> Iterator[Finding]:
    kind = mpu_kind(ctx.options.arch, ctx.options.isa)
    if kind is None:
        return
    for n in ctx.regions:
        if kind == "arm64":
            programmed = n.attr is not None or n.is_heap
        else:
            programmed = n.attr is not None and bool(
                n.attr & A.DT_MEM_ARCH_ATTR_MASK & ~A.DT_MEM_ARCH_ATTR_UNKNOWN
            )
        if not programmed:
            continue
        addr, size = n.regs[0]
        if size <= 0:
            continue
        problem = mpu_problem(kind, addr, size)
        if problem:
            yield Finding(n.reg_location or n.location, n.path, problem)
