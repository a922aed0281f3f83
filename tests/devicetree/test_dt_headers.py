"""The shipped dt-bindings headers preprocess to the values of smh_boot.attrs (spec 3.1), and
overlays written for Zephyr preprocess unchanged."""

from __future__ import annotations

import re

from smh_boot import attrs as A
from smhdt_helpers import REPO_DTS, needs_cpp

pytestmark = needs_cpp

INCLUDE = REPO_DTS / "include"
HEADERS = ["memory-attr.h", "memory-attr-sw.h", "memory-attr-arm.h", "memory-attr-arm64.h",
           "memory-attr-riscv.h", "memory-attr-xtensa.h"]
_OBJECT_MACRO = re.compile(r"^#define\s+([A-Z][A-Z0-9_]*)\s+\S", re.M)


def _macros():
    names = []
    for h in HEADERS:
        text = (INCLUDE / "zephyr" / "dt-bindings" / "memory-attr" / h).read_text()
        names += [n for n in _OBJECT_MACRO.findall(text) if not n.endswith("_H_")]
    return names


def _values(load, names, includes):
    body = "\n".join(f"\tp{i} = <( {n} )>;" for i, n in enumerate(names))
    inc = "\n".join(f"#include <{h}>" for h in includes)
    dt = load(f"/dts-v1/;\n{inc}\n/ {{\n{body}\n}};\n")
    return {n: dt.int_prop(dt.root, f"p{i}") for i, n in enumerate(names)}


def test_every_header_is_present():
    for h in HEADERS:
        assert (INCLUDE / "zephyr" / "dt-bindings" / "memory-attr" / h).is_file()
    assert (INCLUDE / "zephyr" / "dt-bindings" / "dt-util.h").is_file()
    assert (INCLUDE / "mem.h").is_file()


def test_header_values_match_attrs(load):
    names = _macros()
    got = _values(load, names, [f"zephyr/dt-bindings/memory-attr/{h}" for h in HEADERS])
    for name, value in got.items():
        if name.startswith("ATTR_"):
            assert value & (value - 1) == 0, f"{name} is one raw bit"
        else:  # every DT_MEM_* object macro has its twin in smh_boot.attrs
            assert value == getattr(A, name), name
    assert len(got) > 70
    # the spec's headline values
    assert got["DT_MEM_ARM_MPU_RAM_NOCACHE"] == 0x00200000
    assert got["DT_MEM_ARM64_MMU_NORMAL"] == 0x00200001
    assert got["DT_MEM_SW_ALLOC_DMA"] == 0x40000
    assert got["DT_MEM_XTENSA_UNKNOWN"] == 0x80000000


def test_function_macros(load):
    got = _values(
        load,
        ["BIT(5)", "BIT64(3)", "GENMASK(15, 0)", "GENMASK(31, 20)", "GENMASK(7, 4)",
         "BIT_MASK(4)", "DT_SIZE_K(32)", "DT_SIZE_M(1)", "DT_MEM_SW(ATTR_SW_ALLOC_DMA)",
         "DT_MEM_ARM_GET(0x00200001)", "DT_MEM_ATTR_GET(0x00200001)", "DT_MEM_SW_GET(0x50009)"],
        ["mem.h", "zephyr/dt-bindings/memory-attr/memory-attr-sw.h",
         "zephyr/dt-bindings/memory-attr/memory-attr-arm.h"],
    )
    assert list(got.values()) == [32, 8, 0xFFFF, 0xFFF00000, 0xF0, 0xF, 32768, 1 << 20,
                                  0x40000, 0x200000, 0x1, 0x50000]


def test_zephyr_style_overlay_preprocesses_unchanged(load):
    overlay = """
#include <zephyr/dt-bindings/memory-attr/memory-attr-arm.h>
#include <mem.h>

/ {
	sram_no_cache: memory@20300000 {
		compatible = "zephyr,memory-region", "mmio-sram";
		reg = <0x20300000 DT_SIZE_K(1024)>;
		zephyr,memory-region = "SRAM_NO_CACHE";
		zephyr,memory-attr = <( DT_MEM_ARM(ATTR_MPU_RAM_NOCACHE) )>;
	};
};
"""
    dt = load("/dts-v1/;\n/ {\n\t#address-cells = <1>;\n\t#size-cells = <1>;\n};\n", overlay)
    node = dt.get("&sram_no_cache")
    assert dt.int_prop(node, "zephyr,memory-attr") == 0x00200000
    assert dt.reg(node)[0].size == 0x100000


def test_headers_guard_against_double_inclusion(load):
    inc = "#include <zephyr/dt-bindings/memory-attr/memory-attr-arm.h>\n"
    dt = load("/dts-v1/;\n" + inc * 2 + "#include <zephyr/dt-bindings/dt-util.h>\n"
              "/ {\n\tx = <DT_MEM_ARM_MPU_IO>;\n};\n")
    assert dt.int_prop(dt.root, "x") == 0x01000000
