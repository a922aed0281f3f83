"""The shipped boards validate clean, and Zephyr's upstream test overlays validate without
errors (the warnings they do get are the documented, correct ones)."""

from __future__ import annotations

import json

import pytest

from smh_boot.cli import main
from smh_boot.resources import dts_dir

board = pytest.importorskip("smh_boot.board")
BOARDS = [b.name for b in board.list_boards()]
UPSTREAM = dts_dir() / "overlays" / "upstream"


def run_json(capsys, *argv):
    rc = main(["validate", "--format", "json", *argv])
    out, _ = capsys.readouterr()
    return rc, json.loads(out)


@pytest.mark.parametrize("name", BOARDS)
def test_board_validates_clean(capsys, name):
    rc, doc = run_json(capsys, "--board", name, "--enable", "attr-unmapped")
    assert rc == 0
    # attr-unmapped (info) may list regions a board keeps out of the pool on purpose
    assert [d for d in doc["diagnostics"] if d["rule"] != "attr-unmapped"] == []


@pytest.mark.parametrize("name,overlay,warnings", [
    ("mps2_an521", "shared_multi_heap/mps2_an521.overlay", []),
    ("qemu_cortex_m3", "mem_attr_heap/qemu_cortex_m3.overlay", []),
    # the test's heaps lie 32-64 MiB into the a53's 128 MiB kernel RAM: correct warnings
    ("qemu_cortex_a53", "shared_multi_heap/qemu_cortex_a53.overlay",
     ["region-overlaps-kernel-ram"] * 3),
])
def test_upstream_overlay(capsys, name, overlay, warnings):
    assert name in BOARDS, f"board {name} is not shipped"
    rc, doc = run_json(capsys, "--board", name, "--overlay", str(UPSTREAM / overlay))
    assert rc == 0
    assert doc["summary"]["error"] == 0
    assert [d["rule"] for d in doc["diagnostics"]] == warnings
