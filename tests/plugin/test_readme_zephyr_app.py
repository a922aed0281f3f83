"""The README's "A Zephyr application's tests" example, followed as a user would: the files
marked ``# zephyr-app file: PATH`` are written into an empty folder next to a build directory
(the fixture build tests/zephyr/data/builds/h747_m7 as ``build/``), pytest runs there, and
the lines the README shows under ``$ pytest -v`` are the run's own, in that order."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FILE_RE = re.compile(r"^#\s*zephyr-app file:\s*(\S+)$")


def _section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return text.split("<!-- section:pytest -->", 1)[1].split("<!-- /section:pytest -->", 1)[0]


def _files() -> dict[str, str]:
    out = {}
    for block in re.findall(r"```[a-z]*\n(.*?)```", _section(), flags=re.S):
        first, _, rest = block.partition("\n")
        m = FILE_RE.match(first.strip())
        if m:
            out[m[1]] = rest
    return out


def _shown_run() -> tuple[list[str], list[str]]:
    block = _section().split("<!-- zephyr-app run -->", 1)[1].split("```text\n", 1)[1].split("```", 1)[0]
    lines = block.rstrip("\n").split("\n")
    assert lines[0].startswith("$ pytest")
    return lines[0][len("$ pytest"):].split(), lines[1:]


def _literal(line: str) -> str:
    return re.sub(r"([\[\]*?])", lambda m: "[" + m[1] + "]", line)


def test_the_zephyr_application_example_runs_as_shown(pytester, run, monkeypatch):
    monkeypatch.delenv("ZEPHYR_BASE", raising=False)
    files = _files()
    assert set(files) == {"pytest.ini", "tests/test_heaps.py"}
    for name, body in files.items():
        path = pytester.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="utf-8")
    shutil.copytree(ROOT / "tests" / "zephyr" / "data" / "builds" / "h747_m7", pytester.path / "build")
    args, shown = _shown_run()
    r = run(*args)
    r.assert_outcomes(passed=2)
    r.stdout.fnmatch_lines([_literal(line) + ("*" if line.endswith("PASSED") else "")
                            for line in shown])
