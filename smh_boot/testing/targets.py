"""The pytest plugin's targets: what ``--smh-board``, ``--smh-build-dir``, the ``smh_board``
marker and ``smh_boot_factory(board=...)`` name, turned into boards by the same resolver the
commands use (:func:`smh_boot.resolve.resolve`).

A board entry is a string, as the commands' argument is: a shipped board name, a board YAML,
a plain ``.dts``, a Zephyr board target (with the session's ``--smh-zephyr-base``,
``--smh-board-root``, ``--smh-module``, ``--smh-app``, ``--smh-shield``), or a Zephyr build
directory.  :class:`TargetOptions` holds the session-wide options (the CLI's ``--zephyr-base``,
``--board-root``... and ``--arch``/``--isa``/``--ptr-size``/``--dcache``);
:class:`TargetResolver` resolves entries once per process and resolves again when a file the
result was read from changes.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: the commands' flags and the pytest options that mirror them (for messages written for the
#: command line: "pass --arch" reads "pass --smh-arch" in a test run)
_FLAGS = ("arch", "isa", "ptr-size", "dcache", "zephyr-base", "board-root", "module", "app",
          "shield", "build-dir", "overlay", "include-dir")
_FLAG_RE = re.compile(r"(?<![\w-])--(" + "|".join(_FLAGS) + r")\b")


def plugin_words(text: str) -> str:
    """``text`` with the commands' flags named as the plugin's options (``--arch`` ->
    ``--smh-arch``)."""
    return _FLAG_RE.sub(lambda m: f"--smh-{m[1]}", text)


def error_text(e: BaseException) -> str:
    """An error as the plugin shows it after its own prefix (``--smh-board: ...``): the
    commands' flags as options, and no ``error:`` of its own when it names no file."""
    text = str(e)
    if not getattr(e, "file", None) and text.startswith("error: "):
        text = text[len("error: "):]
    return plugin_words(text)


def is_build_dir(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a folder a Zephyr build wrote (``zephyr/zephyr.dts`` or
    ``zephyr/.config`` below it)."""
    from ..resolve import is_build_dir as _is_build

    return _is_build(path)


@dataclass(frozen=True)
class TargetOptions:
    """The session's target options (absolute paths), as the commands' target flags."""

    zephyr_base: str | None = None
    board_roots: tuple[str, ...] = ()
    modules: tuple[str, ...] = ()
    app: str | None = None
    shields: tuple[str, ...] = ()
    include_dirs: tuple[str, ...] = ()
    arch: str | None = None
    isa: str | None = None
    ptr_size: int | None = None
    dcache: str | None = None

    def any(self) -> bool:
        """True when any option was given."""
        return any(getattr(self, f) not in (None, ()) for f in self.__dataclass_fields__)

    def spec(self, target: str, overlays: tuple[str, ...] = (), include_dirs: tuple[str, ...] = (),
             build: bool | None = None, shipped: bool = False):
        """The resolver's TargetSpec for one board entry (``overlays`` and extra
        ``include_dirs`` belong to the entry; a build directory takes none).  ``build``: the
        entry came from ``--smh-build-dir`` (None: a build when it looks like one).
        ``shipped``: the entry is smh-boot's own board of that name (the default board, the
        boards of ``all``), not a Zephyr board, even with a Zephyr tree given."""
        from ..infer import Flags
        from ..resolve import TargetSpec

        build = is_build_dir(target) if build is None else build
        return TargetSpec(
            target=None if build else target,
            build_dir=target if build else None,
            zephyr_base=None if shipped else self.zephyr_base,
            overlays=() if build else tuple(overlays),
            include_dirs=() if build else (*self.include_dirs, *include_dirs),
            board_roots=self.board_roots,
            modules=self.modules,
            app=self.app,
            shields=self.shields,
            flags=Flags(arch=self.arch, isa=self.isa, ptr_size=self.ptr_size, dcache=self.dcache),
        )

    def command_line(self) -> list[str]:
        """The pytest options that give these settings (for a reproduce line)."""
        out: list[str] = []
        for name, value in (("zephyr-base", self.zephyr_base), ("app", self.app),
                            ("arch", self.arch), ("isa", self.isa), ("ptr-size", self.ptr_size),
                            ("dcache", self.dcache)):
            if value is not None:
                out += [f"--smh-{name}", _shown(str(value))]
        for name, values in (("board-root", self.board_roots), ("module", self.modules),
                             ("shield", self.shields), ("include-dir", self.include_dirs)):
            for v in values:
                out += [f"--smh-{name}", _shown(v)]
        return out


def _shown(p: str) -> str:
    try:
        return os.path.relpath(p) if os.path.isabs(p) and not os.path.relpath(p).startswith("..") else p
    except ValueError:  # another drive (Windows)
        return p


def board_id(entry: str) -> str:
    """The test id of a board entry: a board YAML or ``.dts`` gives its file stem, a build
    directory the board target it was built for (else its folder name), anything else (a
    board name, a Zephyr board target) is its own id."""
    if entry.endswith((".yaml", ".yml", ".dts")):
        return Path(entry).stem
    if is_build_dir(entry):
        return _build_target(entry) or Path(entry).name
    return entry


def _build_target(path: str) -> str | None:
    from ..errors import SmhError
    from ..zephyr.build import open_build_dir

    try:
        return open_build_dir(path).board_target or None
    except (SmhError, OSError):
        return None  # the resolver reports a broken build when the board is used


def same_board(a: str, b: str) -> bool:
    """Whether two board entries name the same board: equal, or equal ids (a test pinned to
    ``stm32h747i_disco/stm32h747xx/m7`` runs on a build directory of that target)."""
    return a == b or board_id(a) == board_id(b)


def _stamp(path: Any) -> tuple[str, int, int, int] | None:
    try:
        st = os.stat(path)
    except (OSError, TypeError, ValueError):
        return None
    return (str(path), st.st_ino, st.st_mtime_ns, st.st_size)


def _inputs(resolved: Any) -> list[Any]:
    """The files a resolution read besides the devicetree (which the devicetree cache keys by
    content): board files, Kconfig fragments, twister metadata, the build's files."""
    b = resolved.board
    files: list[Any] = [b.path]
    cfg = resolved.config
    if cfg is not None:
        files += list(getattr(cfg, "sources", ()) or [cfg.path])
    if resolved.kind == "build":
        files += [b.dts_path, Path(b.path) / "zephyr" / "zephyr.dts.pre"]
    return files


@dataclass
class _Entry:
    resolved: Any
    stamps: list[Any]


@dataclass
class TargetResolver:
    """Resolve board entries once per process (each pytest-xdist worker has its own): the
    result is reused while the files it was read from keep their inode, mtime and size."""

    options: TargetOptions = field(default_factory=TargetOptions)
    #: entries given as build directories (``--smh-build-dir``): read as builds, whatever they hold
    build_dirs: tuple[str, ...] = ()
    _memo: dict[tuple[str, tuple[str, ...], tuple[str, ...], bool], _Entry] = field(default_factory=dict)
    resolutions: int = 0  #: how many times the resolver ran (for tests)

    def resolve(self, entry: str, overlays: tuple[str, ...] = (),
                include_dirs: tuple[str, ...] = (), shipped: bool = False) -> Any:
        """The :class:`~smh_boot.resolve.Resolved` of ``entry`` with these overlays
        (``shipped``: see :meth:`TargetOptions.spec`)."""
        from ..resolve import resolve

        key = (entry, tuple(map(str, overlays)), tuple(map(str, include_dirs)), shipped)
        hit = self._memo.get(key)
        if hit is not None and [_stamp(f) for f in _inputs(hit.resolved)] == hit.stamps:
            return hit.resolved
        r = resolve(self.options.spec(entry, key[1], key[2], shipped=shipped,
                                      build=True if entry in self.build_dirs else None))
        self.resolutions += 1
        self._memo[key] = _Entry(r, [_stamp(f) for f in _inputs(r)])
        return r
