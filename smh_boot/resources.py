"""Where the shipped data lives: ``boards/`` (board definitions) and ``dts/`` (devicetrees,
bindings, dt-bindings headers, upstream overlays).

In a source checkout (or an editable install) they are the top-level folders of the repository;
in an installed wheel they are packaged as ``smh_boot/_boards`` and ``smh_boot/_dts``
(see ``[tool.setuptools.package-dir]`` in pyproject.toml).
"""

from __future__ import annotations

from pathlib import Path

_PKG = Path(__file__).resolve().parent


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
