"""All intersecting pairs of half-open intervals in O(n log n + k) (sweep line).

Intervals are visited by start address; a min-heap keyed by end holds the ones still open.
Before an interval is added every open interval that ends at or before its start is dropped,
so each one left in the heap overlaps it: the work per interval is a log-n heap step plus one
step per reported pair.  Zephyr's linker and Linux's reserved-memory code only compare
neighbours; this finds every pair, including a small region hidden inside a big one.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Sequence


def overlapping_pairs(intervals: Sequence[tuple[int, int]]) -> Iterator[tuple[int, int]]:
    """Yield ``(i, j)`` for every pair of intervals ``[start, end)`` that share an address.

    ``i`` is the interval that starts first (ties: the one listed first); empty intervals
    never overlap anything.  The order of the pairs depends only on the input."""
    order = sorted(range(len(intervals)), key=lambda k: (intervals[k][0], k))
    open_: list[tuple[int, int]] = []  # (end, index)
    for j in order:
        start, end = intervals[j]
        if end <= start:
            continue
        while open_ and open_[0][0] <= start:
            heapq.heappop(open_)
        # Every interval still open overlaps this one.  The heap's list order depends only on
        # the input, so the output order is deterministic without sorting (which would cost
        # k log k).
        for _end, i in open_:
            yield i, j
        heapq.heappush(open_, (end, j))
