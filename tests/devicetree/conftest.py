"""Helpers for the devicetree front-end tests."""

from __future__ import annotations

import textwrap

import pytest

from smh_boot.devicetree import load_devicetree

from smhdt_helpers import DATA, REPO_DTS, UPSTREAM, needs_cpp  # noqa: F401


@pytest.fixture
def write(tmp_path, monkeypatch):
    """write(name, text) -> relative path in a fresh cwd (so messages show short names)."""
    monkeypatch.chdir(tmp_path)

    def _write(name: str, text: str) -> str:
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return name

    return _write


@pytest.fixture
def load(write):
    """load(text, *overlay_texts) -> Devicetree of board.dts (+ overlays) in a temp dir."""

    def _load(text: str, *overlays: str, **kw):
        board = write("board.dts", text)
        ovl = [write(f"o{i}.overlay", t) for i, t in enumerate(overlays)]
        return load_devicetree(board, ovl, **kw)

    return _load
