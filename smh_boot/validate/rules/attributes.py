"""Rules on the ``zephyr,memory-attr`` value itself: undefined bits, contradictions, bits of
another architecture, deprecated encodings, values the SMH policy cannot map."""

from __future__ import annotations

from collections.abc import Iterator

from ... import attrs as A
from .base import Context, Finding, rule


def _where(n):
    return n.attr_location or n.location


def _arch_known_elsewhere(value: int, family: str | None) -> dict[str, tuple[str, ...]]:
    """Other architecture families whose header names every bit of ``value``'s arch field:
    family -> names."""
    arch = value & A.DT_MEM_ARCH_ATTR_MASK & ~A.DT_MEM_ARCH_ATTR_UNKNOWN
    out = {}
    if not arch:
        return out
    for fam, table in A.ARCH_BITS.items():
        if fam == family:
            continue
        defined = sum(table.values())
        if arch & ~defined == 0:
            out[fam] = tuple(name for name, bit in table.items() if arch & bit)
    return out


def _decoding(ctx: Context, n):
    return n.decoded if n.decoded is not None else A.decode_attr(n.attr, ctx.options.arch)


@rule(
    "attr-unknown-bits",
    "warning",
    "zephyr,memory-attr sets bits no header defines, or an *_UNKNOWN marker",
    """
The zephyr,memory-attr value sets bits that no dt-bindings header defines (generic bits
10-14, software bit 19's neighbours, architecture bits the board's architecture does not
define and no other architecture does either), or one of the *_UNKNOWN markers
(DT_MEM_UNKNOWN, DT_MEM_SW_ATTR_UNKNOWN, DT_MEM_<ARCH>_UNKNOWN).

Why it matters: the bits are silently ignored by mem_attr_check_buf() users and by the
shared-multi-heap policy, so the region does not get the treatment the author meant. The
markers exist as "no attribute" placeholders in C code; in a devicetree they usually mean a
macro was mistyped (e.g. DT_MEM_SW(DT_MEM_SW_ATTR_UNKNOWN) evaluates to 0, while
DT_MEM_SW_ATTR_UNKNOWN alone sets bit 19). On ARM, the MPU driver rejects an arch field that
is not exactly one known region type (-EINVAL, "Invalid attribute for the region").

Architecture bits are judged only when the architecture is known (--arch or the board);
bits that belong to another architecture are reported by attr-arch-mismatch instead.

Fix: build the value from the header macros only (DT_MEM_CACHEABLE | DT_MEM_SW_ALLOC_CACHE ...).
""",
)
def check_unknown_bits(ctx: Context) -> Iterator[Finding]:
    for n in ctx.attr_nodes:
        d = _decoding(ctx, n)
        unknown = d.unknown_bits
        arch_unknown = unknown & A.DT_MEM_ARCH_ATTR_MASK
        if arch_unknown and _arch_known_elsewhere(arch_unknown, d.arch_family):
            unknown &= ~A.DT_MEM_ARCH_ATTR_MASK  # attr-arch-mismatch's business
        if unknown:
            yield Finding(
                _where(n), n.path,
                f"zephyr,memory-attr {n.attr:#010x} sets bit(s) {unknown:#x} that no dt-bindings "
                f"header defines{_for_arch(d)}",
            )
        for marker in d.markers:
            yield Finding(
                _where(n), n.path,
                f"zephyr,memory-attr {n.attr:#010x} sets the DT_MEM_{marker} marker, which means "
                "'no attribute' and is ignored by every consumer",
            )


def _for_arch(d) -> str:
    return f" (for {d.arch_family})" if d.arch_family else ""


@rule(
    "attr-conflict",
    "error",
    "zephyr,memory-attr combines contradictory bits",
    """
The attribute value contradicts itself:
  - DT_MEM_CACHEABLE together with DT_MEM_NON_CACHEABLE;
  - DT_MEM_ARM(ATTR_MPU_RAM_NOCACHE) together with DT_MEM_CACHEABLE (Zephyr's ARM MPU driver
    __ASSERTs on exactly this combination);
  - DT_MEM_SW_ALLOC_CACHE on a region that is non-cacheable (NON_CACHEABLE, or the ARM
    RAM_NOCACHE type), or DT_MEM_SW_ALLOC_NON_CACHE on a cacheable one: mem_attr_heap hands
    such memory out with the wrong cache behaviour;
  - DT_MEM_SW_ALLOC_DMA without DT_MEM_DMA: the region is offered for DMA buffers but is not
    declared reachable by DMA masters;
  - on arm (AArch32 with an MPU), two or more ARM MPU region types ORed together, e.g.
    DT_MEM_ARM(ATTR_MPU_RAM) | DT_MEM_ARM(ATTR_MPU_RAM_NOCACHE) = 0x00300000: the MPU driver
    (mpu_configure_regions_from_dt) switches on the exact value, finds no type and skips the
    region ("default: continue"), so the memory keeps the default cacheable mapping of the
    SRAM around it, and the arm shared-multi-heap policy maps it to no heap;
  - on arm, DT_MEM_NON_CACHEABLE without an ARM MPU region type: the MPU driver skips the
    region for the same reason, so the memory the value calls non-cacheable stays cacheable.

Why it matters: drivers get buffers whose cache behaviour or DMA reachability is not what
they asked for - the classic source of corrupted DMA transfers that only show up on hardware.

Fix: drop the bit that is wrong (the message names both).
""",
)
def check_conflict(ctx: Context) -> Iterator[Finding]:
    for n in ctx.attr_nodes:
        v = n.attr
        d = _decoding(ctx, n)
        arch = v & A.DT_MEM_ARCH_ATTR_MASK
        if v & A.DT_MEM_CACHEABLE and v & A.DT_MEM_NON_CACHEABLE:
            yield Finding(_where(n), n.path, "DT_MEM_CACHEABLE and DT_MEM_NON_CACHEABLE are both set")
        if d.arch_family == "arm" and arch & A.DT_MEM_ARM_MPU_RAM_NOCACHE and v & A.DT_MEM_CACHEABLE:
            yield Finding(
                _where(n), n.path,
                "DT_MEM_ARM(ATTR_MPU_RAM_NOCACHE) with DT_MEM_CACHEABLE: Zephyr's ARM MPU driver "
                "asserts on this combination",
            )
        noncache = d.cacheable is False or (
            d.arch_family == "arm" and arch == A.DT_MEM_ARM_MPU_RAM_NOCACHE
        ) or bool(v & A.DT_MEM_NON_CACHEABLE and not v & A.DT_MEM_CACHEABLE)
        if v & A.DT_MEM_SW_ALLOC_CACHE and noncache:
            yield Finding(
                _where(n), n.path,
                "DT_MEM_SW_ALLOC_CACHE on a non-cacheable region: mem_attr_heap would hand out "
                "uncached memory to callers asking for cacheable buffers",
            )
        if v & A.DT_MEM_SW_ALLOC_NON_CACHE and d.cacheable is True:
            yield Finding(
                _where(n), n.path,
                "DT_MEM_SW_ALLOC_NON_CACHE on a cacheable region: callers asking for non-cacheable "
                "buffers would get cached memory",
            )
        if v & A.DT_MEM_SW_ALLOC_DMA and not v & A.DT_MEM_DMA:
            yield Finding(
                _where(n), n.path,
                "DT_MEM_SW_ALLOC_DMA without DT_MEM_DMA: the region is offered for DMA buffers but "
                "not declared reachable by DMA",
            )
        if d.arch_family == "arm":
            types = _arm_mpu_types(arch)
            if len(types) > 1:
                yield Finding(
                    _where(n), n.path,
                    f"{' and '.join(f'DT_MEM_ARM(ATTR_MPU_{t})' for t in types)} are "
                    f"{'both' if len(types) == 2 else 'all'} set: "
                    f"{arch:#010x} is no ARM MPU region type, so Zephyr's ARM MPU driver skips the "
                    "region (mpu_configure_regions_from_dt: no case matches) and the memory keeps "
                    "the default cacheable mapping; the shared-multi-heap policy maps it to no heap. "
                    "Keep one type",
                )
            elif not arch and v & A.DT_MEM_NON_CACHEABLE and not v & A.DT_MEM_CACHEABLE:
                yield Finding(
                    _where(n), n.path,
                    "DT_MEM_NON_CACHEABLE without an ARM MPU region type: Zephyr's ARM MPU driver "
                    "programs no MPU region for it (mpu_configure_regions_from_dt skips values "
                    "without an ATTR_MPU_* type), so the memory keeps the default cacheable "
                    "mapping; add DT_MEM_ARM(ATTR_MPU_RAM_NOCACHE)",
                )


def _arm_mpu_types(arch_field: int) -> list[str]:
    """The ARM MPU region types (``RAM``, ``RAM_NOCACHE``...) set in an architecture field."""
    return [name.removeprefix("ARM_MPU_") for name, bit in A.ARCH_BITS["arm"].items()
            if arch_field & bit and bit != A.DT_MEM_ARCH_ATTR_UNKNOWN]


@rule(
    "attr-arm-mpu-type-missing",
    "warning",
    "on arm, a DMA region with generic attribute bits only: no MPU region and no heap",
    """
On arm (AArch32 with an MPU) the zephyr,memory-attr value declares DT_MEM_DMA (usually with
DT_MEM_CACHEABLE) but no ARM MPU region type (DT_MEM_ARM(ATTR_MPU_*)) and no software
allocation bit, and the shared-multi-heap policy maps it to no attribute.

Why it matters: Zephyr's ARM MPU driver (mpu_configure_regions_from_dt) programs MPU regions
only for values whose architecture field is exactly one ATTR_MPU_* type and skips the rest,
so the memory keeps the default mapping of the SRAM around it (cacheable); and the arm
shared-multi-heap policy maps regions by that same MPU type, so the region the author meant
for DMA buffers is no heap at all: every allocation for it comes from somewhere else, or
fails. Nothing in the build says so.

A value with DT_MEM_NON_CACHEABLE and no MPU type is worse (the memory stays cacheable
although it says otherwise) and is the error attr-conflict. Regions with software allocation
bits are mem_attr_heap heaps and are not reported; neither are values without DT_MEM_DMA
(upstream's mem_attr tests use DT_MEM_CACHEABLE alone for regions that are not heaps).

Fix: add the MPU type the memory needs: DT_MEM_ARM(ATTR_MPU_RAM) for cacheable memory,
DT_MEM_ARM(ATTR_MPU_RAM_NOCACHE) (without DT_MEM_CACHEABLE) for DMA memory that must not be
cached (#include <zephyr/dt-bindings/memory-attr/memory-attr-arm.h>).
""",
)
def check_arm_mpu_type_missing(ctx: Context) -> Iterator[Finding]:
    for n in ctx.attr_nodes:
        v = n.attr
        d = _decoding(ctx, n)
        if d.arch_family != "arm" or v & A.DT_MEM_ARCH_ATTR_MASK or n.has_sw_alloc:
            continue
        if not v & A.DT_MEM_DMA or n.smh_attr is not None or not n.regs:
            continue
        if v & A.DT_MEM_NON_CACHEABLE and not v & A.DT_MEM_CACHEABLE:
            continue  # attr-conflict
        yield Finding(
            _where(n), n.path,
            f"zephyr,memory-attr {v:#010x} ({d.describe()}) has no ARM MPU region type: Zephyr's "
            "ARM MPU driver programs no MPU region for it (the memory keeps the default "
            "cacheable mapping) and the shared-multi-heap policy, which maps by that type, "
            "makes no heap of it; add DT_MEM_ARM(ATTR_MPU_RAM) (cacheable) or "
            "DT_MEM_ARM(ATTR_MPU_RAM_NOCACHE) (without DT_MEM_CACHEABLE)",
        )


@rule(
    "attr-arch-mismatch",
    "warning",
    "zephyr,memory-attr uses architecture bits of another architecture",
    """
Bits 20-31 of zephyr,memory-attr mean different things on each architecture (DT_MEM_ARM(x),
DT_MEM_RISCV(x), DT_MEM_XTENSA(x) and DT_MEM_ARM64(x) all shift into the same field). This
rule fires when the value's architecture bits are not defined for the board's architecture
but are for another one - e.g. DT_MEM_ARM(ATTR_MPU_RAM) (0x00100000) on an arm64 board, where
it means nothing, or any architecture bits on x86/posix, which have no such header. The
string encodings are read per architecture: "RAM" / "RAM_NOCACHE" become the generic
CACHEABLE / NON_CACHEABLE bits off AArch32 (so they are never flagged), the other strings
("FLASH", "IO", ...) are ARM MPU types and count as ARM bits.

Why it matters: the overlay was written for another board. The architecture code that reads
the field (ARM MPU, arm64 MMU) ignores or misreads it, and the shared-multi-heap policy of the
board's architecture maps the region by other bits (on arm64: DT_MEM_CACHEABLE), so a region
meant to be cacheable can end up non-cacheable.

Only runs when the architecture is known (--arch or the board).

Fix: use the macros of the board's architecture header, or only the generic DT_MEM_* bits.
""",
)
def check_arch_mismatch(ctx: Context) -> Iterator[Finding]:
    arch = ctx.options.arch
    if not arch:
        return
    family = A.arch_family(arch)
    for n in ctx.attr_nodes:
        field = n.attr & A.DT_MEM_ARCH_ATTR_MASK & ~A.DT_MEM_ARCH_ATTR_UNKNOWN
        if not field:
            continue
        if family is not None:
            defined = sum(A.ARCH_BITS[family].values())
            if field & ~defined == 0:
                continue
        others = _arch_known_elsewhere(field, family)
        if family is not None and not others:
            continue  # undefined everywhere: attr-unknown-bits
        meaning = "; ".join(f"{'|'.join(names)} on {fam}" for fam, names in others.items())
        where = f"not defined for {arch}" if family else f"meaningless on {arch}"
        yield Finding(
            _where(n), n.path,
            f"architecture bits {field:#010x} of zephyr,memory-attr are {where}"
            + (f" (they read as {meaning})" if meaning else ""),
        )


@rule(
    "attr-deprecated-encoding",
    "warning",
    "a string attribute or zephyr,memory-region-mpu is used instead of the integer form",
    """
The memory attribute is written in one of the older encodings: the 2023 string form of
zephyr,memory-attr ("RAM", "RAM_NOCACHE", "FLASH", "PPB", "IO", "EXTMEM") or the deprecated
zephyr,memory-region-mpu property. Current Zephyr declares zephyr,memory-attr as an integer
bitmask; the string forms fail Zephyr's binding type check (or only produce a deprecation
warning for zephyr,memory-region-mpu) and are ignored by the int-era mem_attr code.

The strings are read as upstream's string-era code read them: "RAM" is cacheable and
"RAM_NOCACHE" non-cacheable on every architecture. The message gives the replacement for the
board's architecture, one that attr-arch-mismatch accepts: on AArch32
    zephyr,memory-attr = <( DT_MEM_ARM(ATTR_MPU_RAM_NOCACHE) )>;
(#include <zephyr/dt-bindings/memory-attr/memory-attr-arm.h>), elsewhere (arm64 included)
    zephyr,memory-attr = <( DT_MEM_NON_CACHEABLE )>;
(#include <zephyr/dt-bindings/memory-attr/memory-attr.h>). Off AArch32 the other strings
("FLASH", "IO", ...) are ARM MPU region types with no replacement and make no heap.
""",
)
def check_deprecated(ctx: Context) -> Iterator[Finding]:
    for n in ctx.attr_nodes:
        if n.attr_encoding not in ("string", "mpu-string"):
            continue
        raw = n.attr_raw
        prop = "zephyr,memory-region-mpu" if n.attr_encoding == "mpu-string" else "zephyr,memory-attr"
        if isinstance(raw, str) and raw in A.STRING_ATTRS:
            message = A.deprecation_message(prop, raw, ctx.options.arch)
        else:  # a hand-built layout
            message = f"{prop} = \"{raw}\" is a deprecated encoding; write zephyr,memory-attr = <( ... )>;"
        yield Finding(_where(n), n.path, message)


@rule(
    "attr-unmapped",
    "info",
    "a region with zephyr,memory-attr maps to no shared-multi-heap attribute",
    """
The region carries zephyr,memory-attr but the shared-multi-heap mapping policy (the board's,
or the default for the architecture: on arm the ARM MPU type RAM -> CACHEABLE, RAM_NOCACHE ->
NON_CACHEABLE, EXTMEM -> EXTERNAL; elsewhere DT_MEM_CACHEABLE -> CACHEABLE, else
NON_CACHEABLE) gives it no SMH attribute, so it is not added to the pool.

Often intended: mem_attr-only regions (flash, MMIO) and mem_attr_heap regions (software
allocation bits) are not SMH heaps. So the rule is off by default and informational: turn it
on with --enable attr-unmapped to list the regions left out and why, and raise it with
--severity attr-unmapped=warning if every attributed region is meant to be a heap.
""",
    default_enabled=False,
)
def check_unmapped(ctx: Context) -> Iterator[Finding]:
    for n in ctx.attr_nodes:
        if n.smh_attr is None and n.regs:
            why = f": {n.unmapped_reason}" if n.unmapped_reason else ""
            sw = " (its software bits still make it a mem_attr_heap heap)" if n.has_sw_alloc else ""
            yield Finding(
                _where(n), n.path,
                f"zephyr,memory-attr {n.attr:#010x} maps to no shared-multi-heap attribute{why}{sw}",
            )
