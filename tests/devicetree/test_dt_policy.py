"""Mapping policy (DT attribute -> SMH attribute), map_to_smh and mem_attr_table."""

from __future__ import annotations

import dataclasses

import pytest

from smh_boot import attrs as A
from smh_boot.attrs import decode_attr
from smh_boot.devicetree import MappingPolicy, RegionRecord, map_to_smh, mem_attr_table
from smh_boot.heap.region import MemAttrRegion, SharedMultiHeapRegion, SmhAttr


def rec(attr, *, addr=0x1000, size=0x100, status="okay", encoding="int", name=None):
    return RegionRecord(
        path=f"/{name or f'memory@{addr:x}'}", name=name or f"memory@{addr:x}", labels=(),
        region_name=None, compatible=(), addr=addr, size=size, regs=(), attr=attr,
        attr_encoding=encoding, attr_raw=attr, decoded=decode_attr(attr) if attr is not None else None,
        no_map=False, reusable=False, status=status, location=None, attr_location=None,
    )


@pytest.mark.parametrize(
    "attr, expected",
    [
        (A.DT_MEM_ARM_MPU_RAM, SmhAttr.CACHEABLE),
        (A.DT_MEM_ARM_MPU_RAM | A.DT_MEM_DMA | A.DT_MEM_SW_ALLOC_CACHE, SmhAttr.CACHEABLE),
        (A.DT_MEM_ARM_MPU_RAM_NOCACHE, SmhAttr.NON_CACHEABLE),
        (A.DT_MEM_ARM_MPU_EXTMEM, SmhAttr.EXTERNAL),
        (A.DT_MEM_ARM_MPU_RAM | A.DT_MEM_ARM_MPU_RAM_PXN, None),  # exact field match only
        (A.DT_MEM_ARM_MPU_FLASH, None),
        (A.DT_MEM_CACHEABLE, None),  # no MPU type at all
        (A.DT_MEM_ARCH_ATTR_UNKNOWN, None),
    ],
)
def test_default_arm(attr, expected):
    assert MappingPolicy.default("arm").map(rec(attr)) is expected


@pytest.mark.parametrize("arch", ["arm64", "riscv", "xtensa", "x86", "posix", None])
def test_default_other_architectures(arch):
    p = MappingPolicy.default(arch)
    assert p.map(rec(A.DT_MEM_CACHEABLE)) is SmhAttr.CACHEABLE
    assert p.map(rec(A.DT_MEM_ARM64_MMU_NORMAL)) is SmhAttr.CACHEABLE
    assert p.map(rec(0)) is SmhAttr.NON_CACHEABLE
    assert p.map(rec(A.DT_MEM_NON_CACHEABLE | A.DT_MEM_DMA)) is SmhAttr.NON_CACHEABLE
    assert p.map(rec(A.DT_MEM_ARCH_ATTR_UNKNOWN)) is None  # the test's "no attribute" marker


def test_explain_and_describe():
    p = MappingPolicy.default("arm")
    attr, why = p.explain(rec(A.DT_MEM_ARM_MPU_FLASH))
    assert attr is None
    assert why == "policy arm-mpu cannot map attr 0x00400000 (ARCH(0x400000))"
    assert p.explain(rec(A.DT_MEM_ARM_MPU_RAM))[1] == "attr & 0xfff00000 == 0x100000 -> CACHEABLE"
    assert p.describe().splitlines()[0] == "policy arm-mpu (first match wins):"
    assert "otherwise -> NON_CACHEABLE" in MappingPolicy.default("riscv").describe()


def test_board_rules_first_match_wins():
    p = MappingPolicy.from_rules(
        [
            {"mask": "0x8", "value": 8, "attr": "EXTERNAL"},
            {"mask": 1, "value": 1, "attr": "SMH_REG_ATTR_CACHEABLE"},
            {"mask": 0, "value": 0, "attr": 1},
        ],
        name="esp32",
    )
    assert p.map(rec(0x9)) is SmhAttr.EXTERNAL
    assert p.map(rec(0x1)) is SmhAttr.CACHEABLE
    assert p.map(rec(0x0)) is SmhAttr.NON_CACHEABLE
    assert p.name == "esp32" and len(p.rules) == 3


@pytest.mark.parametrize(
    "rules, message",
    [
        ([{"mask": 1, "value": 1}], "mapping rule 0: missing key 'attr'"),
        ([{"mask": 1, "value": 1, "attr": "FAST"}], "mapping rule 0: unknown SMH attribute 'FAST'"),
        ([{"mask": "x1", "value": 1, "attr": 0}], "mapping rule 0: expected a number, got 'x1'"),
        ([{"mask": True, "value": 1, "attr": 0}], "mapping rule 0: expected a number, got True"),
        ([{"mask": 1 << 32, "value": 0, "attr": 0}], "does not fit in 32 bits"),
        ([{"mask": [1], "value": 0, "attr": 0}], "expected a number"),
        ([{"mask": 0, "value": 0, "attr": 7}], "unknown SMH attribute 7"),
        ([{"mask": 0, "value": 0, "attr": 0}, {"mask": 1, "value": 3, "attr": 0}],
         "mapping rule 1: value 0x3 has bits outside mask 0x1"),
    ],
)
def test_bad_rules(rules, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        MappingPolicy.from_rules(rules)


def test_map_to_smh_keeps_order_and_reports_skips():
    records = [
        rec(A.DT_MEM_ARM_MPU_RAM, addr=0x1000),
        rec(A.DT_MEM_ARM_MPU_FLASH, addr=0x2000),
        rec(A.DT_MEM_ARM_MPU_RAM_NOCACHE, addr=0x3000),
        rec(A.DT_MEM_ARM_MPU_RAM, addr=0x4000, status="disabled"),
        rec(A.DT_MEM_ARM_MPU_RAM, addr=0x5000),
    ]
    m = map_to_smh(records, MappingPolicy.default("arm"))
    assert [r for _rec, r in m.regions] == [
        SharedMultiHeapRegion(SmhAttr.CACHEABLE, 0x1000, 0x100),
        SharedMultiHeapRegion(SmhAttr.NON_CACHEABLE, 0x3000, 0x100),
        SharedMultiHeapRegion(SmhAttr.CACHEABLE, 0x5000, 0x100),
    ]
    assert [(r.addr, why.split(" ")[0]) for r, why in m.unmapped] == [
        (0x2000, "policy"), (0x4000, "status")
    ]
    assert list(m.by_attr()) == [SmhAttr.CACHEABLE, SmhAttr.NON_CACHEABLE]


def test_mem_attr_table():
    records = [
        rec(0x5, addr=0x1000),
        rec(0x1, addr=0x2000, status="disabled"),
        rec(A.DT_MEM_ARM_MPU_RAM, addr=0x3000, encoding="mpu-string"),
        rec(A.DT_MEM_ARM_MPU_RAM, addr=0x4000, encoding="string"),
    ]
    assert mem_attr_table(records) == [
        MemAttrRegion("memory@1000", 0x1000, 0x100, 0x5),
        MemAttrRegion("memory@4000", 0x4000, 0x100, A.DT_MEM_ARM_MPU_RAM),
    ]


def test_records_are_frozen():
    r = rec(1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.addr = 5  # type: ignore[misc]
