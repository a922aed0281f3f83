"""Every input problem ends as ONE DevicetreeError at the original file:line:col, with a hint.

One test per case; messages are compared exactly (the first line) so a regression in the
location or wording shows."""

from __future__ import annotations

import pytest

from smh_boot.devicetree import find_regions, load_devicetree
from smh_boot.errors import DevicetreeError
from smhdt_helpers import needs_cpp

pytestmark = needs_cpp

BASE = """
/dts-v1/;
#include <zephyr/dt-bindings/memory-attr/memory-attr.h>

/ {
	#address-cells = <1>;
	#size-cells = <1>;

	pool: memory@20000000 {
		reg = <0x20000000 0x1000>;
		zephyr,memory-attr = <( DT_MEM_CACHEABLE )>;
	};
};
"""


def _err(load, *overlays, base=BASE) -> DevicetreeError:
    with pytest.raises(DevicetreeError) as info:
        dt = load(base, *overlays)
        find_regions(dt)  # errors found while reading regions count too
    e = info.value
    assert e.hint, "every error carries a hint"
    assert "pre" not in (e.file or "").rsplit(".", 1)[-1], "never the preprocessed temp file"
    return e


def first_line(e: DevicetreeError) -> str:
    return str(e).splitlines()[0]


def test_syntax_error_missing_semicolon(load):
    e = _err(load, "/ {\n\tfoo {\n\t\treg = <1 2>\n\t};\n};\n")
    assert first_line(e) == "o0.overlay:3:14: error: expected ';' or ',' at the end of this line"


def test_syntax_error_in_an_included_dtsi(load, write):
    write("sub/part.dtsi", "/ {\n\tbar {\n\t\tx = <1>\n\t\ty = <2>;\n\t};\n};\n")
    e = _err(load, '#include "sub/part.dtsi"\n')
    assert first_line(e) == "sub/part.dtsi:3:10: error: expected ';' or ',' at the end of this line"


def test_missing_include(load):
    e = _err(load, "/* overlay */\n#include <nothere.h>\n")
    assert first_line(e) == "o0.overlay:2:10: error: cannot find include file 'nothere.h'"
    assert "-I DIR" in e.hint


def test_missing_dtlib_include(load):
    e = _err(load, '/include/ "gone.dtsi"\n')
    assert first_line(e) == "o0.overlay:1:1: error: 'gone.dtsi' could not be found"


def test_undefined_label_in_a_value(load):
    e = _err(load, "/ {\n\tdev {\n\t\tmemory-region = <&no_such_pool>;\n\t};\n};\n")
    assert first_line(e) == (
        "o0.overlay:3:20: error: undefined node label 'no_such_pool' (referenced from /dev)"
    )


def test_undefined_label_suggests_a_close_one(load):
    e = _err(load, "/ {\n\tdev {\n\t\tmemory-region = <&pol>;\n\t};\n};\n")
    assert "did you mean 'pool'?" in e.hint


def test_undefined_label_in_a_chosen_path(load):
    e = _err(load, "/ {\n\tchosen {\n\t\tzephyr,sram =\n\t\t\t&nope;\n\t};\n};\n")
    assert first_line(e) == "o0.overlay:4:4: error: undefined node label 'nope' (referenced from /chosen)"


def test_undefined_label_override(load):
    e = _err(load, "/* override */\n&no_such_label {\n\tx = <1>;\n};\n")
    assert first_line(e) == "o0.overlay:2:1: error: undefined node label 'no_such_label'"


def test_wrong_reg_length(load):
    e = _err(load, "&pool {\n\treg = <0x20000000 0x1000 0x5>;\n};\n")
    assert first_line(e) == (
        "o0.overlay:2:2: error: 'reg' of /memory@20000000 has 3 cells, which is not a multiple "
        "of 2 (#address-cells = <1> + #size-cells = <1> of /)"
    )


def test_string_where_a_number_belongs_in_cells(load):
    e = _err(load, '&pool {\n\treg = <0x1000 "big">;\n};\n')
    assert first_line(e) == "o0.overlay:2:16: error: a string where a number belongs"


def test_string_where_a_number_belongs_in_reg(load):
    e = _err(load, '&pool {\n\treg = "0x20000000";\n};\n')
    assert first_line(e).startswith("o0.overlay:2:2: error: 'reg' must be a list of numbers")


def test_string_where_a_number_belongs_in_memory_attr(load):
    e = _err(load, '&pool {\n\tzephyr,memory-attr = "DMA";\n};\n')
    assert first_line(e).startswith(
        'o0.overlay:2:2: error: a string where a number belongs: zephyr,memory-attr = "DMA"'
    )


def test_memory_attr_with_two_cells(load):
    e = _err(load, "&pool {\n\tzephyr,memory-attr = <1 2>;\n};\n")
    assert first_line(e).startswith("o0.overlay:2:2: error: zephyr,memory-attr must be one 32-bit number")


def test_unknown_macro_column_is_on_the_original_line(load):
    # DT_MEM_CACHEABLE expands to a longer text before the bad name: the column must still
    # be the one in the overlay, not in the preprocessed line
    e = _err(load, "&pool {\n\tzephyr,memory-attr = <( DT_MEM_CACHEABLE | DT_MEM_DAM )>;\n};\n")
    assert first_line(e) == "o0.overlay:2:45: error: unknown macro 'DT_MEM_DAM' in a cell expression"
    assert "did you mean 'DT_MEM_DMA'?" in e.hint


def test_unknown_macro_from_a_header_not_included(load):
    e = _err(load, "&pool {\n\tzephyr,memory-attr = <( DT_MEM_SW_ALLOC_DMA )>;\n};\n")
    assert "<zephyr/dt-bindings/memory-attr/memory-attr-sw.h>" in e.hint


def test_unterminated_macro_call(load):
    e = _err(load, "#include <zephyr/dt-bindings/memory-attr/memory-attr-sw.h>\n"
                   "/ {\n\tx = <DT_MEM_SW(1>;\n};\n")
    assert first_line(e).startswith("o0.overlay:4:3:")  # where cpp reports it
    assert "unterminated argument list" in first_line(e)


def test_hash_error(load):
    e = _err(load, "#error stop here\n")
    assert first_line(e) == "o0.overlay:1:2: error: stop here"


def test_unclosed_brace_at_end_of_input(load):
    e = _err(load, "/ {\n\tfoo {\n")
    assert first_line(e) == (
        "o0.overlay:2: error: unexpected end of input (expected node name, property name, or '}')"
    )


def test_duplicate_label(load):
    e = _err(load, "/ {\n\tpool: other {\n\t};\n};\n")
    assert first_line(e) == (
        "o0.overlay:2:8: error: label 'pool' is defined twice (on /memory@20000000 and on /other)"
    )


def test_missing_dts_v1(load):
    e = _err(load, base="/ {\n};\n")
    assert first_line(e) == "board.dts:1:1: error: expected '/dts-v1/;' at start of file"


def test_division_by_zero(load):
    e = _err(load, "/ {\n\tx = <(1 / 0)>;\n};\n")
    assert first_line(e) == "o0.overlay:2:12: error: division by zero"


def test_missing_reg_on_a_region(load):
    e = _err(load, "/ {\n\tnoreg {\n\t\tzephyr,memory-attr = <1>;\n\t};\n};\n")
    assert first_line(e) == "o0.overlay:2:2: error: /noreg has a memory attribute but no <address size> 'reg'"


def test_missing_files(write):
    with pytest.raises(DevicetreeError, match=r"^nothere\.dts: error: no such devicetree file"):
        load_devicetree("nothere.dts")
    board = write("board.dts", "/dts-v1/;\n/ { };\n")
    with pytest.raises(DevicetreeError, match=r"^gone\.overlay: error: no such devicetree file"):
        load_devicetree(board, ["gone.overlay"])
    with pytest.raises(DevicetreeError, match=r"^nodir: error: include directory does not exist"):
        load_devicetree(board, include_dirs=["nodir"])


def test_missing_cpp_says_how_to_install_it(write, monkeypatch):
    board = write("board.dts", "/dts-v1/;\n/ { };\n")
    monkeypatch.delenv("SMH_BOOT_CPP", raising=False)
    with pytest.raises(DevicetreeError) as info:
        load_devicetree(board, cpp="no-such-cpp-binary")
    assert str(info.value).startswith(
        "board.dts: error: the C preprocessor 'no-such-cpp-binary' was not found"
    )
    assert "apt-get install cpp" in info.value.hint


def test_cpp_from_environment(write, monkeypatch):
    board = write("board.dts", "/dts-v1/;\n/ { };\n")
    monkeypatch.setenv("SMH_BOOT_CPP", "no-such-cpp-either")
    with pytest.raises(DevicetreeError, match="no-such-cpp-either"):
        load_devicetree(board)


def test_cpp_that_cannot_run(write, tmp_path):
    board = write("board.dts", "/dts-v1/;\n/ { };\n")
    fake = tmp_path / "fakecpp"
    fake.write_text("#!/bin/sh\necho 'something odd happened' >&2\nexit 3\n")
    fake.chmod(0o755)
    with pytest.raises(DevicetreeError) as info:
        load_devicetree(board, cpp=str(fake))
    assert str(info.value).startswith(
        "board.dts: error: the C preprocessor failed: something odd happened"
    )


def test_not_utf8(write, tmp_path):
    (tmp_path / "bin.dts").write_bytes(b'/dts-v1/;\n/ {\n\tmodel = "caf\xe9";\n};\n')
    with pytest.raises(DevicetreeError) as info:
        load_devicetree("bin.dts")
    # located at the bad byte, before cpp runs (cpp would echo the byte back)
    assert str(info.value).startswith("bin.dts:3:14: error: the file is not valid UTF-8 (byte 0xe9)")
