"""Board trees through the project's own devicetree front end and validator: the regions it
finds, a clean validation, and Zephyr's upstream test overlays applied unchanged."""

from __future__ import annotations

import pytest

from smh_boot import resources
from smh_boot.board import list_boards, load_board

from .dtparse import needs_cpp

dtmod = pytest.importorskip("smh_boot.devicetree")
validate = pytest.importorskip("smh_boot.validate")

pytestmark = needs_cpp

UPSTREAM = resources.dts_dir() / "overlays" / "upstream"


def _load(board, overlays=()):
    return dtmod.load_devicetree(board.dts_path, overlays=[*board.overlay_paths, *overlays],
                                 include_dirs=board.include_dirs)


def _policy(board):
    if board.smh_policy is None:
        return dtmod.MappingPolicy.default(board.arch)
    return dtmod.MappingPolicy.from_rules(board.policy_rules())


def _regions(board, overlays=()):
    dt = _load(board, overlays)
    scan = dtmod.find_regions(dt, arch=board.arch)
    return dt, scan


def _diagnostics(board, dt):
    opts = validate.ValidationOptions(arch=board.arch, ptr_size=board.ptr_size,
                                      runtime_stats=board.heap.runtime_stats,
                                      smh_policy=_policy(board))
    return list(validate.validate_devicetree(dt, options=opts))


@pytest.mark.parametrize("name", [b.name for b in list_boards()])
def test_board_validates_clean(name):
    board = load_board(name)
    dt, scan = _regions(board)
    assert scan.warnings == []
    assert [str(d) for d in _diagnostics(board, dt)] == []


@pytest.mark.parametrize(
    "name, expected",
    [
        ("stm32h747i_disco_m7", [("SRAM1", 0x30000000, 0x20000, "CACHEABLE"),
                                 ("SRAM3", 0x30040000, 0x8000, "NON_CACHEABLE"),
                                 ("SRAM2", 0x30020000, 0x20000, "NON_CACHEABLE"),
                                 ("SDRAM2", 0xD0000000, 0x2000000, "CACHEABLE")]),
        ("mimxrt1170_evk", [("OCRAM1_CACHED", 0x20240000, 0x40000, "CACHEABLE"),
                            ("OCRAM2_NOCACHE", 0x202C0000, 0x10000, "NON_CACHEABLE"),
                            ("SDRAM_FB", 0x81000000, 0x1000000, "CACHEABLE")]),
        ("esp32s3_devkitc", [("SRAM2", 0x3FCF0000, 0x10000, "NON_CACHEABLE"),
                             ("PSRAM_CACHED", 0x3C000000, 0x200000, "CACHEABLE"),
                             ("PSRAM_EXT", 0x3C200000, 0x400000, "EXTERNAL")]),
        ("qemu_cortex_a53", []),
        ("mps2_an521", []),
        ("qemu_cortex_m3", []),
    ],
)
def test_regions_and_their_smh_attributes(name, expected):
    from smh_boot.heap.region import SmhAttr

    board = load_board(name)
    _dt, scan = _regions(board)
    mapping = dtmod.map_to_smh(scan.regions, _policy(board))
    assert mapping.unmapped == []
    got = [(rec.region_name, smh.addr, smh.size, SmhAttr(smh.attr).name) for rec, smh in mapping.regions]
    assert got == expected


def _overlay(*parts):
    path = UPSTREAM.joinpath(*parts)
    assert path.is_file(), f"upstream overlay {path} is missing"
    return path


@pytest.mark.parametrize(
    "name, attrs",
    [
        ("mps2_an521", ("CACHEABLE", "NON_CACHEABLE", "CACHEABLE")),
        ("qemu_cortex_a53", ("CACHEABLE", "NON_CACHEABLE", "CACHEABLE")),
    ],
)
def test_shared_multi_heap_overlay_applies_unchanged(name, attrs):
    from smh_boot.heap.region import SmhAttr

    board = load_board(name)
    overlay = _overlay("shared_multi_heap", f"{name}.overlay")
    _dt, scan = _regions(board, [overlay])
    mapping = dtmod.map_to_smh(scan.regions, _policy(board))
    base = 0x38000000 if name == "mps2_an521" else 0x40000000
    got = [(rec.region_name, smh.addr - base, smh.size, SmhAttr(smh.attr).name) for rec, smh in mapping.regions]
    if name == "mps2_an521":
        offsets = (0x100000, 0x200000, 0x300000)
    else:
        offsets = (0x2000000, 0x3000000, 0x4000000)
    assert got == [("RES0", offsets[0], 0x1000, attrs[0]), ("RES1", offsets[1], 0x2000, attrs[1]),
                   ("RES2", offsets[2], 0x3000, attrs[2])]
    # Regions without an attribute (SSRAM2_3, RES_NO_MPU) are not heap regions.
    assert {r.region_name for r in scan.regions} == {"RES0", "RES1", "RES2"}


def test_shared_multi_heap_overlay_recreates_ssram2_3_as_kernel_ram():
    board = load_board("mps2_an521")
    dt, _scan = _regions(board, [_overlay("shared_multi_heap", "mps2_an521.overlay")])
    sram = dt.chosen("zephyr,sram")
    assert sram is not None and "ssram2_3" in sram.labels
    assert [(r.addr, r.size) for r in dt.reg(sram)] == [(0x38000000, 0x100000)]
    # The heap regions sit above the shrunk kernel RAM: no findings at error level.
    assert [d for d in _diagnostics(board, dt) if d.severity == "error"] == []


def test_mem_attr_heap_overlay_applies_unchanged_on_qemu_cortex_m3():
    board = load_board("qemu_cortex_m3")
    dt, scan = _regions(board, [_overlay("mem_attr_heap", "qemu_cortex_m3.overlay")])
    sram = dt.get("&sram0")
    assert [(r.addr, r.size) for r in dt.reg(sram)] == [(0x20000000, 32 * 1024)]
    table = dtmod.mem_attr_table(scan.regions)
    assert [(t.name, t.addr, t.size, t.attr) for t in table] == [
        ("memory@20008000", 0x20008000, 0x1000, 0x00000001),
        ("memory@20009000", 0x20009000, 0x1000, 0x00010001),
        ("memory@2000A000", 0x2000A000, 0x1000, 0x00020000),
        ("memory@2000B000", 0x2000B000, 0x1000, 0x00040008),
        ("memory@2000C000", 0x2000C000, 0x2000, 0x00010001),
        ("memory@2000E000", 0x2000E000, 0x1000, 0x00050009),
    ]
    assert [d for d in _diagnostics(board, dt) if d.severity == "error"] == []


@pytest.mark.parametrize("name", ["stm32h747i_disco_m7", "mimxrt1170_evk", "esp32s3_devkitc"])
def test_non_cacheable_memory_regions_are_the_first_heap_of_their_attribute(name):
    # The pool hands out the first heap of an attribute that fits (heaps are added in
    # devicetree order), so a device's dedicated non-cacheable region must come first or its
    # descriptors land elsewhere.
    from smh_boot.heap.region import SmhAttr

    board = load_board(name)
    dt, scan = _regions(board)
    mapping = dtmod.map_to_smh(scan.regions, _policy(board))
    first = {}
    for rec, smh in mapping.regions:
        first.setdefault(SmhAttr(smh.attr).name, rec.path)
    attr_of = {rec.path: SmhAttr(smh.attr).name for rec, smh in mapping.regions}
    checked = 0
    for node in dt.nodes():
        if "memory-region" not in node.props or not dt.status_okay(node):
            continue
        for target in dt.phandle_targets(node, "memory-region"):
            if attr_of.get(target.path) == "NON_CACHEABLE":
                assert first["NON_CACHEABLE"] == target.path, node.path
                checked += 1
    assert checked >= 1
