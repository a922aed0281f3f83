"""The shipped board devicetrees preprocess and parse with plain cpp + dtlib, and their memory
layout keeps the promises the README makes: facts of the real boards, heap regions outside the
kernel's RAM and inside real memories, valid MPU regions, devices bound to their memory."""

from __future__ import annotations

import re

import pytest

from smh_boot.board import list_boards, load_board

from .dtparse import compatibles, needs_cpp, okay, parse, reg

pytestmark = needs_cpp

ALL = [b.name for b in list_boards()]
UPSTREAM = ("qemu_cortex_a53", "mps2_an521", "qemu_cortex_m3")
SHOWCASE = ("mimxrt1170_evk", "stm32h747i_disco_m7", "esp32s3_devkitc")

_cache: dict[str, object] = {}


def tree(name):
    if name not in _cache:
        b = load_board(name)
        _cache[name] = parse(b.dts_path, b.overlay_paths)
    return _cache[name]


def attr_regions(dt):
    return [n for n in dt.node_iter() if "zephyr,memory-attr" in n.props and okay(n)]


def memories(dt):
    """Physical memories: memory nodes without an attribute of their own."""
    out = []
    for n in dt.node_iter():
        if "zephyr,memory-attr" in n.props or "reg" not in n.props:
            continue
        is_mem = ("device_type" in n.props and n.props["device_type"].to_string() == "memory") or (
            "mmio-sram" in compatibles(n))
        if is_mem and okay(n):
            out.append(n)
    return out


def kernel_ram(dt):
    return dt.get_node("/chosen").props["zephyr,sram"].to_path()


@pytest.mark.parametrize("name", ALL)
def test_tree_parses_and_has_kernel_ram_and_console(name):
    dt = tree(name)
    sram = kernel_ram(dt)
    assert reg(dt, sram)[0][1] >= 32 * 1024
    console = dt.get_node("/chosen").props["zephyr,console"].to_path()
    assert okay(console)


@pytest.mark.parametrize("name", ALL)
def test_unit_addresses_match_reg(name):
    dt = tree(name)
    for n in dt.node_iter():
        if "@" not in n.name or "reg" not in n.props or n.parent.name == "cpus":
            continue
        unit = int(n.name.split("@")[1], 16)
        assert unit == reg(dt, n)[0][0], n.path


@pytest.mark.parametrize("name", UPSTREAM)
def test_upstream_boards_carry_no_memory_attr_regions(name):
    assert attr_regions(tree(name)) == []


def test_upstream_labels_the_overlays_need():
    a53 = tree("qemu_cortex_a53")
    soc = a53.get_node("/soc")
    assert soc.props["#address-cells"].to_num() == 2 and soc.props["#size-cells"].to_num() == 2
    assert soc.props["ranges"].type.name == "EMPTY"
    root = a53.root
    assert root.props["#address-cells"].to_num() == 2 and root.props["#size-cells"].to_num() == 2
    assert reg(a53, a53.label2node["sram0"]) == [(0x40000000, 128 << 20)]

    an521 = tree("mps2_an521")
    ssram = an521.get_node("/memory@38000000")
    assert "ssram2_3" in ssram.labels and reg(an521, ssram) == [(0x38000000, 4 << 20)]
    assert kernel_ram(an521) is ssram
    assert an521.get_node("/cpus/cpu@0").props["compatible"].to_string() == "arm,cortex-m33"

    m3 = tree("qemu_cortex_m3")
    sram0 = m3.label2node["sram0"]
    assert sram0.path == "/memory@20000000" and reg(m3, sram0) == [(0x20000000, 64 << 10)]


@pytest.mark.parametrize("name", SHOWCASE)
def test_showcase_regions_are_real_and_named(name):
    dt = tree(name)
    regions = attr_regions(dt)
    assert len(regions) >= 3
    names = []
    for n in regions:
        assert compatibles(n)[:2] == ["zephyr,memory-region", "mmio-sram"], n.path
        names.append(re.sub(r"[^A-Za-z0-9]", "_", n.props["zephyr,memory-region"].to_string()))
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("name", SHOWCASE)
def test_showcase_regions_outside_kernel_ram_inside_memories(name):
    dt = tree(name)
    s_addr, s_size = reg(dt, kernel_ram(dt))[0]
    mems = [reg(dt, m)[0] for m in memories(dt)]
    spans = []
    for n in attr_regions(dt):
        a, size = reg(dt, n)[0]
        assert a + size <= s_addr or a >= s_addr + s_size, f"{n.path} overlaps zephyr,sram"
        for m_addr, m_size in mems:
            disjoint = a + size <= m_addr or a >= m_addr + m_size
            nested = m_addr <= a and a + size <= m_addr + m_size
            assert disjoint or nested, f"{n.path} straddles a memory at {m_addr:#x}"
        spans.append((a, a + size, n.path))
    spans.sort()
    for (_, end, p), (start, _, q) in zip(spans, spans[1:]):
        assert end <= start, f"{p} overlaps {q}"


@pytest.mark.parametrize("name", ("mimxrt1170_evk", "stm32h747i_disco_m7"))
def test_cortex_m7_regions_are_valid_armv7m_mpu_regions(name):
    dt = tree(name)
    for n in attr_regions(dt):
        a, size = reg(dt, n)[0]
        assert size >= 32 and size & (size - 1) == 0, n.path
        assert a % size == 0, n.path


def _smh_attr(board, value):
    """The board's policy (or the architecture default for arm) applied to one attribute."""
    if board.smh_policy is not None:
        for r in board.smh_policy:
            if value & r.mask == r.value:
                return r.attr
        return None
    arch_bits = value & 0xFFF00000
    return {0x00100000: "CACHEABLE", 0x00200000: "NON_CACHEABLE", 0x02000000: "EXTERNAL"}.get(arch_bits)


@pytest.mark.parametrize(
    "name, expected",
    [
        ("stm32h747i_disco_m7", {"SRAM1": "CACHEABLE", "SRAM2": "NON_CACHEABLE",
                                 "SRAM3": "NON_CACHEABLE", "SDRAM2": "CACHEABLE"}),
        ("mimxrt1170_evk", {"OCRAM1_CACHED": "CACHEABLE", "OCRAM2_NOCACHE": "NON_CACHEABLE",
                            "SDRAM_FB": "CACHEABLE"}),
        ("esp32s3_devkitc", {"SRAM2": "NON_CACHEABLE", "PSRAM_CACHED": "CACHEABLE",
                             "PSRAM_EXT": "EXTERNAL"}),
    ],
)
def test_showcase_regions_map_to_the_intended_smh_attributes(name, expected):
    board = load_board(name)
    dt = tree(name)
    got = {n.props["zephyr,memory-region"].to_string(): _smh_attr(board, n.props["zephyr,memory-attr"].to_num())
           for n in attr_regions(dt)}
    assert got == expected


@pytest.mark.parametrize("name", SHOWCASE)
def test_nocache_attrs_never_claim_cacheable(name):
    for n in attr_regions(tree(name)):
        v = n.props["zephyr,memory-attr"].to_num()
        if v & 0x00200000:  # ATTR_MPU_RAM_NOCACHE: Zephyr asserts if CACHEABLE is also set
            assert not v & 0x1, n.path


@pytest.mark.parametrize("name", SHOWCASE)
def test_drivers_bind_okay_nodes_and_memory_regions_resolve(name):
    board = load_board(name)
    dt = tree(name)
    okay_compats = {c for n in dt.node_iter() if okay(n) for c in compatibles(n)}
    for compat in board.drivers:
        assert compat in okay_compats, f"{compat} bound by {name}.yaml but no okay node has it"
    users = [n for n in dt.node_iter() if "memory-region" in n.props and okay(n)]
    assert users
    for n in users:
        assert set(compatibles(n)) & set(board.drivers), f"{n.path} has memory but no driver"
        target = n.props["memory-region"].to_node()
        assert okay(target) and "zephyr,memory-attr" in target.props, n.path


def test_stm32h7_ethernet_descriptors_live_in_noncacheable_sram3():
    dt = tree("stm32h747i_disco_m7")
    mac = dt.label2node["mac"]
    assert compatibles(mac) == ["st,stm32-ethernet"]
    sram3 = mac.props["memory-region"].to_node()
    assert sram3.labels == ["sram3"] and reg(dt, sram3) == [(0x30040000, 32 << 10)]
    assert sram3.props["zephyr,memory-attr"].to_num() & 0x00200000


def test_esp32s3_lcd_cam_uses_external_psram():
    board = load_board("esp32s3_devkitc")
    dt = tree("esp32s3_devkitc")
    target = dt.label2node["lcd_cam"].props["memory-region"].to_node()
    assert _smh_attr(board, target.props["zephyr,memory-attr"].to_num()) == "EXTERNAL"
    psram = dt.label2node["psram0"]
    (pa, ps), (ta, ts) = reg(dt, psram)[0], reg(dt, target)[0]
    assert pa <= ta and ta + ts <= pa + ps


@pytest.mark.parametrize("name", ALL)
def test_yaml_cpu_matches_the_devicetree_cpu(name):
    board = load_board(name)
    cpu = tree(name).get_node("/cpus/cpu@0")
    assert [c.split(",", 1)[1] for c in compatibles(cpu)] == [board.cpu]
    if "d-cache-line-size" in cpu.props and board.cache is not None:
        assert cpu.props["d-cache-line-size"].to_num() == board.cache.line_size
