"""smh-boot diff: two boots compared region by region and device by device."""

from __future__ import annotations

import json

import pytest

import smh_boot
from smh_boot.bootstage.boot_report import boot_report
from smh_boot.cli import main
from smh_boot.planning.diff import diff_reports


def test_a_board_against_itself_is_empty(capsys):
    assert main(["diff", "stm32h747i_disco_m7", "stm32h747i_disco_m7"]) == 0
    assert "no differences" in capsys.readouterr().out


def test_an_overlay_moving_one_region_is_exactly_that_change(tmp_path, capsys):
    ovl = tmp_path / "move.overlay"
    ovl.write_text("&sram3 {\n\treg = <0x30044000 0x8000>;\n};\n")
    assert main(["diff", "stm32h747i_disco_m7", "--overlay-b", str(ovl), "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["changes"] == [{"kind": "region", "subject": "SRAM3", "change": "moved",
                               "a": 0x30040000, "b": 0x30044000}]


def test_resizing_shows_geometry_and_buffers_that_change_region(tmp_path, capsys):
    ovl = tmp_path / "small.overlay"
    ovl.write_text("&sram1 {\n\treg = <0x30000000 0x2000>;\n};\n")
    a = boot_report(smh_boot.boot("stm32h747i_disco_m7"))
    b = boot_report(smh_boot.boot("stm32h747i_disco_m7", overlays=[ovl], strict=False))
    changes = diff_reports(a, b)
    kinds = {(c.kind, c.change) for c in changes}
    assert ("region", "resized") in kinds and ("region", "heap geometry") in kinds
    moved = [c for c in changes if c.kind == "buffer" and c.change == "region"]
    assert moved and all(c.a == "SRAM1" and c.b == "SDRAM2" for c in moved)


def test_saved_reports_and_a_side_by_side_map(tmp_path, capsys):
    saved = tmp_path / "a.json"
    assert main(["boot", "--json"]) == 0
    saved.write_text(capsys.readouterr().out)
    assert main(["diff", str(saved), "stm32h747i_disco_m7"]) == 0
    capsys.readouterr()
    html = tmp_path / "d.html"
    assert main(["diff", "stm32h747i_disco_m7", "mimxrt1170_evk", "--map", str(html)]) == 1
    out = capsys.readouterr().out
    assert "region SRAM1: removed" in out and "region OCRAM1_CACHED: added" in out
    page = html.read_text()
    assert page.count("<svg") >= 2 and "region SRAM1: removed" in page


@pytest.mark.parametrize("content,msg", [
    ("{", "not valid JSON"),
    ('{"format": "other"}', "not a smh-boot boot report"),
])
def test_bad_reports_are_located_errors(tmp_path, capsys, content, msg):
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    assert main(["diff", str(bad), "stm32h747i_disco_m7"]) == 2
    err = capsys.readouterr().err
    assert msg in err and str(bad) in err


def test_map_needs_two_boots(tmp_path, capsys):
    saved = tmp_path / "a.json"
    main(["boot", "--json"])
    saved.write_text(capsys.readouterr().out)
    assert main(["diff", str(saved), "stm32h747i_disco_m7", "--map", str(tmp_path / "m.html")]) == 2
    assert "--map needs two boots" in capsys.readouterr().err


def test_each_field_has_one_readable_format():
    # user trial: "resized 0x8000 -> 128" and "end_chunk=0x1fff ... -> end_chunk=1023"
    from smh_boot.planning.diff import Change

    assert str(Change("region", "SRAM3", "resized", 0x8000, 128)) == \
        "region SRAM3: resized 32 KiB -> 128 B"
    assert str(Change("region", "SRAM3", "moved", 0x30040000, 0x30044000)) == \
        "region SRAM3: moved 0x30040000 -> 0x30044000"
    assert str(Change("region", "R", "moved", 0x100, 0x20000)) == "region R: moved 0x100 -> 0x20000"
    geo = str(Change("region", "SRAM1", "heap geometry",
                     {"end_chunk": 0x1fff, "chunk0": 11, "first_block_offset": 96},
                     {"end_chunk": 1023, "chunk0": 5, "first_block_offset": 48}))
    assert geo == ("region SRAM1: heap geometry end_chunk=8191, chunk0=11, first_block_offset=96 B"
                   " -> end_chunk=1023, chunk0=5, first_block_offset=48 B")
    assert str(Change("buffer", "eth:rx", "moved", 0x30000060, 0x30000460)) == \
        "buffer eth:rx: moved 0x30000060 -> 0x30000460"
    assert str(Change("buffer", "eth:rx", "resized", 1536, 5000)) == \
        "buffer eth:rx: resized 1.5 KiB -> ~4.88 KiB (5000 B)"
    assert str(Change("board", "ptr_size", "changed", 4, 8)) == "board ptr_size: changed 4 -> 8"


def test_added_regions_and_buffers_use_the_same_formats(tmp_path):
    ovl = tmp_path / "small.overlay"
    ovl.write_text("&sram1 {\n\treg = <0x30000000 0x2000>;\n};\n")
    a = boot_report(smh_boot.boot("stm32h747i_disco_m7"))
    b = boot_report(smh_boot.boot("stm32h747i_disco_m7", overlays=[ovl], strict=False))
    lines = [str(c) for c in diff_reports(a, b)]
    assert "region SRAM1: resized 128 KiB -> 8 KiB" in lines
    geo = [ln for ln in lines if "heap geometry" in ln][0]
    assert "0x" not in geo and "end_chunk=16383" in geo
    b["regions"].append({"name": "NEW", "attr": "CACHEABLE", "size": 4096, "addr": 0x38000000})
    added = [str(c) for c in diff_reports(a, b) if c.change == "added" and c.subject == "NEW"]
    assert added == ["region NEW: added (CACHEABLE 4 KiB at 0x38000000)"]
