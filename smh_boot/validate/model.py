"""The validator's own view of a memory layout: plain records, no devicetree objects.

The rules never look at a :class:`~smh_boot.devicetree.Devicetree`; they read a :class:`Layout`
built once by :mod:`smh_boot.validate.adapter`.  Keeping the rule engine on its own small model
means it can be tested with hand-written layouts, and that every rule is a pure function of
data (deterministic, and cheap: nothing is decoded twice).

Locations are whatever the front end provides (``SourceLocation``: ``file``, ``line``,
``column``); the model only passes them through.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: ``(addr, size)`` of one ``reg`` entry, CPU address (after every ``ranges``).
Range = tuple[int, int]


@dataclass(frozen=True)
class RegionRef:
    """One phandle of a device's ``memory-region``/``memory-regions`` property.

    ``target`` is the path of the node it resolves to, or None when the phandle resolves to
    nothing; ``name`` is the matching ``memory-region-names`` entry, if any; ``problem`` says
    why the property could not be read as phandles at all (then ``target`` is None)."""

    prop: str
    target: str | None
    index: int
    name: str | None = None
    location: Any = None
    problem: str | None = None


@dataclass(slots=True)  # slots: 10,000-region trees build 10,000 of these
class LayoutNode:
    """One devicetree node, reduced to what the layout rules need.

    ``regs`` is None when the node has no ``reg`` property (an empty tuple when it has one with
    no entries); ``raw_first_addr`` is the first ``reg`` address *before* ``ranges``
    translation (the unit address is written in the parent's address space).
    """

    path: str
    name: str
    unit_addr: str | None = None
    labels: tuple[str, ...] = ()
    parent: str | None = None
    compatible: tuple[str, ...] = ()
    okay: bool = True
    location: Any = None
    # -- reg / size
    regs: tuple[Range, ...] | None = None
    raw_first_addr: int | None = None
    reg_location: Any = None
    #: where the node's name is written (``memory@30010000 {``), found for nodes whose unit
    #: address disagrees with reg; ``location`` may be an overlay's ``&label {`` instead
    name_location: Any = None
    has_size: bool = False
    size_location: Any = None
    # -- what kind of node this is
    in_reserved_memory: bool = False
    is_memory: bool = False  #: describes memory the regions may live in
    device_type: str | None = None
    # -- reserved-memory flags
    no_map: bool = False
    no_map_location: Any = None
    reusable: bool = False
    reusable_location: Any = None
    # -- zephyr,memory-region
    region_name: str | None = None
    region_name_location: Any = None
    # -- zephyr,memory-attr (None when the node has no attribute property)
    attr: int | None = None
    attr_encoding: str | None = None  #: "int" | "string" | "mpu-string"
    attr_raw: Any = None
    attr_location: Any = None
    decoded: Any = None  #: smh_boot.attrs.AttrDecoding for the board's architecture
    #: SMH attribute the policy maps the region to (None: not a heap region)
    smh_attr: int | None = None
    unmapped_reason: str | None = None
    # -- device side
    refs: tuple[RegionRef, ...] = ()
    needs_dma: bool = False

    @property
    def first(self) -> Range | None:
        """The first ``reg`` entry, or None."""
        return self.regs[0] if self.regs else None

    @property
    def is_region(self) -> bool:
        """A memory region in the sense of the layout rules: a reserved-memory child, a
        ``zephyr,memory-region`` node (by compatible, see :attr:`is_linker_region`), or a node
        carrying ``zephyr,memory-attr``."""
        return self.in_reserved_memory or self.is_linker_region or self.attr is not None

    @property
    def is_linker_region(self) -> bool:
        """Zephyr's linker makes a MEMORY region of this node: its compatible includes
        ``zephyr,memory-region`` (a leftover ``zephyr,memory-region`` property on a node whose
        compatible dropped it makes none)."""
        return "zephyr,memory-region" in self.compatible

    @property
    def has_sw_alloc(self) -> bool:
        """Software allocation bits set (the region becomes a ``mem_attr_heap`` heap)."""
        return self.attr is not None and bool(self.attr & 0x000F0000 & ~0x00080000)

    @property
    def is_heap(self) -> bool:
        """The region becomes a ``sys_heap``: mapped by the SMH policy, or given to
        ``mem_attr_heap`` through software-allocation bits."""
        return self.okay and self.attr is not None and (self.smh_attr is not None or self.has_sw_alloc)


@dataclass
class Layout:
    """All nodes of one devicetree that matter to the rules, in devicetree order."""

    nodes: list[LayoutNode] = field(default_factory=list)
    #: path of the chosen ``zephyr,sram`` node, if any
    sram: str | None = None
    #: the files the layout came from (for reports)
    files: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        self.by_path: dict[str, LayoutNode] = {n.path: n for n in self.nodes}

    def add(self, node: LayoutNode) -> LayoutNode:
        """Append a node (keeps the path index in step)."""
        self.nodes.append(node)
        self.by_path[node.path] = node
        return node

    def get(self, path: str | None) -> LayoutNode | None:
        """The node at ``path`` or None."""
        return self.by_path.get(path) if path is not None else None

    def regions(self) -> list[LayoutNode]:
        """Status-okay regions with a ``reg``, in devicetree order."""
        return [n for n in self.nodes if n.okay and n.is_region and n.regs]

    def memories(self) -> list[LayoutNode]:
        """Status-okay nodes that describe memory (plus the chosen ``zephyr,sram``)."""
        return [n for n in self.nodes if n.okay and n.regs and (n.is_memory or n.path == self.sram)]

    def heaps(self) -> list[LayoutNode]:
        """Regions that become ``sys_heap`` heaps, in devicetree order."""
        return [n for n in self.nodes if n.is_heap and n.regs]


def is_ancestor(a: str, b: str) -> bool:
    """True when node path ``a`` is a proper ancestor of ``b``."""
    if a == "/":
        return b != "/"
    return b.startswith(a) and len(b) > len(a) and b[len(a)] == "/"
