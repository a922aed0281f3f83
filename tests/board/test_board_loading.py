"""Every shipped board loads into a typed Board record; names, paths and the default work."""

from __future__ import annotations

from pathlib import Path

import pytest

from smh_boot import resources
from smh_boot.board import (
    Board,
    CacheConfig,
    HeapConfig,
    boards_dir,
    default_board,
    list_boards,
    load_board,
)
from smh_boot.errors import BoardError

SHIPPED = (
    "esp32s3_devkitc",
    "mimxrt1170_evk",
    "mps2_an521",
    "qemu_cortex_a53",
    "qemu_cortex_m3",
    "stm32h747i_disco_m7",
)


def test_list_boards_is_sorted_and_complete():
    names = [b.name for b in list_boards()]
    assert names == sorted(names)
    assert set(SHIPPED) <= set(names)


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_board_loads(name):
    b = load_board(name)
    assert isinstance(b, Board)
    assert b.name == name
    assert b.path == boards_dir() / f"{name}.yaml"
    assert b.dts_path.is_absolute() and b.dts_path.is_file()
    assert b.dts_path == resources.dts_dir() / "boards" / f"{name}.dts"
    assert all(p.is_absolute() for p in (*b.overlay_paths, *b.include_dirs))
    assert isinstance(b.heap, HeapConfig) and b.heap.alloc_loops >= 1
    assert b.ptr_size == (8 if b.arch == "arm64" else 4)


def test_exactly_one_default_and_it_is_a_showcase_board():
    assert [b.name for b in list_boards() if b.default] == ["stm32h747i_disco_m7"]
    assert default_board().name == "stm32h747i_disco_m7"


@pytest.mark.parametrize(
    "name, arch, isa, cache",
    [
        ("qemu_cortex_a53", "arm64", "armv8-a", CacheConfig(64, 32768, 4)),
        ("mps2_an521", "arm", "armv8-m.main", None),
        ("qemu_cortex_m3", "arm", "armv7-m", None),
        ("mimxrt1170_evk", "arm", "armv7e-m", CacheConfig(32, 32768, 4)),
        ("stm32h747i_disco_m7", "arm", "armv7e-m", CacheConfig(32, 16384, 4)),
        ("esp32s3_devkitc", "xtensa", "xtensa-lx7", CacheConfig(32, 32768, 8)),
    ],
)
def test_board_facts(name, arch, isa, cache):
    b = load_board(name)
    assert (b.arch, b.isa, b.cache) == (arch, isa, cache)


def test_cache_geometry():
    c = load_board("mimxrt1170_evk").cache
    assert c.sets == 256  # 32 KiB / (32 B * 4 ways)
    assert c.describe() == "32 KiB 4-way, 32 B lines"


def test_upstream_boards_have_no_drivers_and_no_policy():
    for name in ("qemu_cortex_a53", "mps2_an521", "qemu_cortex_m3"):
        b = load_board(name)
        assert b.drivers == () and b.smh_policy is None and b.policy_rules() is None


def test_mem_attr_heap_enabled_where_the_upstream_test_runs():
    assert load_board("qemu_cortex_m3").mem_attr.heap is True


def test_esp32s3_policy_maps_psram_to_external():
    rules = load_board("esp32s3_devkitc").policy_rules()
    assert rules == [
        {"mask": 0x00800000, "value": 0x00800000, "attr": "NON_CACHEABLE"},
        {"mask": 0x9, "value": 0x9, "attr": "EXTERNAL"},
        {"mask": 0x1, "value": 0x1, "attr": "CACHEABLE"},
    ]
    rule = load_board("esp32s3_devkitc").smh_policy[1]
    assert dict(rule) == {"mask": 9, "value": 9, "attr": "EXTERNAL"} and rule["attr"] == "EXTERNAL"
    with pytest.raises(KeyError):
        rule["nope"]


def test_showcase_boards_bind_drivers():
    assert load_board("stm32h747i_disco_m7").drivers == (
        "st,stm32-usart", "st,stm32-ethernet", "st,stm32-ltdc", "st,stm32-dma-v1")
    assert "espressif,esp32-lcd-cam" in load_board("esp32s3_devkitc").drivers
    assert "nxp,enet" in load_board("mimxrt1170_evk").drivers


def test_load_by_path_equals_load_by_name():
    by_name = load_board("qemu_cortex_m3")
    assert load_board(boards_dir() / "qemu_cortex_m3.yaml") == by_name
    assert load_board(str(boards_dir() / "qemu_cortex_m3.yaml")) == by_name


def test_unknown_board_lists_the_known_ones():
    with pytest.raises(BoardError) as e:
        load_board("nucleo_h743zi")
    msg = str(e.value)
    assert "unknown board 'nucleo_h743zi'" in msg
    for name in SHIPPED:
        assert name in msg
    assert e.value.hint and "smh-boot boards" in e.value.hint


def test_missing_board_file_path():
    with pytest.raises(BoardError, match="does not exist"):
        load_board("no/such/board.yaml")


def test_summary_is_json_ready():
    import json

    s = load_board("esp32s3_devkitc").summary()
    assert json.loads(json.dumps(s)) == s
    assert s["cache"] == {"line_size": 32, "size": 32768, "ways": 8}
    assert s["smh_policy"][1]["attr"] == "EXTERNAL"


def test_board_is_frozen():
    b = load_board("qemu_cortex_m3")
    with pytest.raises(AttributeError):
        b.name = "x"  # type: ignore[misc]


# ---------------------------------------------------------------- a boards/ folder of our own


def _write(folder: Path, name: str, extra: str = "", default: bool = False) -> Path:
    (folder / f"{name}.dts").write_text("/dts-v1/;\n/ { };\n")
    p = folder / f"{name}.yaml"
    p.write_text(
        f"name: {name}\nvendor: V\nsoc: S\ncpu: c\narch: arm\nisa: armv7-m\nptr_size: 4\n"
        f"default: {'true' if default else 'false'}\ndevicetree:\n  dts: {name}.dts\n{extra}"
    )
    return p


@pytest.fixture
def own_boards(tmp_path, monkeypatch):
    monkeypatch.setattr(resources, "boards_dir", lambda: tmp_path)
    return tmp_path


def test_no_default_board_is_an_error(own_boards):
    _write(own_boards, "a")
    with pytest.raises(BoardError, match="no board .* is marked default"):
        default_board()


def test_two_default_boards_is_an_error_at_the_second(own_boards):
    _write(own_boards, "a", default=True)
    p = _write(own_boards, "b", default=True)
    with pytest.raises(BoardError) as e:
        list_boards()
    assert e.value.file == str(p) and e.value.line == 8
    assert "more than one board is marked default: a, b" in e.value.message


def test_name_must_match_file_name_for_shipped_boards(own_boards):
    p = _write(own_boards, "a", default=True)
    p.write_text(p.read_text().replace("name: a", "name: other"))
    with pytest.raises(BoardError) as e:
        load_board("a")
    assert e.value.file == str(p) and e.value.line == 1
    assert "differs from the file name" in e.value.message


def test_defaults_for_optional_sections(own_boards):
    _write(own_boards, "a", default=True)
    b = load_board("a")
    assert b.heap == HeapConfig(runtime_stats=False, alloc_loops=3, hardening="strict", heap_mode="auto")
    assert b.cache is None and b.smh_policy is None and b.drivers == () and b.description == ""
    assert b.mem_attr.enabled is False and b.mem_attr.heap is False
    assert b.dts_path == own_boards / "a.dts"


def test_dts_found_relative_to_the_yaml_file(own_boards):
    (own_boards / "sub").mkdir()
    _write(own_boards, "a", default=True)
    (own_boards / "sub" / "x.dtsi").write_text("")
    p = own_boards / "a.yaml"
    p.write_text(p.read_text() + "  overlays: [sub/x.dtsi]\n  include_dirs: [sub]\n")
    b = load_board("a")
    assert b.overlay_paths == (own_boards / "sub" / "x.dtsi",)
    assert b.include_dirs == (own_boards / "sub",)
    assert b.devicetree.overlays == ("sub/x.dtsi",)
