"""Where the shipped data lives: ``boards/`` (board definitions) and ``dts/`` (devicetrees,
bindings, dt-bindings headers, upstream overlays).

In a source checkout (or an editable install) they are the top-level folders of the repository;
in an installed wheel they are packaged as ``smh_boot/_boards`` and ``smh_boot/_dts``
(see ``[tool.setuptools.package-dir]`` in pyproject.toml).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

_PKG = Path(__file__).resolve().parent


#: How a shipped data file is named wherever it is shown (diagnostics, logs, JSON reports):
#: ``<smh-boot>/dts/boards/x.dts``, the same in a checkout, an editable install and a wheel in
#: any venv, so output does not depend on where smh-boot happens to be installed.
SHIPPED_PREFIX = "<smh-boot>"


def _data_dir(name: str) -> Path:
    checkout = _PKG.parent / name
    if checkout.is_dir():
        return checkout
    return _PKG / f"_{name}"


def boards_dir() -> Path:
    """The folder holding ``<board>.yaml`` files."""
    return _data_dir("boards")


def dts_dir() -> Path:
    """The folder holding board devicetrees (``boards/``), ``include/``, ``bindings/`` and
    ``overlays/``."""
    return _data_dir("dts")


@lru_cache(maxsize=1)
def _shipped_roots() -> tuple[tuple[str, str], ...]:
    return tuple((os.path.realpath(d) + os.sep, f"{SHIPPED_PREFIX}/{label}/")
                 for label, d in (("dts", dts_dir()), ("boards", boards_dir())))


@lru_cache(maxsize=8192)
def _display_name(name: str) -> str:
    real = os.path.realpath(name)
    for root, shown in _shipped_roots():
        if real.startswith(root):
            return shown + real[len(root):].replace(os.sep, "/")
    return name


def display_name(name: str | os.PathLike[str]) -> str:
    """A file name as users should read it.  A name the user gave is shown as given (``./``
    dropped, which cpp adds to ``-include``d relative names); a shipped data file that smh-boot
    found itself (by absolute path: a board's devicetree, a dt-bindings header, an upstream
    overlay) is shown as ``<smh-boot>/dts/...`` or ``<smh-boot>/boards/...``, wherever the
    package is installed, so output does not depend on the venv's location."""
    text = os.fspath(name)
    if text.startswith("./"):
        text = text[2:]
    if not os.path.isabs(text):
        return text
    return _display_name(text)
