"""Every simulated driver's compatible has a binding, and the shipped boards type-check with them."""

from __future__ import annotations

import pytest
from devicetree import edtlib

from smh_boot.board import list_boards
from smh_boot.bootstage import default_registry
from smh_boot.devicetree.preprocess import preprocess
from smhdt_helpers import REPO_DTS, needs_cpp

pytestmark = needs_cpp
BINDINGS = REPO_DTS / "bindings"


def test_every_registered_compatible_has_a_binding():
    shipped = {p.stem for p in (BINDINGS / "drivers").glob("*.yaml")}
    reg = default_registry()
    # Only smh-boot's own drivers: tests register drivers of their own (as users do).
    ours = {c for c in reg.compatibles if reg.lookup([c]).cls.__module__.startswith("smh_boot.")}
    assert ours and ours <= shipped


@pytest.mark.parametrize("board", [b for b in list_boards() if b.drivers], ids=lambda b: b.name)
def test_driver_nodes_are_typed_by_their_bindings(board, tmp_path):
    pre = tmp_path / "b.pre.dts"
    preprocess(str(board.dts_path), [str(o) for o in board.overlay_paths],
               [str(d) for d in board.include_dirs], str(pre))
    edt = edtlib.EDT(str(pre), bindings_dirs=[str(BINDINGS)], werror=True)
    bound = 0
    for node in edt.nodes:
        if node.status != "okay" or not node.compats:
            continue
        if not any(c in board.drivers for c in node.compats):
            continue
        bound += 1
        assert node.matching_compat in board.drivers, node.path
        for name in ("width", "height", "tx-descriptors", "rx-ring-size"):
            if name in node.props:
                assert isinstance(node.props[name].val, int)
        if "memory-region" in node.props:
            targets = node.props["memory-region"].val
            assert targets and all(t.matching_compat == "zephyr,memory-region" for t in targets)
        if "dmas" in node.props:
            for entry in node.props["dmas"].val:
                assert entry.controller.matching_compat in board.drivers
    assert bound == len(board.drivers)
