"""Every schema violation is a BoardError naming the file, the line, the key and what is allowed."""

from __future__ import annotations

import textwrap

import pytest

from smh_boot.board import load_board
from smh_boot.cli import main
from smh_boot.errors import BoardError

GOOD = """\
name: t
vendor: V
soc: S
cpu: cortex-m7
arch: arm
isa: armv7e-m
ptr_size: 4
default: false
devicetree:
  dts: t.dts
heap:
  runtime_stats: true
  alloc_loops: 3
  hardening: basic
  heap_mode: auto
smh_policy:
  - {mask: 0x300000, value: 0x100000, attr: CACHEABLE}
cache:
  line_size: 32
  size: 16384
  ways: 4
mem_attr:
  enabled: true
  heap: false
drivers: [a,b]
description: test board
"""


def _board(tmp_path, text: str):
    (tmp_path / "t.dts").write_text("/dts-v1/;\n/ { };\n")
    p = tmp_path / "t.yaml"
    p.write_text(text)
    return p


def _edit(old: str, new: str) -> str:
    assert old in GOOD, old
    return GOOD.replace(old, new, 1)


def test_the_good_board_loads(tmp_path):
    b = load_board(_board(tmp_path, GOOD))
    assert b.smh_policy[0].attr == "CACHEABLE" and b.drivers == ("a", "b")


# (edited text, line, column, text that must appear in the message)
CASES = {
    "unknown top key": (GOOD + "colour: red\n", 27, 1, "colour: unknown key"),
    "missing name": (_edit("name: t\n", ""), 1, 1, "name: required key is missing"),
    "missing devicetree": (_edit("devicetree:\n  dts: t.dts\n", ""), 1, 1,
                           "devicetree: required key is missing"),
    "bad arch": (_edit("arch: arm", "arch: arm32"), 5, 7,
                 "arch: 'arm32' is not allowed; allowed: arm, arm64, riscv, xtensa, x86, posix"),
    "ptr size 2": (_edit("ptr_size: 4", "ptr_size: 2"), 7, 11, "ptr_size: 2 is not allowed; allowed: 4, 8"),
    "ptr size vs arch": (_edit("ptr_size: 4", "ptr_size: 8"), 7, 11,
                         "ptr_size: 8 is not allowed for arch arm; allowed: 4"),
    "default not bool": (_edit("default: false", "default: maybe"), 8, 10,
                         "default: expected true or false, got str 'maybe'"),
    "empty cpu": (_edit("cpu: cortex-m7", "cpu: ''"), 4, 6, "cpu: expected a non-empty string"),
    "bad name": (_edit("name: t", "name: 'a b'"), 1, 7, "name: 'a b' is not allowed"),
    "devicetree not mapping": (_edit("devicetree:\n  dts: t.dts", "devicetree: t.dts"), 9, 13,
                               "devicetree: expected a mapping"),
    "dts missing file": (_edit("dts: t.dts", "dts: nope.dts"), 10, 8,
                         "devicetree.dts: file 'nope.dts' not found"),
    "dts key missing": (_edit("  dts: t.dts\n", "  overlays: []\n"), 10, 3,
                        "devicetree.dts: required key is missing"),
    "overlay missing": (_edit("  dts: t.dts\n", "  dts: t.dts\n  overlays:\n    - a.overlay\n"), 12, 7,
                        "devicetree.overlays: file 'a.overlay' not found"),
    "include dir missing": (_edit("  dts: t.dts\n", "  dts: t.dts\n  include_dirs: [inc]\n"), 11, 18,
                            "devicetree.include_dirs: directory 'inc' not found"),
    "unknown devicetree key": (_edit("  dts: t.dts\n", "  dts: t.dts\n  bindings: []\n"), 11, 3,
                               "devicetree.bindings: unknown key"),
    "alloc loops 0": (_edit("alloc_loops: 3", "alloc_loops: 0"), 13, 16,
                      "heap.alloc_loops: 0 is not allowed; must be >= 1"),
    "alloc loops str": (_edit("alloc_loops: 3", "alloc_loops: three"), 13, 16,
                        "heap.alloc_loops: expected an integer, got str 'three'"),
    "alloc loops bool": (_edit("alloc_loops: 3", "alloc_loops: true"), 13, 16,
                         "heap.alloc_loops: expected an integer"),
    "hardening": (_edit("hardening: basic", "hardening: medium"), 14, 14,
                  "heap.hardening: 'medium' is not allowed; allowed: none, basic, moderate, full, strict"),
    "heap mode": (_edit("heap_mode: auto", "heap_mode: huge"), 15, 14,
                  "heap.heap_mode: 'huge' is not allowed; allowed: auto, small, big"),
    "runtime stats": (_edit("runtime_stats: true", "runtime_stats: 1"), 12, 18,
                      "heap.runtime_stats: expected true or false, got int 1"),
    "heap unknown key": (_edit("  heap_mode: auto\n", "  heap_mode: auto\n  size: 4\n"), 16, 3,
                         "heap.size: unknown key"),
    "policy attr": (_edit("attr: CACHEABLE", "attr: UNCACHED"), 17, 45,
                    "smh_policy[0].attr: 'UNCACHED' is not allowed; allowed: CACHEABLE, NON_CACHEABLE, EXTERNAL"),
    "policy value outside mask": (_edit("value: 0x100000", "value: 0x400000"), 17, 29,
                                  "smh_policy[0].value: 0x400000 has bits outside mask 0x300000"),
    "policy mask too wide": (_edit("mask: 0x300000", "mask: 0x100000000"), 17, 12,
                             "smh_policy[0].mask: 0x100000000 does not fit"),
    "policy missing attr": (_edit(", attr: CACHEABLE}", "}"), 17, 5,
                            "smh_policy[0].attr: required key is missing"),
    "policy not a list": (_edit("smh_policy:\n  - {mask: 0x300000, value: 0x100000, attr: CACHEABLE}",
                                "smh_policy: CACHEABLE"), 16, 13, "smh_policy: expected a non-empty list"),
    "policy empty": (_edit("smh_policy:\n  - {mask: 0x300000, value: 0x100000, attr: CACHEABLE}",
                           "smh_policy: []"), 16, 13, "smh_policy: expected a non-empty list"),
    "policy negative": (_edit("mask: 0x300000", "mask: -1"), 17, 12,
                        "smh_policy[0].mask: -1 is not allowed; must be >= 0"),
    "cache line not pow2": (_edit("line_size: 32", "line_size: 48"), 19, 14,
                            "cache.line_size: 48 is not allowed; must be a power of two"),
    "cache line tiny": (_edit("line_size: 32", "line_size: 2"), 19, 14,
                        "cache.line_size: 2 is not allowed; must be >= 4"),
    "cache size": (_edit("size: 16384", "size: 10000"), 20, 9,
                   "cache.size: 10000 is not allowed; size / (line_size * ways) must be a power-of-two"),
    "cache ways": (_edit("ways: 4", "ways: 0"), 21, 9, "cache.ways: 0 is not allowed; must be >= 1"),
    "cache missing key": (_edit("  ways: 4\n", ""), 19, 3, "cache.ways: required key is missing"),
    "cache a string": (_edit("cache:\n  line_size: 32\n  size: 16384\n  ways: 4", "cache: big"), 18, 8,
                       "cache: expected a mapping"),
    "mem_attr heap without enabled": (_edit("enabled: true\n  heap: false", "enabled: false\n  heap: true"),
                                      24, 9, "mem_attr.heap: true requires mem_attr.enabled: true"),
    "mem_attr unknown": (_edit("  heap: false\n", "  heap: false\n  table: true\n"), 25, 3,
                         "mem_attr.table: unknown key"),
    "drivers not list": (_edit("drivers: [a,b]", "drivers: a"), 25, 10, "drivers: expected a list of strings"),
    "drivers twice": (_edit("drivers: [a,b]", "drivers: [a,a]"), 25, 13, "drivers: 'a' is listed twice"),
    "drivers number": (_edit("drivers: [a,b]", "drivers: [a,3]"), 25, 13, "drivers: expected a string list item"),
    "duplicate key": (_edit("vendor: V\n", "vendor: V\nvendor: W\n"), 3, 1, "vendor: key given twice"),
    "yaml syntax": (_edit("soc: S\n", "soc: [S\n"), 4, 4, "YAML syntax error"),
    "top not mapping": ("- a\n- b\n", 1, 1, "expected a mapping"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_schema_error(tmp_path, case):
    text, line, column, needle = CASES[case]
    p = _board(tmp_path, text)
    with pytest.raises(BoardError) as e:
        load_board(p)
    err = e.value
    assert err.file == str(p)
    assert (err.line, err.column) == (line, column), str(err)
    assert needle in err.message, err.message
    assert str(err).startswith(f"{p}:{line}:{column}: error: ")


def test_empty_file(tmp_path):
    p = _board(tmp_path, "")
    with pytest.raises(BoardError) as e:
        load_board(p)
    assert e.value.file == str(p) and "board file is empty" in e.value.message


def test_unreadable_file(tmp_path):
    p = _board(tmp_path, GOOD)
    p.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(BoardError) as e:
        load_board(p)
    assert e.value.file == str(p) and "cannot read board file" in e.value.message


def test_cli_reports_a_broken_board_without_traceback(tmp_path, capsys, monkeypatch):
    from smh_boot import resources

    monkeypatch.setattr(resources, "boards_dir", lambda: tmp_path)
    p = _board(tmp_path, _edit("hardening: basic", "hardening: medium"))
    rc = main(["boards"])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.startswith(f"{p}:14:14: error: heap.hardening: 'medium' is not allowed")
    assert "Traceback" not in err


def test_hint_points_at_allowed_keys(tmp_path):
    p = _board(tmp_path, textwrap.dedent(GOOD) + "colour: red\n")
    with pytest.raises(BoardError) as e:
        load_board(p)
    assert "allowed keys here: name, vendor, soc, cpu, arch" in e.value.hint


@pytest.mark.parametrize("case", ["yaml syntax", "hardening", "policy attr"])
def test_pure_python_yaml_gives_the_same_locations(tmp_path, monkeypatch, case):
    # PyYAML without libyaml composes in pure Python; the marks must not change.
    import yaml

    from smh_boot import board as board_mod

    monkeypatch.setattr(board_mod, "_LOADER", yaml.SafeLoader)
    text, line, column, needle = CASES[case]
    with pytest.raises(BoardError) as e:
        load_board(_board(tmp_path, text))
    assert (e.value.line, e.value.column) == (line, column) and needle in e.value.message


def test_errors_name_the_file_as_the_user_wrote_it(tmp_path, monkeypatch):
    _board(tmp_path, _edit("hardening: basic", "hardening: medium"))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(BoardError) as e:
        load_board("t.yaml")
    assert str(e.value).startswith("t.yaml:14:14: error: heap.hardening:")


def test_board_path_is_absolute_when_given_relative(tmp_path, monkeypatch):
    _board(tmp_path, GOOD)
    monkeypatch.chdir(tmp_path)
    b = load_board("./t.yaml")
    assert b.path == (tmp_path / "t.yaml").resolve() and b.dts_path.is_absolute()


def test_unknown_yaml_tag_is_a_located_error(tmp_path):
    p = _board(tmp_path, _edit("vendor: V", "vendor: !vendor V"))
    with pytest.raises(BoardError) as e:
        load_board(p)
    assert (e.value.line, e.value.column) == (2, 9) and "cannot read this value" in e.value.message


def test_float_pointer_size_is_refused(tmp_path):
    p = _board(tmp_path, _edit("ptr_size: 4", "ptr_size: 4.0"))
    with pytest.raises(BoardError, match="ptr_size: 4.0 is not allowed; allowed: 4, 8"):
        load_board(p)
