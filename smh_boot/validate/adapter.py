"""From a loaded :class:`~smh_boot.devicetree.Devicetree` to the validator's :class:`Layout`.

One pass over the nodes, in devicetree order.  Attribute values, their decoding and the SMH
mapping come from the front end (``find_regions`` / ``map_to_smh``) so that the validator
judges exactly the records the boot stage will use; everything else is read from the node's
properties through the ``Devicetree`` API (``reg`` decoding, locations, phandles).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..devicetree.model import SourceLocation
from ..devicetree.preprocess import display_path
from ..devicetree.sources import LOC_ATTR
from .model import Layout, LayoutNode, RegionRef
from .options import ValidationOptions

_REF_PROPS = ("memory-region", "memory-regions")
#: property kinds (Devicetree.prop_kind) that can be a list of phandles: <&a &b> or raw <0x5>
_PHANDLE_KINDS = ("phandle", "phandles", "num", "nums")
_KIND_TEXT = {"string": "a string", "strings": "strings", "empty": "no value", "path": "a path",
              "bytes": "bytes"}


def _string(prop: Any) -> str:
    """First string of a property value (NUL-terminated bytes), tolerant of junk."""
    return bytes(prop.value).split(b"\0", 1)[0].decode("utf-8", "replace")


def _strings(prop: Any) -> list[str]:
    raw = bytes(prop.value)
    if raw.endswith(b"\0"):
        raw = raw[:-1]
    return [s.decode("utf-8", "replace") for s in raw.split(b"\0")] if raw else []


def _raw_first_addr(prop: Any, address_cells: int) -> int | None:
    """The first reg address as written (parent's address space, before ``ranges``)."""
    n = 4 * address_cells
    value = bytes(prop.value)
    if address_cells <= 0 or len(value) < n:
        return None
    return int.from_bytes(value[:n], "big")


#: the last token before a node's ``{``: its name (labels before it are skipped)
_NAME_BEFORE_BRACE = re.compile(r"([A-Za-z0-9,._+@#-]+)\s*$")


class _NameFinder:
    """Where a node's name (``memory@30010000 {``) is written.

    The parser keeps only where a node was *last* opened, which for a node an overlay changes
    is the overlay's ``&label {``: no name is written there.  Its properties still remember
    where they were written, so from each one (in the order they were first defined) the
    source is read backwards to the ``{`` that opens the node; the token before it is the
    name when that ``{`` belongs to a definition by name.  Used only for the few nodes a
    finding is about (a unit address that disagrees with ``reg``)."""

    def __init__(self) -> None:
        self._files: dict[str, list[str] | None] = {}

    def _lines(self, file: str) -> list[str] | None:
        if file not in self._files:
            try:
                self._files[file] = Path(file).read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                self._files[file] = None
        return self._files[file]

    def find(self, node: Any) -> SourceLocation | None:
        for obj in (*node.props.values(), *node.nodes.values()):
            raw = getattr(obj, LOC_ATTR, None)
            if raw is not None:
                hit = self._opening(raw, node.name)
                if hit is not None:
                    return hit
        return None

    def _opening(self, raw: tuple[str, int, int], name: str) -> SourceLocation | None:
        file, line, col = raw
        lines = self._lines(file)
        if lines is None or not 0 < line <= len(lines):
            return None
        depth = 0
        for li in range(line - 1, -1, -1):
            text = lines[li][: max(col - 1, 0)] if li == line - 1 else lines[li]
            cut = text.find("//")
            if cut >= 0:
                text = text[:cut]
            for ci in range(len(text) - 1, -1, -1):
                ch = text[ci]
                if ch == "}":
                    depth += 1
                elif ch == "{":
                    if depth:
                        depth -= 1
                        continue
                    m = _NAME_BEFORE_BRACE.search(text[:ci])
                    if m is None or m.group(1) != name:
                        return None  # '&label {', '/ {' or another node's brace
                    return SourceLocation(display_path(file), li + 1, m.start(1) + 1)
        return None


def _unit_disagrees(n: LayoutNode) -> bool:
    """True when the node's unit address is a number that is not its first reg address."""
    if not n.unit_addr or not n.regs or n.raw_first_addr is None:
        return False
    try:
        unit = int(n.unit_addr, 16)
    except ValueError:
        return False
    return unit not in (n.raw_first_addr, n.regs[0][0])


def _refs(dt: Any, node: Any) -> tuple[RegionRef, ...]:
    props = node.props
    names_prop = props.get("memory-region-names")
    names = _strings(names_prop) if names_prop is not None else []
    out = []
    for pname in _REF_PROPS:
        prop = props.get(pname)
        if prop is None:
            continue
        loc = dt.location(prop)
        kind = dt.prop_kind(node, pname)
        if kind not in _PHANDLE_KINDS:
            out.append(RegionRef(pname, None, 0, None, loc, f"holds {_KIND_TEXT.get(kind, kind)}, not phandles"))
            continue
        value = bytes(prop.value)
        # Each cell is one phandle (memory-region carries no specifier cells); dtlib has
        # already turned &label references into numbers.
        for k in range(len(value) // 4):
            target = dt.phandle_node(int.from_bytes(value[4 * k : 4 * k + 4], "big"))
            out.append(
                RegionRef(pname, target.path if target is not None else None, k,
                          names[k] if k < len(names) else None, loc)
            )
    return tuple(out)


def layout_from_devicetree(dt: Any, options: ValidationOptions | None = None, scan: Any = None) -> Layout:
    """Build the :class:`Layout` of ``dt`` for ``options`` (architecture, SMH policy, DMA
    compatibles).  ``scan`` is the ``find_regions(dt, arch)`` result when the caller has it
    already (the boot stage), else it is computed.  Raises DevicetreeError (with a location)
    when a ``reg`` cannot be decoded."""
    from ..devicetree import MappingPolicy, find_regions, map_to_smh

    options = options or ValidationOptions()
    if scan is None:
        scan = find_regions(dt, arch=options.arch)
    policy = options.smh_policy if options.smh_policy is not None else MappingPolicy.default(options.arch)
    mapping = map_to_smh(scan.regions, policy)
    smh = {rec.path: int(region.attr) for rec, region in mapping.regions}
    unmapped = {rec.path: reason for rec, reason in mapping.unmapped}
    records = {rec.path: rec for rec in (*scan.regions, *scan.disabled)}
    dma_compats = set(options.dma_compatibles)

    # Per-parent facts asked once (siblings share them): the parent's path (dtlib recomputes
    # Node.path on every access) and its #address-cells.
    paths: dict[int, str] = {}
    cells: dict[int, int] = {}

    sram = dt.chosen("zephyr,sram")
    layout = Layout(sram=sram.path if sram is not None else None,
                    files=(str(dt.dts_path), *map(str, dt.overlays)))
    names = _NameFinder()
    for node in dt.nodes():
        props = node.props
        parent = node.parent
        if parent is None:
            path, parent_path = "/", None
        else:
            parent_path = paths[id(parent)]
            path = f"{parent_path.rstrip('/')}/{node.name}"
        paths[id(node)] = path
        rec = records.get(path)
        if rec is not None:
            compat = tuple(rec.compatible)
        else:
            compat = tuple(_strings(props["compatible"])) if "compatible" in props else ()
        n = LayoutNode(
            path=path,
            name=node.name,
            unit_addr=node.unit_addr or None,
            labels=tuple(node.labels),
            parent=parent_path,
            compatible=compat,
            okay=dt.status_okay(node) if "status" in props else True,
            location=dt.location(node),
        )
        n.in_reserved_memory = (
            parent is not None and parent.name == "reserved-memory"
            and parent.parent is not None and parent.parent.parent is None
        )
        if "device_type" in props:
            n.device_type = _string(props["device_type"])
        n.is_memory = n.device_type == "memory" or "mmio-sram" in compat
        reg = props.get("reg")
        if reg is not None:
            # find_regions has decoded reg already for attributed nodes
            regs = rec.regs if rec is not None else dt.reg(node)
            n.regs = tuple((r.addr, r.size or 0) for r in regs)
            key = id(parent)
            if key not in cells:
                cells[key] = dt.cells(node)[0]
            n.raw_first_addr = _raw_first_addr(reg, cells[key])
            n.reg_location = dt.location(reg)
            if _unit_disagrees(n):
                n.name_location = names.find(node)
        size = props.get("size")
        if size is not None:
            n.has_size = True
            n.size_location = dt.location(size)
        for flag in ("no-map", "reusable"):
            p = props.get(flag)
            if p is not None:
                setattr(n, flag.replace("-", "_"), True)
                setattr(n, f"{flag.replace('-', '_')}_location", dt.location(p))
        rn = props.get("zephyr,memory-region")
        if rn is not None:
            n.region_name = _string(rn)
            n.region_name_location = dt.location(rn)
        if rec is not None:
            n.attr = rec.attr
            n.attr_encoding = rec.attr_encoding
            n.attr_raw = rec.attr_raw
            n.attr_location = rec.attr_location
            n.decoded = rec.decoded
            n.smh_attr = smh.get(path)
            n.unmapped_reason = unmapped.get(path)
        if "memory-region" in props or "memory-regions" in props:
            n.refs = _refs(dt, node)
            n.needs_dma = (
                "dmas" in props
                or any("dma" in c.lower() for c in compat)
                or any(c in dma_compats for c in compat)
            )
        layout.add(n)
    return layout
