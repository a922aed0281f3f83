"""One address convention in every JSON document smh-boot writes (``regions --json``,
``boot --json``, ``map --format json``): integers, each address with an ``*_hex`` string."""

from __future__ import annotations

import json

import pytest

from smh_boot.cli import main
from smh_boot.units import hex_str, human_size, with_hex

A53 = ["dts/boards/qemu_cortex_a53.dts", "--overlay",
       "dts/overlays/upstream/shared_multi_heap/qemu_cortex_a53.overlay"]


def _addresses(doc, path="$"):
    """(path, key, value, sibling dict) of every address-like key in a JSON document."""
    if isinstance(doc, dict):
        for k, v in doc.items():
            if k in ("addr", "dt_attr") and (isinstance(v, (int, str)) or v is None):
                yield path, k, v, doc
            yield from _addresses(v, f"{path}.{k}")
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _addresses(v, f"{path}[{i}]")


def _check(doc) -> int:
    n = 0
    for path, key, value, parent in _addresses(doc):
        assert not isinstance(value, str), f"{path}.{key} is a string: {value!r}"
        assert f"{key}_hex" in parent, f"{path}.{key} has no {key}_hex"
        assert parent[f"{key}_hex"] == (None if value is None else hex_str(value)), path
        n += 1
    return n


def _run(capsys, argv) -> dict:
    assert main(argv) in (0, None)
    return json.loads(capsys.readouterr().out)


def test_regions_json_addresses_are_integers_with_hex(capsys):
    doc = _run(capsys, ["regions", *A53, "--arch", "arm64", "--json"])
    assert doc["format"] == "smh-boot-regions/1"
    assert _check(doc) >= 6
    r0 = doc["regions"][0]
    assert isinstance(r0["size"], int) and int(r0["addr_hex"], 16) == r0["addr"]
    assert isinstance(r0["attr"], int) and r0["attr_hex"] == hex_str(r0["attr"])


@pytest.mark.parametrize("board", ["stm32h747i_disco_m7", "qemu_cortex_a53"])
def test_boot_and_map_json_use_the_same_convention(capsys, board):
    boot = _run(capsys, ["boot", board, "--json"])
    assert _check(boot) >= len(boot["regions"]) + len(boot["allocations"])
    mm = _run(capsys, ["map", board, "--format", "json"])
    assert mm["format"] == "smh-boot-map/1"
    assert _check(mm) >= len(mm["bands"])
    # the two documents agree on every allocation, in the same form
    key = lambda a: (a["addr"], a["addr_hex"], a["size"])  # noqa: E731
    in_map = sorted(key(a) for a in mm["allocations"])
    assert in_map == sorted(key(a) for a in boot["allocations"] if a["region"] is not None)


def test_with_hex_puts_the_companion_after_its_integer():
    d = with_hex({"addr": 0x20000000, "size": 16, "x": None}, "addr", "x")
    assert list(d) == ["addr", "addr_hex", "size", "x", "x_hex"]
    assert d["addr_hex"] == "0x20000000" and d["x_hex"] is None
    assert human_size(3 << 20) == "3 MiB"


def test_fit_json_uses_the_same_convention(capsys, monkeypatch):
    from pathlib import Path

    monkeypatch.chdir(Path(__file__).resolve().parents[2])
    doc = _run(capsys, ["fit", "--trace", "tests/data/fit/net_stack.json", "--json"])
    assert _check(doc) >= len(doc["regions"]) > 0
