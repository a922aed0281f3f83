"""The plugin's warm per-test boot (issue #16): boards cached by their YAML's identity,
devicetree keys that re-walk only changed folders, the region scan and validation remembered
on a shared tree, and no change in what a boot produces."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from smh_boot.board import load_board
from smh_boot.bootstage import boot
from smh_boot.pytest_plugin import SmhSettings
from smh_boot.testing import DevicetreeCache


def _settings():
    return SmhSettings(requested_boards=[], explicit_boards=False, seed=0, explicit_seed=False,
                       stress=False, overlays=[], artifacts=Path("a"))


def _bump(path: Path, text: str) -> None:
    path.write_text(text)
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10_000_000))


def test_a_board_is_loaded_once_until_its_yaml_changes(tmp_path):
    src = load_board("qemu_cortex_m3")
    yaml = tmp_path / "mine.yaml"
    yaml.write_text(Path(src.path).read_text())  # dts paths are relative to dts/: unchanged
    s = _settings()
    a = s.load_board(str(yaml))
    assert s.load_board(str(yaml)) is a
    assert s.load_board("qemu_cortex_m3") is s.load_board("qemu_cortex_m3")
    _bump(yaml, yaml.read_text() + "\n# edited\n")
    b = s.load_board(str(yaml))
    assert b is not a and b == a  # reloaded: same content, new object


def test_a_new_header_in_an_include_folder_changes_the_key(tmp_path):
    inc = tmp_path / "include" / "sub"
    inc.mkdir(parents=True)
    (tmp_path / "b.dts").write_text("/dts-v1/;\n/ { };\n")
    cache = DevicetreeCache(loader=lambda *a, **k: object())
    k1 = cache.key(tmp_path / "b.dts", include_dirs=[tmp_path / "include"])
    assert cache.key(tmp_path / "b.dts", include_dirs=[tmp_path / "include"]) == k1
    (inc / "new.h").write_text("#define X 1\n")
    k2 = cache.key(tmp_path / "b.dts", include_dirs=[tmp_path / "include"])
    assert k2 != k1
    (inc / "new.h").unlink()
    assert cache.key(tmp_path / "b.dts", include_dirs=[tmp_path / "include"]) == k1
    shutil.rmtree(inc)
    (tmp_path / "include" / "later").mkdir()
    (tmp_path / "include" / "later" / "x.dtsi").write_text("/ { };\n")
    assert cache.key(tmp_path / "b.dts", include_dirs=[tmp_path / "include"]) not in (k1, k2)


def test_a_folder_created_later_is_noticed(tmp_path):
    (tmp_path / "b.dts").write_text("/dts-v1/;\n/ { };\n")
    cache = DevicetreeCache(loader=lambda *a, **k: object())
    k1 = cache.key(tmp_path / "b.dts", include_dirs=[tmp_path / "missing"])
    (tmp_path / "missing").mkdir()
    (tmp_path / "missing" / "a.h").write_text("#define A 1\n")
    assert cache.key(tmp_path / "b.dts", include_dirs=[tmp_path / "missing"]) != k1


def test_a_warm_boot_gives_the_same_system_as_a_cold_one():
    s = _settings()
    b = s.load_board("stm32h747i_disco_m7")
    cold = boot(b, seed=3, stress=True)
    warm1 = boot(b, seed=3, stress=True, **s.boot_kwargs())
    warm2 = boot(b, seed=3, stress=True, **s.boot_kwargs())
    assert warm1.devicetree is warm2.devicetree  # one tree shared by both boots
    assert cold.log == warm1.log == warm2.log
    assert [str(d) for d in cold.diagnostics] == [str(d) for d in warm2.diagnostics]
    assert warm1.diagnostics is not warm2.diagnostics  # each system has its own list
    memo = warm1.devicetree._smh_boot_memo
    assert any(k[0] == "scan" for k in memo) and any(k[0] == "validate" for k in memo)
