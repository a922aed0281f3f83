"""#12 item 5: the old string encodings mean what upstream's string-era code made of them.

Upstream's shared_multi_heap test of that era read the enum index of the string
(``DT_INST_ENUM_IDX_OR(n, zephyr_memory_attr / zephyr_memory_region_mpu, ...)``) and mapped
index 0 ("RAM") to SMH CACHEABLE and 1 ("RAM_NOCACHE") to NON_CACHEABLE on every
architecture, arm64 included.  Its asserts, run through ``boot()`` on qemu_cortex_a53 with
the string overlays (tests/boot/data/smh_qemu_cortex_a53_*strings.overlay)."""

from __future__ import annotations

import pytest

import smh_boot
from smh_boot import attrs as A
from smh_boot.heap import SmhAttr
from smh_boot.validate import ValidationOptions, validate_devicetree

C, NC = SmhAttr.CACHEABLE, SmhAttr.NON_CACHEABLE
RES0, RES1, RES2 = 0x42000000, 0x43000000, 0x44000000
OVERLAYS = ["smh_qemu_cortex_a53_strings.overlay", "smh_qemu_cortex_a53_mpu_strings.overlay"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_upstream_shared_multi_heap_asserts_through_boot(data_dir, overlay):
    system = smh_boot.boot("qemu_cortex_a53", overlays=[data_dir / overlay], drivers=False,
                           strict=False)
    heaps = [(r.name, r.attr, r.decoded) for r in system.regions if r.heap_index is not None]
    assert heaps == [("RES0", "CACHEABLE", "CACHEABLE"), ("RES1", "NON_CACHEABLE", "NON_CACHEABLE"),
                     ("RES2", "CACHEABLE", "CACHEABLE")]  # no ARM64_CACHE_WB read into RAM_NOCACHE
    pool = system.pool

    def region_of(p):
        r = next(r for r in system.regions if r.heap_index is not None and r.addr <= p < r.end)
        return r.addr, SmhAttr[r.attr]

    assert region_of(pool.alloc(C, 0x40)) == (RES0, C)
    assert region_of(pool.alloc(C, 0x80)) == (RES0, C)
    assert region_of(pool.alloc(C, 0x1200)) == (RES2, C)
    assert region_of(pool.alloc(NC, 0x100)) == (RES1, NC)
    assert region_of(pool.alloc(NC, 0x100)) == (RES1, NC)
    assert pool.alloc(NC, 0x10000) is None
    assert pool.alloc(NC, 0) is None
    assert pool.alloc(3, 0x100) is None


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_old_strings_boot_strict_with_one_warning_each(data_dir, overlay):
    system = smh_boot.boot("qemu_cortex_a53", overlays=[data_dir / overlay], drivers=False)
    dep = [d for d in system.diagnostics if d.rule == "attr-deprecated-encoding"]
    assert len(dep) == 3
    assert not [d for d in system.diagnostics if d.rule == "attr-arch-mismatch"]
    assert sum("deprecated" in l for l in system.log) == 3


@pytest.mark.parametrize("arch, text, replacement", [
    *[(arch, "RAM", "DT_MEM_CACHEABLE") for arch in ("arm64", "riscv", "xtensa", "x86", "posix")],
    *[(arch, "RAM_NOCACHE", "DT_MEM_NON_CACHEABLE") for arch in ("arm64", "riscv", "xtensa", "x86", "posix")],
    ("arm", "RAM", "DT_MEM_ARM(ATTR_MPU_RAM)"),
    ("arm", "RAM_NOCACHE", "DT_MEM_ARM(ATTR_MPU_RAM_NOCACHE)"),
])
def test_hint_proposes_what_attr_arch_mismatch_accepts(tmp_path, arch, text, replacement):
    """The replacement, written back into the tree, validates without attr-arch-mismatch and
    maps to the same SMH attribute as the string."""
    from smh_boot.devicetree import MappingPolicy, find_regions, load_devicetree, map_to_smh

    def tree(attr):
        p = tmp_path / "t.dts"
        p.write_text(
            "/dts-v1/;\n#include <zephyr/dt-bindings/memory-attr/memory-attr.h>\n"
            "#include <zephyr/dt-bindings/memory-attr/memory-attr-arm.h>\n"
            "/ {\n\t#address-cells = <1>;\n\t#size-cells = <1>;\n"
            "\tr: memory@30000000 {\n\t\tcompatible = \"zephyr,memory-region\", \"mmio-sram\";\n"
            "\t\treg = <0x30000000 0x1000>;\n\t\tzephyr,memory-region = \"R\";\n"
            f"\t\tzephyr,memory-attr = {attr};\n\t}};\n}};\n")
        return load_devicetree(p)

    opts = ValidationOptions(arch=arch)
    old = tree(f'"{text}"')
    (d,) = validate_devicetree(old, opts)
    assert d.rule == "attr-deprecated-encoding" and f"<( {replacement} )>" in d.message
    new = tree(f"<( {replacement} )>")
    assert validate_devicetree(new, opts) == []
    policy = MappingPolicy.default(arch)
    mapped = [map_to_smh(find_regions(t, arch).regions, policy).regions[0][1].attr for t in (old, new)]
    assert mapped[0] == mapped[1] == (C if text == "RAM" else NC)


def test_arm_mpu_only_strings_are_no_heap_off_aarch32():
    s = A.string_attr("FLASH", "arm64")
    assert s.replacement is None and not s.heap_capable
    assert "no meaning on arm64" in s.hint("arm64")
    assert A.string_attr("FLASH", "arm").heap_capable  # the ARM policy decides (unmapped)
    assert A.string_attr("RAM", None).value == A.DT_MEM_CACHEABLE  # unknown arch: generic


def test_flash_string_on_arm64_is_unmapped_with_a_reason(tmp_path):
    from smh_boot.devicetree import MappingPolicy, find_regions, load_devicetree, map_to_smh

    p = tmp_path / "t.dts"
    p.write_text('/dts-v1/;\n/ {\n\t#address-cells = <1>;\n\t#size-cells = <1>;\n'
                 '\tf: memory@30000000 {\n\t\tcompatible = "zephyr,memory-region", "mmio-sram";\n'
                 '\t\treg = <0x30000000 0x1000>;\n\t\tzephyr,memory-region = "F";\n'
                 '\t\tzephyr,memory-attr = "FLASH";\n\t};\n};\n')
    scan = find_regions(load_devicetree(p), "arm64")
    m = map_to_smh(scan.regions, MappingPolicy.default("arm64"))
    assert m.regions == [] and "ARM MPU region type" in m.unmapped[0][1]
    assert "no meaning on arm64" in scan.warnings[0].message


def test_aarch32_mpu_strings_give_upstream_addresses(data_dir):
    """On mps2_an521 the strings are the ARM MPU types the ARM policy maps (spec 7.5 addresses)."""
    system = smh_boot.boot("mps2_an521", overlays=[data_dir / "smh_mps2_an521_mpu_strings.overlay"],
                           drivers=False)
    pool = system.pool
    got = [pool.alloc(C, 0x40), pool.alloc(C, 0x80), pool.alloc(C, 0x1200),
           pool.alloc(NC, 0x100), pool.alloc(NC, 0x100)]
    assert got == [0x3810003C, 0x38100084, 0x38300044, 0x3820003C, 0x38200144]
    assert [d.rule for d in system.diagnostics] == ["attr-deprecated-encoding"] * 3
    assert all("DT_MEM_ARM(ATTR_MPU_RAM" in d.message for d in system.diagnostics)
