"""The memory-map data model: plain records the renderers draw.

Nothing here knows about devicetrees, boards or the boot stage.  The boot stage (or a test)
fills a :class:`MemoryMap`; :mod:`.svg`, :mod:`.html` and :mod:`.text` render it.  Every record
is a frozen dataclass; sequences are stored as tuples so a map can be shared safely.
Constructors check what the renderers rely on and raise :class:`ValueError` (a caller bug, not
user input) with a message that names the offending record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from ..units import with_hex

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .heap_report import HeapReport

#: ``Band.kind`` values: a memory node, a region inside/beside one, or a reserved range.
BAND_KINDS = ("memory", "region", "reserved")
#: ``Band.attr`` values (the shared multi-heap attributes); ``None`` = no SMH attribute.
BAND_ATTRS = ("cacheable", "non-cacheable", "external")
#: the ``format`` field of the map's JSON document
MAP_FORMAT = "smh-boot-map/1"
#: ``MapFinding.kind`` values the renderers draw specially; any other kind is listed only.
DRAWN_FINDING_KINDS = ("overlap", "gap")


def _check_range(what: str, addr: int, size: int) -> None:
    if not isinstance(addr, int) or addr < 0:
        raise ValueError(f"{what}: address must be an int >= 0, got {addr!r}")
    if not isinstance(size, int) or size < 0:
        raise ValueError(f"{what}: size must be an int >= 0, got {size!r}")


@dataclass(frozen=True)
class Allocation:
    """A live heap block: ``size`` bytes at ``addr`` inside the band named ``region``,
    owned by device ``owner`` (``None`` when nobody claimed it)."""

    addr: int
    size: int
    owner: str | None
    region: str

    def __post_init__(self) -> None:
        _check_range(f"allocation at {self.addr!r} in {self.region!r}", self.addr, self.size)

    @property
    def end(self) -> int:
        """First address after the block."""
        return self.addr + self.size

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (integers, plus ``addr_hex``)."""
        return with_hex({"addr": self.addr, "size": self.size, "owner": self.owner,
                         "region": self.region}, "addr")


@dataclass(frozen=True)
class MapFinding:
    """A validator finding placed on the map.

    ``kind`` is ``"overlap"`` or ``"gap"`` (drawn over the address range) or any other word
    (listed under the map).  ``addr`` is ``None`` for findings without an address range.
    ``rule`` is the validator's rule id, ``node`` the devicetree path it is about and
    ``location`` where in the sources (``file:line[:col]``), both None when unknown."""

    kind: str
    addr: int | None
    size: int
    message: str
    rule: str | None = None
    node: str | None = None
    location: str | None = None

    def __post_init__(self) -> None:
        if self.addr is not None:
            _check_range(f"{self.kind} finding", self.addr, self.size)

    @property
    def end(self) -> int | None:
        """First address after the finding's range, or None without an address."""
        return None if self.addr is None else self.addr + self.size

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (integers, plus ``addr_hex``)."""
        return with_hex({
            "kind": self.kind,
            "addr": self.addr,
            "size": self.size,
            "message": self.message,
            "rule": self.rule,
            "node": self.node,
            "location": self.location,
        }, "addr")


@dataclass(frozen=True)
class Band:
    """One address range drawn as a band: a memory node, a region or a reserved range.

    ``attr`` is the SMH attribute (``"cacheable"``, ``"non-cacheable"``, ``"external"`` or
    ``None``); ``dma`` says whether DMA masters can reach it; ``attr_bits`` is the decoded
    ``zephyr,memory-attr`` text shown in tooltips and tables; ``heap`` the heap report of the
    region (None when it holds no heap); ``parent`` the name of the enclosing band.

    ``name`` is what the map calls the band (the ``zephyr,memory-region`` name or the node's
    label, e.g. ``OCRAM1``); ``node`` the devicetree node name shown beside it
    (``ocram@20240000``) and ``location`` where it is defined (``file:line``).
    ``kernel_ram`` marks the kernel's RAM (``chosen zephyr,sram``); ``refused`` is the reason
    the boot refused to make the region a heap (None when it did not refuse it)."""

    name: str
    addr: int
    size: int
    kind: str = "memory"
    attr: str | None = None
    dma: bool = False
    attr_bits: str = ""
    heap: HeapReport | None = None
    parent: str | None = None
    node: str | None = None
    location: str | None = None
    kernel_ram: bool = False
    refused: str | None = None

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("band: name must not be empty")
        _check_range(f"band {self.name!r}", self.addr, self.size)
        if self.kind not in BAND_KINDS:
            raise ValueError(f"band {self.name!r}: kind {self.kind!r} is not one of {BAND_KINDS}")
        if self.attr is not None and self.attr not in BAND_ATTRS:
            raise ValueError(f"band {self.name!r}: attr {self.attr!r} is not one of {BAND_ATTRS}")

    @property
    def end(self) -> int:
        """First address after the band."""
        return self.addr + self.size

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the heap report nested as its own dict)."""
        return with_hex({
            "name": self.name,
            "node": self.node,
            "addr": self.addr,
            "size": self.size,
            "kind": self.kind,
            "attr": self.attr,
            "dma": self.dma,
            "attr_bits": self.attr_bits,
            "parent": self.parent,
            "kernel_ram": self.kernel_ram,
            "refused": self.refused,
            "location": self.location,
            "heap": None if self.heap is None else self.heap.to_dict(),
        }, "addr")


def _band_key(b: Band) -> tuple[int, int, str]:
    # Low addresses first; at one address the bigger (enclosing) band first.
    return (b.addr, -b.size, b.name)


@dataclass(frozen=True)
class RefusedRegion:
    """A heap region the boot refused (not added to the pool): drawn on the map apart, with
    its reason, so a dropped region is never silent."""

    name: str
    path: str
    addr: int
    size: int
    attr: str | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (integers, plus ``addr_hex``)."""
        return with_hex({"name": self.name, "path": self.path, "addr": self.addr,
                         "size": self.size, "attr": self.attr, "reason": self.reason}, "addr")


@dataclass(frozen=True)
class MemoryMap:
    """Everything a memory-map picture shows.

    ``bands``, ``allocations`` and ``findings`` may be given in any order (as any iterable):
    they are stored sorted by address so every rendering is deterministic."""

    title: str
    address_bits: int = 32
    bands: tuple[Band, ...] = ()
    allocations: tuple[Allocation, ...] = ()
    findings: tuple[MapFinding, ...] = field(default=())
    #: heap regions the boot refused, by address (each also drawn as its band, crossed out)
    refused: tuple[RefusedRegion, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.address_bits, int) or not 1 <= self.address_bits <= 64:
            raise ValueError(f"memory map: address_bits must be 1..64, got {self.address_bits!r}")
        bands = tuple(sorted(self.bands, key=_band_key))
        allocs = tuple(sorted(self.allocations, key=lambda a: (a.addr, a.size, a.region)))
        findings = tuple(
            sorted(self.findings, key=lambda f: (f.addr is None, f.addr or 0, f.kind, f.message))
        )
        object.__setattr__(self, "bands", bands)
        object.__setattr__(self, "allocations", allocs)
        object.__setattr__(self, "findings", findings)
        object.__setattr__(self, "refused", tuple(sorted(self.refused, key=lambda r: (r.addr, r.name))))
        self._check_names()

    def _check_names(self) -> None:
        names: set[str] = set()
        for b in self.bands:
            if b.name in names:
                raise ValueError(f"memory map: two bands are named {b.name!r}; names must be unique")
            names.add(b.name)
        for b in self.bands:
            if b.parent is not None and b.parent not in names:
                raise ValueError(f"band {b.name!r}: parent {b.parent!r} is not a band of this map")
        for a in self.allocations:
            if a.region not in names:
                raise ValueError(
                    f"allocation at {a.addr:#x}: region {a.region!r} is not a band of this map"
                )
        for b in self.bands:
            self.depth(b)  # raises on a parent cycle

    def band(self, name: str) -> Band:
        """The band called ``name`` (KeyError if there is none)."""
        for b in self.bands:
            if b.name == name:
                return b
        raise KeyError(name)

    def depth(self, band: Band) -> int:
        """Nesting depth of ``band``: 0 without a parent, parent's depth + 1 otherwise."""
        seen = {band.name}
        depth, cur = 0, band
        while cur.parent is not None:
            if cur.parent in seen:
                raise ValueError(f"band {band.name!r}: parent chain loops through {cur.parent!r}")
            seen.add(cur.parent)
            cur = self.band(cur.parent)
            depth += 1
        return depth

    def allocations_in(self, name: str) -> tuple[Allocation, ...]:
        """Live allocations of the band called ``name``, by address."""
        return self._by_region.get(name, ())

    @cached_property
    def _by_region(self) -> dict[str, tuple[Allocation, ...]]:
        groups: dict[str, list[Allocation]] = {}
        for a in self.allocations:
            groups.setdefault(a.region, []).append(a)
        return {k: tuple(v) for k, v in groups.items()}

    def owners(self) -> tuple[str | None, ...]:
        """Every distinct allocation owner, sorted (``None`` last)."""
        found = {a.owner for a in self.allocations}
        return tuple(sorted((o for o in found if o is not None))) + ((None,) if None in found else ())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``smh-boot map --format json``; schema :data:`MAP_FORMAT`)."""
        return {
            "format": MAP_FORMAT,
            "title": self.title,
            "address_bits": self.address_bits,
            "bands": [b.to_dict() for b in self.bands],
            "allocations": [a.to_dict() for a in self.allocations],
            "findings": [f.to_dict() for f in self.findings],
            "refused": [r.to_dict() for r in self.refused],
        }


def memory_map(
    title: str,
    bands: Iterable[Band],
    allocations: Iterable[Allocation] = (),
    findings: Iterable[MapFinding] = (),
    *,
    address_bits: int = 32,
) -> MemoryMap:
    """Build a :class:`MemoryMap` from any iterables (lists, generators)."""
    return MemoryMap(title, address_bits, tuple(bands), tuple(allocations), tuple(findings))
