"""`smh-boot boards`: the table, the JSON form, the region counts and the error exit."""

from __future__ import annotations

import json

from smh_boot import resources
from smh_boot.board import list_boards
from smh_boot.cli import main

from .dtparse import needs_cpp


def test_table_lists_every_board_and_marks_the_default(capsys):
    assert main(["boards"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["NAME", "ARCH", "CPU", "ISA", "PTR", "D-CACHE", "DRIVERS", "DESCRIPTION"]
    rows = {line.split()[1] if line.startswith("*") else line.split()[0]: line for line in out[1:7]}
    assert set(rows) == {b.name for b in list_boards()}
    assert rows["stm32h747i_disco_m7"].startswith("*")
    assert not rows["qemu_cortex_m3"].startswith("*")
    assert "16 KiB 4-way, 32 B lines" in rows["stm32h747i_disco_m7"]
    assert "64-bit" in rows["qemu_cortex_a53"] and " none " in rows["mps2_an521"]
    assert out[-1].startswith("* default board")


def test_json_round_trips_the_board_summaries(capsys):
    assert main(["boards", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [d["name"] for d in data] == [b.name for b in list_boards()]
    esp = next(d for d in data if d["name"] == "esp32s3_devkitc")
    assert esp["arch"] == "xtensa" and esp["ptr_size"] == 4 and esp["cache"]["ways"] == 8
    assert esp["smh_policy"][1] == {"mask": 9, "value": 9, "attr": "EXTERNAL"}
    assert "regions" not in esp


@needs_cpp
def test_regions_column_counts_memory_attr_regions(capsys):
    assert main(["boards", "--regions", "--json"]) == 0
    counts = {d["name"]: d["regions"] for d in json.loads(capsys.readouterr().out)}
    assert counts == {"esp32s3_devkitc": 3, "mimxrt1170_evk": 3, "mps2_an521": 0,
                      "qemu_cortex_a53": 0, "qemu_cortex_m3": 0, "stm32h747i_disco_m7": 4}
    assert main(["boards", "--regions"]) == 0
    assert "REGIONS" in capsys.readouterr().out.splitlines()[0]


def test_broken_devicetree_with_regions_exits_2(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(resources, "boards_dir", lambda: tmp_path)
    (tmp_path / "b.dts").write_text("/dts-v1/;\n/ { x = <1>\n};\n")
    (tmp_path / "b.yaml").write_text(
        "name: b\nvendor: V\nsoc: S\ncpu: c\narch: arm\nisa: armv7-m\nptr_size: 4\n"
        "default: true\ndevicetree:\n  dts: b.dts\n")
    assert main(["boards"]) == 0
    capsys.readouterr()
    assert main(["boards", "--regions"]) == 2
    err = capsys.readouterr().err
    assert "b.dts" in err and "error:" in err and "Traceback" not in err
