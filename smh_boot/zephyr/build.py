"""What ``west build`` leaves in a build directory, read without running anything.

With sysbuild the application's image has its own folder: ``DIR/domains.yaml`` names the
default image and its build folder, which is read instead.

``DIR/zephyr/zephyr.dts`` is the final, merged devicetree (no preprocessing needed);
``DIR/zephyr/zephyr.dts.pre`` the preprocessor output it was made from, whose line markers
name the original source files; ``DIR/zephyr/.config`` the Kconfig; ``DIR/build_info.yml``
(newer Zephyr) the board, its folders, the devicetree files and include folders.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError
from .hwm import _load_yaml
from .kconfig import KconfigValues, parse_kconfig

_NEEDED = ("zephyr/zephyr.dts", "zephyr/.config")


@dataclass
class BuildDir:
    """An opened build directory.  ``devicetree_file`` is what to parse: ``zephyr.dts.pre``
    when present and not older than ``zephyr.dts`` (locations at the original sources), else
    ``zephyr.dts``; ``stale_pre`` is True when a ``.pre`` was skipped for being older."""

    path: Path
    dts: Path
    pre: Path | None
    config: KconfigValues
    build_info: dict[str, Any] | None
    stale_pre: bool = False

    @property
    def devicetree_file(self) -> Path:
        return self.pre if self.pre is not None else self.dts

    @property
    def board_name(self) -> str | None:
        """``CONFIG_BOARD`` (else build_info's board name)."""
        return self.config.string("BOARD") or self._info("cmake", "board", "name")

    @property
    def board_target(self) -> str | None:
        """``CONFIG_BOARD_TARGET`` (``board[/qualifiers]``), else built from CONFIG_BOARD and
        ``CONFIG_BOARD_QUALIFIERS``, else from build_info."""
        t = self.config.string("BOARD_TARGET")
        if t:
            return t
        name, quals = self.board_name, self.config.string("BOARD_QUALIFIERS")
        if name and quals:
            return f"{name}/{quals}"
        if name and self._info("cmake", "board", "qualifiers"):
            return f"{name}/{self._info('cmake', 'board', 'qualifiers')}"
        return name

    @property
    def board_dirs(self) -> list[Path]:
        """Board folders build_info.yml names (``cmake.board.path``), existing ones only."""
        p = self._info("cmake", "board", "path")
        items = p if isinstance(p, list) else [p] if p else []
        return [Path(x) for x in items if isinstance(x, str) and Path(x).is_dir()]

    @property
    def zephyr_base(self) -> Path | None:
        """The Zephyr tree the build used (build_info.yml), when it still exists."""
        z = self._info("cmake", "zephyr", "zephyr-base")
        return Path(z) if isinstance(z, str) and Path(z).is_dir() else None

    @property
    def app_dir(self) -> Path | None:
        s = self._info("cmake", "application", "source-dir")
        return Path(s) if isinstance(s, str) else None

    def _info(self, *keys: str) -> Any:
        d: Any = self.build_info
        for k in keys:
            if not isinstance(d, dict):
                return None
            d = d.get(k)
        return d


def _sysbuild_default(p: Path) -> Path:
    """The default image's build folder of a sysbuild build (``domains.yaml``: ``default`` and
    ``domains`` with ``name`` and ``build_dir``)."""
    info = _load_yaml(p / "domains.yaml", "sysbuild domains.yaml")
    where = str(p / "domains.yaml")
    if not isinstance(info, dict):
        raise InputError("expected a mapping with default: and domains:", where)
    default = info.get("default")
    domains = info.get("domains") or []
    if not isinstance(domains, list):
        raise InputError("'domains' must be a list of {name, build_dir}", where)
    for d in domains:
        if isinstance(d, dict) and d.get("name") == default and isinstance(d.get("build_dir"), str):
            bd = Path(d["build_dir"])
            return bd if bd.is_absolute() else p / bd
    if isinstance(default, str) and (p / default).is_dir():
        return p / default
    raise InputError(f"the default image {default!r} has no build_dir in domains.yaml", where,
                     hint="pass the image's own build folder, e.g. --build-dir BUILD/APP")


def open_build_dir(path: str | Path) -> BuildDir:
    """Open a build directory; one InputError naming every missing file otherwise."""
    p = Path(path)
    hint = (f"pass the folder `west build -d {path}` wrote (it holds zephyr/zephyr.dts and "
            "zephyr/.config); build first with `west build -b BOARD -d DIR APP`")
    if not p.exists():
        raise InputError("build directory does not exist", str(p), hint=hint)
    if not p.is_dir():
        raise InputError("is not a directory; --build-dir takes a Zephyr build directory",
                         str(p), hint=hint)
    missing = [n for n in _NEEDED if not (p / n).is_file()]
    if missing and (p / "domains.yaml").is_file():
        image = _sysbuild_default(p)
        if image.resolve() == p.resolve():
            raise InputError("domains.yaml names this folder as its own default image",
                             str(p / "domains.yaml"), hint=hint)
        return open_build_dir(image)
    if missing:
        images = sorted(d.name for d in p.iterdir() if (d / "zephyr" / "zephyr.dts").is_file()) \
            if p.is_dir() else []
        if images:
            raise InputError(
                "not a Zephyr build directory, but it holds the build of "
                + ", ".join(images), str(p), hint=f"pass --build-dir {p / images[0]}")
        if (p / "zephyr.dts").is_file() and (p / ".config").is_file():
            raise InputError("this is the zephyr/ folder inside a build directory", str(p),
                             hint=f"pass its parent: --build-dir {p.parent}")
        raise InputError(
            "not a Zephyr build directory: missing " + " and ".join(missing)
            + " (what `west build` leaves behind)", str(p), hint=hint)
    config = parse_kconfig(p / "zephyr" / ".config")
    info = None
    if (p / "build_info.yml").is_file():
        info = _load_yaml(p / "build_info.yml", "build_info.yml")
        if info is not None and not isinstance(info, dict):
            raise InputError("build_info.yml: expected a mapping", str(p / "build_info.yml"))
    dts = p / "zephyr" / "zephyr.dts"
    pre = p / "zephyr" / "zephyr.dts.pre"
    stale = False
    if pre.is_file():
        # zephyr.dts is only rewritten when it changes, so a current .pre is never older.
        if pre.stat().st_mtime + 1 < dts.stat().st_mtime:
            pre, stale = None, True
    else:
        pre = None
    return BuildDir(p, dts, pre, config, info, stale)
