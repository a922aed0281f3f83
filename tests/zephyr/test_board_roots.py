"""Board YAML files: relative paths against the YAML's folder, board roots, the template."""

import json
import shutil
from pathlib import Path

import pytest

from smh_boot import resources
from smh_boot.board import load_board
from smh_boot.cli import main
from smh_boot.cli.boards_cmd import TEMPLATE
from smh_boot.errors import BoardError


def _my_board(folder: Path, name="my_board", include_dirs="[include]") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(resources.dts_dir() / "boards" / "stm32h747i_disco_m7.dts", folder / f"{name}.dts")
    text = TEMPLATE.replace("name: my_board", f"name: {name}") \
        .replace("dts: my_board.dts", f"dts: {name}.dts") \
        .replace("include_dirs: []", f"include_dirs: {include_dirs}")
    (folder / f"{name}.yaml").write_text(text)
    return folder / f"{name}.yaml"


def test_relative_include_dir_is_the_yaml_folders(tmp_path):
    y = _my_board(tmp_path / "b")
    (tmp_path / "b" / "include").mkdir()
    b = load_board(y)
    assert b.include_dirs == ((tmp_path / "b" / "include").resolve(),)


def test_missing_relative_dir_is_an_error_not_smh_boots_own(tmp_path):
    y = _my_board(tmp_path / "b")  # no include/ next to it; smh-boot ships dts/include
    with pytest.raises(BoardError) as e:
        load_board(y)
    assert "directory 'include' not found" in e.value.message
    assert str(resources.dts_dir()) not in e.value.message


def test_template_is_a_valid_board(tmp_path, capsys):
    assert main(["boards", "--template"]) == 0
    assert capsys.readouterr().out == TEMPLATE
    y = _my_board(tmp_path, include_dirs="[]")
    assert load_board(y).cpu == "cortex-m7"


def test_board_roots_are_listed_and_booted(tmp_path, monkeypatch, capsys):
    _my_board(tmp_path / "r1", "acme_one", "[]")
    _my_board(tmp_path / "r2", "acme_two", "[]")
    monkeypatch.setenv("SMH_BOOT_BOARD_ROOT", str(tmp_path / "r2"))
    assert main(["boards", "--board-root", str(tmp_path / "r1")]) == 0
    out = capsys.readouterr().out
    assert "+  acme_one" in out and "+  acme_two" in out
    assert f"+ from a board root: {(tmp_path / 'r1').resolve()}, {(tmp_path / 'r2').resolve()}" in out
    assert main(["boot", "acme_two", "--no-drivers"]) == 0
    assert "booting acme_two" in capsys.readouterr().out
    assert main(["regions", "acme_one", "--board-root", str(tmp_path / "r1"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["arch"] == "arm"


def test_missing_board_root_is_an_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SMH_BOOT_BOARD_ROOT", str(tmp_path / "nope"))
    assert main(["boards"]) == 2
    assert "board root does not exist ($SMH_BOOT_BOARD_ROOT)" in capsys.readouterr().err


def test_boards_lists_zephyr_targets(tmp_path, capsys, monkeypatch):
    from .conftest import DATA

    monkeypatch.chdir(DATA)
    assert main(["boards", "--zephyr-base", "zephyrproject/zephyr"]) == 0
    out = capsys.readouterr().out
    assert "Zephyr board targets (boot them with --zephyr-base):\n  nrf5340dk/nrf5340/cpuapp\n" \
           "  nrf5340dk/nrf5340/cpuapp/ns\n" in out
    # a Zephyr BOARD_ROOT given as --board-root: its boards are listed and boot by target
    shutil.copytree(DATA / "zephyrproject" / "zephyr" / "boards" / "qemu", tmp_path / "boards" / "acme")
    assert main(["boards", "--board-root", str(tmp_path)]) == 0
    assert "  qemu_cortex_a53/qemu_cortex_a53/smp" in capsys.readouterr().out
    assert main(["regions", "qemu_cortex_a53", "--board-root", str(tmp_path),
                 "--zephyr-base", "zephyrproject/zephyr", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["arch"] == "arm64"
    assert main(["boards", "--zephyr-base", "nowhere"]) == 2
