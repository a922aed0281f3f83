"""Every runnable example in the README is run: each ```python block (except files of the
pytest walkthrough, marked ``# file:``, which tests/plugin/test_readme_walkthrough.py builds
into a project) must run without error, and each ```console block's ``$ smh-boot ...`` lines
must print exactly what follows them.

Examples run in a scratch folder that holds the checkout's ``dts/``, ``boards/`` and ``tests/``
(so README paths resolve as in a checkout) plus the files of ``tests/data/readme/`` (the
``board.dts``, ``app.overlay``, ``my_board.yaml`` a reader would have).  A block preceded by
``<!-- readme-test: skip (reason) -->`` is not run; the reason must say where it is checked.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
from pathlib import Path

import pytest

from smh_boot.cli import main

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
_BLOCK = re.compile(r"(?P<pre>[^\n]*)\n```(?P<lang>\w+)\n(?P<body>.*?)```", re.S)


def _blocks(lang: str):
    for m in _BLOCK.finditer(README):
        if m["lang"] != lang or m["pre"].startswith("<!-- readme-test: skip"):
            continue
        yield README[:m.start("body")].count("\n") + 1, m["body"]


PYTHON = [(line, body) for line, body in _blocks("python") if not body.startswith("# file:")]
CONSOLE = [(line, body) for line, body in _blocks("console")]


@pytest.fixture
def readme_cwd(tmp_path, monkeypatch):
    for name in ("dts", "boards", "tests"):
        (tmp_path / name).symlink_to(ROOT / name, target_is_directory=True)
    for f in (ROOT / "tests" / "data" / "readme").iterdir():
        if f.is_file():
            shutil.copy(f, tmp_path / f.name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_readme_has_examples():
    assert len(PYTHON) >= 5 and len(CONSOLE) >= 5


@pytest.mark.parametrize("line,body", PYTHON, ids=[f"README.md:{ln}" for ln, _ in PYTHON])
def test_python_block_runs(line, body, readme_cwd, capsys):
    code = compile(body, f"README.md:{line}", "exec")
    exec(code, {"__name__": "__readme__"})


def _commands(body: str):
    """(argv, expected output) for each ``$ smh-boot`` line of a console block."""
    out: list[tuple[list[str], list[str]]] = []
    for text in body.rstrip("\n").split("\n"):
        if text.startswith("$ "):
            out.append((shlex.split(text[2:]), []))
        elif out:
            out[-1][1].append(text)
    return out


@pytest.mark.parametrize("line,body", CONSOLE, ids=[f"README.md:{ln}" for ln, _ in CONSOLE])
def test_console_block_is_real_output(line, body, readme_cwd, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    cmds = _commands(body)
    assert cmds, "a console block shows no command"
    for argv, expected in cmds:
        assert argv[0] == "smh-boot", f"README.md:{line}: only smh-boot commands are run"
        main(argv[1:])
        got = capsys.readouterr()
        assert (got.out + got.err).rstrip("\n").split("\n") == expected, " ".join(argv)
