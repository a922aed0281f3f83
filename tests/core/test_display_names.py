"""Shipped data files are shown by one stable name wherever smh-boot is installed (a venv inside
the checkout once made diagnostics read `.venv/lib/python3.11/site-packages/smh_boot/_dts/...`)."""

import os

from smh_boot.resources import boards_dir, display_name, dts_dir


def test_shipped_devicetree_is_named_by_the_stable_prefix(monkeypatch):
    dts = dts_dir() / "boards" / "qemu_cortex_m3.dts"
    assert display_name(dts) == "<smh-boot>/dts/boards/qemu_cortex_m3.dts"
    # A path the user typed is shown as typed, even into the shipped data (it is what they
    # will look for), so the same command line gives the same output from any install.
    monkeypatch.chdir(dts_dir().parent)
    rel = os.path.relpath(dts)
    assert display_name(rel) == rel
    assert display_name("./" + rel) == rel


def test_shipped_board_yaml_and_headers():
    assert display_name(boards_dir() / "mps2_an521.yaml") == "<smh-boot>/boards/mps2_an521.yaml"
    hdr = dts_dir() / "include" / "mem.h"
    assert display_name(str(hdr)) == "<smh-boot>/dts/include/mem.h"


def test_user_files_are_shown_as_given(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "dts").mkdir()
    mine = tmp_path / "dts" / "board.dts"
    mine.write_text("/dts-v1/;\n/ {};\n")
    assert display_name("dts/board.dts") == "dts/board.dts"
    assert display_name("./app.overlay") == "app.overlay"
    assert display_name(str(mine)) == str(mine)
    assert display_name("<stdin>") == "<stdin>"


def test_validate_json_names_shipped_inputs_stably(tmp_path, capsys):
    import json

    from smh_boot.cli import main

    rc = main(["validate", "--board", "qemu_cortex_m3", "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0
    assert out["inputs"] == ["<smh-boot>/dts/boards/qemu_cortex_m3.dts"]
