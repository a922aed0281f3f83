"""The README's cache section shows a real report: run its example and compare the output."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"


def _section() -> str:
    text = README.read_text(encoding="utf-8")
    m = re.search(r"<!-- section:cache -->(.*?)<!-- /section:cache -->", text, re.S)
    if m is None:
        pytest.fail("README.md has no cache section")
    return m.group(1)


def test_readme_report_example_is_what_the_code_prints():
    section = _section()
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    expected = re.search(r"```text\n(.*?)```", section, re.S).group(1)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md:cache", "exec"), {})
    assert out.getvalue() == expected


def test_readme_lists_every_kind():
    from smh_boot.memory import CoherencyKind

    section = _section()
    for kind in CoherencyKind:
        assert f"`{kind.name}`" in section
