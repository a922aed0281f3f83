"""The README's quick start stays true: its boot output is what `smh-boot boot` prints, and its
test command is the one .ci/run runs."""

import re
from pathlib import Path

from smh_boot.cli import main

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _section(name: str) -> str:
    return README[README.index(f"<!-- section:{name} -->"):README.index(f"<!-- /section:{name} -->")]


def test_quick_start_boot_output_is_real(capsys):
    block = re.search(r"```console\n\$ smh-boot boot\n(.*?)```", _section("boot-output"), re.DOTALL)
    assert block, "the quick start shows no `smh-boot boot` output"
    assert main(["boot"]) == 0
    assert capsys.readouterr().out == block.group(1)


def test_quick_start_commands():
    quick = README[README.index("## Quick start"):README.index("## Contents")]
    cmds = re.search(r"```sh\n(.*?)```", quick, re.DOTALL).group(1).strip().splitlines()
    assert len(cmds) == 2
    assert cmds[0].endswith("smh-boot boot")
    test_cmd = cmds[1].split("&&")[-1].strip()
    ci = (ROOT / ".ci" / "run").read_text()
    assert test_cmd.replace(".venv/bin/", "") in ci
