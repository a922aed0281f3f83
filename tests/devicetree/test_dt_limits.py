"""Hostile and oversized devicetrees end in ONE located DevicetreeError, quickly.

Regression tests for /work/notes/robustness_bugs.md RB-1..RB-5 and review P1-1..P1-3, P2-1:
include cycles, deep nesting, huge tokens, root-node corner cases and non-UTF-8 input.
Every test runs under a deadline, so a regression to "hangs for ever" fails instead of
stalling the suite."""

from __future__ import annotations

import os
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smh_boot.devicetree import find_regions, load_devicetree, load_preprocessed
from smh_boot.devicetree import guards
from smh_boot.devicetree.guards import MAX_NODE_DEPTH, MAX_STATEMENT_CHARS, check_text, long_token
from smh_boot.errors import DevicetreeError
from smh_boot.fuzz.harness import time_limit
from smhdt_helpers import needs_cpp

pytestmark = needs_cpp


# A hang fails the test instead of stalling the suite (InputTimeout is a BaseException: no
# 'except Exception' in the code under test can swallow it).
deadline = time_limit


def _error(dts: str, overlays=(), seconds: float = 20.0) -> DevicetreeError:
    with deadline(seconds), pytest.raises(DevicetreeError) as info:
        find_regions(load_devicetree(dts, overlays))
    e = info.value
    assert e.hint and e.file, str(e)
    return e


def first(e: DevicetreeError) -> str:
    return str(e).splitlines()[0]


# ----------------------------------------------------------------------- RB-1 /include/


def test_include_cycle_is_refused_at_the_include_line(write):
    write("a.dts", '/dts-v1/;\n/include/ "c.dtsi"\n/ { };\n')
    write("c.dtsi", '/include/ "d.dtsi"\n')
    write("d.dtsi", '// d includes c again\n/include/ "c.dtsi"\n')
    e = _error("a.dts", seconds=10)
    assert first(e) == "d.dtsi:2:1: error: recursive /include/: c.dtsi -> d.dtsi -> c.dtsi"


def test_file_including_itself(write):
    write("a.dts", '/dts-v1/;\n/ { };\n/include/ "self.dtsi"\n')
    write("self.dtsi", '/ { x = <1>; };\n/include/ "self.dtsi"\n')
    assert first(_error("a.dts", seconds=10)) == (
        "self.dtsi:2:1: error: recursive /include/: self.dtsi -> self.dtsi"
    )


def test_include_cycle_through_another_spelling_of_the_name(write, tmp_path):
    # The same file reached through a subfolder path and a symlink is still the same file.
    write("a.dts", '/dts-v1/;\n/include/ "sub/../c.dtsi"\n/ { };\n')
    write("c.dtsi", '/include/ "link.dtsi"\n')
    (tmp_path / "sub").mkdir()
    os.symlink(tmp_path / "c.dtsi", tmp_path / "link.dtsi")
    e = _error("a.dts", seconds=10)
    # names as opened (relative to the including file), the cycle found by identity
    assert first(e) == (
        "sub/../c.dtsi:1:1: error: recursive /include/: sub/../c.dtsi -> sub/../link.dtsi"
    )


def test_include_chain_deeper_than_cpp_allows(write):
    write("a.dts", '/dts-v1/;\n/include/ "i0.dtsi"\n/ { };\n')
    for i in range(guards.MAX_INCLUDE_DEPTH + 5):
        write(f"i{i}.dtsi", f'/include/ "i{i + 1}.dtsi"\n')
    write(f"i{guards.MAX_INCLUDE_DEPTH + 5}.dtsi", "\n")
    e = _error("a.dts", seconds=10)
    assert first(e) == (
        f"i{guards.MAX_INCLUDE_DEPTH - 1}.dtsi:1:1: error: /include/ nested deeper than "
        f"{guards.MAX_INCLUDE_DEPTH} files"
    )


def test_a_diamond_of_includes_is_no_cycle(write):
    # b and c both include d: the same file twice, but never inside itself.
    write("a.dts", '/dts-v1/;\n/include/ "b.dtsi"\n/include/ "c.dtsi"\n/ { x = <1>; };\n')
    write("b.dtsi", '/include/ "d.dtsi"\n')
    write("c.dtsi", '/include/ "d.dtsi"\n')
    write("d.dtsi", "/ { d = <2>; };\n")
    with deadline(10):
        dt = load_devicetree("a.dts")
    assert dt.props(dt.root) == {"d": 2, "x": 1}


@pytest.mark.parametrize(
    "directive, target, message",
    [
        ('/include/ "-"', None, "reading standard input ('-') is not supported"),
        ('/ { x = /incbin/("-"); };', None, "reading standard input ('-') is not supported"),
        ('/ { x = /incbin/("/dev/zero"); };', None, "/incbin/ target '/dev/zero' is under /dev: "
         "files of /proc, /sys, /dev are never read as devicetree input"),
        ('/include/ "fifo"', "fifo", "/include/ target 'fifo' is not a regular file (a FIFO)"),
        ('/include/ "folder"', "folder", "/include/ target 'folder' is not a regular file (a directory)"),
    ],
    ids=["include-stdin", "incbin-stdin", "incbin-dev-zero", "include-fifo", "include-folder"],
)
def test_include_and_incbin_read_only_regular_files(write, tmp_path, directive, target, message):
    # dtlib would read stdin, block on the FIFO, or read /dev/zero until memory runs out.
    if target == "fifo":
        os.mkfifo(tmp_path / "fifo")
    elif target == "folder":
        (tmp_path / "folder").mkdir()
    write("a.dts", f"/dts-v1/;\n/ {{ }};\n{directive}\n")
    e = _error("a.dts", seconds=10)
    assert first(e).startswith("a.dts:3:") and first(e).endswith(f"error: {message}")


def test_incbin_of_a_regular_file_still_works(write, tmp_path):
    (tmp_path / "blob.bin").write_bytes(b"\x01\x02\xff")
    write("a.dts", '/dts-v1/;\n/ { x = /incbin/("blob.bin"); };\n')
    dt = load_devicetree("a.dts")
    assert dt.props(dt.root)["x"] == b"\x01\x02\xff"


def test_non_utf8_include_is_named(write, tmp_path):
    write("a.dts", '/dts-v1/;\n/ { };\n/include/ "bin.dtsi"\n')
    (tmp_path / "bin.dtsi").write_bytes(b'/ {\n\tx = "\xff";\n};\n')
    assert first(_error("a.dts")) == (
        "bin.dtsi:2:7: error: the file is not valid UTF-8 (byte 0xff); is it a devicetree source?"
    )


def test_oversized_statement_in_an_include_is_located_there(write):
    write("a.dts", '/dts-v1/;\n/ { };\n/include/ "big.dtsi"\n')
    write("big.dtsi", "/ {\n\tok = <1>;\n\tbig = <" + "7 " * MAX_STATEMENT_CHARS + ">;\n};\n")
    assert first(_error("a.dts")).startswith("big.dtsi:3:2: error: a statement longer than 64 KiB")


# ----------------------------------------------------------------------- RB-2 nesting


def _nested(levels: int, leaf: str = "") -> str:
    # One node per line: level k (root = 0) opens on line k + 2.
    opens = "".join(f"n{i} {{\n" for i in range(1, levels + 1))
    return "/dts-v1/;\n/ {\n" + opens + leaf + "};\n" * levels + "};\n"


def test_10000_deep_nesting_is_one_located_error(write):
    write("deep.dts", _nested(10_000))
    e = _error("deep.dts")
    # the first node past the limit, on its own line
    assert first(e) == (
        f"deep.dts:{MAX_NODE_DEPTH + 3}:1: error: nodes nested deeper than {MAX_NODE_DEPTH} "
        "levels (the root is level 0)"
    )


def test_the_deepest_allowed_node_loads_and_every_walk_reaches_it(write):
    leaf = (
        "#address-cells = <1>; #size-cells = <1>;\n"
        "mem@1000 { reg = <0x1000 0x100>; zephyr,memory-attr = <1>; };\n"
    )
    write("ok.dts", _nested(MAX_NODE_DEPTH - 1, leaf))  # mem@1000 sits at the limit
    with deadline(20):
        dt = load_devicetree("ok.dts")
        nodes = list(dt.nodes())
        scan = find_regions(dt)
    assert len(nodes) == MAX_NODE_DEPTH + 1
    assert nodes[-1].path.count("/") == MAX_NODE_DEPTH
    assert [r.addr for r in scan.regions] == [0x1000]


def test_nesting_counts_from_where_a_label_override_starts(write):
    # '&deep { ... }' at the top level opens at the labelled node's depth, not at 1.
    leaf = "deep: leaf { };\n"
    over = "".join(f"m{i} {{\n" for i in range(3)) + "};\n" * 3
    write("b.dts", _nested(MAX_NODE_DEPTH - 2, leaf) + "&deep {\n" + over + "};\n")
    e = _error("b.dts")
    assert "nodes nested deeper than" in first(e)
    # m1, two lines below '&deep {', which follows the 2 * (MAX - 2) + 5 lines of _nested()
    assert first(e).startswith(f"b.dts:{2 * MAX_NODE_DEPTH + 3}:1:")


def test_deeply_nested_expression(write):
    write("expr.dts", "/dts-v1/;\n/ {\n\tx = <" + "(" * 5000 + "1" + ")" * 5000 + ">;\n};\n")
    assert first(_error("expr.dts")) == (
        "expr.dts:3: error: expression or nesting too deep for the parser"
    )


def test_nodes_walk_matches_dtlib_order(load):
    dt = load("/dts-v1/;\n/ { a { a1 { }; a2 { x { }; }; }; b { }; c { c1 { }; }; };\n")
    assert [n.path for n in dt.nodes()] == [n.path for n in dt.dt.node_iter()]
    assert [n.path for n in dt.nodes()][:4] == ["/", "/a", "/a/a1", "/a/a2"]


# ----------------------------------------------------------------------- RB-3 sizes


@pytest.mark.parametrize(
    "value, what, col",
    [
        ('"' + "y" * (2 << 20) + '"', "a string", 9),  # one 2 MiB string (10 GB for 50 MB)
        ("<" + "1 " * (1 << 19) + ">", "a statement", 2),  # cells: quadratic in dtlib
        ("[" + "ab " * (1 << 18) + "]", "a statement", 2),
        (", ".join(['"a;b"'] * 20_000), "a statement", 2),  # ';' inside strings
    ],
    ids=["string", "cells", "bytes", "strings-with-semicolons"],
)
def test_oversized_property_is_refused_before_dtlib(write, value, what, col):
    write("big.dts", "/dts-v1/;\n/ {\n\tok = <1>;\n\tblob = " + value + ";\n};\n")
    e = _error("big.dts", seconds=10)
    assert first(e).startswith(f"big.dts:4:{col}: error: {what} longer than 64 KiB of source")


def test_oversized_value_in_an_overlay_names_the_overlay(write):
    write("board.dts", "/dts-v1/;\n/ { };\n")
    write("o.overlay", "/ {\n\tbig = <" + "3 " * MAX_STATEMENT_CHARS + ">;\n};\n")
    assert first(_error("board.dts", ["o.overlay"])).startswith("o.overlay:2:2: error: a statement")


def test_input_file_over_the_size_limit_is_refused_before_cpp(write, tmp_path):
    write("board.dts", "/dts-v1/;\n/ { };\n")
    with open(tmp_path / "huge.overlay", "wb") as f:  # sparse: costs no disk
        f.truncate(guards.MAX_SOURCE_BYTES + (1 << 20))
    assert first(_error("board.dts", ["huge.overlay"])) == (
        "huge.overlay: error: the file is 65 MiB, over the 64 MiB limit"
    )


def test_preprocessed_output_over_the_size_limit(write, monkeypatch):
    # Small files, but the header they pull in makes the preprocessed text too big.
    monkeypatch.setattr(guards, "MAX_SOURCE_BYTES", 4096)
    write("big.h", "".join(f"/ {{ p{i} = <{i}>; }};\n" for i in range(400)))
    write("board.dts", '/dts-v1/;\n#include "big.h"\n')
    e = _error("board.dts")
    assert first(e).startswith("board.dts: error: the preprocessed devicetree is ")
    # Sizes come from units.human_size, like every other size smh-boot prints (the old
    # private formatter said "0.0 MiB" for this 4 KiB limit).  cpp's watchdog may stop it
    # first: then "at least" the size written so far.
    assert re.fullmatch(r"board\.dts: error: the preprocessed devicetree is (at least )?~?[\d.]+ "
                        r"KiB, over the 4 KiB limit", first(e)), first(e)


def test_check_text_limits_are_exact():
    n = MAX_STATEMENT_CHARS

    def where(off):
        return ("f.dts", 1, off + 1)

    check_text('x = "' + "y" * n + '";', where)  # exactly the limit: fine
    with pytest.raises(DevicetreeError, match="a string longer than 64 KiB"):
        check_text('x = "' + "y" * (n + 1) + '";', where)
    check_text("x" * n + ";" + "y" * n + ";", where)
    with pytest.raises(DevicetreeError, match="a statement longer than 64 KiB") as info:
        check_text("a; " + "x" * (n + 1) + ";", where)
    assert info.value.column == 4  # the first non-blank character of the statement
    # an escaped quote does not end a string (and counts as one character, like in dtlib)
    check_text('x = "' + '\\"' * n + '";', where)
    with pytest.raises(DevicetreeError, match="a string longer"):
        check_text('x = "' + '\\"' * (n + 1) + '";', where)


def _reference(text: str, limit: int):
    """long_token() written the slow, obvious way: a character loop."""
    # 1. strings: the first with more than `limit` units (an escape is one unit)
    spans, i = [], 0
    while i < len(text):
        if text[i] != '"':
            i += 1
            continue
        j, units = i + 1, 0
        while j < len(text) and text[j] != '"':
            if text[j] == "\\" and j + 1 >= len(text):
                break  # a lone backslash at the very end: no unit, string unterminated
            j += 2 if text[j] == "\\" else 1
            units += 1
        if units > limit:
            return "string", i
        if j >= len(text) or text[j] != '"':
            break  # unterminated: its characters stay plain text
        spans.append((i, j + 1))
        i = j + 1
    # 2. statements: runs without ';', '{', '}', a complete string counting 2 characters
    starts = {a: b for a, b in spans}
    run_start, length, i = 0, 0, 0
    while i < len(text):
        if i in starts:
            length, i = length + 2, starts[i]
        elif text[i] in ";{}":
            run_start, length, i = i + 1, 0, i + 1
            continue
        else:
            length, i = length + 1, i + 1
        if length > limit:
            k = run_start
            while k < len(text) and text[k].isspace():
                k += 1
            return "statement", k
    return None


@settings(max_examples=400, deadline=None, derandomize=True)
@given(text=st.text(alphabet='ab;{}" \\\n', max_size=40), limit=st.integers(1, 6))
def test_long_token_agrees_with_a_plain_loop(text, limit):
    # The regular expressions behind the limits are subtle (possessive loops, anchors at
    # delimiters, offsets mapped back through shrunk strings): compare with the obvious code.
    assert long_token(text, limit) == _reference(text, limit)


def test_deep_nesting_is_not_mistaken_for_a_long_statement():
    # 20,000 '{' without a ';' between them: the depth limit, not the statement limit,
    # reports it (the parser stops at the first node too deep).
    check_text("/ {" + "n {" * 20_000 + "};" * 20_001, lambda off: ("f", 1, 1))


def test_a_big_legitimate_tree_passes_the_checks():
    # 100,000 nodes, about 20 MB: the scale the limits must leave alone (dtlib itself
    # needs about 20 s for it; bench/dt_regions.py measures that side).
    body = "".join(
        f'\tr{i}: memory@{i:x} {{\n\t\tcompatible = "zephyr,memory-region", "mmio-sram";\n'
        f'\t\treg = <{i:#x} 0x1000>;\n\t\tzephyr,memory-region = "R{i}";\n\t}};\n'
        for i in range(100_000)
    )
    text = "/dts-v1/;\n/ {\n" + body + "};\n"
    assert len(text) > 12 << 20
    check_text(text, lambda off: pytest.fail(f"refused at {off}"))


# ----------------------------------------------------------------------- RB-4, RB-5


def test_root_reg_of_the_wrong_length(load):
    with pytest.raises(DevicetreeError) as info:
        find_regions(load(
            "/dts-v1/;\n/ { #address-cells = <1>; #size-cells = <1>;\n"
            "reg = <0x1000>; zephyr,memory-attr = <0>; };\n"
        ))
    assert first(info.value) == (
        "board.dts:3:1: error: 'reg' of / has 1 cells, which is not a multiple of 2 "
        "(#address-cells = <1> + #size-cells = <1> of /)"
    )


def test_root_reg_of_the_right_length_is_a_region(load):
    scan = find_regions(load(
        "/dts-v1/;\n/ { #address-cells = <1>; #size-cells = <1>;\n"
        "reg = <0x1000 0x20>; zephyr,memory-attr = <0>; };\n"
    ))
    assert [(r.path, r.addr, r.size) for r in scan.regions] == [("/", 0x1000, 0x20)]


@pytest.mark.parametrize("directive", ["/delete-node/", "/omit-if-no-ref/"])
def test_the_root_cannot_be_deleted(load, directive):
    with pytest.raises(DevicetreeError) as info:
        load(f"/dts-v1/;\n/ {{ }};\n{directive} &{{/}};\n")
    col = len(directive) + 2
    assert first(info.value) == f"board.dts:3:{col}: error: the root node cannot be deleted or omitted"
    assert "children" in info.value.hint


def test_deleting_a_child_by_path_still_works(load):
    dt = load("/dts-v1/;\n/ { a { }; b { }; };\n/delete-node/ &{/a};\n")
    assert [n.path for n in dt.nodes()] == ["/", "/b"]


# ----------------------------------------------------------------------- P1-1, P2-1 encodings


def test_binary_board_file_is_named_before_cpp(write, tmp_path):
    (tmp_path / "garbage.dts").write_bytes(bytes(range(256)) * 8)
    e = _error("garbage.dts")
    assert first(e) == (
        "garbage.dts:2:118: error: the file is not valid UTF-8 (byte 0x80); is it a devicetree "
        "source?"
    )


def test_non_utf8_overlay_is_blamed_on_the_overlay(write, tmp_path):
    write("board.dts", "/dts-v1/;\n/ { };\n")
    (tmp_path / "bin.overlay").write_bytes(b"/ {\n\tx = <1>;\n\ty = \"\xff\xfe\";\n};\n")
    assert first(_error("board.dts", ["bin.overlay"])).startswith(
        "bin.overlay:3:7: error: the file is not valid UTF-8 (byte 0xff)"
    )


def test_non_utf8_header_is_named_through_the_line_markers(write, tmp_path):
    (tmp_path / "bad.h").write_bytes(b"/ {\n\tok = <1>;\n\ts = \"caf\xe9\";\n};\n")
    write("board.dts", '/dts-v1/;\n#include "bad.h"\n')
    assert first(_error("board.dts")).startswith(
        "bad.h:3:10: error: the file is not valid UTF-8 (byte 0xe9)"
    )


def test_cpp_stderr_that_is_not_utf8(write, tmp_path):
    board = write("board.dts", "/dts-v1/;\n/ { };\n")
    fake = tmp_path / "fakecpp"
    fake.write_text("#!/bin/sh\nprintf 'x.dts:7: error: bad byte \\377 here\\n' >&2\nexit 1\n")
    fake.chmod(0o755)
    with pytest.raises(DevicetreeError) as info:
        load_devicetree(board, cpp=str(fake))
    assert first(info.value) == "x.dts:7: error: bad byte \ufffd here"


# ----------------------------------------------------------------------- last-resort guard


def test_unexpected_parser_exception_becomes_a_devicetree_error(write, monkeypatch):
    from smh_boot.devicetree.parser import LocatingDT

    def boom(self):
        raise KeyError("surprise")

    monkeypatch.setattr(LocatingDT, "_register_labels", boom)
    write("board.dts", "/dts-v1/;\n/ { };\n")
    e = _error("board.dts")
    assert "the devicetree parser failed on this input: KeyError: 'surprise'" in first(e)
    assert e.file == "board.dts"


def test_plain_preprocessed_file_keeps_its_own_name(tmp_path):
    pre = tmp_path / "plain.dts"
    pre.write_text("/dts-v1/;\n/ {\n\tx = <" + "(" * 3000 + "1" + ")" * 3000 + ">;\n};\n")
    with pytest.raises(DevicetreeError) as info:
        load_preprocessed(pre)
    assert first(info.value) == f"{pre}:3: error: expression or nesting too deep for the parser"


def test_a_directory_given_as_devicetree_says_so(write, tmp_path):
    (tmp_path / "boards").mkdir()
    write("board.dts", "/dts-v1/;\n/ { };\n")
    for dts, overlays in (("boards", ()), ("board.dts", ("boards",))):
        with pytest.raises(DevicetreeError) as info:
            load_devicetree(dts, overlays)
        assert first(info.value) == (
            "boards: error: is a directory; a devicetree file (.dts or .overlay) was expected"
        )
