"""The shipped bindings (dts/bindings) load in edtlib and type the memory properties."""

from __future__ import annotations

import logging

import pytest
from devicetree import edtlib

from smh_boot.devicetree.preprocess import preprocess
from smhdt_helpers import DATA, REPO_DTS, UPSTREAM, needs_cpp

pytestmark = needs_cpp
BINDINGS = REPO_DTS / "bindings"


def _edt(tmp_path, dts, overlays=()):
    pre = tmp_path / "x.pre.dts"
    preprocess(str(dts), [str(o) for o in overlays], [], str(pre))
    return edtlib.EDT(str(pre), bindings_dirs=[str(BINDINGS)], werror=True)


def test_memory_region_nodes_are_typed(tmp_path):
    edt = _edt(tmp_path, REPO_DTS / "boards" / "qemu_cortex_m3.dts",
               [UPSTREAM / "mem_attr_heap" / "qemu_cortex_m3.overlay"])
    node = edt.label2node["mem_cache_cache_dma_multi"]
    assert node.matching_compat == "zephyr,memory-region"
    assert node.props["zephyr,memory-attr"].val == 0x50009
    assert node.props["zephyr,memory-region"].val == "MEM_CACHEABLE_SW_MULTI_ATTR"
    assert [(r.addr, r.size) for r in node.regs] == [(0x2000E000, 0x1000)]


def test_vnd_memory_attr(tmp_path):
    edt = _edt(tmp_path, DATA / "standin_native_sim.dts", [UPSTREAM / "mem_attr" / "app.overlay"])
    node = edt.label2node["mem_ram"]
    assert node.matching_compat == "vnd,memory-attr"
    assert node.props["zephyr,memory-attr"].val == 0x00400002


def test_required_region_name_is_enforced(tmp_path):
    dts = tmp_path / "b.dts"
    dts.write_text('/dts-v1/;\n/ {\n\t#address-cells = <1>;\n\t#size-cells = <1>;\n'
                   '\tm@1000 {\n\t\tcompatible = "zephyr,memory-region";\n'
                   '\t\treg = <0x1000 0x100>;\n\t};\n};\n')
    with pytest.raises(edtlib.EDTError, match="'zephyr,memory-region' is marked as required"):
        _edt(tmp_path, dts)


def test_deprecated_mpu_string_warns(tmp_path, caplog):
    dts = tmp_path / "b.dts"
    dts.write_text('/dts-v1/;\n/ {\n\t#address-cells = <1>;\n\t#size-cells = <1>;\n'
                   '\tm@1000 {\n\t\tcompatible = "mmio-sram";\n\t\treg = <0x1000 0x100>;\n'
                   '\t\tzephyr,memory-region-mpu = "RAM";\n\t};\n};\n')
    pre = tmp_path / "b.pre"
    preprocess(str(dts), [], [], str(pre))
    with caplog.at_level(logging.WARNING):
        edtlib.EDT(str(pre), bindings_dirs=[str(BINDINGS)])
    assert any("deprecated" in r.getMessage() for r in caplog.records)


def test_reserved_memory_children(tmp_path):
    dts = tmp_path / "b.dts"
    dts.write_text('/dts-v1/;\n/ {\n\t#address-cells = <1>;\n\t#size-cells = <1>;\n'
                   '\treserved-memory {\n\t\tcompatible = "reserved-memory";\n'
                   '\t\t#address-cells = <1>;\n\t\t#size-cells = <1>;\n\t\tranges;\n'
                   '\t\tpool: pool@2000 {\n\t\t\treg = <0x2000 0x100>;\n\t\t\treusable;\n'
                   '\t\t\tzephyr,memory-attr = <8>;\n\t\t};\n\t};\n};\n')
    edt = _edt(tmp_path, dts)
    pool = edt.label2node["pool"]
    assert pool.props["zephyr,memory-attr"].val == 8
    assert pool.props["reusable"].val is True
