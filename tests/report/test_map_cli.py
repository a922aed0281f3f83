"""``smh-boot map``: formats, output files, errors (boot replaced by a stand-in system)."""

from __future__ import annotations

import pytest
from test_map_from_system import _system

from smh_boot.cli import main, map_cmd
from smh_boot.errors import BoardError


@pytest.fixture
def booted(monkeypatch):
    calls = []

    def fake_boot(board, overlays, drivers, strict):
        calls.append((board, overlays, drivers, strict))
        return _system()

    monkeypatch.setattr(map_cmd, "_boot", fake_boot)
    return calls


def test_text_on_stdout_by_default(booted, capsys):
    assert main(["map", "fake", "--overlay", "x.overlay"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("fake_board memory map\n") and "SRAM_NC" in out
    assert booted == [("fake", ("x.overlay",), True, False)]


def test_output_file_format_from_suffix(booted, tmp_path, capsys):
    target = tmp_path / "m" / "map.html"
    assert main(["map", "-o", str(target), "--no-drivers", "--strict"]) == 0
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert f"memory map written to {target}" in capsys.readouterr().out
    assert booted == [(None, (), False, True)]


def test_format_option_wins_and_svg_can_go_to_stdout(booted, tmp_path, capsys):
    assert main(["map", "-o", str(tmp_path / "map.dat"), "--format", "json"]) == 0
    assert (tmp_path / "map.dat").read_text(encoding="utf-8").lstrip().startswith("{")
    capsys.readouterr()
    assert main(["map", "--format", "svg", "--no-heap-figures"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("<?xml") and "heap-figure\"" not in out and "heap-strip" in out


def test_unknown_suffix_is_one_clear_error(booted, tmp_path, capsys):
    assert main(["map", "-o", str(tmp_path / "map.png")]) == 2
    err = capsys.readouterr().err
    assert "map.png: error: cannot tell the memory-map format" in err
    assert "Traceback" not in err


def test_boot_errors_surface_as_messages(monkeypatch, capsys):
    def fail(*_a):
        raise BoardError("unknown board 'nope'", "boards/nope.yaml", 1, hint="see smh-boot boards")

    monkeypatch.setattr(map_cmd, "_boot", fail)
    assert main(["map", "nope"]) == 2
    assert "boards/nope.yaml:1: error: unknown board 'nope'" in capsys.readouterr().err
