"""A per-process cache of loaded devicetrees, keyed by a hash of everything that goes into them.

Booting the same board for every test preprocesses (a ``cpp`` subprocess) and parses the same
devicetree again and again.  :class:`DevicetreeCache` loads each distinct input once per process
(each pytest-xdist worker has its own), keyed by the *contents* of the files that can reach the
preprocessor: the ``.dts``, the overlays, every devicetree source or header file next to them, and every
such file in the include directories (recursively) (``.dts``, ``.dtsi``, ``.overlay``, ``.h``).  Editing any
of them changes the key, so a stale tree is never served.  File digests are memoised by
``(path, mtime, size)`` so a cache hit costs a few ``stat`` calls, not a re-read.

A cached tree is shared by every system booted from it: treat ``system.devicetree`` as
read-only (boot and the drivers only read it).
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path
from typing import Any, Callable, Sequence

#: Suffixes of files that cpp can pull into a devicetree.
SOURCE_SUFFIXES = (".dts", ".dtsi", ".overlay", ".h")


class DevicetreeCache:
    """Load devicetrees through ``loader`` once per distinct content.

    ``loader(dts, overlays=..., include_dirs=...)`` defaults to
    :func:`smh_boot.devicetree.load_devicetree`; :meth:`load` has the same signature, so an
    instance can stand in for it.  Errors are not cached (a broken file is re-read next time,
    when it may be fixed).  Thread-safe.
    """

    def __init__(self, loader: Callable[..., Any] | None = None, extra_dirs: Sequence[Path] = ()):
        self._loader = loader
        self._extra_dirs = tuple(Path(d) for d in extra_dirs)
        self._trees: dict[str, Any] = {}
        self._digests: dict[tuple[str, int, int, int], bytes] = {}
        #: (folder, deep) -> (stamps of every folder walked, the source files found)
        self._listings: dict[tuple[str, bool], tuple[list[tuple[str, int, int]], list[tuple[bytes, str]]]] = {}
        self._realpaths: dict[str, str] = {}
        self._lock = threading.Lock()
        self.hits = 0  #: loads served from the cache
        self.misses = 0  #: loads that ran the loader

    def load(
        self,
        dts: str | os.PathLike[str],
        overlays: Sequence[str | os.PathLike[str]] = (),
        include_dirs: Sequence[str | os.PathLike[str]] = (),
        **kwargs: Any,
    ) -> Any:
        """The devicetree for these inputs, loading it only if its content key is new."""
        key = self.key(dts, overlays, include_dirs, **kwargs)
        with self._lock:
            tree = self._trees.get(key)
            if tree is not None:
                self.hits += 1
                return tree
        loader = self._loader or _default_loader()
        tree = loader(dts, overlays=overlays, include_dirs=include_dirs, **kwargs)
        with self._lock:
            self.misses += 1
            self._trees.setdefault(key, tree)
            return self._trees[key]

    __call__ = load

    def seed(
        self,
        dts: str | os.PathLike[str],
        overlays: Sequence[str | os.PathLike[str]] = (),
        include_dirs: Sequence[str | os.PathLike[str]] = (),
        tree: Any = None,
    ) -> None:
        """Remember ``tree`` as what these inputs load to, when it was loaded elsewhere (the
        resolver parses a Zephyr target's or build's tree to infer the platform): the next
        :meth:`load` of the same contents is a hit instead of a second ``cpp`` run."""
        key = self.key(dts, overlays, include_dirs)
        with self._lock:
            self._trees.setdefault(key, tree)

    def key(
        self,
        dts: str | os.PathLike[str],
        overlays: Sequence[str | os.PathLike[str]] = (),
        include_dirs: Sequence[str | os.PathLike[str]] = (),
        **kwargs: Any,
    ) -> str:
        """The content key (hex SHA-256) of one set of inputs."""
        h = hashlib.sha256()
        real = self._real
        inputs = [real(dts), *map(real, overlays)]
        for f in inputs:
            h.update(b"input\0" + f.encode() + b"\0" + self._digest(f))
        # The inputs' own folders are scanned flat (a user's overlay may sit in a big project
        # folder); include directories are header trees and are scanned recursively.
        dirs = [*((os.path.dirname(f), False) for f in inputs),
                *((real(d), True) for d in (*include_dirs, *self._extra_dirs))]
        seen: set[tuple[str, bool]] = set()
        for d, deep in dirs:
            if (d, deep) in seen:
                continue
            seen.add((d, deep))
            h.update(b"dir\0" + d.encode() + b"\0")
            for rel, f in self._sources(d, deep):
                h.update(rel + b"\0" + self._digest(f))
        for k in sorted(kwargs):
            h.update(f"opt\0{k}={kwargs[k]!r}\0".encode())
        return h.hexdigest()

    def _real(self, p: str | os.PathLike[str]) -> str:
        """``os.path.realpath`` of ``p``, memoised per process (path strings, not Path
        objects: a warm key is a few dozen ``stat`` calls and nothing else)."""
        key = os.fspath(p)
        r = self._realpaths.get(key)
        if r is None:
            r = self._realpaths[key] = os.path.realpath(key)
        return r

    def clear(self) -> None:
        """Forget every cached tree."""
        with self._lock:
            self._trees.clear()
            self._digests.clear()
            self._listings.clear()
            self._realpaths.clear()

    def __len__(self) -> int:
        return len(self._trees)

    def _sources(self, d: str, deep: bool) -> list[tuple[bytes, str]]:
        """:func:`_source_files`, walked again only when a folder it walked changed (a file
        added, removed or renamed changes its folder's mtime): a warm key costs one ``stat``
        per folder and per file, not a directory listing."""
        with self._lock:
            memo = self._listings.get((d, deep))
        if memo is not None and all((_dir_stamp(p) or (0, 0)) == (ino, mt) for p, ino, mt in memo[0]):
            return memo[1]
        dirs, found = _walk_sources(Path(d), deep)
        files = [(os.path.relpath(f, d).encode(), str(f)) for f in found]
        with self._lock:
            self._listings[(d, deep)] = (dirs, files)
        return files

    def _digest(self, f: str) -> bytes:
        try:
            st = os.stat(f)
        except OSError:
            return b"missing"  # the loader reports the missing file properly
        memo = (f, st.st_ino, st.st_mtime_ns, st.st_size)  # a replaced file has a new inode
        with self._lock:
            d = self._digests.get(memo)
        if d is None:
            try:
                with open(f, "rb") as fh:
                    d = hashlib.sha256(fh.read()).digest()
            except OSError:
                d = b"unreadable"
            with self._lock:
                self._digests[memo] = d
        return d


def _source_files(d: Path, deep: bool) -> list[Path]:
    """Devicetree sources and headers in ``d`` (recursive when ``deep``; sorted for a stable
    key)."""
    return _walk_sources(d, deep)[1]


def _dir_stamp(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns)


def _walk_sources(d: Path, deep: bool) -> tuple[list[tuple[str, int, int]], list[Path]]:
    """``(stamps of the folders walked, source files)``; a missing folder is stamped as
    missing, so creating it later is noticed."""
    if not d.is_dir():
        return [(str(d), *(_dir_stamp(str(d)) or (0, 0)))], []
    stamps: list[tuple[str, int, int]] = []
    out = []
    for root, dirs, files in os.walk(d):
        stamps.append((root, *(_dir_stamp(root) or (0, 0))))
        if not deep:
            dirs[:] = []
        dirs.sort()
        for name in sorted(files):
            if name.endswith(SOURCE_SUFFIXES):
                out.append(Path(root) / name)
    return stamps, out


def _default_loader() -> Callable[..., Any]:
    from ..devicetree import load_devicetree

    return load_devicetree
