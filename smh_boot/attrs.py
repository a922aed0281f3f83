"""The ``zephyr,memory-attr`` value: bit constants and decoding (pure; no devicetree import).

The 32-bit value has three fields (Zephyr ``include/zephyr/dt-bindings/memory-attr/*.h``,
newest layout; the same numbers are in ``dts/include`` for devicetree sources)::

    bits  0-15  generic       DT_MEM_CACHEABLE ... DT_MEM_USERSPACE, marker DT_MEM_UNKNOWN (15)
    bits 16-19  software      DT_MEM_SW_ALLOC_CACHE/NON_CACHE/DMA, marker bit 19
    bits 20-31  architecture  meaning depends on the architecture, marker bit 31

The ``*_GET`` helpers only mask: fields are compared in place, never shifted down.

Architecture bits are named only for the architecture families that have a header (``arm``,
``arm64``, ``riscv``, ``xtensa``); elsewhere the field is kept as a number
(:attr:`AttrDecoding.arch_value`) and not judged, since no header gives it a meaning there.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

# --------------------------------------------------------------------------- fields

DT_MEM_ATTR_MASK = 0x0000FFFF
DT_MEM_ATTR_SHIFT = 0
DT_MEM_SW_ATTR_MASK = 0x000F0000
DT_MEM_SW_ATTR_SHIFT = 16
DT_MEM_ARCH_ATTR_MASK = 0xFFF00000
DT_MEM_ARCH_ATTR_SHIFT = 20

DT_MEM_UNKNOWN = 1 << 15
DT_MEM_SW_ATTR_UNKNOWN = 1 << 19
DT_MEM_ARCH_ATTR_UNKNOWN = 1 << 31

# --------------------------------------------------------------------------- generic bits

DT_MEM_CACHEABLE = 1 << 0
DT_MEM_NON_VOLATILE = 1 << 1
DT_MEM_OOO = 1 << 2
DT_MEM_DMA = 1 << 3
DT_MEM_READABLE = 1 << 4
DT_MEM_WRITABLE = 1 << 5
DT_MEM_EXECUTABLE = 1 << 6
DT_MEM_SHAREABLE = 1 << 7
DT_MEM_NON_CACHEABLE = 1 << 8
DT_MEM_USERSPACE = 1 << 9
DT_MEM_PERM_MASK = DT_MEM_READABLE | DT_MEM_WRITABLE | DT_MEM_EXECUTABLE

# --------------------------------------------------------------------------- software bits

DT_MEM_SW_MASK = DT_MEM_SW_ATTR_MASK
DT_MEM_ARM_MASK = DT_MEM_ARM64_MASK = DT_MEM_RISCV_MASK = DT_MEM_XTENSA_MASK = DT_MEM_ARCH_ATTR_MASK
DT_MEM_SW_ALLOC_CACHE = 1 << 16
DT_MEM_SW_ALLOC_NON_CACHE = 1 << 17
DT_MEM_SW_ALLOC_DMA = 1 << 18

# --------------------------------------------------------------------------- architecture bits

DT_MEM_ARM_MPU_RAM = 1 << 20
DT_MEM_ARM_MPU_RAM_NOCACHE = 1 << 21
DT_MEM_ARM_MPU_FLASH = 1 << 22
DT_MEM_ARM_MPU_PPB = 1 << 23
DT_MEM_ARM_MPU_IO = 1 << 24
DT_MEM_ARM_MPU_EXTMEM = 1 << 25
DT_MEM_ARM_MPU_RAM_PXN = 1 << 26
DT_MEM_ARM_MPU_DEVICE = 1 << 27
DT_MEM_ARM_MPU_RAM_WT = 1 << 28
DT_MEM_ARM_MPU_UNKNOWN = DT_MEM_ARCH_ATTR_UNKNOWN

DT_MEM_ARM64_CACHE_WB = 1 << 21  #: ``DT_MEM_ARM64(ATTR_ARM64_CACHE_WB)``
DT_MEM_ARM64_MMU_NORMAL_NC = 0
DT_MEM_ARM64_MMU_NORMAL_WT = DT_MEM_CACHEABLE
DT_MEM_ARM64_MMU_NORMAL = DT_MEM_CACHEABLE | DT_MEM_ARM64_CACHE_WB
DT_MEM_ARM64_MMU_UNKNOWN = DT_MEM_ARCH_ATTR_UNKNOWN

DT_MEM_RISCV_TYPE_MAIN = 1 << 20
DT_MEM_RISCV_TYPE_IO = 1 << 21
DT_MEM_RISCV_TYPE_EMPTY = 1 << 22
DT_MEM_RISCV_AMO_SWAP = 1 << 23
DT_MEM_RISCV_AMO_LOGICAL = 1 << 24
DT_MEM_RISCV_AMO_ARITHMETIC = 1 << 25
DT_MEM_RISCV_IO_IDEMPOTENT_READ = 1 << 26
DT_MEM_RISCV_IO_IDEMPOTENT_WRITE = 1 << 27
DT_MEM_RISCV_UNKNOWN = DT_MEM_ARCH_ATTR_UNKNOWN

DT_MEM_XTENSA_INSTR_ROM = 1 << 20
DT_MEM_XTENSA_INSTR_RAM = 1 << 21
DT_MEM_XTENSA_DATA_ROM = 1 << 22
DT_MEM_XTENSA_DATA_RAM = 1 << 23
DT_MEM_XTENSA_XLMI = 1 << 24
DT_MEM_XTENSA_UNKNOWN = DT_MEM_ARCH_ATTR_UNKNOWN


def DT_MEM_SW(x: int) -> int:  # noqa: N802 - the C macro's name
    """``DT_MEM_SW(x)``: a raw software bit moved into its field, truncated to 32 bits as C
    does (so ``DT_MEM_SW(DT_MEM_SW_ATTR_UNKNOWN)`` is 0, which the mem_attr_heap test relies on)."""
    return (x << DT_MEM_SW_ATTR_SHIFT) & 0xFFFFFFFF


def DT_MEM_ARM(x: int) -> int:  # noqa: N802 - the C macro's name
    """``DT_MEM_ARM(x)``: a raw ``ATTR_MPU_*`` bit moved into the architecture field (32 bits)."""
    return (x << DT_MEM_ARCH_ATTR_SHIFT) & 0xFFFFFFFF


# --------------------------------------------------------------------------- name tables
# Names drop the "DT_MEM_" prefix: "CACHEABLE", "SW_ALLOC_DMA", "ARM_MPU_RAM".

GENERIC_BITS: MappingProxyType[str, int] = MappingProxyType({
    "CACHEABLE": DT_MEM_CACHEABLE,
    "NON_VOLATILE": DT_MEM_NON_VOLATILE,
    "OOO": DT_MEM_OOO,
    "DMA": DT_MEM_DMA,
    "READABLE": DT_MEM_READABLE,
    "WRITABLE": DT_MEM_WRITABLE,
    "EXECUTABLE": DT_MEM_EXECUTABLE,
    "SHAREABLE": DT_MEM_SHAREABLE,
    "NON_CACHEABLE": DT_MEM_NON_CACHEABLE,
    "USERSPACE": DT_MEM_USERSPACE,
})

SOFTWARE_BITS: MappingProxyType[str, int] = MappingProxyType({
    "SW_ALLOC_CACHE": DT_MEM_SW_ALLOC_CACHE,
    "SW_ALLOC_NON_CACHE": DT_MEM_SW_ALLOC_NON_CACHE,
    "SW_ALLOC_DMA": DT_MEM_SW_ALLOC_DMA,
})

#: family -> {name: bit} for the architecture field (marker bit 31 excluded).
ARCH_BITS: MappingProxyType[str, MappingProxyType[str, int]] = MappingProxyType({
    "arm": MappingProxyType({
        "ARM_MPU_RAM": DT_MEM_ARM_MPU_RAM,
        "ARM_MPU_RAM_NOCACHE": DT_MEM_ARM_MPU_RAM_NOCACHE,
        "ARM_MPU_FLASH": DT_MEM_ARM_MPU_FLASH,
        "ARM_MPU_PPB": DT_MEM_ARM_MPU_PPB,
        "ARM_MPU_IO": DT_MEM_ARM_MPU_IO,
        "ARM_MPU_EXTMEM": DT_MEM_ARM_MPU_EXTMEM,
        "ARM_MPU_RAM_PXN": DT_MEM_ARM_MPU_RAM_PXN,
        "ARM_MPU_DEVICE": DT_MEM_ARM_MPU_DEVICE,
        "ARM_MPU_RAM_WT": DT_MEM_ARM_MPU_RAM_WT,
    }),
    "arm64": MappingProxyType({"ARM64_CACHE_WB": DT_MEM_ARM64_CACHE_WB}),
    "riscv": MappingProxyType({
        "RISCV_TYPE_MAIN": DT_MEM_RISCV_TYPE_MAIN,
        "RISCV_TYPE_IO": DT_MEM_RISCV_TYPE_IO,
        "RISCV_TYPE_EMPTY": DT_MEM_RISCV_TYPE_EMPTY,
        "RISCV_AMO_SWAP": DT_MEM_RISCV_AMO_SWAP,
        "RISCV_AMO_LOGICAL": DT_MEM_RISCV_AMO_LOGICAL,
        "RISCV_AMO_ARITHMETIC": DT_MEM_RISCV_AMO_ARITHMETIC,
        "RISCV_IO_IDEMPOTENT_READ": DT_MEM_RISCV_IO_IDEMPOTENT_READ,
        "RISCV_IO_IDEMPOTENT_WRITE": DT_MEM_RISCV_IO_IDEMPOTENT_WRITE,
    }),
    "xtensa": MappingProxyType({
        "XTENSA_INSTR_ROM": DT_MEM_XTENSA_INSTR_ROM,
        "XTENSA_INSTR_RAM": DT_MEM_XTENSA_INSTR_RAM,
        "XTENSA_DATA_ROM": DT_MEM_XTENSA_DATA_ROM,
        "XTENSA_DATA_RAM": DT_MEM_XTENSA_DATA_RAM,
        "XTENSA_XLMI": DT_MEM_XTENSA_XLMI,
    }),
})

#: family -> name of its bit-31 marker macro (without DT_MEM_).
_ARCH_MARKER = MappingProxyType({
    "arm": "ARM_MPU_UNKNOWN",
    "arm64": "ARM64_MMU_UNKNOWN",
    "riscv": "RISCV_UNKNOWN",
    "xtensa": "XTENSA_UNKNOWN",
})

#: Transitional string enum of ``zephyr,memory-attr`` (2023) and the strings of the deprecated
#: ``zephyr,memory-region-mpu``: string -> (int-era value, replacement macro text).
STRING_ATTRS: MappingProxyType[str, tuple[int, str]] = MappingProxyType({
    "RAM": (DT_MEM_ARM_MPU_RAM, "DT_MEM_ARM(ATTR_MPU_RAM)"),
    "RAM_NOCACHE": (DT_MEM_ARM_MPU_RAM_NOCACHE, "DT_MEM_ARM(ATTR_MPU_RAM_NOCACHE)"),
    "FLASH": (DT_MEM_ARM_MPU_FLASH, "DT_MEM_ARM(ATTR_MPU_FLASH)"),
    "PPB": (DT_MEM_ARM_MPU_PPB, "DT_MEM_ARM(ATTR_MPU_PPB)"),
    "IO": (DT_MEM_ARM_MPU_IO, "DT_MEM_ARM(ATTR_MPU_IO)"),
    "EXTMEM": (DT_MEM_ARM_MPU_EXTMEM, "DT_MEM_ARM(ATTR_MPU_EXTMEM)"),
})

#: The enum of ``zephyr,memory-region-mpu`` had no EXTMEM.
MPU_STRING_ATTRS: frozenset[str] = frozenset({"RAM", "RAM_NOCACHE", "FLASH", "PPB", "IO"})

#: The two old strings with a meaning on every architecture.  Upstream's string-era
#: shared_multi_heap test took the enum index (RAM = 0 -> SMH CACHEABLE, RAM_NOCACHE = 1 ->
#: NON_CACHEABLE) whatever the architecture, arm64 included; elsewhere than AArch32 the
#: int-era equivalent is the generic bit the architecture's policy keys on.
GENERIC_STRING_ATTRS: MappingProxyType[str, tuple[int, str]] = MappingProxyType({
    "RAM": (DT_MEM_CACHEABLE, "DT_MEM_CACHEABLE"),
    "RAM_NOCACHE": (DT_MEM_NON_CACHEABLE, "DT_MEM_NON_CACHEABLE"),
})

_HEADER_ARM = "<zephyr/dt-bindings/memory-attr/memory-attr-arm.h>"
_HEADER_GENERIC = "<zephyr/dt-bindings/memory-attr/memory-attr.h>"


@dataclass(frozen=True, slots=True)
class StringAttr:
    """What an old string attribute means on one architecture: the int-era ``value`` the
    boot uses, the ``replacement`` expression to write (None when the architecture has
    none: an ARM MPU region type other than RAM/RAM_NOCACHE off AArch32) and its ``header``."""

    text: str
    value: int
    replacement: str | None
    header: str

    @property
    def heap_capable(self) -> bool:
        """RAM and RAM_NOCACHE (on every architecture) or any ARM MPU type on AArch32 (the
        ARM policy decides); the other ARM types elsewhere are no shared-multi-heap memory."""
        return self.replacement is not None and (
            self.text in GENERIC_STRING_ATTRS or self.header == _HEADER_ARM
        )

    def hint(self, arch: str | None) -> str:
        """``write zephyr,memory-attr = <( X )>; (#include <...>)`` or why there is none."""
        if self.replacement is None:
            return (f"\"{self.text}\" is an ARM MPU region type with no meaning on {arch}: delete "
                    "it, or describe the memory with the generic DT_MEM_* bits "
                    f"(#include {_HEADER_GENERIC})")
        return f"write zephyr,memory-attr = <( {self.replacement} )>; (#include {self.header})"


def string_attr(text: str, arch: str | None) -> StringAttr:
    """The meaning of the old string ``text`` (a key of :data:`STRING_ATTRS`) for ``arch``.

    AArch32: the ARM MPU type (``DT_MEM_ARM(ATTR_MPU_RAM)``...), which the ARM policy maps.
    Every other architecture (and an unknown one): RAM -> ``DT_MEM_CACHEABLE``, RAM_NOCACHE ->
    ``DT_MEM_NON_CACHEABLE``, which the generic policy maps to the same SMH attributes;
    the other strings keep their ARM value and have no replacement.  KeyError for other text."""
    value, macro = STRING_ATTRS[text]
    if arch_family(arch) == "arm":
        return StringAttr(text, value, macro, _HEADER_ARM)
    if text in GENERIC_STRING_ATTRS:
        gvalue, gmacro = GENERIC_STRING_ATTRS[text]
        return StringAttr(text, gvalue, gmacro, _HEADER_GENERIC)
    return StringAttr(text, value, None, _HEADER_ARM)

_FAMILIES = MappingProxyType({
    "arm": "arm", "aarch32": "arm", "arm32": "arm", "cortex-m": "arm", "cortex-r": "arm",
    "arm64": "arm64", "aarch64": "arm64",
    "riscv": "riscv", "riscv32": "riscv", "riscv64": "riscv",
    "xtensa": "xtensa",
})

_GENERIC_DEFINED = sum(GENERIC_BITS.values()) | DT_MEM_UNKNOWN
_SW_DEFINED = sum(SOFTWARE_BITS.values()) | DT_MEM_SW_ATTR_UNKNOWN


def arch_family(arch: str | None) -> str | None:
    """The dt-bindings header family for an architecture name: ``"arm"`` (AArch32),
    ``"arm64"``, ``"riscv"`` or ``"xtensa"``; None for architectures without one (``x86``,
    ``posix``) and for None."""
    if arch is None:
        return None
    return _FAMILIES.get(arch.strip().lower())


@dataclass(frozen=True, slots=True)
class AttrDecoding:
    """A ``zephyr,memory-attr`` value split into named bits.

    ``generic``/``software``/``arch_bits`` hold names without the ``DT_MEM_`` prefix;
    ``markers`` the ``*_UNKNOWN`` markers that are set; ``unknown_bits`` the bits no header
    defines (the architecture field only counts when ``arch_family`` is known);
    ``arch_value`` the raw architecture field without its marker.  ``cacheable`` is True/False
    when the value says so (generic CACHEABLE / NON_CACHEABLE, else the ARM MPU RAM types),
    None when it says nothing or contradicts itself; ``dma`` is DMA or SW_ALLOC_DMA."""

    value: int
    generic: tuple[str, ...]
    software: tuple[str, ...]
    arch_bits: tuple[str, ...]
    arch_family: str | None
    unknown_bits: int
    markers: tuple[str, ...]
    arch_value: int
    cacheable: bool | None
    dma: bool

    def describe(self) -> str:
        """``"CACHEABLE|DMA|SW_ALLOC_CACHE|ARM_MPU_RAM"``; ``"0"`` for no bits; an architecture
        field that cannot be named appears as ``ARCH(0x...)``, undefined bits as
        ``UNDEFINED(0x...)``."""
        parts = [*self.generic, *self.software, *self.arch_bits]
        if self.arch_family is None and self.arch_value:
            parts.append(f"ARCH({self.arch_value:#x})")
        parts += self.markers
        if self.unknown_bits:
            parts.append(f"UNDEFINED({self.unknown_bits:#x})")
        return "|".join(parts) if parts else "0"


def _names(value: int, table: MappingProxyType[str, int]) -> tuple[str, ...]:
    return tuple(name for name, bit in table.items() if value & bit)


def _cacheable(value: int, family: str | None) -> bool | None:
    c, nc = bool(value & DT_MEM_CACHEABLE), bool(value & DT_MEM_NON_CACHEABLE)
    if c != nc:
        return c
    if c and nc:
        return None  # contradicts itself; validation reports it
    if family == "arm":
        arch = value & DT_MEM_ARCH_ATTR_MASK
        if arch in (DT_MEM_ARM_MPU_RAM, DT_MEM_ARM_MPU_RAM_WT):
            return True
        if arch == DT_MEM_ARM_MPU_RAM_NOCACHE:
            return False
    return None


def decode_attr(value: int, arch: str | None = None) -> AttrDecoding:
    """Split a 32-bit ``zephyr,memory-attr`` value into named bits for ``arch``.

    Raises ValueError for values outside 0..0xFFFFFFFF (the property is one 32-bit cell)."""
    if not 0 <= value <= 0xFFFFFFFF:
        raise ValueError(f"memory attribute {value:#x} does not fit in 32 bits")
    family = arch_family(arch)
    markers = []
    if value & DT_MEM_UNKNOWN:
        markers.append("UNKNOWN")
    if value & DT_MEM_SW_ATTR_UNKNOWN:
        markers.append("SW_ATTR_UNKNOWN")
    if value & DT_MEM_ARCH_ATTR_UNKNOWN:
        markers.append(_ARCH_MARKER.get(family or "", "ARCH_ATTR_UNKNOWN"))
    arch_value = value & DT_MEM_ARCH_ATTR_MASK & ~DT_MEM_ARCH_ATTR_UNKNOWN
    unknown = (value & DT_MEM_ATTR_MASK & ~_GENERIC_DEFINED) | (
        value & DT_MEM_SW_ATTR_MASK & ~_SW_DEFINED
    )
    arch_names: tuple[str, ...] = ()
    if family is not None:
        table = ARCH_BITS[family]
        arch_names = _names(arch_value, table)
        unknown |= arch_value & ~sum(table.values())
    return AttrDecoding(
        value=value,
        generic=_names(value, GENERIC_BITS),
        software=_names(value, SOFTWARE_BITS),
        arch_bits=arch_names,
        arch_family=family,
        unknown_bits=unknown,
        markers=tuple(markers),
        arch_value=arch_value,
        cacheable=_cacheable(value, family),
        dma=bool(value & (DT_MEM_DMA | DT_MEM_SW_ALLOC_DMA)),
    )


def deprecation_message(prop_name: str, text: str, arch: str | None) -> str:
    """The one message of an old string encoding (the devicetree front end's warning and the
    validator's ``attr-deprecated-encoding`` finding say the same)."""
    return f"{prop_name} = \"{text}\" is a deprecated encoding; {string_attr(text, arch).hint(arch)}"
