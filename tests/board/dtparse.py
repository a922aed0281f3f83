"""Plain preprocess-and-parse of a board devicetree (GCC cpp + dtlib), independent of
smh_boot.devicetree, so the board trees are checked even while that front end changes."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from devicetree import dtlib

from smh_boot import resources

CPP = shutil.which("cpp")
needs_cpp = pytest.mark.skipif(CPP is None, reason="GCC cpp is not installed")


def parse(dts: Path, overlays: tuple[Path, ...] = ()) -> dtlib.DT:
    """Preprocess like Zephyr (board and overlays -include'd into one unit) and parse."""
    include = resources.dts_dir() / "include"
    args = [CPP, "-x", "assembler-with-cpp", "-nostdinc", "-undef", "-D__DTS__",
            "-isystem", str(include), "-include", str(dts)]
    for o in overlays:
        args += ["-include", str(o)]
    with tempfile.TemporaryDirectory() as tmp:
        empty = Path(tmp) / "empty.c"
        empty.write_text("")
        out = Path(tmp) / "board.pre.dts"
        subprocess.run([*args, "-E", str(empty), "-o", str(out)], check=True,
                       capture_output=True, text=True)
        return dtlib.DT(str(out))


def reg(dt: dtlib.DT, node: dtlib.Node) -> list[tuple[int, int]]:
    """(addr, size) pairs of ``reg`` with the parent's cells (no bus translation needed: every
    shipped tree uses identity ``ranges``)."""
    parent = node.parent
    ac = parent.props["#address-cells"].to_num() if "#address-cells" in parent.props else 2
    sc = parent.props["#size-cells"].to_num() if "#size-cells" in parent.props else 1
    cells = node.props["reg"].to_nums()
    step = ac + sc
    assert len(cells) % step == 0, f"{node.path}: reg has {len(cells)} cells, not a multiple of {step}"
    out = []
    for i in range(0, len(cells), step):
        addr = 0
        for c in cells[i:i + ac]:
            addr = (addr << 32) | c
        size = 0
        for c in cells[i + ac:i + step]:
            size = (size << 32) | c
        out.append((addr, size))
    return out


def okay(node: dtlib.Node) -> bool:
    """Zephyr's status check: missing, "okay" or "ok"."""
    if "status" not in node.props:
        return True
    return node.props["status"].to_string() in ("okay", "ok")


def compatibles(node: dtlib.Node) -> list[str]:
    return node.props["compatible"].to_strings() if "compatible" in node.props else []
