"""Emulated physical address space.

Regions are mapped at their physical addresses and backed by anonymous memory maps
(``MAP_NORESERVE``): a 4 GiB region costs nothing until a page of it is written, and reads of
untouched memory return zeros.  An access outside every mapped region raises
:class:`~smh_boot.errors.BusFault` naming the address.

The heap does not go through :meth:`AddressSpace.read` for its headers: it asks for
:meth:`AddressSpace.view` once and keeps a ``memoryview`` of its own region's bytes (the hot
path must not look up the whole address space per header field).  Because that view aliases
the backing, a caller that overruns a buffer through :meth:`AddressSpace.write` damages the
next chunk header exactly as on hardware.
"""

from __future__ import annotations

import bisect
import mmap
from dataclasses import dataclass, field

from ..errors import BusFault, MemoryMapError

#: Linux MAP_NORESERVE (not exported by the mmap module before Python 3.13).
_MAP_NORESERVE = getattr(mmap, "MAP_NORESERVE", 0x4000)

#: Largest single mapping accepted (1 TiB): beyond this the host cannot reserve the range.
MAX_MAPPING = 1 << 40


@dataclass(eq=False)
class MappedRegion:
    """One mapping: ``[base, base + size)`` backed by ``backing`` (an anonymous mmap)."""

    name: str
    base: int
    size: int
    kind: str = "ram"
    backing: mmap.mmap = field(repr=False, default=None)  # type: ignore[assignment]
    view: memoryview = field(repr=False, default=None)  # type: ignore[assignment]

    @property
    def end(self) -> int:
        """One past the last address."""
        return self.base + self.size

    def contains(self, addr: int, size: int = 1) -> bool:
        """True when ``[addr, addr+size)`` lies inside this mapping."""
        return self.base <= addr and addr + size <= self.base + self.size


class AddressSpace:
    """A set of non-overlapping mappings with byte-granular reads and writes.

    ``addr_bits`` bounds the addresses (32 for 32-bit targets, 64 otherwise)."""

    def __init__(self, addr_bits: int = 64):
        self.addr_bits = addr_bits
        self._bases: list[int] = []
        self._regions: list[MappedRegion] = []

    # ------------------------------------------------------------------ mapping
    def map(self, base: int, size: int, name: str, kind: str = "ram") -> MappedRegion:
        """Map ``size`` bytes at ``base``; raises MemoryMapError on overlap or bad size."""
        if size <= 0:
            raise MemoryMapError(f"cannot map '{name}': size {size} is not positive")
        if base < 0 or base + size > (1 << self.addr_bits):
            raise MemoryMapError(
                f"cannot map '{name}' at {base:#x} size {size:#x}: beyond the "
                f"{self.addr_bits}-bit address space"
            )
        if size > MAX_MAPPING:
            raise MemoryMapError(
                f"cannot map '{name}': size {size:#x} exceeds the emulator's limit of "
                f"{MAX_MAPPING:#x} bytes per region"
            )
        i = bisect.bisect_right(self._bases, base)
        for j in (i - 1, i):
            if 0 <= j < len(self._regions):
                r = self._regions[j]
                if r.base < base + size and base < r.end:
                    raise MemoryMapError(
                        f"cannot map '{name}' [{base:#x}, {base + size:#x}): overlaps "
                        f"'{r.name}' [{r.base:#x}, {r.end:#x})"
                    )
        try:
            backing = mmap.mmap(
                -1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | _MAP_NORESERVE
            )
        except (OSError, OverflowError, ValueError) as e:
            raise MemoryMapError(f"cannot map '{name}' ({size:#x} bytes): {e}") from e
        region = MappedRegion(name, base, size, kind, backing, memoryview(backing))
        self._bases.insert(i, base)
        self._regions.insert(i, region)
        return region

    @property
    def regions(self) -> list[MappedRegion]:
        """Mappings in address order."""
        return list(self._regions)

    def find(self, addr: int, size: int = 1) -> MappedRegion | None:
        """The mapping holding all of ``[addr, addr+size)``, or None."""
        i = bisect.bisect_right(self._bases, addr) - 1
        if i >= 0:
            r = self._regions[i]
            if addr + size <= r.end:
                return r
        return None

    def _locate(self, addr: int, size: int, what: str) -> tuple[MappedRegion, int]:
        if size < 0:
            raise MemoryMapError(f"{what} at {addr:#x}: size {size} is negative")
        r = self.find(addr, max(size, 1))
        if r is None:
            raise BusFault(addr, size, what)
        return r, addr - r.base

    # ------------------------------------------------------------------ access
    def view(self, addr: int, size: int) -> memoryview:
        """A writable memoryview aliasing ``[addr, addr+size)`` (must lie in one mapping)."""
        r, off = self._locate(addr, size, "view")
        return r.view[off : off + size]

    def read(self, addr: int, size: int) -> bytes:
        """Read ``size`` bytes."""
        r, off = self._locate(addr, size, "read")
        return bytes(r.view[off : off + size])

    def write(self, addr: int, data: bytes | bytearray | memoryview) -> None:
        """Write ``data`` at ``addr``."""
        n = len(data)
        r, off = self._locate(addr, n, "write")
        r.view[off : off + n] = data

    def fill(self, addr: int, value: int, size: int) -> None:
        """memset()."""
        self.write(addr, bytes([value & 0xFF]) * size)

    def read_u32(self, addr: int) -> int:
        """Little-endian 32-bit load."""
        return int.from_bytes(self.read(addr, 4), "little")

    def write_u32(self, addr: int, value: int) -> None:
        """Little-endian 32-bit store."""
        self.write(addr, (value & 0xFFFFFFFF).to_bytes(4, "little"))
