"""DevicetreeCache: one load per distinct content, never a stale tree."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from smh_boot.errors import DevicetreeError
from smh_boot.testing import DevicetreeCache


class CountingLoader:
    def __init__(self):
        self.calls = []

    def __call__(self, dts, overlays=(), include_dirs=(), **kw):
        self.calls.append((str(dts), tuple(map(str, overlays))))
        if "broken" in Path(dts).read_text():
            raise DevicetreeError("broken", file=str(dts))
        return object()


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "board.dts").write_text('/dts-v1/;\n#include "soc.dtsi"\n/ { };\n')
    (tmp_path / "soc.dtsi").write_text("/ { soc { }; };\n")
    (tmp_path / "x.overlay").write_text("/ { };\n")
    inc = tmp_path / "include" / "dt-bindings"
    inc.mkdir(parents=True)
    (inc / "a.h").write_text("#define A 1\n")
    return tmp_path


def _bump(path, text):
    path.write_text(text)
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10_000_000))  # coarse file systems


def test_same_inputs_load_once(tree):
    loader = CountingLoader()
    cache = DevicetreeCache(loader)
    a = cache.load(tree / "board.dts", overlays=[tree / "x.overlay"])
    b = cache(tree / "board.dts", overlays=[tree / "x.overlay"])
    assert a is b and len(loader.calls) == 1
    assert (cache.hits, cache.misses, len(cache)) == (1, 1, 1)


def test_different_overlays_are_different_trees(tree):
    loader = CountingLoader()
    cache = DevicetreeCache(loader)
    assert cache.load(tree / "board.dts") is not cache.load(tree / "board.dts", [tree / "x.overlay"])
    assert len(loader.calls) == 2


@pytest.mark.parametrize("changed", ["board.dts", "soc.dtsi", "x.overlay", "include/dt-bindings/a.h"])
def test_editing_any_input_file_invalidates(tree, changed):
    loader = CountingLoader()
    cache = DevicetreeCache(loader)
    args = (tree / "board.dts", [tree / "x.overlay"], [tree / "include"])
    first = cache.load(*args)
    _bump(tree / changed, (tree / changed).read_text() + "/* edited */\n")
    assert cache.load(*args) is not first
    assert len(loader.calls) == 2


def test_unrelated_files_next_to_an_overlay_do_not_matter(tree):
    loader = CountingLoader()
    cache = DevicetreeCache(loader)
    key = cache.key(tree / "board.dts", [tree / "x.overlay"])
    (tree / "notes.txt").write_text("hello")
    (tree / "sub").mkdir()
    (tree / "sub" / "deep.dtsi").write_text("/ { };")  # input folders are scanned flat
    assert cache.key(tree / "board.dts", [tree / "x.overlay"]) == key


def test_extra_dirs_and_loader_options_are_part_of_the_key(tree):
    cache = DevicetreeCache(CountingLoader(), extra_dirs=[tree / "include"])
    k1 = cache.key(tree / "board.dts")
    _bump(tree / "include/dt-bindings/a.h", "#define A 2\n")
    assert cache.key(tree / "board.dts") != k1
    assert cache.key(tree / "board.dts", cpp="gcc-cpp") != cache.key(tree / "board.dts")


def test_errors_are_not_cached(tree):
    loader = CountingLoader()
    cache = DevicetreeCache(loader)
    _bump(tree / "board.dts", "broken\n")
    for _ in range(2):
        with pytest.raises(DevicetreeError):
            cache.load(tree / "board.dts")
    assert len(loader.calls) == 2 and len(cache) == 0


def test_missing_file_reaches_the_real_loader_error(tmp_path):
    cache = DevicetreeCache()
    with pytest.raises(DevicetreeError, match="no such devicetree file"):
        cache.load(tmp_path / "missing.dts")


def test_clear_forgets(tree):
    loader = CountingLoader()
    cache = DevicetreeCache(loader)
    cache.load(tree / "board.dts")
    cache.clear()
    cache.load(tree / "board.dts")
    assert len(loader.calls) == 2


def test_real_board_loads_once_per_process():
    from smh_boot.board import default_board
    from smh_boot.devicetree.preprocess import project_include_dir

    b = default_board()
    cache = DevicetreeCache(extra_dirs=[project_include_dir()])
    dt = cache.load(b.dts_path, b.overlay_paths, b.include_dirs)
    assert cache.load(b.dts_path, b.overlay_paths, b.include_dirs) is dt
    assert dt.get("/") is not None
