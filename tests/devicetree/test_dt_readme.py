"""The README devicetree section shows real output: its console blocks must match a run."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from smh_boot.cli import main
from smhdt_helpers import REPO_DTS, needs_cpp

pytestmark = needs_cpp

ROOT = Path(__file__).resolve().parents[2]  # the checkout (README, tests/data)
_BLOCK = re.compile(r"```console\n\$ smh-boot (?P<args>[^\n]+)\n(?P<out>.*?)\n```", re.S)


def _section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return text.split("<!-- section:devicetree -->")[1].split("<!-- /section:devicetree -->")[0]


def test_console_blocks_match_real_runs(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    blocks = list(_BLOCK.finditer(_section()))
    assert len(blocks) == 2
    for m in blocks:
        main(shlex.split(m["args"]))
        captured = capsys.readouterr()
        assert (captured.out + captured.err).rstrip("\n") == m["out"], m["args"]


def test_example_overlay_is_the_shipped_file():
    overlay = (ROOT / "tests" / "data" / "dts" / "readme_example.overlay").read_text()
    assert "```dts\n" + overlay.rstrip("\n") + "\n```" in _section()
