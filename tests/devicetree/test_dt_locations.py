"""The location shim: every node and property knows where it was LAST defined.

It relies on private attributes of dtlib 0.0.2 (parser position and two parser methods), so
these tests are the guard for a dtlib upgrade."""

from __future__ import annotations

from devicetree import dtlib

from smh_boot.devicetree import SourceLocation, load_devicetree, load_preprocessed
from smhdt_helpers import needs_cpp

pytestmark = needs_cpp

BOARD = """
/dts-v1/;
#include "board.dtsi"

/ {
	#address-cells = <1>;
	#size-cells = <1>;

	sram0: memory@20000000 {
		compatible = "mmio-sram";
		reg = <0x20000000 0x10000>;
		no-map;
	};
};
"""

DTSI = """
/ {
	soc {
		uart0: uart@4000 {
			status = "disabled";
		};
	};
};
"""


def _loc(dt, obj):
    loc = dt.location(obj)
    return (loc.file, loc.line, loc.column)


def test_source_location_str():
    assert str(SourceLocation("a.dts", 3, 7)) == "a.dts:3:7"
    assert str(SourceLocation("a.dts", 3)) == "a.dts:3"


def test_nodes_and_properties_point_at_their_definition(load, write):
    write("board.dtsi", DTSI)
    dt = load(BOARD)
    sram = dt.get("&sram0")
    assert _loc(dt, sram) == ("board.dts", 8, 9)  # the name token, after the label
    assert _loc(dt, sram.props["reg"]) == ("board.dts", 10, 3)
    assert _loc(dt, sram.props["no-map"]) == ("board.dts", 11, 3)  # empty property too
    uart = dt.get("/soc/uart@4000")
    assert _loc(dt, uart) == ("board.dtsi", 3, 10)
    assert _loc(dt, uart.props["status"]) == ("board.dtsi", 4, 4)


def test_label_override_moves_node_and_property(load, write):
    write("board.dtsi", DTSI)
    dt = load(BOARD, "/* app */\n&sram0 {\n\treg = <0x20000000 0x8000>;\n};\n",
              "&uart0 {\n\tstatus = \"okay\";\n};\n")
    sram = dt.get("sram0")
    assert _loc(dt, sram) == ("o0.overlay", 2, 1)
    assert _loc(dt, sram.props["reg"]) == ("o0.overlay", 3, 2)
    # a property the override did not touch keeps its own place
    assert _loc(dt, sram.props["compatible"]) == ("board.dts", 9, 3)
    uart = dt.get("&uart0")
    assert _loc(dt, uart.props["status"]) == ("o1.overlay", 2, 2)
    assert dt.status_okay(uart)


def test_redefinition_by_path_moves_the_location(load, write):
    write("board.dtsi", DTSI)
    dt = load(BOARD, "/ {\n\tsoc {\n\t\tuart@4000 {\n\t\t\tcurrent-speed = <9600>;\n\t\t};\n\t};\n};\n")
    uart = dt.get("/soc/uart@4000")
    assert _loc(dt, uart) == ("o0.overlay", 3, 3)
    assert _loc(dt, uart.props["current-speed"]) == ("o0.overlay", 4, 4)
    assert _loc(dt, uart.props["status"]) == ("board.dtsi", 4, 4)


def test_same_property_twice_in_one_file_last_wins(load):
    dt = load("/dts-v1/;\n/ {\n\tx = <1>;\n\tx = <2>;\n};\n")
    assert _loc(dt, dt.root.props["x"]) == ("board.dts", 4, 2)
    assert dt.int_prop(dt.root, "x") == 2


def test_deleted_and_recreated_node_gets_the_new_location(load, write):
    write("board.dtsi", DTSI)
    dt = load(BOARD, "/ {\n\t/delete-node/ memory@20000000;\n\tsram0: memory@20000000 {\n"
                     "\t\treg = <0x20000000 0x100>;\n\t};\n};\n")
    sram = dt.get("&sram0")
    assert _loc(dt, sram) == ("o0.overlay", 3, 9)
    assert "no-map" not in sram.props


def test_location_survives_multi_line_macros_and_comments(load):
    board = (
        "/dts-v1/;\n"
        "#define BIG(x) \\\n  ((x) * 2)\n"
        "/* a comment\n   over lines */\n"
        "/ {\n"
        "\ta = <BIG(\n\t\t3)>;\n"
        "\tb = <4>;\n"
        "};\n"
    )
    dt = load(board)
    assert dt.int_prop(dt.root, "a") == 6
    assert _loc(dt, dt.root.props["a"]) == ("board.dts", 7, 2)
    assert _loc(dt, dt.root.props["b"]) == ("board.dts", 9, 2)


def test_headers_from_the_project_include_path_keep_their_names(load):
    dt = load("/dts-v1/;\n#include <mem.h>\n/ {\n\tsz = <DT_SIZE_K(4)>;\n};\n")
    assert dt.int_prop(dt.root, "sz") == 4096
    assert _loc(dt, dt.root.props["sz"]) == ("board.dts", 4, 2)


def test_shim_does_not_touch_plain_dtlib(tmp_path):
    # the hooks live in a subclass: a plain dtlib.DT in the same process records nothing
    p = tmp_path / "x.dts"
    p.write_text("/dts-v1/;\n/ {\n\tx = <1>;\n};\n")
    plain = dtlib.DT(str(p))
    assert not hasattr(plain.root, "_smh_loc")
    assert not hasattr(plain.root.props["x"], "_smh_loc")
    ours = load_preprocessed(p)
    assert ours.location(ours.root.props["x"]) == SourceLocation(str(p), 3, 2)


def test_load_accepts_path_objects(write, tmp_path):
    write("board.dts", "/dts-v1/;\n/ { };\n")
    dt = load_devicetree(tmp_path / "board.dts", include_dirs=[tmp_path])
    assert dt.dts_path == str(tmp_path / "board.dts")
    assert dt.include_dirs == (str(tmp_path),)
