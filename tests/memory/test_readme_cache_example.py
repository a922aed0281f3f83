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


def _kind_rows() -> list[tuple[str, str]]:
    rows = re.findall(r"^\| `([A-Z_]+)` \| .*? \| `(.*)` \|$", _section(), re.M)
    assert rows, "the kinds table lost its example column"
    return rows


def _context(kind_name: str) -> dict:
    from smh_boot.memory import (AddressSpace, AllocationInfo, CoherencyChecker, DataCache,
                                 DmaEngine, MemorySystem)

    memory = AddressSpace(32)
    memory.map(0x2000_0000, 0x10000, "sram")
    small = AllocationInfo(0x2000_3000, 40, "sram", "spi0")
    other = AllocationInfo(0x2000_3028, 16, "sram", "shell")
    memsys = MemorySystem(
        memory, DataCache(line_size=32, size=32768, ways=4), cacheable=[(0x2000_0000, 0x10000)],
        owner_lookup=lambda a: next((x for x in (small, other) if x.addr <= a < x.end), None),
        checker=CoherencyChecker(raise_errors=False),
    )
    return {"memsys": memsys, "cpu": memsys.cpu, "dma": DmaEngine(memsys), "buf": 0x2000_2000, "small": small}


def test_each_kind_example_reports_that_kind_first():
    from smh_boot.memory import CoherencyKind

    rows = _kind_rows()
    assert [name for name, _ in rows] == [k.name for k in CoherencyKind]
    for name, code in rows:
        ctx = _context(name)
        exec(compile(code, f"README.md:{name}", "exec"), ctx)
        kinds = ctx["memsys"].checker.kinds()
        assert kinds[:1] == [CoherencyKind[name]], f"{name}: {code} gave {kinds}"
