"""The README's "Writing a driver" example runs as written and prints what the README shows;
without its flush, it raises the coherency report the README shows.

``python tests/drivers/test_drv_readme_example.py`` rewrites the two output blocks of the
README's drivers section from a fresh run (after a deliberate change of the boot log)."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

from smh_boot.memory import CoherencyKind, CoherencyViolation

README = Path(__file__).resolve().parents[2] / "README.md"


def _section() -> str:
    text = README.read_text()
    m = re.search(r"<!-- section:drivers -->\n(.*?)<!-- /section:drivers -->", text, re.S)
    assert m, "README has no drivers section"
    return m.group(1)


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", _section(), re.S)


def _broken(code: str) -> str:
    """The example without its flush."""
    return "\n".join(line for line in code.splitlines() if "sys_cache_data_flush_range" not in line)


def _run(code: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "readme_example.py", "exec"), {"__name__": "readme_example"})
    return out.getvalue()


@pytest.fixture()
def folder(tmp_path, monkeypatch):
    (tmp_path / "acme-crc.overlay").write_text(_blocks("dts")[0])
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_example_prints_what_the_readme_shows(folder) -> None:
    code, shown = _blocks("python")[0], _blocks("text")[0]
    assert _run(code) == shown


def test_example_without_the_flush_raises_the_report_shown(folder) -> None:
    code = _blocks("python")[0]
    broken = _broken(code)
    assert broken != code
    with pytest.raises(CoherencyViolation) as exc:
        _run(broken)
    assert exc.value.kind is CoherencyKind.STALE_TX_DATA
    assert str(exc.value.report) + "\n" == _blocks("text")[1]


def regenerate() -> None:
    """Run the example (and its broken form) and write their outputs into the README."""
    import os
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "acme-crc.overlay").write_text(_blocks("dts")[0])
        cwd = os.getcwd()
        os.chdir(tmp)
        try:
            code = _blocks("python")[0]
            out = _run(code)
            try:
                _run(_broken(code))
                raise SystemExit("the broken example did not raise")
            except CoherencyViolation as e:
                report = str(e.report) + "\n"
        finally:
            os.chdir(cwd)
    text = README.read_text()
    old = _section()
    first, second = _blocks("text")[:2]
    new = old.replace(f"```text\n{first}```", f"```text\n{out}```", 1)
    new = new.replace(f"```text\n{second}```", f"```text\n{report}```", 1)
    README.write_text(text.replace(old, new, 1))


if __name__ == "__main__":
    regenerate()
