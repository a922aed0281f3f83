"""The memory system's bulk path: long CPU accesses and maintenance of runs of lines.

The line-by-line path of :class:`~smh_boot.memory.system.MemorySystem` costs a few
microseconds per 32-byte line (lookup, fill, victim write-back, stress tick, ~7 checker
events), so a CPU fill of an 800x480 RGB565 frame (24,000 lines) took ~80 ms.  Most of that
work is for lines that cannot stay cached: in a set-associative LRU cache of ``S`` sets and
``W`` ways, an access to ``n`` consecutive lines touches every set ``n/S`` times, and after its
first ``S*W`` lines (the *head*) each set holds exactly its ``W`` most recent lines of the
access, all of them lines of the access.  So each later line (the *tail*) is a miss whose victim
is known in advance: the line ``S*W`` places before it.  The bulk path therefore

* for a CPU write, simulates the head on the sets themselves (which line hits, which line cached
  before is the victim, retired and written back as on the reference path) without making the
  lines the tail will evict, copies every line that ends up evicted to memory with one slice
  copy, and rebuilds each set from its last ``W`` lines of the access;
* for a CPU read, runs the head line by line (without history events), reads the tail from
  memory with one slice and builds only the last ``S*W`` lines as cache lines;
* adds the counters (hits, misses, evictions, write-backs) the line-by-line path would count.

The cache contents, LRU order, memory contents and counters come out identical to the
line-by-line path, which stays the reference (tests/memory/test_bulk_equivalence.py compares
the two on random access patterns).  Maintenance of a range visits only the lines the cache
holds.  The checker records one range event per operation instead of events per line; the
memory system takes this path only when the checker says nothing in the range can be reported
(:meth:`~smh_boot.memory.coherency.CoherencyChecker.bulk_is_quiet`).  Under a stress mode,
which may evict any line after any line, CPU accesses stay line by line with their ticks
(:func:`cpu_write_ticking`): only the checker's per-line work is saved.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, Protocol

from .cache import CacheLine

if TYPE_CHECKING:
    from .address_space import AddressSpace
    from .cache import DataCache
    from .coherency import CoherencyChecker
    from .stress import Stressor


class MemorySystem(Protocol):
    """What the bulk path uses of :class:`~smh_boot.memory.system.MemorySystem` (named here
    so this module, which the memory system imports, does not import it back)."""

    memory: AddressSpace
    cache: DataCache | None
    checker: CoherencyChecker | None
    stressor: Stressor | None

    @property
    def line_size(self) -> int: ...  # noqa: D102

    @property
    def actor(self) -> str | None: ...  # noqa: D102

    def _fill(self, la: int, why: str, quiet: bool = False) -> CacheLine: ...  # noqa: D102

    def _retire(self, line: CacheLine, why: str, quiet: bool = False) -> None: ...  # noqa: D102

    def _writeback(self, line: CacheLine, why: str, quiet: bool = False) -> None: ...  # noqa: D102


def held_lines(m: MemorySystem, start: int, stop: int) -> list[int]:
    """Addresses of the lines of ``[start, stop)`` the cache holds, ascending: walks the range
    or the cache, whichever is shorter."""
    cache, ls = m.cache, m.line_size
    if cache is None or stop <= start:
        return []
    lo = start - start % ls
    if (stop - lo) // ls <= cache.num_sets * cache.ways:
        peek = cache.peek
        return [la for la in range(lo, stop, ls) if peek(la) is not None]
    return sorted(ln.addr for ln in cache.lines() if lo <= ln.addr < stop)


def _geometry(m: MemorySystem, start: int, stop: int) -> tuple[int, int, int, int]:
    """``(first line, lines, head lines, tail lines)``: the tail is the whole lines after the
    head, up to (not including) a partial last line."""
    cache, ls = m.cache, m.line_size
    assert cache is not None
    la0 = start - start % ls
    n = (stop - 1) // ls - la0 // ls + 1
    ws = cache.num_sets * cache.ways
    if n <= ws:
        return la0, n, n, 0
    tail_end = n - 1 if stop % ls else n
    return la0, n, ws, tail_end - ws


def _begin_tail(m: MemorySystem, la0: int, tail: int) -> None:
    """Count the tail's misses and evictions, and retire its victims among the head lines
    (the first ``tail`` of them): dirty ones reach memory before the tail is read or written."""
    cache, ls = m.cache, m.line_size
    assert cache is not None
    cache.stats.misses += tail
    cache.stats.evictions += tail
    for i in range(min(tail, cache.num_sets * cache.ways)):
        la = la0 + i * ls
        line = cache.remove(la)
        assert line is not None, f"bulk path: head line {la:#x} is not cached"
        m._retire(line, "evict", quiet=True)


def _keep_tail(cache: DataCache, la0: int, ws: int, tail: int, data: bytes | memoryview, dirty: int) -> None:
    """Make cache lines of the tail lines that stay cached (the last ``ws``), from ``data``
    (the tail's bytes from its first line on), each the most recently used of its set."""
    ls, sets, shift, nsets = cache.line_size, cache._sets, cache._shift, cache.num_sets
    a = la0 + ws * ls
    for i in range(max(ws, tail), ws + tail):
        la = la0 + i * ls
        line = CacheLine(la, bytearray(data[la - a : la - a + ls]))
        line.dirty = dirty
        sets[(la >> shift) % nsets][la] = line


def _write_run(m: MemorySystem, a0: int, n: int, data: memoryview) -> None:
    """CPU store of ``n`` whole lines from line-aligned ``a0`` (``n`` more than the cache
    holds): the head (the first access of each set's ways) is simulated on the sets without
    making lines (its victims, the lines cached before, are retired and written back), the
    ``n - S*W`` lines that end up evicted go to memory in one copy, and each set is rebuilt
    from its last ``W`` lines of the run."""
    cache, ls = m.cache, m.line_size
    assert cache is not None
    nsets, ways, sets, stats = cache.num_sets, cache.ways, cache._sets, cache.stats
    ws, shift = nsets * ways, cache._shift
    tail = n - ws
    base = (a0 >> shift) % nsets
    hits = evictions = 0
    kept: dict[int, CacheLine] = {}  # head hits that stay cached: the reference reuses them
    for s_off in range(nsets):
        cur = sets[(base + s_off) % nsets]
        for i in range(s_off, ws, nsets):
            la = a0 + i * ls
            line = cur.get(la)
            if line is not None:
                hits += 1
                cur.move_to_end(la)
                if i >= tail:
                    kept[la] = line
                continue
            if len(cur) >= ways:  # the LRU is a line cached before this access, never a head line
                _, victim = cur.popitem(last=False)
                assert victim is not None, "bulk path: a head line became a victim"
                evictions += 1
                m._retire(victim, "evict", quiet=True)
            cur[la] = None  # type: ignore[assignment]  # a placeholder until the rebuild
    stats.hits += hits
    stats.misses += ws - hits + tail
    stats.evictions += evictions + tail
    stats.writebacks += tail  # every line evicted by the tail is a whole dirty run line
    m.memory.write(a0, data[: tail * ls])
    full = (1 << ls) - 1
    for s_off in range(nsets):
        od: OrderedDict[int, CacheLine] = OrderedDict()
        for i in range(tail + (s_off - tail) % nsets, n, nsets):
            la = a0 + i * ls
            line = kept.get(la)
            if line is None:
                line = CacheLine(la, bytearray(data[i * ls : (i + 1) * ls]))
            else:
                line.data[:] = data[i * ls : (i + 1) * ls]
            line.dirty = full
            od[la] = line
        sets[(base + s_off) % nsets] = od


def cpu_write(m: MemorySystem, start: int, data: memoryview) -> str:
    """CPU store of ``data`` at cacheable ``start`` (no stress); returns a summary for the
    checker's range event.  A partial first and last line go line by line; the whole lines
    between them go through :func:`_write_run` when there are more than the cache holds."""
    cache, ls = m.cache, m.line_size
    assert cache is not None
    stats = cache.stats
    misses0, wb0 = stats.misses, stats.writebacks
    stop = start + len(data)
    lookup, fill = cache.lookup, m._fill

    def one(la: int) -> None:
        lo, hi = max(start, la), min(stop, la + ls)
        line = lookup(la) or fill(la, "miss fill", True)
        line.data[lo - la : hi - la] = data[lo - start : hi - start]
        line.dirty |= ((1 << (hi - lo)) - 1) << (lo - la)

    a = -(-start // ls) * ls  # the whole lines: [a, b)
    b = max(a, stop - stop % ls)
    if start < a:
        one(start - start % ls)
    n = (b - a) // ls
    if n > cache.num_sets * cache.ways:
        _write_run(m, a, n, data[a - start : b - start])
    else:
        for la in range(a, b, ls):
            one(la)
    if b < stop:  # a partial last line (or the only line, when it starts aligned)
        one(b)
    return f"bulk: {stats.misses - misses0} misses, {stats.writebacks - wb0} write-backs"


def cpu_write_ticking(m: MemorySystem, start: int, data: memoryview) -> str:
    """CPU store of ``data`` at cacheable ``start`` under a stress mode: line by line, each
    line followed by its stress tick as on the reference path, only without history events
    (the stress mode may evict any line after any line, so no victim is known in advance)."""
    cache, ls, st = m.cache, m.line_size, m.stressor
    assert cache is not None and st is not None
    lookup, fill, tick = cache.lookup, m._fill, st.tick
    stop, pos = start + len(data), start
    while pos < stop:
        la = pos - pos % ls
        n = min(stop, la + ls) - pos
        line = lookup(la) or fill(la, "miss fill", True)
        line.data[pos - la : pos - la + n] = data[pos - start : pos - start + n]
        line.dirty |= ((1 << n) - 1) << (pos - la)
        tick(la)
        pos += n
    return "bulk, line by line under stress"


def cpu_read_ticking(m: MemorySystem, start: int, stop: int) -> bytes:
    """CPU load of cacheable ``[start, stop)`` under a stress mode (see :func:`cpu_write_ticking`)."""
    cache, ls, st = m.cache, m.line_size, m.stressor
    assert cache is not None and st is not None
    lookup, fill, tick = cache.lookup, m._fill, st.tick
    out, pos = bytearray(), start
    while pos < stop:
        la = pos - pos % ls
        n = min(stop, la + ls) - pos
        line = lookup(la) or fill(la, "miss fill", True)
        out += line.data[pos - la : pos - la + n]
        tick(la)
        pos += n
    return bytes(out)


def cpu_read(m: MemorySystem, start: int, stop: int) -> bytes:
    """CPU load of cacheable ``[start, stop)`` (no stress)."""
    cache, ls = m.cache, m.line_size
    assert cache is not None
    la0, n, head, tail = _geometry(m, start, stop)
    lookup, fill = cache.lookup, m._fill
    out = bytearray()

    def one(i: int) -> None:
        la = la0 + i * ls
        lo, hi = max(start, la), min(stop, la + ls)
        line = lookup(la) or fill(la, "miss fill", True)
        out.extend(line.data[lo - la : hi - la])

    for i in range(head):
        one(i)
    if tail:
        _begin_tail(m, la0, tail)
        got = m.memory.read(la0 + head * ls, tail * ls)
        out += got
        _keep_tail(cache, la0, head, tail, got, 0)
    if head + tail < n:  # a partial last line after the tail
        one(n - 1)
    return bytes(out)


def maintain(m: MemorySystem, start: int, stop: int, flush: bool, invd: bool, lo: int, hi: int) -> None:
    """Flush and/or invalidate the cached lines of cacheable ``[start, stop)``, part of a
    request for ``[lo, hi)``."""
    cache = m.cache
    assert cache is not None
    wb0 = cache.stats.writebacks
    held = held_lines(m, start, stop)
    for la in held:
        if flush:
            m._writeback(cache.peek(la), "flush", quiet=True)  # type: ignore[arg-type]
        if invd:
            cache.remove(la)
            cache.stats.invalidations += 1
    if m.checker is not None:
        detail = f"bulk: {len(held)} cached line(s), {cache.stats.writebacks - wb0} write-backs"
        m.checker.maintain_range(start, stop, flush, invd, m.actor, detail)
