"""The README's "Your own Zephyr board" section shows real output: each console block is run
from tests/zephyr/data and must print exactly what the README shows."""

import re
import shlex
from pathlib import Path

from smh_boot.cli import main

from .conftest import DATA

ROOT = Path(__file__).resolve().parents[2]
_BLOCK = re.compile(r"```console\n\$ smh-boot (?P<args>[^\n]+)\n(?P<out>.*?)\n```", re.S)


def _section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return text.split("<!-- section:zephyr -->")[1].split("<!-- /section:zephyr -->")[0]


def test_console_blocks_match_real_runs(capsys, monkeypatch):
    monkeypatch.chdir(DATA)
    blocks = list(_BLOCK.finditer(_section()))
    assert len(blocks) == 6
    for m in blocks:
        main(shlex.split(m["args"]))
        captured = capsys.readouterr()
        assert (captured.out + captured.err).rstrip("\n") == m["out"], m["args"]


def test_west_manifest_entry_names_the_real_command_file():
    entry = re.search(r"west-commands: (\S+)", _section())[1]
    text = (ROOT / entry).read_text()
    f = re.search(r"file: (\S+)", text)[1]
    assert (ROOT / f).is_file() and "class: SmhBootCommand" in text
