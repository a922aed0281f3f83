"""Corners of the rules that the per-rule files do not reach."""

from __future__ import annotations

from smh_boot.devicetree import SourceLocation, load_devicetree
from smh_boot.validate import (
    Diagnostic,
    Layout,
    LayoutNode,
    Related,
    ValidationOptions,
    validate_devicetree,
    validate_layout,
)
from smh_boot.validate.rules.mpu import mpu_kind
from smh_boot.validate.rules.reserved import linker_name

HEAD = """/dts-v1/;
#include <zephyr/dt-bindings/memory-attr/memory-attr.h>
#include <zephyr/dt-bindings/memory-attr/memory-attr-sw.h>
#include <zephyr/dt-bindings/memory-attr/memory-attr-arm.h>
/ {
	#address-cells = <1>;
	#size-cells = <1>;
"""


def validate(tmp_path, body, **opts):
    path = tmp_path / "t.dts"
    path.write_text(HEAD + body + "};\n")
    return validate_devicetree(load_devicetree(path), ValidationOptions(**opts))


def region(label, addr, size, attr=None, extra=""):
    a = f"\t\tzephyr,memory-attr = <( {attr} )>;\n" if attr else ""
    return (f"\t{label}: memory@{addr:x} {{\n\t\tcompatible = \"zephyr,memory-region\", \"mmio-sram\";\n"
            f"\t\treg = <{addr:#x} {size:#x}>;\n\t\tzephyr,memory-region = \"{label.upper()}\";\n{a}{extra}\t}};\n")


def rules(diags):
    return [d.rule for d in diags]


def test_nested_child_inside_parent_is_no_overlap(tmp_path):
    body = """
	sram: memory@20000000 {
		compatible = "zephyr,memory-region", "mmio-sram";
		reg = <0x20000000 0x10000>;
		zephyr,memory-region = "SRAM";
		#address-cells = <1>;
		#size-cells = <1>;
		ranges;

		carve: memory@20001000 {
			compatible = "zephyr,memory-region";
			reg = <0x20001000 0x1000>;
			zephyr,memory-region = "CARVE";
		};
	};
"""
    assert validate(tmp_path, body, arch="arm") == []


def test_partial_overlap_with_a_memory_region_is_reported_both_ways(tmp_path):
    body = region("a", 0x20000000, 0x2000) + region("b", 0x20001000, 0x2000)
    diags = validate(tmp_path, body)
    assert rules(diags) == ["region-overlap"]
    assert diags[0].node == "/memory@20001000"
    assert diags[0].related[0].node == "/memory@20000000"


def test_every_pair_is_reported_not_only_neighbours(tmp_path):
    # one big region covering three small ones: three findings (Linux would report one)
    body = (region("big", 0x20000000, 0x10000, extra="") .replace('"mmio-sram"', '"vnd,pool"')
            + region("s1", 0x20001000, 0x100) + region("s2", 0x20002000, 0x100)
            + region("s3", 0x20003000, 0x100))
    diags = validate(tmp_path, body)
    assert [d.node for d in diags if d.rule == "region-overlap"] == [
        "/memory@20001000", "/memory@20002000", "/memory@20003000"]


def test_dangling_raw_phandle(tmp_path):
    body = """
	dev: dev@40000000 {
		compatible = "vnd,dev";
		reg = <0x40000000 0x100>;
		memory-region = <0x77>;
	};
"""
    (d,) = validate(tmp_path, body)
    assert d.rule == "memory-region-dangling" and "resolves to no node" in d.message


def test_dma_named_entry_needs_dma_memory(tmp_path):
    body = region("cached", 0x30000000, 0x1000, "DT_MEM_CACHEABLE") + """
	dev: dev@40000000 {
		compatible = "vnd,uart";
		reg = <0x40000000 0x100>;
		memory-region = <&cached>;
		memory-region-names = "rx-dma";
	};
"""
    (d,) = validate(tmp_path, body, arch="riscv")
    assert d.rule == "memory-region-not-dma-capable"
    assert d.related[0].node == "/memory@30000000"


def test_dma_compatibles_option_and_dma_pool(tmp_path):
    body = region("cached", 0x30000000, 0x1000, "DT_MEM_CACHEABLE") + """
	dev: dev@40000000 {
		compatible = "vnd,uart";
		reg = <0x40000000 0x100>;
		memory-region = <&cached>;
	};
"""
    assert validate(tmp_path, body, arch="riscv") == []
    (d,) = validate(tmp_path, body, arch="riscv", dma_compatibles=("vnd,uart",))
    assert d.rule == "memory-region-not-dma-capable"
    pooled = body.replace('"zephyr,memory-region", "mmio-sram"', '"shared-dma-pool", "mmio-sram"')
    # no zephyr,memory-region compatible any more: the name property would be a leftover
    pooled = "\n".join(l for l in pooled.splitlines() if "zephyr,memory-region =" not in l)
    assert validate(tmp_path, pooled, arch="riscv", dma_compatibles=("vnd,uart",)) == []


def test_sw_alloc_non_cache_on_cacheable_region(tmp_path):
    body = region("r", 0x30000000, 0x1000, "DT_MEM_CACHEABLE | DT_MEM_SW_ALLOC_NON_CACHE")
    (d,) = validate(tmp_path, body, arch="riscv")
    assert d.rule == "attr-conflict" and "SW_ALLOC_NON_CACHE" in d.message


def test_arch_bits_on_an_architecture_without_a_header(tmp_path):
    body = region("r", 0x30000000, 0x1000, "DT_MEM_ARM(ATTR_MPU_RAM)")
    (d,) = validate(tmp_path, body, arch="x86")
    assert d.rule == "attr-arch-mismatch" and "meaningless on x86" in d.message
    # without an architecture the rule cannot judge and stays quiet
    assert validate(tmp_path, body) == []


def test_arch_bits_undefined_everywhere_are_unknown_bits(tmp_path):
    body = region("r", 0x30000000, 0x1000, "BIT(30) | DT_MEM_ARM(ATTR_MPU_RAM)")
    diags = validate(tmp_path, body, arch="arm", isa="armv8-m.main")
    assert rules(diags) == ["attr-unknown-bits"]
    assert "0x40000000" in diags[0].message


def test_bogus_heap_from_wrapping_arithmetic(tmp_path):
    body = region("r", 0x30000001, 9, "DT_MEM_CACHEABLE")
    diags = validate(tmp_path, body, arch="riscv", disabled=("unit-address-mismatch",))
    too_small = [d for d in diags if d.rule == "heap-region-too-small"]
    assert len(too_small) == 1 and "wraps around" in too_small[0].message
    assert "heap-region-misaligned" in rules(diags)


def test_huge_heap_on_64_bit(tmp_path):
    body = ("\t#address-cells = <2>;\n\t#size-cells = <2>;\n"
            "\tr: memory@100000000 {\n\t\tcompatible = \"zephyr,memory-region\", \"mmio-sram\";\n"
            "\t\treg = <0x1 0x0 0x5 0x0>;\n\t\tzephyr,memory-region = \"HUGE\";\n"
            "\t\tzephyr,memory-attr = <( DT_MEM_CACHEABLE )>;\n\t};\n")
    (d,) = validate(tmp_path, body, arch="riscv", ptr_size=8)
    assert d.rule == "heap-region-too-small" and "too big" in d.message


def test_kernel_ram_node_that_is_itself_a_heap(tmp_path):
    body = "\tchosen {\n\t\tzephyr,sram = &r;\n\t};\n" + region("r", 0x20000000, 0x10000, "DT_MEM_CACHEABLE")
    (d,) = validate(tmp_path, body, arch="riscv")
    assert d.rule == "region-overlaps-kernel-ram" and "itself is a heap region" in d.message


def test_identical_duplicate_names(tmp_path):
    body = region("a", 0x30000000, 0x1000).replace('"A"', '"SAME"') + region("b", 0x30001000, 0x1000).replace('"B"', '"SAME"')
    (d,) = validate(tmp_path, body)
    assert d.rule == "duplicate-region-name" and "both become" not in d.message


def test_linker_name():
    assert linker_name("MY@OTHER@NAME") == "MY_OTHER_NAME"
    assert linker_name("SRAM-1 DMA") == linker_name("SRAM_1.DMA") == "SRAM_1_DMA"


def test_mpu_kind():
    assert mpu_kind("arm", "armv7e-m") == "armv7m"
    assert mpu_kind("arm", "armv6-m") == "armv7m"
    assert mpu_kind("arm", "armv8-m.main") == "armv8m"
    assert mpu_kind("arm", None) == "armv8m"  # the weaker rule when the ISA is unknown
    assert mpu_kind("arm64", None) == "arm64"
    assert mpu_kind("riscv", None) is None
    assert mpu_kind(None, None) is None


# ------------------------------------------------------------------ model-level


def test_hand_built_layout_and_diagnostic_without_location():
    lay = Layout()
    lay.add(LayoutNode("/a", "a@1000", unit_addr="1000", regs=((0x1000, 0x100),), raw_first_addr=0x1000,
                       in_reserved_memory=True))
    lay.add(LayoutNode("/b", "b@1080", unit_addr="1080", regs=((0x1080, 0x100),), raw_first_addr=0x1080,
                       in_reserved_memory=True))
    (d,) = validate_layout(lay, ValidationOptions(disabled=("region-outside-memory",)))
    assert str(d).startswith("smh-boot: error: /b: region ")
    assert d.notes() == ["smh-boot: note: /a: the other region is defined here"]


def test_diagnostic_str_and_sorting():
    loc = SourceLocation("b.dts", 7, 3)
    d = Diagnostic("region-overlap", "error", "msg", loc, "/n", [Related(SourceLocation("a.dts", 2), "/m", "here")])
    assert str(d) == "b.dts:7:3: error: /n: msg [region-overlap]"
    assert d.notes() == ["a.dts:2: note: /m: here"]
    e = Diagnostic("region-zero-size", "error", "x", SourceLocation("b.dts", 3), "/o")
    none = Diagnostic("region-zero-size", "error", "x", None, None)
    assert sorted([none, d, e], key=Diagnostic.sort_key) == [e, d, none]
    assert str(none) == "smh-boot: error: x [region-zero-size]"


def test_reserved_mmio_sram_child_is_still_checked_for_backing_memory(tmp_path):
    body = """
	sram0: memory@20000000 {
		device_type = "memory";
		reg = <0x20000000 0x10000>;
	};
	reserved-memory {
		#address-cells = <1>;
		#size-cells = <1>;
		ranges;
		inside: memory@2000f000 {
			compatible = "zephyr,memory-region", "mmio-sram";
			reg = <0x2000f000 0x1000>;
			zephyr,memory-region = "INSIDE";
		};
		beyond: memory@20010000 {
			compatible = "zephyr,memory-region", "mmio-sram";
			reg = <0x20010000 0x1000>;
			zephyr,memory-region = "BEYOND";
		};
	};
"""
    (d,) = validate(tmp_path, body)
    assert d.rule == "region-outside-memory" and d.node == "/reserved-memory/memory@20010000"


def test_memory_region_that_is_no_phandle(tmp_path):
    body = """
	dev: dev@40000000 {
		compatible = "vnd,dev";
		reg = <0x40000000 0x100>;
		memory-region = "dma_pool";
	};
"""
    (d,) = validate(tmp_path, body)
    assert d.rule == "memory-region-dangling"
    assert d.message == "memory-region holds a string, not phandles: write memory-region = <&label>;"
    assert d.location.line == 12


def test_wrong_reg_length_is_an_input_error_with_a_line(tmp_path):
    import pytest

    from smh_boot.errors import DevicetreeError

    body = "\tr: memory@20000000 {\n\t\tcompatible = \"mmio-sram\";\n\t\treg = <0x20000000 0x100 0x5>;\n\t};\n"
    with pytest.raises(DevicetreeError) as e:
        validate(tmp_path, body)
    assert e.value.line == 10 and "reg" in e.value.message


def test_two_arm_mpu_types_say_what_zephyr_does(tmp_path):
    # the user trial's DMA_BOTH: Zephyr's MPU driver matches no case and skips the region
    body = region("both", 0x30000000, 0x1000,
                  "DT_MEM_ARM(ATTR_MPU_RAM) | DT_MEM_ARM(ATTR_MPU_RAM_NOCACHE)")
    (d,) = validate(tmp_path, body, arch="arm", isa="armv7e-m")
    assert (d.rule, d.severity) == ("attr-conflict", "error")
    assert "ATTR_MPU_RAM) and DT_MEM_ARM(ATTR_MPU_RAM_NOCACHE) are both set" in d.message
    assert "keeps the default cacheable mapping" in d.message and "no heap" in d.message
    assert d.location.line == 12  # the zephyr,memory-attr line, not the node
    # off arm the same bits are attr-arch-mismatch's business, not a conflict
    assert "attr-conflict" not in rules(validate(tmp_path, body, arch="riscv"))


def test_generic_dma_region_without_mpu_type_on_arm_is_a_warning(tmp_path):
    body = region("extra", 0x30000000, 0x1000, "DT_MEM_CACHEABLE | DT_MEM_DMA")
    (d,) = validate(tmp_path, body, arch="arm", isa="armv7e-m")
    assert (d.rule, d.severity) == ("attr-arm-mpu-type-missing", "warning")
    assert "programs no MPU region" in d.message and "DT_MEM_ARM(ATTR_MPU_RAM)" in d.message
    assert d.location.line == 12
    # elsewhere DT_MEM_CACHEABLE is what the policy maps: a heap, nothing to say
    assert validate(tmp_path, body, arch="riscv") == []


def test_the_node_name_note_points_at_the_name_not_at_an_overlays_label(tmp_path):
    # user trial: the note pointed at the overlay's `&dma_nocache {` (1:1), where no name is written
    board = tmp_path / "board.dts"
    board.write_text(HEAD + region("dma_nocache", 0x30010000, 0x4000, "DT_MEM_ARM(ATTR_MPU_RAM_NOCACHE)")
                     + "};\n")
    overlay = tmp_path / "regtypo.overlay"
    overlay.write_text("&dma_nocache {\n\treg = <0x3001000 0x4000>;\n};\n")
    diags = validate_devicetree(load_devicetree(board, [overlay]),
                                ValidationOptions(arch="arm", isa="armv7e-m"))
    (d,) = [d for d in diags if d.rule == "heap-unit-address-mismatch"]
    assert (d.location.file, d.location.line) == (str(overlay), 2)
    (note,) = d.related
    assert note.message == "node name memory@30010000 is written here"
    # board.dts line 8: "\tdma_nocache: memory@30010000 {", the name at column 15
    assert (note.location.file, note.location.line, note.location.column) == (str(board), 8, 15)


def test_the_node_name_note_for_a_node_written_in_the_overlay_itself(tmp_path):
    body = region("r", 0x30010000, 0x4000, "DT_MEM_ARM(ATTR_MPU_RAM)").replace(
        "reg = <0x30010000", "reg = <0x30020000")
    diags = validate(tmp_path, body, arch="arm", isa="armv7e-m")
    (d,) = [d for d in diags if d.rule == "heap-unit-address-mismatch"]
    (note,) = d.related
    assert (note.location.line, note.location.column) == (8, 5)  # "\tr: memory@30010000 {"
