"""The devicetree include folders of Zephyr's DTS roots (``cmake/modules/pre_dt.cmake``).

DTS roots, in Zephyr's order: the module roots (``DTS_ROOT`` as modules set it), the
application folder, the board folder, the shield folders, ZEPHYR_BASE; each resolved (symlinks followed) and
listed once.  For each root the existing ones of ``include``, ``include/zephyr``,
``dts/common``, ``dts/<arch>`` and ``dts`` become ``-isystem`` folders, in that order.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

#: sub-folders of a DTS root searched by the preprocessor; ``{arch}`` is the board's arch
ROOT_SUBDIRS = ("include", "include/zephyr", "dts/common", "dts/{arch}", "dts")

_INCLUDE_RE = re.compile(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]', re.M)


def dts_roots(modules: list[Path], app_dir: Path | None, board_dir: Path | None,
              zephyr_base: Path | None, shield_dirs: list[Path] = ()) -> list[Path]:
    """The DTS roots in Zephyr's order (modules, application, board, shields, ZEPHYR_BASE),
    without repeats (compared with symlinks resolved; kept as given, so relative inputs give
    relative line markers and diagnostics)."""
    out: list[Path] = []
    seen: set[Path] = set()
    for r in [*modules, app_dir, board_dir, *shield_dirs, zephyr_base]:
        if r is None:
            continue
        real = Path(r).resolve()
        if real not in seen:
            seen.add(real)
            out.append(Path(os.path.normpath(r)))
    return out


def include_dirs(roots: list[Path], arches: list[str]) -> list[Path]:
    """The ``-isystem`` folders of ``roots`` for the board's arch(es): each root's existing
    ``include``, ``include/zephyr``, ``dts/common``, ``dts/<arch>``..., ``dts``."""
    out: list[Path] = []
    for root in roots:
        for sub in ROOT_SUBDIRS:
            subs = [sub.format(arch=a) for a in arches] if "{arch}" in sub else [sub]
            for s in subs:
                p = root / s
                if p.is_dir() and p not in out:
                    out.append(p)
    return out


def arch_dirs_for(board_dts: Path, roots: list[Path]) -> list[str]:
    """The ``dts/<arch>`` folders (arch names) that hold a file the board ``.dts`` includes
    with ``#include <...>`` (used when no metadata names the arch before preprocessing)."""
    try:
        text = board_dts.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    found: list[str] = []
    for inc in _INCLUDE_RE.findall(text):
        for root in roots:
            dts = root / "dts"
            if not dts.is_dir():
                continue
            for arch_dir in sorted(p for p in dts.iterdir() if p.is_dir()):
                if arch_dir.name in ("common", "bindings") or arch_dir.name in found:
                    continue
                if (arch_dir / inc).is_file():
                    found.append(arch_dir.name)
    return found


def vendor_name(prefix: str, roots: list[Path]) -> str | None:
    """The vendor's name for a devicetree vendor prefix (``st`` -> ``STMicroelectronics``), from
    ``dts/bindings/vendor-prefixes.txt`` of the first DTS root that lists it (lines
    ``prefix<TAB>name``, ``#`` comments)."""
    for root in roots:
        f = root / "dts" / "bindings" / "vendor-prefixes.txt"
        try:
            lines = f.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        for line in lines:
            if line.startswith("#") or "\t" not in line:
                continue
            key, _, name = line.partition("\t")
            if key.strip() == prefix and name.strip():
                return name.strip()
    return None
