"""The text form: aligned tables of bands, allocations, heaps and findings."""

from __future__ import annotations

import pytest
from mapmodels import broken_map, stm32h7_map

from smh_boot.report.text import render_text, table


def _section(text: str, name: str) -> list[str]:
    lines = text.splitlines()
    start = lines.index(name) + 2
    end = next((i for i in range(start, len(lines)) if lines[i] == ""), len(lines))
    return lines[start:end]


def _column_starts(rule: str) -> list[int]:
    return [i for i, ch in enumerate(rule) if ch == "-" and (i == 0 or rule[i - 1] == " ")]


def test_bands_table_columns_line_up():
    text = render_text(stm32h7_map())
    head, rule, *rows = _section(text, "Bands")
    starts = _column_starts(rule)
    assert len(starts) == 10
    start_col = starts[2]
    assert head[start_col:].startswith("start")
    for row in rows:
        assert row[start_col:start_col + 2] == "0x", row
        assert row[starts[3]:starts[3] + 2] == "0x", row
    # sizes are right-aligned: each ends where the size column ends
    size_end = starts[4] + len(rule[starts[4]:].split(" ")[0])
    assert all(r[size_end - 1] in "BKiM" and r[size_end] == " " for r in rows)


def test_bands_are_indented_by_nesting_and_show_attributes():
    rows = _section(render_text(stm32h7_map()), "Bands")[2:]
    byname = {r.split()[0]: r for r in rows}
    assert next(r for r in rows if "sram1-nocache" in r).startswith("  sram1-nocache")
    assert "non-cacheable" in byname["sram1-nocache"] and "RAM | NOCACHE | DMA" in byname["sram1-nocache"]
    assert "0x24040000  0x2407ffff" in byname["axisram-heap"]


def test_heap_table_holds_the_report_figures():
    mm = stm32h7_map()
    rows = _section(render_text(mm), "Heaps")[2:]
    h = mm.band("sram1-nocache").heap
    row = next(r for r in rows if r.startswith("sram1-nocache")).split()
    assert row[1:] == ["small", str(h.used_bytes), str(h.used_chunks), str(h.free_bytes),
                       str(h.free_chunks), str(h.largest_free), f"{100 * h.fragmentation:.1f}%",
                       str(h.overhead_bytes), "0"]
    hist = _section(render_text(mm), "Free chunks per bucket")[2:]
    assert sum(1 for r in hist if r.startswith("sram1-nocache")) == sum(1 for b in h.buckets if b.count)


def test_allocations_and_findings_are_listed():
    text = render_text(stm32h7_map())
    assert len(_section(text, "Allocations")) == 2 + len(stm32h7_map().allocations)
    assert "Findings" not in text.splitlines()
    rows = _section(render_text(broken_map()), "Findings")[2:]
    assert rows[0].split()[:4] == ["1", "overlap", "DT003", "0x2000c000-0x2000ffff"]
    assert rows[2].split()[:4] == ["3", "attr", "DT020", "-"]


def test_text_is_deterministic_and_has_no_trailing_blanks():
    a, b = render_text(stm32h7_map()), render_text(stm32h7_map())
    assert a == b and a.endswith("\n")
    assert all(line == line.rstrip() for line in a.splitlines())


def test_table_rejects_ragged_rows():
    with pytest.raises(ValueError, match="table row has 1 cells, expected 2"):
        table(["a", "b"], [["x"]])
    assert table(["n", "v"], [["a", "1"], ["bbb", "22"]], right=(1,)) == [
        "n     v", "---  --", "a     1", "bbb  22"]
