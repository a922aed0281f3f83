"""The checker's memory is bounded (per-line rings, a cap on lines, a ring of range events),
its records are indexed by line (LineMap), and the memory package's modules import each other
one way only (no circle between system, coherency, dma, stress, bulk)."""

from __future__ import annotations

import ast
import tracemalloc
from pathlib import Path

import pytest
from memrig import SRAM, make_rig

from smh_boot.memory.events import EventLog
from smh_boot.memory.linemap import LineMap

MEMORY = Path(__file__).resolve().parents[2] / "smh_boot" / "memory"


def test_a_line_keeps_its_last_depth_events():
    log = EventLog(depth=4, max_lines=10)
    for i in range(10):
        log.record(0x100, "cpu", "cpu write", 0x100 + i, 1)
    assert [e.addr for e in log.history(0x100)] == [0x106, 0x107, 0x108, 0x109]


def test_the_least_recently_touched_line_loses_its_history_first():
    log = EventLog(depth=2, max_lines=3)
    for la in (0x00, 0x20, 0x40):
        log.record(la, None, "cpu read", la, 4)
    log.record(0x00, None, "cpu read", 0x00, 4)  # 0x00 is now the most recent
    log.record(0x60, None, "cpu read", 0x60, 4)  # evicts 0x20
    assert sorted(log.lines()) == [0x00, 0x40, 0x60] and log.history(0x20) == ()


def test_range_events_join_the_history_of_the_lines_they_cover():
    log = EventLog(depth=3, range_depth=2)
    log.record(0x40, None, "cpu write", 0x40, 4)
    log.record_range("disp", "flush", 0x0, 0x1000)
    log.record_range("disp", "flush", 0x2000, 0x1000)  # not this line
    log.record(0x40, None, "cpu read", 0x40, 4)
    assert [e.what for e in log.history(0x40, 32)] == ["cpu write", "flush", "cpu read"]
    log.record_range("x", "y", 0x40, 4)
    log.record_range("x", "y", 0x40, 4)  # the range ring keeps two: the flush is gone
    assert [e.what for e in log.history(0x40, 32)] == ["cpu read", "y", "y"]


def test_bad_bounds_are_refused():
    with pytest.raises(ValueError):
        EventLog(depth=0)


def test_checker_memory_stays_bounded_over_many_lines():
    """Line-by-line traffic: once every retained line's ring is full, 6144 more accesses do not
    grow the checker (histories of ``max_lines`` lines at most; flushed lines leave no record)."""
    r = make_rig(raise_errors=False)
    r.checker.log.max_lines = 512

    def sweep(lines: int) -> int:
        for i in range(lines):
            a = SRAM + (i * 32) % 0x10000
            r.cpu.write_u32(a, i)
            r.memsys.sys_cache_data_flush_range(a, 4)
        return tracemalloc.get_traced_memory()[0]

    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        first = sweep(6144) - base
        assert len(r.checker.log.lines()) == 512
        grown = sweep(6144) - base - first
    finally:
        tracemalloc.stop()
    assert len(r.checker.log.lines()) == 512 and not r.checker._unflushed
    assert first > 100_000 and grown < 64 * 1024, f"{first} bytes after one sweep, {grown} more after two"


def test_linemap_ranges_and_pages():
    m: LineMap[str] = LineMap(32, lines_per_page=4)  # 128-byte pages
    m.set_range(0x40, 0x240, "w")  # lines 0x40..0x220: partial first page, whole pages, partial last
    m[0x400] = "x"
    assert len(m) == 16 + 1 and m.get(0x40) == "w" and m.get(0x20) is None and 0x400 in m
    assert m.keys_in(0x60, 0xA0) == [0x60, 0x80] and m.any_in(0x200, 0x240) and not m.any_in(0x240, 0x400)
    assert m.drop_range(0x80, 0x200) == 12
    assert list(m) == [0x40, 0x60, 0x200, 0x220, 0x400]
    assert m.pop(0x400) == "x" and m.pop(0x400) is None
    m.clear()
    assert not m and list(m) == []


def _intra_imports(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                out.add(node.module.split(".")[0])
            else:
                out.update(a.name for a in node.names)
    return out


def test_memory_modules_import_each_other_one_way():
    """Counting imports under TYPE_CHECKING too: the graph of smh_boot/memory has no circle."""
    graph = {p.stem: _intra_imports(p) - {p.stem} for p in MEMORY.glob("*.py") if p.stem != "__init__"}
    state: dict[str, int] = {}

    def visit(mod: str, path: list[str]) -> None:
        if state.get(mod) == 2:
            return
        assert state.get(mod) != 1, "import circle: " + " -> ".join([*path, mod])
        state[mod] = 1
        for dep in sorted(graph.get(mod, ())):
            visit(dep, [*path, mod])
        state[mod] = 2

    for mod in sorted(graph):
        visit(mod, [])


class _CountingPages(dict):
    """A LineMap page table that counts lookups and full walks."""

    lookups = 0
    walks = 0

    def __contains__(self, key):
        _CountingPages.lookups += 1
        return super().__contains__(key)

    def __iter__(self):
        _CountingPages.walks += 1
        return super().__iter__()


def test_a_range_operation_costs_what_it_touches_not_what_is_tracked():
    """300k lines tracked elsewhere: dropping a 768 KB frame's lines looks at the frame's pages
    only (188 of 128 lines each), never at the 2344 other pages."""
    m: LineMap[int] = LineMap(32)
    m._pages = _CountingPages()
    m.set_range(0x1000_0000, 0x1000_0000 + 300_000 * 32, 1)
    m.set_range(0x2000_0000, 0x2000_0000 + 768_000, 2)
    _CountingPages.lookups = _CountingPages.walks = 0
    assert m.drop_range(0x2000_0000, 0x2000_0000 + 768_000) == 24_000
    assert _CountingPages.walks == 0 and _CountingPages.lookups <= 188
    assert len(m) == 300_000 and not m.any_in(0x2000_0000, 0x2000_0000 + 768_000)
