"""The README's "Memory maps and heap reports" section: every command and Python block runs,
and the limits it quotes are the code's."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from smh_boot.cli import main
from smh_boot.report import layout

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
SECTION = README[README.index("<!-- section:map -->"):README.index("<!-- /section:map -->")]


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", SECTION, re.DOTALL)


def _commands() -> list[list[str]]:
    out = []
    for block in _blocks("sh"):
        for line in block.splitlines():
            argv = shlex.split(line, comments=True)
            if argv:
                assert argv[0] == "smh-boot", line
                out.append(argv[1:])
    return out


@pytest.mark.parametrize("argv", _commands(), ids=" ".join)
def test_every_command_of_the_section_runs(argv, tmp_path, monkeypatch, capsys):
    argv = [str(ROOT / a) if (ROOT / a).is_file() and "/" in a else a for a in argv]
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 0
    out = capsys.readouterr().out
    if "-o" in argv:
        written = tmp_path / argv[argv.index("-o") + 1]
        assert written.stat().st_size > 1000 and f"written to {written.name}" in out
    elif "--map" in argv:
        assert (tmp_path / argv[argv.index("--map") + 1]).stat().st_size > 1000
    else:
        assert out.strip()


@pytest.mark.parametrize("index", range(len(_blocks("python"))))
def test_every_python_block_of_the_section_runs(index, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code = _blocks("python")[index]
    exec(compile(code, f"README.md section:map block {index}", "exec"), {})
    out = capsys.readouterr().out
    for expected in re.findall(r"#\s*(smh-boot-map/1 .*)$", code, re.MULTILINE):
        assert expected.strip() in out


def test_the_limits_the_section_quotes_are_the_codes():
    assert f"`ALLOC_DRAW_LIMIT` = {layout.ALLOC_DRAW_LIMIT:,}" in SECTION
    assert f"`MAP_DRAW_LIMIT` = {layout.MAP_DRAW_LIMIT:,}" in SECTION
    flat = " ".join(SECTION.split())
    assert f"up to {layout.DETAIL_LIMIT} allocations" in flat
    assert f"at least {int(layout.DETAIL_MIN_H)} px" in flat


def test_the_readmes_picture_is_the_default_boards_map_today():
    from smh_boot.bootstage import boot
    from smh_boot.report import map_from_system, render

    shipped = (ROOT / "docs" / "memory-map.svg").read_text(encoding="utf-8")
    assert "![Memory map of the default board](docs/memory-map.svg)" in SECTION
    assert render(map_from_system(boot()), "svg") == shipped, (
        "docs/memory-map.svg is stale: regenerate it with `smh-boot map -o docs/memory-map.svg`")
