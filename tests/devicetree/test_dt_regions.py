"""find_regions: which nodes become records, in which order, with which fields."""

from __future__ import annotations

from smh_boot import attrs as A
from smh_boot.devicetree import Reg, SourceLocation, find_regions, mem_attr_table
from smhdt_helpers import needs_cpp

pytestmark = needs_cpp

TREE = """
/dts-v1/;
#include <zephyr/dt-bindings/memory-attr/memory-attr.h>
#include <zephyr/dt-bindings/memory-attr/memory-attr-sw.h>
#include <zephyr/dt-bindings/memory-attr/memory-attr-arm.h>

/ {
	#address-cells = <1>;
	#size-cells = <1>;

	top: memory@10000000 {
		compatible = "zephyr,memory-region", "mmio-sram";
		reg = <0x10000000 0x1000>, <0x10002000 0x100>;
		zephyr,memory-region = "TOP";
		zephyr,memory-attr = <( DT_MEM_CACHEABLE | DT_MEM_SW_ALLOC_CACHE )>;
	};

	reserved-memory {
		#address-cells = <1>;
		#size-cells = <1>;
		ranges;

		dma: dma@30000000 {
			reg = <0x30000000 0x4000>;
			no-map;
			zephyr,memory-attr = <( DT_MEM_DMA )>;
		};

		plain@31000000 {
			reg = <0x31000000 0x1000>;
		};
	};

	soc {
		#address-cells = <1>;
		#size-cells = <1>;
		ranges = <0x0 0x40000000 0x1000000>;

		sram1: memory@8000 {
			compatible = "mmio-sram";
			reg = <0x8000 0x800>;
			reusable;
			zephyr,memory-attr = <( DT_MEM_ARM(ATTR_MPU_RAM_NOCACHE) )>;
		};

		off: memory@9000 {
			reg = <0x9000 0x100>;
			zephyr,memory-attr = <0>;
			status = "disabled";
		};
	};
};
"""


def test_records_anywhere_in_devicetree_order(load):
    scan = find_regions(load(TREE), "arm")
    assert [r.path for r in scan.regions] == [
        "/memory@10000000", "/reserved-memory/dma@30000000", "/soc/memory@8000"
    ]
    assert [r.path for r in scan.disabled] == ["/soc/memory@9000"]
    assert scan.without_attr == ["/reserved-memory/plain@31000000"]
    assert scan.warnings == [] and scan.arch == "arm"


def test_record_fields(load):
    top, dma, sram1 = find_regions(load(TREE), "arm").regions
    assert top.name == "memory@10000000" and top.labels == ("top",)
    assert top.region_name == "TOP"
    assert top.compatible == ("zephyr,memory-region", "mmio-sram")
    assert (top.addr, top.size, top.end) == (0x10000000, 0x1000, 0x10001000)
    assert top.regs == (Reg(0x10000000, 0x1000), Reg(0x10002000, 0x100))
    assert top.attr == 0x10001 and top.attr_raw == 0x10001 and top.attr_encoding == "int"
    assert top.decoded.describe() == "CACHEABLE|SW_ALLOC_CACHE"
    assert top.status == "okay" and not top.no_map and not top.reusable
    assert top.location == SourceLocation("board.dts", 10, 7)
    assert top.attr_location == SourceLocation("board.dts", 14, 3)
    assert dma.no_map and dma.region_name is None and dma.compatible == ()
    assert sram1.reusable
    assert sram1.addr == 0x40008000  # translated through /soc ranges
    assert sram1.decoded.arch_bits == ("ARM_MPU_RAM_NOCACHE",)


def test_arch_changes_only_the_decoding(load):
    dt = load(TREE)
    a, b = find_regions(dt, "arm").regions[2], find_regions(dt, "riscv").regions[2]
    assert a.attr == b.attr == A.DT_MEM_ARM_MPU_RAM_NOCACHE
    assert b.decoded.arch_bits == ("RISCV_TYPE_IO",)


def test_to_dict_is_json_ready(load):
    import json

    d = find_regions(load(TREE), "arm").regions[0].to_dict()
    assert (d["addr"], d["addr_hex"]) == (0x10000000, "0x10000000")
    assert (d["attr"], d["attr_hex"]) == (0x00010001, "0x10001")
    assert d["location"] == "board.dts:10:7"
    assert d["regs"][1] == {"addr": 0x10002000, "addr_hex": "0x10002000", "size": 0x100}
    json.dumps(d)


def test_transitional_string_enum_warns_with_the_replacement(load):
    dt = load(TREE, '&sram1 {\n\tzephyr,memory-attr = "RAM";\n};\n')
    scan = find_regions(dt, "arm")
    rec = scan.regions[2]
    assert (rec.attr, rec.attr_encoding, rec.attr_raw) == (A.DT_MEM_ARM_MPU_RAM, "string", "RAM")
    (w,) = scan.warnings
    assert w.code == "attr-deprecated-encoding"  # the validator's rule name: one name everywhere
    assert "DT_MEM_ARM(ATTR_MPU_RAM)" in w.message
    assert w.location == SourceLocation("o0.overlay", 2, 2)
    assert str(w).startswith("o0.overlay:2:2: warning: /soc/memory@8000: zephyr,memory-attr")
    # string-era values are ints in the mem_attr table too
    assert mem_attr_table(scan.regions)[2].attr == A.DT_MEM_ARM_MPU_RAM


def test_deprecated_memory_region_mpu(load):
    dt = load(TREE, '/ {\n\told@50000000 {\n\t\treg = <0x50000000 0x1000>;\n'
                    '\t\tzephyr,memory-region-mpu = "RAM_NOCACHE";\n\t};\n};\n')
    scan = find_regions(dt, "arm")
    rec = scan.regions[-1]
    assert (rec.path, rec.attr, rec.attr_encoding) == (
        "/old@50000000", A.DT_MEM_ARM_MPU_RAM_NOCACHE, "mpu-string"
    )
    (w,) = scan.warnings
    assert w.code == "attr-deprecated-encoding"
    assert 'zephyr,memory-region-mpu = "RAM_NOCACHE" is a deprecated encoding' in w.message
    assert "DT_MEM_ARM(ATTR_MPU_RAM_NOCACHE)" in w.message
    # not a zephyr,memory-attr node: not in the mem_attr table
    assert [m.name for m in mem_attr_table(scan.regions)] == [
        "memory@10000000", "dma@30000000", "memory@8000"
    ]


def test_both_properties_the_int_one_wins(load):
    dt = load(TREE, '&sram1 {\n\tzephyr,memory-region-mpu = "RAM";\n};\n')
    scan = find_regions(dt, "arm")
    assert scan.regions[2].attr == A.DT_MEM_ARM_MPU_RAM_NOCACHE
    assert [w.code for w in scan.warnings] == ["mpu-string-ignored"]


def test_bad_mpu_string_is_an_error(load):
    import pytest

    from smh_boot.errors import DevicetreeError

    dt = load(TREE, '&sram1 {\n\t/delete-property/ zephyr,memory-attr;\n'
                    '\tzephyr,memory-region-mpu = "EXTMEM";\n};\n')
    with pytest.raises(DevicetreeError) as info:
        find_regions(dt, "arm")
    assert str(info.value).startswith('o0.overlay:3:2: error: zephyr,memory-region-mpu = "EXTMEM"')


def test_no_regions(load):
    scan = find_regions(load("/dts-v1/;\n/ { };\n"))
    assert scan.regions == [] and scan.disabled == [] and scan.without_attr == []
