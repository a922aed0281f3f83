"""Board definitions: ``boards/<name>.yaml`` loaded into a frozen :class:`Board` record.

A board names its CPU and architecture, its devicetree (with overlays and include dirs), the heap
configuration Zephyr would build with, an optional SMH mapping policy, its data cache and the
devicetree compatibles bound to simulated drivers.  The README's "Boards and booting" section
documents the schema; :func:`load_board` checks every key and reports a wrong one as a
:class:`~smh_boot.errors.BoardError` naming the file, the line (from the YAML node marks), the key
and what is allowed.

This module only reads YAML and resolves paths: it never parses the devicetree (the boot stage
does), so loading or listing boards stays cheap.

Public API::

    load_board(name_or_path) -> Board
    list_boards() -> list[Board]
    default_board() -> Board
    boards_dir() -> Path
"""

from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from collections.abc import Iterator, Mapping
from typing import Any, NoReturn

import yaml

from . import resources
from .errors import BoardError
from .units import human_size

#: Architecture names used everywhere in smh-boot.
ARCHES = ("arm", "arm64", "riscv", "xtensa", "x86", "posix")
#: Pointer sizes each architecture allows (AArch32/Xtensa are 32-bit only, AArch64 64-bit only).
ARCH_PTR_SIZES = {
    "arm": (4,),
    "arm64": (8,),
    "riscv": (4, 8),
    "xtensa": (4,),
    "x86": (4, 8),
    "posix": (4, 8),
}
#: ``CONFIG_SYS_HEAP_HARDENING_*`` levels, weakest first.
HARDENING_LEVELS = ("none", "basic", "moderate", "full", "strict")
#: ``auto`` picks small/big chunk headers from the heap size as sys_heap does; the others force it.
HEAP_MODES = ("auto", "small", "big")
#: ``enum shared_multi_heap_attr`` names a policy rule may map to.
SMH_ATTR_NAMES = ("CACHEABLE", "NON_CACHEABLE", "EXTERNAL")

# libyaml's composer when PyYAML was built with it (about 10x faster); both give node marks.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
_TOP_KEYS = (
    "name",
    "vendor",
    "soc",
    "cpu",
    "arch",
    "isa",
    "ptr_size",
    "default",
    "devicetree",
    "heap",
    "smh_policy",
    "cache",
    "mem_attr",
    "drivers",
    "description",
)
_REQUIRED_TOP = ("name", "vendor", "soc", "cpu", "arch", "isa", "ptr_size", "devicetree")


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class HeapConfig:
    """The sys_heap Kconfig a board builds with.

    ``runtime_stats`` = ``CONFIG_SYS_HEAP_RUNTIME_STATS``, ``alloc_loops`` =
    ``CONFIG_SYS_HEAP_ALLOC_LOOPS`` (Zephyr's default 3), ``hardening`` = the
    ``CONFIG_SYS_HEAP_HARDENING_*`` level (default ``strict``, smh-boot's own level that checks
    every pointer and names block owners), ``heap_mode`` = auto | small | big chunk headers."""

    runtime_stats: bool = False
    alloc_loops: int = 3
    hardening: str = "strict"
    heap_mode: str = "auto"


@dataclass(frozen=True)
class PolicyRule(Mapping[str, Any]):
    """One SMH mapping rule: a region whose ``(zephyr,memory-attr & mask) == value`` maps to
    ``attr`` (an :class:`~smh_boot.heap.region.SmhAttr` name).  Rules are tried in order.

    It is also a read-only mapping (``rule["mask"]``, ``dict(rule)``), the form
    ``MappingPolicy.from_rules`` takes, so a board's rules can be handed over as they are."""

    mask: int
    value: int
    attr: str

    def __getitem__(self, key: str) -> Any:
        if key not in _RULE_KEYS:
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return iter(_RULE_KEYS)

    def __len__(self) -> int:
        return len(_RULE_KEYS)

    def as_dict(self) -> dict[str, Any]:
        """A plain dict copy."""
        return {"mask": self.mask, "value": self.value, "attr": self.attr}


_RULE_KEYS = ("mask", "value", "attr")


@dataclass(frozen=True)
class CacheConfig:
    """The CPU's data cache: line size, total size (bytes) and associativity."""

    line_size: int
    size: int
    ways: int

    @property
    def sets(self) -> int:
        """Number of sets (``size / (line_size * ways)``)."""
        return self.size // (self.line_size * self.ways)

    def describe(self) -> str:
        """``"32 KiB 4-way, 32 B lines"``."""
        return f"{human_size(self.size)} {self.ways}-way, {self.line_size} B lines"


@dataclass(frozen=True)
class MemAttrConfig:
    """``CONFIG_MEM_ATTR`` (the mem_attr table) and ``CONFIG_MEM_ATTR_HEAP`` (its heap pool)."""

    enabled: bool = False
    heap: bool = False


@dataclass(frozen=True)
class DevicetreeSpec:
    """The ``devicetree:`` block as written in the YAML (paths not yet resolved)."""

    dts: str
    overlays: tuple[str, ...] = ()
    include_dirs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Board:
    """A loaded board definition.

    Besides the YAML keys (``devicetree`` keeps the block as written), it carries resolved
    absolute paths: ``path`` (the YAML file), ``dts_path``, ``overlay_paths`` and
    ``include_dirs``."""

    name: str
    vendor: str
    soc: str
    cpu: str
    arch: str
    isa: str
    ptr_size: int
    default: bool
    devicetree: DevicetreeSpec
    heap: HeapConfig
    smh_policy: tuple[PolicyRule, ...] | None
    cache: CacheConfig | None
    mem_attr: MemAttrConfig
    drivers: tuple[str, ...]
    description: str
    path: Path
    dts_path: Path
    overlay_paths: tuple[Path, ...] = ()
    include_dirs: tuple[Path, ...] = field(default=())
    #: where the board came from: ``yaml`` (a board file), ``dts`` (a plain devicetree),
    #: ``zephyr`` (a Zephyr tree and board target) or ``build`` (a Zephyr build directory)
    origin: str = "yaml"
    #: how each inferred value was found (``"arch from /cpus/cpu@0 compatible 'arm,cortex-m7'"``)
    notes: tuple[str, ...] = ()
    #: what smh-boot could not infer or had to choose (each names the flag to pass); the boot
    #: logs them and the JSON report lists them
    warnings: tuple[str, ...] = ()

    def policy_rules(self) -> list[dict[str, Any]] | None:
        """The SMH policy as ``MappingPolicy.from_rules`` input, or None for the arch default."""
        if self.smh_policy is None:
            return None
        return [r.as_dict() for r in self.smh_policy]

    def summary(self) -> dict[str, Any]:
        """Plain JSON-ready data (what ``smh-boot boards --json`` prints for one board)."""
        plain = ("name", "vendor", "soc", "cpu", "arch", "isa", "ptr_size", "default")
        return {
            **{k: getattr(self, k) for k in plain},
            "dts": resources.display_name(self.dts_path),
            "overlays": [resources.display_name(p) for p in self.overlay_paths],
            "include_dirs": [resources.display_name(p) for p in self.include_dirs],
            "heap": asdict(self.heap),
            "smh_policy": self.policy_rules(),
            "cache": None if self.cache is None else asdict(self.cache),
            "mem_attr": asdict(self.mem_attr),
            "drivers": list(self.drivers),
            "description": self.description,
            "path": str(self.path),
            "origin": self.origin,
            "inferred": list(self.notes),
            "warnings": list(self.warnings),
        }


# --------------------------------------------------------------------------- locating boards


def boards_dir() -> Path:
    """The folder holding the shipped ``<board>.yaml`` files (repository or installed wheel)."""
    return resources.boards_dir()


def _board_files() -> list[Path]:
    return sorted(boards_dir().glob("*.yaml"))


def load_board(name_or_path: str | Path) -> Board:
    """Load a board by name (``boards/<name>.yaml``) or from a YAML file path.

    Raises :class:`BoardError` for an unknown name (listing the known boards), an unreadable
    file or any schema violation (file, line, key and what is allowed)."""
    text = str(name_or_path)
    candidate = Path(text)
    looks_like_path = (
        isinstance(name_or_path, Path)
        or text.endswith((".yaml", ".yml"))
        or "/" in text
        or "\\" in text
    )
    if looks_like_path:
        if not candidate.is_file():
            raise BoardError(
                f"board file {text!r} does not exist",
                hint="give a board name (see `smh-boot boards`) or the path of a board YAML file",
            )
        # Errors name the file as the user wrote it (as GCC does); Board.path is absolute.
        return _load_file(candidate)
    shipped = boards_dir() / f"{text}.yaml"
    if shipped.is_file():
        board = _load_file(shipped)
        _check_stem(board)
        return board
    known = ", ".join(p.stem for p in _board_files()) or "(none)"
    raise BoardError(
        f"unknown board {text!r}; known boards: {known}",
        hint="run `smh-boot boards` to list them, or pass the path of a board YAML file",
    )


def list_boards(roots: list[Path] | None = None) -> list[Board]:
    """Every shipped board, sorted by name (checks that exactly one is the default), then the
    boards of the board roots (``roots``, default :func:`board_roots`), root by root."""
    boards = [_load_file(p) for p in _board_files()]
    for b in boards:
        _check_stem(b)
    _check_single_default(boards)
    for root in board_roots() if roots is None else roots:
        boards += [_load_file(p) for p in sorted(root.glob("*.yaml"))]
    return boards


#: Environment variable with extra board folders (``os.pathsep``-separated), like BOARD_ROOT.
BOARD_ROOT_ENV = "SMH_BOOT_BOARD_ROOT"


def board_roots(extra: tuple[str, ...] | list[str] = ()) -> list[Path]:
    """The board search path: ``--board-root`` folders, then ``$SMH_BOOT_BOARD_ROOT``'s; the
    shipped boards come after them.  A folder that does not exist is an error."""
    env = [e for e in os.environ.get(BOARD_ROOT_ENV, "").split(os.pathsep) if e]
    out: list[Path] = []
    for item, src in [*((x, "--board-root") for x in extra), *((x, f"${BOARD_ROOT_ENV}") for x in env)]:
        p = Path(item)
        if not p.is_dir():
            raise BoardError(f"board root does not exist ({src})", str(item),
                             hint="a board root is a folder of board YAML files (or a Zephyr "
                             "BOARD_ROOT holding boards/<vendor>/<board>/board.yml)")
        if p.resolve() not in out:
            out.append(p.resolve())
    return out


def find_board_file(name_or_path: str | Path, roots: list[Path]) -> Board | None:
    """A board file by path, or by name in the board roots, then among the shipped boards;
    None when no board file has that name (it may be a Zephyr board target)."""
    text = str(name_or_path)
    if isinstance(name_or_path, Path) or text.endswith((".yaml", ".yml")) or "\\" in text \
            or ("/" in text and Path(text).exists()):
        return load_board(name_or_path)
    if not _NAME_RE.match(text):
        return None
    for root in roots:
        f = root / f"{text}.yaml"
        if f.is_file():
            return _load_file(f)
    shipped = boards_dir() / f"{text}.yaml"
    if shipped.is_file():
        board = _load_file(shipped)
        _check_stem(board)
        return board
    return None


def default_board() -> Board:
    """The shipped board marked ``default: true`` (exactly one must be)."""
    boards = list_boards(roots=[])
    return next(b for b in boards if b.default)


def _check_stem(board: Board) -> None:
    # A shipped board is found by file name, so the name inside must agree with it.
    if board.name != board.path.stem:
        doc = _Doc(board.path)
        line = doc.line_of_top_key("name")
        raise BoardError(
            f"name: {board.name!r} differs from the file name {board.path.name!r}",
            str(board.path),
            line,
            hint=f"rename the file to {board.name}.yaml or set name: {board.path.stem}",
        )


def _check_single_default(boards: list[Board]) -> None:
    defaults = [b for b in boards if b.default]
    if len(defaults) == 1:
        return
    if not defaults:
        raise BoardError(
            f"no board in {boards_dir()} is marked default: true",
            str(boards_dir()),
            hint="set `default: true` in exactly one board YAML file",
        )
    second = defaults[1]
    raise BoardError(
        "default: more than one board is marked default: "
        + ", ".join(b.name for b in defaults),
        str(second.path),
        _Doc(second.path).line_of_top_key("default"),
        hint="keep `default: true` in exactly one board YAML file",
    )


# --------------------------------------------------------------------------- YAML with locations


class _Doc:
    """A YAML file composed into nodes, so every error can point at its line and column."""

    def __init__(self, path: Path):
        self.path = path
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise BoardError(f"cannot read board file: {e}", str(path)) from e
        try:
            self.root = yaml.compose(text, Loader=_LOADER)
        except yaml.MarkedYAMLError as e:
            mark = e.problem_mark or e.context_mark
            line = col = None
            if mark:
                line, col = mark.line + 1, mark.column + 1
                # At end of input the parser's mark sits on the line after the last one:
                # point at the end of the last line instead, where the input stops.
                lines = text.splitlines() or [""]
                if line > len(lines):
                    line, col = len(lines), len(lines[-1]) + 1
            raise BoardError(
                f"YAML syntax error: {e.problem or e.context}",
                str(path),
                line,
                col,
                hint="fix the YAML syntax (indentation, colons, quotes)",
            ) from e
        except yaml.YAMLError as e:
            raise BoardError(f"YAML error: {e}", str(path)) from e

    def fail(self, node: yaml.Node | None, key: str, message: str, hint: str | None = None) -> NoReturn:
        """Raise a BoardError at ``node`` with the message prefixed by the dotted key."""
        line = col = None
        if node is not None:
            line, col = node.start_mark.line + 1, node.start_mark.column + 1
        raise BoardError(f"{key}: {message}" if key else message, str(self.path), line, col, hint)

    def line_of_top_key(self, key: str) -> int | None:
        """Line of a top-level key (for errors found after loading), or None."""
        if isinstance(self.root, yaml.MappingNode):
            for k, _v in self.root.value:
                if isinstance(k, yaml.ScalarNode) and k.value == key:
                    return k.start_mark.line + 1
        return None

    def mapping(
        self, node: yaml.Node | None, key: str, allowed: tuple[str, ...]
    ) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        """A mapping node as ``{key: (key_node, value_node)}``; unknown or repeated keys fail."""
        if not isinstance(node, yaml.MappingNode):
            self.fail(node, key,
                      f"expected a mapping with keys {', '.join(allowed)}, got {_kind(self, node)}")
        out: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for k, v in node.value:
            if not isinstance(k, yaml.ScalarNode):
                self.fail(k, key, "keys must be plain names")
            name = k.value
            full = f"{key}.{name}" if key else name
            if name not in allowed:
                self.fail(k, full, "unknown key", hint=f"allowed keys here: {', '.join(allowed)}")
            if name in out:
                self.fail(k, full, "key given twice", hint="keep one definition of each key")
            out[name] = (k, v)
        return out

    def value(self, node: yaml.Node | None) -> Any:
        """The plain Python value of a scalar node (YAML 1.1 rules, as PyYAML's SafeLoader)."""
        if node is None:
            return None
        try:
            return yaml.SafeLoader("").construct_object(node, deep=True)
        except yaml.YAMLError as e:  # e.g. an unknown tag such as `!foo`
            self.fail(node, "", f"cannot read this value: {getattr(e, 'problem', None) or e}",
                      hint="write plain YAML scalars, lists and mappings (no tags)")
        except (ValueError, OverflowError):  # an integer over Python's 4300-digit cap
            self.fail(node, "", "a number too long to read (more than 4300 digits)",
                      hint="board values are sizes and counts: a few digits")


def _kind(doc: _Doc, node: yaml.Node | None) -> str:
    if node is None:
        return "nothing"
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    v = doc.value(node)
    if v is None:
        return "null"
    return f"{type(v).__name__} {v!r}"


# --------------------------------------------------------------------------- schema


class _Reader:
    """Typed accessors over one mapping: each checks the type/range and fails at the node."""

    def __init__(self, doc: _Doc, node: yaml.Node | None, prefix: str, allowed: tuple[str, ...]):
        self.doc = doc
        self.mapping_node = node
        self.entries = doc.mapping(node, prefix, allowed)
        self.prefix = prefix

    def _key(self, name: str) -> str:
        return f"{self.prefix}.{name}" if self.prefix else name

    def node(self, name: str) -> yaml.Node | None:
        entry = self.entries.get(name)
        return entry[1] if entry else None

    def has(self, name: str) -> bool:
        return name in self.entries

    def string(self, name: str, default: str | None = None) -> str:
        node = self.node(name)
        if node is None:
            return self._missing(name, default)
        v = self.doc.value(node) if isinstance(node, yaml.ScalarNode) else None
        if not isinstance(v, str) or not v.strip():
            self.doc.fail(node, self._key(name),
                          f"expected a non-empty string, got {_kind(self.doc, node)}")
        return v

    def boolean(self, name: str, default: bool) -> bool:
        node = self.node(name)
        if node is None:
            return default
        v = self.doc.value(node) if isinstance(node, yaml.ScalarNode) else None
        if not isinstance(v, bool):
            self.doc.fail(node, self._key(name), f"expected true or false, got {_kind(self.doc, node)}")
        return v

    def integer(self, name: str, default: int | None = None, minimum: int | None = None) -> int:
        node = self.node(name)
        if node is None:
            return self._missing(name, default)
        v = self.doc.value(node) if isinstance(node, yaml.ScalarNode) else None
        if not isinstance(v, int) or isinstance(v, bool):
            self.doc.fail(node, self._key(name), f"expected an integer, got {_kind(self.doc, node)}")
        if minimum is not None and v < minimum:
            self.doc.fail(node, self._key(name), f"{v} is not allowed; must be >= {minimum}")
        return v

    def choice(self, name: str, allowed: tuple[Any, ...], default: Any = None) -> Any:
        node = self.node(name)
        if node is None:
            return self._missing(name, default)
        v = self.doc.value(node) if isinstance(node, yaml.ScalarNode) else None
        # type check too: YAML `4.0` equals 4 but is not an allowed pointer size
        if isinstance(v, bool) or v not in allowed or not any(type(v) is type(a) for a in allowed):
            shown = v if v is not None else _kind(self.doc, node)
            self.doc.fail(
                node,
                self._key(name),
                f"{shown!r} is not allowed; allowed: {', '.join(str(a) for a in allowed)}",
            )
        return v

    def strings(self, name: str) -> tuple[str, ...]:
        node = self.node(name)
        if node is None:
            return ()
        if not isinstance(node, yaml.SequenceNode):
            self.doc.fail(node, self._key(name), f"expected a list of strings, got {_kind(self.doc, node)}")
        out = []
        for item in node.value:
            v = self.doc.value(item) if isinstance(item, yaml.ScalarNode) else None
            if not isinstance(v, str) or not v.strip():
                self.doc.fail(item, self._key(name),
                              f"expected a string list item, got {_kind(self.doc, item)}")
            if v in out:
                self.doc.fail(item, self._key(name), f"{v!r} is listed twice")
            out.append(v)
        return tuple(out)

    def _missing(self, name: str, default: Any) -> Any:
        if default is not None:
            return default
        self.doc.fail(self.mapping_node, self._key(name), "required key is missing")


def _load_file(path: Path) -> Board:
    doc = _Doc(path)
    if doc.root is None:
        doc.fail(None, "", "board file is empty", hint="see the board schema in the README")
    top = _Reader(doc, doc.root, "", _TOP_KEYS)
    for key in _REQUIRED_TOP:
        if not top.has(key):
            doc.fail(doc.root, key, "required key is missing", hint="see the board schema in the README")

    name = top.string("name")
    if not _NAME_RE.match(name):
        doc.fail(top.node("name"), "name", f"{name!r} is not allowed; use letters, digits, '_', '-', '.'")
    arch = top.choice("arch", ARCHES)
    ptr_size = top.choice("ptr_size", (4, 8))
    if ptr_size not in ARCH_PTR_SIZES[arch]:
        allowed = " or ".join(str(p) for p in ARCH_PTR_SIZES[arch])
        doc.fail(top.node("ptr_size"), "ptr_size",
                 f"{ptr_size} is not allowed for arch {arch}; allowed: {allowed}")

    dt_spec, dts_path, overlay_paths, include_dirs = _devicetree(doc, top.node("devicetree"))
    return Board(
        name=name,
        vendor=top.string("vendor"),
        soc=top.string("soc"),
        cpu=top.string("cpu"),
        arch=arch,
        isa=top.string("isa"),
        ptr_size=ptr_size,
        default=top.boolean("default", False),
        devicetree=dt_spec,
        heap=_heap(doc, top.node("heap"), ptr_size),
        smh_policy=_policy(doc, top.node("smh_policy")),
        cache=_cache(doc, top.node("cache")),
        mem_attr=_mem_attr(doc, top.node("mem_attr")),
        drivers=top.strings("drivers"),
        description=top.string("description", ""),
        path=path.resolve(),
        dts_path=dts_path,
        overlay_paths=overlay_paths,
        include_dirs=include_dirs,
    )


def _resolve(doc: _Doc, node: yaml.Node, key: str, rel: str, want_dir: bool) -> Path:
    """A path as written: absolute, else relative to the board YAML's own folder first, then
    (files only: a shipped devicetree or overlay such as ``boards/mps2_an521.dts``) to
    smh-boot's ``dts/`` folder.  An include folder is never looked up in smh-boot's data (a
    user's ``include_dirs: [include]`` must not silently become smh-boot's own
    ``dts/include``, which is always on the path anyway) unless the board is a shipped one."""
    p = Path(rel)
    candidates = [p] if p.is_absolute() else [doc.path.parent / p]
    if not p.is_absolute() and (not want_dir or _is_shipped(doc.path)):
        candidates.append(resources.dts_dir() / p)
    for c in candidates:
        try:
            if (c.is_dir() if want_dir else c.is_file()):
                return c.resolve()
        except (OSError, ValueError) as e:  # a name the OS refuses (too long, a NUL)
            doc.fail(node, key, f"cannot use the path {rel[:80]!r}{'...' if len(rel) > 80 else ''}: "
                     f"{getattr(e, 'strerror', None) or e}",
                     hint="each path component is at most 255 bytes, a whole path 4095")
    what = "directory" if want_dir else "file"
    doc.fail(
        node,
        key,
        f"{what} {rel!r} not found (looked in {', '.join(str(c) for c in candidates)})",
        hint="relative paths are relative to the board YAML file's folder"
        + ("" if want_dir else " (or to smh-boot's dts/ folder for a shipped file)"),
    )


def _is_shipped(path: Path) -> bool:
    try:
        return path.resolve().parent == boards_dir().resolve()
    except OSError:
        return False


def _devicetree(
    doc: _Doc, node: yaml.Node | None
) -> tuple[DevicetreeSpec, Path, tuple[Path, ...], tuple[Path, ...]]:
    r = _Reader(doc, node, "devicetree", ("dts", "overlays", "include_dirs"))
    if not r.has("dts"):
        doc.fail(node, "devicetree.dts", "required key is missing", hint="e.g. dts: boards/my_board.dts")
    dts = r.string("dts")
    overlays = r.strings("overlays")
    incs = r.strings("include_dirs")
    dts_path = _resolve(doc, r.node("dts"), "devicetree.dts", dts, want_dir=False)
    ov_items = r.node("overlays").value if overlays else []
    inc_items = r.node("include_dirs").value if incs else []
    overlay_paths = tuple(
        _resolve(doc, n, "devicetree.overlays", o, want_dir=False) for n, o in zip(ov_items, overlays)
    )
    include_dirs = tuple(
        _resolve(doc, n, "devicetree.include_dirs", d, want_dir=True) for n, d in zip(inc_items, incs)
    )
    return DevicetreeSpec(dts, overlays, incs), dts_path, overlay_paths, include_dirs


def _heap(doc: _Doc, node: yaml.Node | None, ptr_size: int) -> HeapConfig:
    if node is None:
        return HeapConfig()
    keys = ("runtime_stats", "alloc_loops", "hardening", "heap_mode")
    r = _Reader(doc, node, "heap", keys)
    d = HeapConfig()
    mode = r.choice("heap_mode", HEAP_MODES, d.heap_mode)
    if mode == "small" and ptr_size != 4:
        # CONFIG_SYS_HEAP_SMALL_ONLY is a 32-bit choice: 64-bit heaps are always big.
        doc.fail(r.node("heap_mode"), "heap.heap_mode",
                 f"'small' exists only for 32-bit boards (ptr_size 4), this board has ptr_size {ptr_size}",
                 hint="use auto or big on a 64-bit board")
    return HeapConfig(
        runtime_stats=r.boolean("runtime_stats", d.runtime_stats),
        alloc_loops=r.integer("alloc_loops", d.alloc_loops, minimum=1),
        hardening=r.choice("hardening", HARDENING_LEVELS, d.hardening),
        heap_mode=mode,
    )


def _policy(doc: _Doc, node: yaml.Node | None) -> tuple[PolicyRule, ...] | None:
    if node is None or (isinstance(node, yaml.ScalarNode) and doc.value(node) is None):
        return None
    if not isinstance(node, yaml.SequenceNode) or not node.value:
        doc.fail(node, "smh_policy", f"expected a non-empty list of rules, got {_kind(doc, node)}",
                 hint="each rule is {mask: INT, value: INT, attr: CACHEABLE|NON_CACHEABLE|EXTERNAL}")
    rules = []
    for i, item in enumerate(node.value):
        key = f"smh_policy[{i}]"
        r = _Reader(doc, item, key, ("mask", "value", "attr"))
        for k in ("mask", "value", "attr"):
            if not r.has(k):
                doc.fail(item, f"{key}.{k}", "required key is missing")
        mask = r.integer("mask", minimum=0)
        value = r.integer("value", minimum=0)
        if mask > 0xFFFFFFFF:
            doc.fail(r.node("mask"), f"{key}.mask", f"{mask:#x} does not fit the 32-bit zephyr,memory-attr")
        if value & ~mask:
            doc.fail(r.node("value"), f"{key}.value",
                     f"{value:#x} has bits outside mask {mask:#x}, so the rule can never match")
        rules.append(PolicyRule(mask, value, r.choice("attr", SMH_ATTR_NAMES)))
    return tuple(rules)


#: Schema limits of ``cache:`` (README, "Robustness": the resource contract).
MAX_CACHE_BYTES = 8 << 20
MAX_CACHE_LINE = 1024
MAX_CACHE_WAYS = 64
MAX_CACHE_LINES = 1 << 17


def _cache(doc: _Doc, node: yaml.Node | None) -> CacheConfig | None:
    if node is None or (isinstance(node, yaml.ScalarNode) and doc.value(node) is None):
        return None
    r = _Reader(doc, node, "cache", ("line_size", "size", "ways"))
    for k in ("line_size", "size", "ways"):
        if not r.has(k):
            doc.fail(node, f"cache.{k}", "required key is missing (or write `cache: null` for no cache)")
    line = r.integer("line_size", minimum=4)
    if line & (line - 1):
        doc.fail(r.node("line_size"), "cache.line_size", f"{line} is not allowed; must be a power of two")
    ways = r.integer("ways", minimum=1)
    size = r.integer("size", minimum=1)
    # Real data caches are at most a few MiB with lines of 16-256 bytes; the model keeps
    # state per line, so a 256 MiB cache of 4-byte lines cost gigabytes (issue 14 F5).
    if line > MAX_CACHE_LINE:
        doc.fail(r.node("line_size"), "cache.line_size",
                 f"{line} is not allowed; must be at most {MAX_CACHE_LINE} bytes")
    if ways > MAX_CACHE_WAYS:
        doc.fail(r.node("ways"), "cache.ways", f"{ways} is not allowed; must be at most {MAX_CACHE_WAYS}")
    if size > MAX_CACHE_BYTES:
        doc.fail(r.node("size"), "cache.size",
                 f"{size} is not allowed; must be at most {MAX_CACHE_BYTES} ({MAX_CACHE_BYTES >> 20} MiB)",
                 hint="give the data cache closest to the CPU (L1), as the board's TRM lists it")
    if size // line > MAX_CACHE_LINES:
        doc.fail(r.node("size"), "cache.size",
                 f"{size} bytes of {line}-byte lines is {size // line} lines; at most "
                 f"{MAX_CACHE_LINES} are modelled", hint="check line_size (real lines are 16-256 bytes)")
    sets, rem = divmod(size, line * ways)
    if rem or sets < 1 or sets & (sets - 1):
        doc.fail(r.node("size"), "cache.size",
                 f"{size} is not allowed; size / (line_size * ways) must be a power-of-two number of sets")
    return CacheConfig(line, size, ways)


def _mem_attr(doc: _Doc, node: yaml.Node | None) -> MemAttrConfig:
    if node is None:
        return MemAttrConfig()
    r = _Reader(doc, node, "mem_attr", ("enabled", "heap"))
    enabled = r.boolean("enabled", False)
    heap = r.boolean("heap", False)
    if heap and not enabled:
        # Kconfig: MEM_ATTR_HEAP depends on MEM_ATTR.
        doc.fail(r.node("heap"), "mem_attr.heap", "true requires mem_attr.enabled: true",
                 hint="CONFIG_MEM_ATTR_HEAP depends on CONFIG_MEM_ATTR")
    return MemAttrConfig(enabled, heap)
