"""Devicetree accessors: reg decoding and translation, lookups, typed properties."""

from __future__ import annotations

import pytest

from smh_boot.devicetree import Reg
from smh_boot.devicetree.cells import join_cells, split_entries, translate
from smh_boot.errors import DevicetreeError
from smhdt_helpers import needs_cpp

TREE = """
/dts-v1/;

/ {
	#address-cells = <2>;
	#size-cells = <2>;

	chosen {
		zephyr,sram = &ram;
	};

	aliases {
		pool0 = &dma_pool;
	};

	ram: memory@100000000 {
		device_type = "memory";
		reg = <0x1 0x0 0x0 0x10000000>, <0x2 0x0 0x0 0x1000>;
	};

	reserved-memory {
		#address-cells = <1>;
		#size-cells = <1>;
		ranges = <0x0 0x0 0x80000000 0x100000>;

		dma_pool: pool@1000 {
			compatible = "shared-dma-pool";
			reg = <0x1000 0x2000>;
			reusable;
		};
	};

	bus@40000000 {
		#address-cells = <1>;
		#size-cells = <1>;
		ranges = <0x0 0x0 0x40000000 0x10000>;

		inner@100 {
			#address-cells = <1>;
			#size-cells = <1>;
			ranges = <0x0 0x100 0x1000>;

			sram: sram@20 {
				compatible = "zephyr,memory-region", "mmio-sram";
				reg = <0x20 0x10>;
			};
		};

		orphan {
			#address-cells = <1>;
			#size-cells = <0>;

			cpu@3 {
				reg = <3>;
			};
		};
	};

	nobus {
		#address-cells = <1>;
		#size-cells = <1>;

		thing@5 {
			reg = <0x5 0x1>;
		};
	};

	dev {
		memory-region = <&dma_pool &sram>;
		status = "ok";
		count = <7>;
		names = "a", "b";
	};

	off {
		status = "disabled";
	};
};
"""


@pytest.fixture
def dt(load):
    return load(TREE)


def test_cells_helpers():
    assert join_cells([0x1, 0x2]) == 0x100000002
    assert split_entries([1, 2, 3, 4], (1, 1)) == [(1, 2), (3, 4)]
    assert split_entries([], (0, 0)) == []
    with pytest.raises(ValueError):
        split_entries([1, 2, 3], (1, 1))
    with pytest.raises(ValueError):
        split_entries([1], (0, 0))
    assert translate(0x10, [(0x0, 0x1000, 0x20)]) == 0x1010
    assert translate(0x30, [(0x0, 0x1000, 0x20)]) is None


@needs_cpp
def test_reg_uses_parent_cells(dt):
    assert dt.reg(dt.get("&ram")) == [Reg(0x100000000, 0x10000000), Reg(0x200000000, 0x1000)]
    assert dt.cells(dt.get("&ram")) == (2, 2)


@needs_cpp
def test_reg_translates_through_every_ranges(dt):
    assert dt.reg(dt.get("&dma_pool")) == [Reg(0x80001000, 0x2000)]
    # sram@20 -> inner: 0x120 -> bus: 0x40000120
    assert dt.reg(dt.get("&sram")) == [Reg(0x40000120, 0x10)]


@needs_cpp
def test_reg_without_size_cells_and_without_ranges(dt):
    assert dt.reg(dt.get("/bus@40000000/orphan/cpu@3")) == [Reg(3, None)]  # orphan: no ranges
    assert dt.reg(dt.get("/nobus/thing@5")) == [Reg(5, 1)]
    assert dt.reg(dt.get("/dev")) == []


@needs_cpp
def test_bad_ranges_length_is_located(load):
    with pytest.raises(DevicetreeError) as info:
        dt = load("/dts-v1/;\n/ {\n\tbus {\n\t\t#address-cells = <1>;\n\t\t#size-cells = <1>;\n"
                  "\t\tranges = <0 0 0 0 0>;\n\t\tx@0 { reg = <0 1>; };\n\t};\n};\n")
        dt.reg(dt.get("/bus/x@0"))
    assert str(info.value).splitlines()[0] == (
        "board.dts:6:3: error: 'ranges' of /bus has 5 cells, which is not a multiple of 4 "
        "(child address 1 + parent address 2 + size 1)"
    )


@needs_cpp
def test_lookups(dt):
    assert dt.get("&dma_pool").path == "/reserved-memory/pool@1000"
    assert dt.get("dma_pool") is dt.get("&dma_pool")
    assert dt.get("pool0") is dt.get("&dma_pool")  # alias
    assert dt.get("/nope") is None and dt.get("&nope") is None
    assert dt.chosen("zephyr,sram") is dt.get("&ram")
    assert dt.chosen("zephyr,flash") is None
    assert [n.path for n in dt.phandle_targets(dt.get("/dev"), "memory-region")] == [
        "/reserved-memory/pool@1000", "/bus@40000000/inner@100/sram@20"
    ]
    assert dt.phandle_targets(dt.get("/dev"), "memory-regions") == []
    assert dt.root is dt.get("/")


@needs_cpp
def test_memory_nodes_in_devicetree_order(dt):
    assert [n.path for n in dt.memory_nodes()] == [
        "/memory@100000000", "/reserved-memory/pool@1000", "/bus@40000000/inner@100/sram@20"
    ]


@needs_cpp
def test_typed_properties(dt):
    dev = dt.get("/dev")
    assert dt.status(dev) == "okay" and dt.status_okay(dev)  # "ok" normalised
    assert not dt.status_okay(dt.get("/off"))
    assert dt.int_prop(dev, "count") == 7 and dt.int_prop(dev, "missing", 3) == 3
    assert dt.strings_prop(dev, "names") == ["a", "b"]
    assert dt.compatibles(dt.get("&sram")) == ["zephyr,memory-region", "mmio-sram"]
    assert dt.prop_kind(dev, "memory-region") == "phandles"
    assert dt.prop_kind(dt.get("&dma_pool"), "reusable") == "empty"
    assert dt.prop_kind(dev, "absent") is None
    assert dt.has_prop(dev, "count") and not dt.has_prop(dev, "absent")
    assert len(list(dt.nodes())) == 15


@needs_cpp
@pytest.mark.parametrize(
    "call, start",
    [
        (lambda dt: dt.int_prop(dt.get("/dev"), "names"), "'names' must be one number"),
        (lambda dt: dt.str_prop(dt.get("/dev"), "count"), "'count' must be one string"),
        (lambda dt: dt.strings_prop(dt.get("/dev"), "count"), "'count' must be a list of strings"),
        (lambda dt: dt.phandle_targets(dt.get("/dev"), "count"), "'count' must hold phandles"),
        (lambda dt: dt.chosen("zephyr,sram") and dt.chosen("bad"), "/chosen 'bad'"),
    ],
)
def test_typed_property_errors_are_located(load, call, start):
    dt = load(TREE.replace("zephyr,sram = &ram;", "zephyr,sram = &ram;\n\t\tbad = <1>;"))
    with pytest.raises(DevicetreeError) as info:
        call(dt)
    assert info.value.file == "board.dts" and info.value.line
    assert info.value.message.startswith(start)


@needs_cpp
def test_error_helper_for_other_layers(dt):
    e = dt.error(dt.get("&sram"), "overlaps something", "move it")
    assert str(e) == "board.dts:42:10: error: overlaps something\n  hint: move it"


PROPS = """
/dts-v1/;
/ {
	a: a { phandle-holder; };
	b: b { };
	all {
		flag;
		one = <7>;
		two = <1 2>;
		s = "text";
		ss = "x", "y";
		ref = <&a>;
		path = &b;
		refs = <&a &b>;
		bytes = [01 ff];
		mixed = <&a 3>;
		wide = /bits/ 64 <5>;
		latin = "caf\\xe9";
	};
};
"""


@needs_cpp
def test_props_gives_plain_values_of_every_kind(load):
    dt = load(PROPS)
    props = dt.props(dt.get("/all"))
    assert props == {
        "flag": True,
        "one": 7,
        "two": [1, 2],
        "s": "text",
        "ss": ["x", "y"],
        "ref": "/a",
        "path": "/b",
        "refs": ["/a", "/b"],
        "bytes": b"\x01\xff",
        "mixed": props["mixed"],  # phandle + number: raw bytes (checked below)
        "wide": b"\0\0\0\0\0\0\0\x05",
        "latin": b"caf\xe9\0",  # not UTF-8 after the escape: kept as bytes, never raises
    }
    assert isinstance(props["mixed"], bytes) and props["mixed"][4:] == b"\0\0\0\x03"
    assert list(props) == ["flag", "one", "two", "s", "ss", "ref", "path", "refs", "bytes",
                           "mixed", "wide", "latin"]  # definition order
    # referenced nodes got phandles, which lead back to them
    assert dt.props(dt.get("&a"))["phandle"] == int.from_bytes(props["mixed"][:4], "big")


@needs_cpp
def test_phandle_node(load):
    dt = load(PROPS)
    a = dt.get("&a")
    assert dt.phandle_node(dt.int_prop(a, "phandle")) is a
    assert dt.phandle_node(0) is None
    assert dt.phandle_node(0xFFFFFFFF) is None
    assert dt.phandle_node(0x1234) is None
