"""Load a devicetree: cpp, then dtlib, with a source location on every node and property.

This module and :mod:`.parser` (the dtlib subclass that records locations and enforces the
limits dtlib lacks) are the only ones that import the third-party ``devicetree`` package
(dtlib 0.0.2, pinned: the parser reads its private state).  Every exception the parse can
raise ends here as one located DevicetreeError.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from devicetree import dtlib

from ..errors import DevicetreeError, SmhError
from .cells import DEFAULT_ADDRESS_CELLS, DEFAULT_SIZE_CELLS, split_entries, translate
from .diagnose import SYNTHETIC_FILES, translate_parse_error, translate_post_parse_error
from .guards import check_size, check_text, decode_utf8, forbidden_file, not_utf8, short_text
from .model import Reg, SourceLocation
from .preprocess import display_path, preprocess
from .parser import LocatingDT
from .sources import SourceText, location_of, pre_location
from .walk import preorder

def _check_inputs(dts: str, overlays: Sequence[str], include_dirs: Sequence[str]) -> None:
    for f in (dts, *overlays):
        bad = _bad_name(f)
        if bad:
            raise DevicetreeError(bad, file=f[:300], hint="check the path")
        if Path(f).is_dir():
            raise DevicetreeError(
                "is a directory; a devicetree file (.dts or .overlay) was expected", file=f,
                hint="name the file inside it",
            )
        why = forbidden_file(f)
        if why is not None:
            raise DevicetreeError(f"the devicetree input {why}", file=f,
                                  hint="name a .dts or overlay file that is a plain file")
        if not Path(f).is_file():
            raise DevicetreeError(
                "no such devicetree file", file=f, hint="check the path (and the current directory)"
            )
    for d in include_dirs:
        bad = _bad_name(d)
        if bad or not Path(d).is_dir():
            raise DevicetreeError(
                bad or "include directory does not exist", file=d[:300],
                hint="check the -I/include_dirs path"
            )
    # Each input must be UTF-8 text of a sane size before cpp runs, so the message names
    # the right file (cpp would echo binary back, and the parser blamed the board file).
    for f in (dts, *overlays):
        try:
            check_size(os.path.getsize(f), f, "the file")
            decode_utf8(Path(f).read_bytes(), f)
        except OSError as e:
            raise DevicetreeError(f"cannot read the file: {e.strerror or e}", file=f,
                                  hint="check its permissions") from e


def _bad_name(path: str) -> str | None:
    # A name the OS refuses before looking (stat raises instead of saying "absent").
    if "\0" in path:
        return "the path contains a NUL character"
    parts = path.split(os.sep)
    longest = max(parts, key=len)
    if len(longest.encode("utf-8", "surrogateescape")) > 255:
        return (f"a path component is {len(longest)} characters long; file systems allow "
                "at most 255 bytes")
    if len(path.encode("utf-8", "surrogateescape")) >= 4096:
        return f"the path is {len(path)} characters long; the system allows at most 4095 bytes"
    return None


def load_devicetree(
    dts: str | os.PathLike[str],
    overlays: Sequence[str | os.PathLike[str]] = (),
    include_dirs: Sequence[str | os.PathLike[str]] = (),
    *,
    cpp: str | None = None,
) -> Devicetree:
    """Preprocess ``dts`` with ``overlays`` (cpp, Zephyr's flags) and parse it.

    ``include_dirs`` are searched (as ``-isystem``) before the shipped ``dts/include``.
    ``cpp`` names the preprocessor (default: ``$SMH_BOOT_CPP`` or ``cpp``).  Raises
    DevicetreeError, located at the original file and line, for every problem."""
    dts_s = str(dts)
    ovl = tuple(str(o) for o in overlays)
    inc = tuple(str(d) for d in include_dirs)
    _check_inputs(dts_s, ovl, inc)
    with tempfile.TemporaryDirectory(prefix="smh-boot-dt-") as tmp:
        pre = os.path.join(tmp, "devicetree.pre.dts")
        preprocess(dts_s, ovl, inc, pre, cpp)
        return load_preprocessed(pre, dts=dts_s, overlays=ovl, include_dirs=inc)


def load_preprocessed(
    pre: str | os.PathLike[str],
    *,
    dts: str | None = None,
    overlays: Sequence[str] = (),
    include_dirs: Sequence[str] = (),
) -> Devicetree:
    """Parse an already preprocessed file (cpp output with line markers, or plain DTS).

    ``dts``/``overlays`` name the original inputs (for errors that have no line of their own);
    they default to ``pre``."""
    pre_s = str(pre)
    inputs = [dts or pre_s, *overlays]
    _check_preprocessed(pre_s, inputs[0])
    dt = LocatingDT.__new__(LocatingDT)
    try:
        dt.__init__(pre_s, include_dirs)  # type: ignore[misc]
    except SmhError:
        raise  # raised by the shim, already located (or a bad SMH_BOOT_* limit)
    except dtlib.DTError as e:
        raise _translate(str(e), dt, pre_s, inputs) from e
    except OSError as e:  # a missing or unreadable /include/d file
        raise DevicetreeError(
            f"cannot read {e.filename or pre_s}: {e.strerror}", file=inputs[0],
            hint="check /include/ names and include_dirs",
        ) from e
    except RecursionError as e:
        # The node depth is capped in the shim; what is left recursing per level in dtlib
        # is a cell expression: '((((1))))' or '- - - 1' nested hundreds deep.
        raise _parser_error(
            dt, inputs[0], "expression or nesting too deep for the parser",
            "simplify the expression (or the nesting) at this line",
        ) from e
    except Exception as e:  # noqa: BLE001 - last resort, see below
        # Any other exception out of dtlib on bad input is a dtlib bug we have not met
        # yet: report it against the input instead of showing a traceback.
        raise _parser_error(
            dt, inputs[0], f"the devicetree parser failed on this input: "
            f"{type(e).__name__}: {e}", "check the devicetree near this line; please "
            "report the input to the smh-boot maintainers",
        ) from e
    # The parser leaves dt.filename at the last line marker (the empty cpp input); dtlib
    # prints it in Node reprs, so give it the board's name back.
    dt.filename = dts or pre_s
    return Devicetree(dt, dts or pre_s, tuple(overlays), tuple(include_dirs))


def _check_preprocessed(pre: str, first_input: str) -> None:
    # The limits of .guards on the whole preprocessed text, before dtlib reads it (dtlib
    # reads the file again: cheaper than reimplementing its constructor).
    try:
        size = os.path.getsize(pre)
        check_size(size, display_path(first_input), "the preprocessed devicetree")
        data = Path(pre).read_bytes()
    except OSError:
        return  # dtlib reports the missing file
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        # A #include'd header that is not UTF-8: name it through the line markers.
        head = data[: e.start].decode("utf-8")
        raise not_utf8(
            data, e.start, lambda _off: pre_location(head, len(head), first_input)
        ) from None
    check_text(text, lambda off: pre_location(text, off, first_input))


def _parser_error(dt: Any, fallback: str, message: str, hint: str) -> DevicetreeError:
    # Located at the parser's position when it got that far.
    file = getattr(dt, "filename", None)
    line = getattr(dt, "_lineno", None)
    if not file or file in SYNTHETIC_FILES or not line:
        return DevicetreeError(message, file=display_path(fallback), hint=hint)
    return DevicetreeError(message, file=display_path(file), line=line, hint=hint)


def _translate(text: str, dt: Any, pre: str, inputs: Sequence[str]) -> DevicetreeError:
    try:
        pre_text = Path(pre).read_text(encoding="utf-8", errors="replace")
    except OSError:
        pre_text = None
    src = SourceText(pre_text)
    root = getattr(dt, "_root", None)
    err = translate_parse_error(text, src, inputs, root)
    if err is not None:
        return err
    return translate_post_parse_error(text, src, root, display_path(inputs[0]))


class Devicetree:
    """A loaded devicetree (wraps a ``dtlib.DT``; nodes are dtlib ``Node`` objects).

    Attributes: ``dt`` (the dtlib.DT, an escape hatch), ``dts_path``, ``overlays``,
    ``include_dirs``."""

    def __init__(
        self, dt: Any, dts_path: str, overlays: tuple[str, ...], include_dirs: tuple[str, ...]
    ):
        self.dt = dt
        self.dts_path = dts_path
        self.overlays = overlays
        self.include_dirs = include_dirs
        # Per-bus caches: every child of a bus shares its cells and ranges, and a board with
        # thousands of regions under one bus would otherwise decode them once per child.
        self._ranges_cache: dict[int, list[tuple[int, int, int]] | None] = {}
        self._cells_cache: dict[int, tuple[int, int]] = {}

    # ------------------------------------------------------------------ lookup

    def nodes(self) -> Iterator[Any]:
        """Every node, pre-order (devicetree order).  Walks with an explicit stack, so any
        depth is safe (dtlib's ``node_iter`` recurses once per level)."""
        return preorder(self.dt.root)

    @property
    def root(self) -> Any:
        """The root node."""
        return self.dt.root

    def get(self, ref: str) -> Any | None:
        """Node for ``"/path"``, ``"&label"``, ``"label"`` or an alias; None if absent."""
        if ref.startswith("/"):
            try:
                return self.dt.get_node(ref)
            except dtlib.DTError:
                return None
        name = ref[1:] if ref.startswith("&") else ref
        node = self.dt.label2node.get(name)
        if node is None:
            node = self.dt.alias2node.get(name)
        return node

    def location(self, obj: Any) -> SourceLocation | None:
        """Where a node or property was last defined (an ``&label {}`` override moves it)."""
        return location_of(obj)

    def prop_location(self, node: Any, name: str) -> SourceLocation | None:
        """Location of property ``name`` of ``node``, else of the node itself."""
        prop = node.props.get(name)
        return location_of(prop) if prop is not None else location_of(node)

    def error(self, obj: Any, message: str, hint: str | None = None) -> DevicetreeError:
        """A DevicetreeError located at a node or property (for layers above to raise)."""
        loc = location_of(obj)
        if loc is None:
            return DevicetreeError(message, file=self.dts_path, hint=hint)
        return DevicetreeError(message, file=loc.file, line=loc.line, column=loc.column, hint=hint)

    # ------------------------------------------------------------------ properties

    def has_prop(self, node: Any, name: str) -> bool:
        """True if ``node`` has property ``name``."""
        return name in node.props

    def _typed(self, prop: Any, kinds: tuple[Any, ...], wanted: str, hint: str) -> None:
        # One check for every typed accessor: wrong type -> located DevicetreeError.
        if prop.type not in kinds:
            raise self.error(prop, f"'{prop.name}' must be {wanted}; not: {short_text(str(prop).strip())}",
                             hint)

    def int_prop(self, node: Any, name: str, default: int | None = None) -> int | None:
        """Property ``name`` as one 32-bit number (``<n>``), ``default`` when absent;
        DevicetreeError when it is something else."""
        prop = node.props.get(name)
        if prop is None:
            return default
        self._typed(prop, (dtlib.Type.NUM,), f"one number, like {name} = <1>",
                    "write the value as a single cell between < >")
        return int.from_bytes(prop.value, "big")

    def nums_prop(self, node: Any, name: str) -> list[int] | None:
        """Property ``name`` as a list of 32-bit cells ([] for an empty ``name;``); None when
        absent."""
        prop = node.props.get(name)
        if prop is None:
            return None
        if not prop.value and prop.type is dtlib.Type.EMPTY:
            return []
        self._typed(prop, (dtlib.Type.NUM, dtlib.Type.NUMS), "a list of numbers between < >",
                    "a string (or a reference) stands where numbers belong")
        v = prop.value
        return [int.from_bytes(v[i : i + 4], "big") for i in range(0, len(v), 4)]

    def str_prop(self, node: Any, name: str, default: str | None = None) -> str | None:
        """Property ``name`` as one string, ``default`` when absent."""
        prop = node.props.get(name)
        if prop is None:
            return default
        self._typed(prop, (dtlib.Type.STRING,), f'one string, like {name} = "text"',
                    "quote the value")
        return prop.value.decode("utf-8", errors="replace")[:-1]

    def strings_prop(self, node: Any, name: str) -> list[str]:
        """Property ``name`` as a list of strings ([] when absent)."""
        prop = node.props.get(name)
        if prop is None:
            return []
        self._typed(prop, (dtlib.Type.STRING, dtlib.Type.STRINGS), "a list of strings",
                    "quote each value")
        return prop.value.decode("utf-8", errors="replace").split("\0")[:-1]

    def prop_kind(self, node: Any, name: str) -> str | None:
        """``"empty"``, ``"num"``, ``"nums"``, ``"string"``, ``"strings"``, ``"phandle"``,
        ``"phandles"``, ``"path"``, ``"bytes"`` or ``"other"``; None if absent."""
        prop = node.props.get(name)
        if prop is None:
            return None
        return _KIND.get(prop.type, "other")

    def props(self, node: Any) -> dict[str, Any]:
        """Every property of ``node`` as a plain value, in definition order: ``True`` for an
        empty property, ``int`` for one cell, ``list[int]`` for several, ``str`` for one
        string, ``list[str]`` for several, the target's path (``str``) for one phandle or
        path reference, a list of paths for several phandles, and ``bytes`` for anything
        else (byte strings, mixed values, a value that does not decode).  Never raises on
        a malformed value: it stays ``bytes``, and the typed accessors explain the error."""
        return {name: _plain(prop) for name, prop in node.props.items()}

    def phandle_node(self, phandle: int) -> Any | None:
        """The node whose phandle is ``phandle``, or None (also for 0 and 0xffffffff)."""
        return self.dt.phandle2node.get(phandle)

    def status(self, node: Any) -> str:
        """The node's status (missing -> "okay", "ok" -> "okay")."""
        s = self.str_prop(node, "status", "okay") or "okay"
        return "okay" if s == "ok" else s

    def status_okay(self, node: Any) -> bool:
        """True unless the node's status says otherwise."""
        return self.status(node) == "okay"

    def compatibles(self, node: Any) -> list[str]:
        """The node's ``compatible`` strings."""
        return self.strings_prop(node, "compatible")

    def chosen(self, name: str) -> Any | None:
        """The node a ``/chosen`` property points at, or None."""
        chosen = self.dt.root.nodes.get("chosen")
        if chosen is None or name not in chosen.props:
            return None
        try:
            return chosen.props[name].to_path()
        except dtlib.DTError as e:
            raise self.error(chosen.props[name], f"/chosen '{name}': {e}", "use = &label;") from e

    def phandle_targets(self, node: Any, name: str) -> list[Any]:
        """Nodes referenced by phandle property ``name`` ([] when absent)."""
        prop = node.props.get(name)
        if prop is None:
            return []
        try:
            return list(prop.to_nodes())
        except dtlib.DTError as e:
            raise self.error(
                prop, f"'{name}' must hold phandles, like {name} = <&a &b>;", "use <&label ...>"
            ) from e

    def memory_nodes(self) -> list[Any]:
        """Nodes describing memory, in devicetree order: ``device_type = "memory"``,
        ``compatible`` with "mmio-sram" or "zephyr,memory-region", children of
        /reserved-memory."""
        return [node for node in self.nodes() if self.is_memory_node(node)]

    def is_memory_node(self, node: Any) -> bool:
        """True for a node :meth:`memory_nodes` would list."""
        p = node.parent
        if p is not None and p.name == "reserved-memory" and p.parent is not None \
                and p.parent.parent is None:
            return True
        props = node.props
        if "device_type" in props and self.str_prop(node, "device_type") == "memory":
            return True
        if "compatible" in props:
            compat = self.compatibles(node)
            return "mmio-sram" in compat or "zephyr,memory-region" in compat
        return False

    # ------------------------------------------------------------------ addresses

    def cells(self, node: Any) -> tuple[int, int]:
        """``(#address-cells, #size-cells)`` that apply to ``node``'s ``reg`` (its parent's;
        defaults 2 and 1)."""
        parent = node.parent if node.parent is not None else node
        cells = self._cells_cache.get(id(parent))
        if cells is None:
            ac = self.int_prop(parent, "#address-cells", DEFAULT_ADDRESS_CELLS)
            sc = self.int_prop(parent, "#size-cells", DEFAULT_SIZE_CELLS)
            cells = self._cells_cache[id(parent)] = (ac, sc)  # type: ignore[assignment]
        return cells  # type: ignore[return-value]

    def reg(self, node: Any) -> list[Reg]:
        """``reg`` entries of ``node`` as CPU addresses ([] when absent).

        DevicetreeError (at the ``reg`` line) when its length does not fit the parent's
        cells or it is not a list of numbers."""
        cells = self.nums_prop(node, "reg")
        if cells is None:
            return []
        ac, sc = self.cells(node)
        try:
            entries = split_entries(cells, (ac, sc))
        except ValueError:
            # The root has no parent: its own cells apply (see cells()).
            owner = node.parent if node.parent is not None else node
            raise self.error(
                node.props["reg"],
                f"'reg' of {node.path} has {len(cells)} cells, which is not a multiple of "
                f"{ac + sc} (#address-cells = <{ac}> + #size-cells = <{sc}> of "
                f"{owner.path})",
                "write one <address size> pair per entry, each with the parent's cell counts",
            ) from None
        return [Reg(self._to_cpu(node.parent, e[0]), e[1] if sc else None) for e in entries]

    def _ranges(self, bus: Any) -> list[tuple[int, int, int]] | None:
        # None: no 'ranges' (translation stops here, as in edtlib); []: identity.
        key = id(bus)
        if key in self._ranges_cache:
            return self._ranges_cache[key]
        cells = self.nums_prop(bus, "ranges")
        ranges: list[tuple[int, int, int]] | None = None
        if cells is not None:
            # entry = <child address (bus's #address-cells), parent address (its parent's),
            # length (bus's #size-cells)>
            child_ac = self.int_prop(bus, "#address-cells", DEFAULT_ADDRESS_CELLS)
            size_c = self.int_prop(bus, "#size-cells", DEFAULT_SIZE_CELLS)
            parent_ac = self.cells(bus)[0]
            try:
                ranges = [tuple(e) for e in split_entries(cells, (child_ac, parent_ac, size_c))]  # type: ignore[misc]
            except ValueError:
                raise self.error(
                    bus.props["ranges"],
                    f"'ranges' of {bus.path} has {len(cells)} cells, which is not a multiple "
                    f"of {child_ac + parent_ac + size_c} (child address {child_ac} + parent "
                    f"address {parent_ac} + size {size_c})",
                    "write one <child-address parent-address length> triple per entry",
                ) from None
        self._ranges_cache[key] = ranges
        return ranges

    def _to_cpu(self, bus: Any, addr: int) -> int:
        # Walk up through every bus; a bus without 'ranges' ends translation (edtlib does
        # the same), and an address no range covers is kept as it is.
        while bus is not None and bus.parent is not None:
            ranges = self._ranges(bus)
            if ranges is None:
                return addr
            if ranges:
                moved = translate(addr, ranges)
                if moved is None:
                    return addr
                addr = moved
            bus = bus.parent
        return addr


def _plain(prop: Any) -> Any:
    # One property -> plain value (see Devicetree.props).
    kind = prop.type
    try:
        if kind is dtlib.Type.EMPTY:
            return True
        if kind is dtlib.Type.NUM:
            return prop.to_num()
        if kind is dtlib.Type.NUMS:
            return prop.to_nums()
        if kind is dtlib.Type.STRING:
            return prop.to_string()
        if kind is dtlib.Type.STRINGS:
            return prop.to_strings()
        if kind is dtlib.Type.PHANDLE:
            return prop.to_node().path
        if kind is dtlib.Type.PATH:
            return prop.to_path().path
        if kind is dtlib.Type.PHANDLES:
            return [n.path for n in prop.to_nodes()]
    except dtlib.DTError:
        pass  # e.g. a string that is not UTF-8: keep the bytes
    return bytes(prop.value)


_KIND = {
    dtlib.Type.EMPTY: "empty",
    dtlib.Type.BYTES: "bytes",
    dtlib.Type.NUM: "num",
    dtlib.Type.NUMS: "nums",
    dtlib.Type.STRING: "string",
    dtlib.Type.STRINGS: "strings",
    dtlib.Type.PATH: "path",
    dtlib.Type.PHANDLE: "phandle",
    dtlib.Type.PHANDLES: "phandles",
}
