"""render() / write_map(): format selection, files, and clear errors."""

from __future__ import annotations

import json

import pytest
from mapmodels import stm32h7_map

from smh_boot.errors import InputError
from smh_boot.report import FORMATS, as_map, format_for, render, write_map


@pytest.mark.parametrize(
    ("name", "fmt"),
    [("m.svg", "svg"), ("m.HTML", "html"), ("m.htm", "html"), ("m.txt", "text"), ("a/b.json", "json")],
)
def test_format_follows_the_suffix(name, fmt):
    assert format_for(name) == fmt


def test_unknown_suffix_names_the_file_and_what_to_do():
    with pytest.raises(InputError) as e:
        format_for("out/map.png")
    assert e.value.file == "out/map.png"
    assert str(e.value).startswith("out/map.png: error: cannot tell the memory-map format")
    assert ".svg, .html, .txt or .json" in str(e.value)


def test_unknown_format_is_an_input_error():
    with pytest.raises(InputError, match="unknown map format 'pdf'"):
        render(stm32h7_map(), "pdf")


def test_every_format_renders_and_json_is_the_model():
    mm = stm32h7_map()
    out = {fmt: render(mm, fmt) for fmt in FORMATS}
    assert out["svg"].startswith("<?xml") and out["html"].startswith("<!DOCTYPE html>")
    assert out["text"].startswith(mm.title)
    assert json.loads(out["json"]) == mm.to_dict()


def test_write_map_creates_folders_and_picks_the_format(tmp_path):
    mm = stm32h7_map()
    for name in ("docs/memory-map.svg", "map.html", "map.txt"):
        path = write_map(mm, tmp_path / name)
        assert path.read_text(encoding="utf-8") == render(mm, format_for(name))
    forced = write_map(mm, tmp_path / "map.out", "text")
    assert forced.read_text(encoding="utf-8") == render(mm, "text")


def test_write_map_reports_an_unwritable_path(tmp_path):
    (tmp_path / "taken.svg").mkdir()
    with pytest.raises(InputError) as e:
        write_map(stm32h7_map(), tmp_path / "taken.svg")
    assert e.value.file == str(tmp_path / "taken.svg")
    assert "cannot write the memory map" in str(e.value)


def test_as_map_passes_maps_through():
    mm = stm32h7_map()
    assert as_map(mm) is mm
