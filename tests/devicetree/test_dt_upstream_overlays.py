"""The upstream test overlays give exactly the records Zephyr's tests expect (spec 4.2, 5.1-5.3).

Each overlay is applied to a small stand-in base tree (tests/data/dts) and to the shipped
board devicetree; both must agree."""

from __future__ import annotations

import pytest

from smh_boot import attrs as A
from smh_boot.devicetree import (
    MappingPolicy,
    find_regions,
    load_devicetree,
    map_to_smh,
    mem_attr_table,
)
from smh_boot.heap.region import MemAttrRegion, SharedMultiHeapRegion, SmhAttr

from smhdt_helpers import DATA, REPO_DTS, UPSTREAM, needs_cpp

pytestmark = needs_cpp


def _bases(board):
    return [DATA / f"standin_{board}.dts", REPO_DTS / "boards" / f"{board}.dts"]


@pytest.mark.parametrize("base", _bases("mps2_an521"), ids=["standin", "board"])
def test_shared_multi_heap_mps2_an521(base):
    dt = load_devicetree(base, [UPSTREAM / "shared_multi_heap" / "mps2_an521.overlay"])
    scan = find_regions(dt, "arm")
    got = [(r.path, r.labels, r.region_name, r.addr, r.size, r.attr) for r in scan.regions]
    assert got == [
        ("/memory@38100000", ("res0",), "RES0", 0x38100000, 0x1000, A.DT_MEM_ARM_MPU_RAM),
        ("/memory@38200000", ("res1",), "RES1", 0x38200000, 0x2000, A.DT_MEM_ARM_MPU_RAM_NOCACHE),
        ("/memory@38300000", ("res2",), "RES2", 0x38300000, 0x3000, A.DT_MEM_ARM_MPU_RAM),
    ]
    assert scan.disabled == [] and scan.warnings == []
    # ssram2_3 was recreated (1 MiB, no attribute): skipped, and /chosen follows the new node
    assert "/memory@38000000" in scan.without_attr
    sram = dt.chosen("zephyr,sram")
    assert sram.path == "/memory@38000000" and dt.reg(sram)[0].size == 0x100000
    assert dt.location(sram).file.endswith("shared_multi_heap/mps2_an521.overlay")

    smh = map_to_smh(scan.regions, MappingPolicy.default("arm"))
    assert smh.unmapped == []
    assert smh.by_attr() == {
        SmhAttr.CACHEABLE: [
            SharedMultiHeapRegion(SmhAttr.CACHEABLE, 0x38100000, 0x1000),
            SharedMultiHeapRegion(SmhAttr.CACHEABLE, 0x38300000, 0x3000),
        ],
        SmhAttr.NON_CACHEABLE: [SharedMultiHeapRegion(SmhAttr.NON_CACHEABLE, 0x38200000, 0x2000)],
    }


@pytest.mark.parametrize("base", _bases("qemu_cortex_a53"), ids=["standin", "board"])
def test_shared_multi_heap_qemu_cortex_a53(base):
    dt = load_devicetree(base, [UPSTREAM / "shared_multi_heap" / "qemu_cortex_a53.overlay"])
    scan = find_regions(dt, "arm64")
    got = [(r.path, r.region_name, r.addr, r.size) for r in scan.regions]
    assert got == [
        ("/soc/memory@42000000", "RES0", 0x42000000, 0x1000),
        ("/soc/memory@43000000", "RES1", 0x43000000, 0x2000),
        ("/soc/memory@44000000", "RES2", 0x44000000, 0x3000),
    ]
    assert "/soc/memory@45000000" in scan.without_attr  # res_no_mpu: not a heap region
    # devicetree order keeps res_no_mpu before res2, as in the source
    order = [n.name for n in dt.get("/soc").nodes.values()]
    assert order.index("memory@45000000") < order.index("memory@44000000")

    smh = map_to_smh(scan.regions, MappingPolicy.default("arm64"))
    assert [(r.attr, r.addr) for _rec, r in smh.regions] == [
        (SmhAttr.CACHEABLE, 0x42000000),
        (SmhAttr.NON_CACHEABLE, 0x43000000),
        (SmhAttr.CACHEABLE, 0x44000000),
    ]
    assert smh.unmapped == []


@pytest.mark.parametrize("base", _bases("qemu_cortex_m3"), ids=["standin", "board"])
def test_mem_attr_heap_qemu_cortex_m3(base):
    dt = load_devicetree(base, [UPSTREAM / "mem_attr_heap" / "qemu_cortex_m3.overlay"])
    scan = find_regions(dt, "arm")
    table = mem_attr_table(scan.regions)
    assert table == [
        MemAttrRegion("memory@20008000", 0x20008000, 0x1000, 0x00000001),
        MemAttrRegion("memory@20009000", 0x20009000, 0x1000, 0x00010001),
        MemAttrRegion("memory@2000A000", 0x2000A000, 0x1000, 0x00020000),
        MemAttrRegion("memory@2000B000", 0x2000B000, 0x1000, 0x00040008),
        MemAttrRegion("memory@2000C000", 0x2000C000, 0x2000, 0x00010001),
        MemAttrRegion("memory@2000E000", 0x2000E000, 0x1000, 0x00050009),
    ]
    assert [r.labels[0] for r in scan.regions] == [
        "mem_cache", "mem_cache_sw", "mem_noncache_sw", "mem_dma_sw", "mem_cache_sw_big",
        "mem_cache_cache_dma_multi",
    ]
    # heaps mem_attr_heap would create: regions with software bits, keyed by them
    keys = [(r.name, r.attr & A.DT_MEM_SW_MASK) for r in table if r.attr & A.DT_MEM_SW_MASK]
    assert keys == [
        ("memory@20009000", 0x10000), ("memory@2000A000", 0x20000), ("memory@2000B000", 0x40000),
        ("memory@2000C000", 0x10000), ("memory@2000E000", 0x50000),
    ]
    # &sram0 shrinks SRAM to 32 KiB, and its location moves to the overlay
    sram = dt.get("&sram0")
    assert [(r.addr, r.size) for r in dt.reg(sram)] == [(0x20000000, 32 * 1024)]
    assert dt.prop_location(sram, "reg").file.endswith("mem_attr_heap/qemu_cortex_m3.overlay")


def test_mem_attr_app_overlay():
    dt = load_devicetree(DATA / "standin_native_sim.dts", [UPSTREAM / "mem_attr" / "app.overlay"])
    scan = find_regions(dt, "posix")
    assert mem_attr_table(scan.regions) == [
        MemAttrRegion("memory@10000000", 0x10000000, 0x1000, 0x00400002),
        MemAttrRegion("memory@20000000", 0x20000000, 0x2000, 0x00200000),
        MemAttrRegion("memory@21000000", 0x21000000, 0x1000, 0x51),
    ]
    assert [(r.name, r.addr, r.size, r.attr, r.status) for r in scan.disabled] == [
        ("memory@30000000", 0x30000000, 0x3000, 0x5, "disabled")
    ]
    assert scan.warnings == []
