"""DataCache on its own: geometry, hits and misses, true LRU, dirty masks, write-back runs."""

from __future__ import annotations

import pytest

from smh_boot.memory import CacheConfigError, DataCache
from smh_boot.memory.cache import byte_mask, describe_mask, mask_runs, mask_text


def test_geometry_of_the_default_cache():
    c = DataCache()
    assert (c.line_size, c.size, c.ways, c.num_sets) == (32, 32768, 4, 256)
    assert c.line_addr(0x2000_003F) == 0x2000_0020


@pytest.mark.parametrize(
    "kw, words",
    [
        ({"line_size": 24}, "power of two"),
        ({"line_size": 2}, "power of two"),
        ({"ways": 0}, "at least one way"),
        ({"size": 1000}, "positive multiple of line_size"),
        ({"size": 0}, "positive multiple of line_size"),
    ],
)
def test_impossible_geometries_are_refused(kw, words):
    with pytest.raises(CacheConfigError, match=words) as e:
        DataCache(**kw)
    assert isinstance(e.value, ValueError) and e.value.errno_name == "EINVAL"


def test_lookup_counts_hits_and_misses_and_peek_counts_nothing():
    c = DataCache(line_size=32, size=256, ways=2)
    assert c.lookup(0x100) is None
    c.insert(0x100, bytes(32))
    assert c.lookup(0x100) is not None
    assert c.peek(0x100) is not None and c.peek(0x120) is None
    assert (c.stats.hits, c.stats.misses) == (1, 1)


def test_true_lru_evicts_the_least_recently_used_way():
    c = DataCache(line_size=32, size=256, ways=2)  # 4 sets: 0x000, 0x080, 0x100 share set 0
    c.insert(0x000, bytes(32))
    c.insert(0x080, bytes(32))
    c.lookup(0x000)  # 0x080 is now least recently used
    _, victim = c.insert(0x100, bytes(32))
    assert victim is not None and victim.addr == 0x080
    assert c.peek(0x000) is not None and c.peek(0x080) is None
    assert c.stats.evictions == 1
    assert [ln.addr for ln in c.lines()] == [0x000, 0x100]
    assert c.line_at(0, 0).addr == 0x000 and c.line_at(0, 1).addr == 0x100
    assert c.line_at(1, 0) is None


def test_lines_of_other_sets_do_not_compete():
    c = DataCache(line_size=32, size=256, ways=2)
    for la in (0x000, 0x020, 0x040, 0x060):  # four different sets
        assert c.insert(la, bytes(32))[1] is None


def test_remove_and_state():
    c = DataCache(line_size=32, size=256, ways=2)
    line, _ = c.insert(0x40, bytes(range(32)))
    assert c.state(0x40) == "clean" and c.state(0x60) == "invalid"
    line.dirty = byte_mask(4, 4)
    assert c.state(0x40) == "dirty (bytes 4-7)"
    line.dirty = byte_mask(0, 32)
    assert c.state(0x40) == "dirty (all bytes)"
    assert c.remove(0x40) is line and c.remove(0x40) is None


def test_writeback_runs_whole_line_by_default_and_dirty_bytes_on_request():
    whole = DataCache(line_size=32, size=256, ways=2)
    line, _ = whole.insert(0, bytes(32))
    assert whole.writeback_runs(line) == []
    line.dirty = byte_mask(2, 3) | byte_mask(10, 1)
    assert whole.writeback_runs(line) == [(0, 32)]
    exact = DataCache(line_size=32, size=256, ways=2, dirty_bytes_only=True)
    line2, _ = exact.insert(0, bytes(32))
    line2.dirty = byte_mask(2, 3) | byte_mask(10, 1)
    assert exact.writeback_runs(line2) == [(2, 3), (10, 1)]
    assert line2.dirty_runs() == [(2, 3), (10, 1)]


def test_mask_helpers():
    assert mask_runs(0) == []
    assert mask_runs(0b1011_0001) == [(0, 1), (4, 2), (7, 1)]
    assert mask_text(byte_mask(5, 1)) == "byte 5"
    assert mask_text(byte_mask(0, 4) | byte_mask(8, 1)) == "bytes 0-3, 8"
    assert mask_text(0) == "no bytes"
    assert describe_mask(0, 32) == "clean"
