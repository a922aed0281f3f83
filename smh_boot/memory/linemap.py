"""A map from cache-line address to a record, indexed by page, for the coherency checker.

The checker keeps a record per line it tracks (unflushed CPU bytes, device-written bytes).
A plain dict answers "this line?" in O(1) but "which lines of this range?" only by walking the
range or the whole dict, so a framebuffer flush cost what the checker had ever tracked.
:class:`LineMap` groups lines by *page* (``lines_per_page`` consecutive lines, 128 by default:
4 KiB of 32-byte lines) in a dict of dicts:

* one line: two dict lookups;
* a range: one lookup per page of the range, or per tracked page when fewer, plus the lines
  found, so an operation costs what it touches;
* a whole page set or dropped at once (a bulk write or flush of a frame): one dict operation
  per page instead of one per line.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Generic, TypeVar

V = TypeVar("V")


class LineMap(Generic[V]):
    """Line address -> record, for lines of ``line_size`` bytes."""

    def __init__(self, line_size: int, lines_per_page: int = 128):
        self._ls = line_size
        self._span = line_size * lines_per_page  # bytes per page
        self._per_page = lines_per_page
        self._pages: dict[int, dict[int, V]] = {}  # page number -> {line: record}

    # ------------------------------------------------------------------ one line
    def get(self, la: int) -> V | None:
        """The record of line ``la``, or None."""
        page = self._pages.get(la // self._span)
        return None if page is None else page.get(la)

    def __contains__(self, la: int) -> bool:
        page = self._pages.get(la // self._span)
        return page is not None and la in page

    def __setitem__(self, la: int, rec: V) -> None:
        p = la // self._span
        page = self._pages.get(p)
        if page is None:
            page = self._pages[p] = {}
        page[la] = rec

    def page(self, la: int) -> dict[int, V]:
        """The (created if need be) dict of the page holding ``la``, for hot paths that get and
        set one line: ``page.get(la)``, ``page[la] = rec`` (never delete through it)."""
        p = la // self._span
        page = self._pages.get(p)
        if page is None:
            page = self._pages[p] = {}
        return page

    def pop(self, la: int) -> V | None:
        """Remove line ``la``; returns its record, or None."""
        p = la // self._span
        page = self._pages.get(p)
        if page is None:
            return None
        rec = page.pop(la, None)
        if not page:
            del self._pages[p]
        return rec

    # ------------------------------------------------------------------ whole map
    def __len__(self) -> int:
        return sum(len(p) for p in self._pages.values())

    def __bool__(self) -> bool:
        return bool(self._pages)  # empty pages are always dropped

    def __iter__(self) -> Iterator[int]:
        for p in sorted(self._pages):
            yield from sorted(self._pages[p])

    def clear(self) -> None:
        """Forget every line."""
        self._pages.clear()

    # ------------------------------------------------------------------ ranges
    def _pages_in(self, lo: int, hi: int) -> list[int]:
        """Tracked page numbers meeting ``[lo, hi)``, ascending."""
        if hi <= lo or not self._pages:
            return []
        first, last = lo // self._span, (hi - 1) // self._span
        if last - first + 1 <= len(self._pages):
            pages = self._pages
            return [p for p in range(first, last + 1) if p in pages]
        return sorted(p for p in self._pages if first <= p <= last)

    def keys_in(self, lo: int, hi: int) -> list[int]:
        """Tracked lines in ``[lo, hi)`` (``lo`` line-aligned), ascending."""
        out: list[int] = []
        for p in self._pages_in(lo, hi):
            page = self._pages[p]
            if lo <= p * self._span and (p + 1) * self._span <= hi:
                out += sorted(page)
            else:
                out += sorted(a for a in page if lo <= a < hi)
        return out

    def any_in(self, lo: int, hi: int) -> bool:
        """Whether a tracked line lies in ``[lo, hi)`` (``lo`` line-aligned)."""
        for p in self._pages_in(lo, hi):
            page = self._pages[p]
            if lo <= p * self._span and (p + 1) * self._span <= hi:
                return True
            if any(lo <= a < hi for a in page):
                return True
        return False

    def set_range(self, lo: int, hi: int, rec: V) -> None:
        """Give every line of ``[lo, hi)`` (line-aligned ends) the same record."""
        span, ls = self._span, self._ls
        pages = self._pages
        for p in range(lo // span, (hi - 1) // span + 1) if hi > lo else ():
            a, b = max(lo, p * span), min(hi, (p + 1) * span)
            fresh = dict.fromkeys(range(a, b, ls), rec)
            page = pages.get(p)
            if page is None or (a == p * span and b == (p + 1) * span):
                pages[p] = fresh
            else:
                page.update(fresh)

    def drop_range(self, lo: int, hi: int) -> int:
        """Forget the lines of ``[lo, hi)`` (``lo`` line-aligned); returns how many there were."""
        n = 0
        for p in self._pages_in(lo, hi):
            page = self._pages[p]
            if lo <= p * self._span and (p + 1) * self._span <= hi:
                n += len(page)
                del self._pages[p]
                continue
            for a in [a for a in page if lo <= a < hi]:
                del page[a]
                n += 1
            if not page:
                del self._pages[p]
        return n
