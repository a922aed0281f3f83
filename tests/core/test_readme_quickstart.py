"""The README's quick start stays true: its boot output is what `smh-boot boot` prints, and its
test command is the one .ci/run runs."""

import re
import subprocess
import sys
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
    assert cmds[1].split("&&")[-1].strip().startswith(".venv/bin/pytest")
    # .ci/run runs exactly these two lines, read from the README by .ci/quickstart.py.
    out = subprocess.run([sys.executable, str(ROOT / ".ci" / "quickstart.py"), str(ROOT / "README.md")],
                         capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == cmds
    ci = (ROOT / ".ci" / "run").read_text()
    assert ".ci/quickstart.py README.md" in ci
    assert 'bash -euo pipefail -c "${quick[0]}"' in ci and 'bash -euo pipefail -c "${quick[1]}"' in ci
    assert "git clone" in ci  # in a fresh clone, with the venv where the README puts it
