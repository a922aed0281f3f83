"""All intersecting pairs of half-open intervals in O(n log n + k) (sweep line).

Intervals are visited by start address; a min-heap keyed by end holds the ones still open.
Before an interval is added every open interval that ends at or before its start is dropped,
so each one left in the heap overlaps it: the work per interval is a log-n heap step plus one
step per reported pair.  Zephyr's linker and Linux's reserved-memory code only compare
neighbours; this finds every pair, including a small region hidden inside a big one.

A hostile layout (thousands of regions at one address) has k ~ n^2/2 pairs; ``limit`` bounds
the pairs listed per interval while still counting them all in O(1), so such input costs
O(n log n + n * limit).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Sequence
from itertools import islice


def overlap_groups(
    intervals: Sequence[tuple[int, int]], limit: int | None = None
) -> Iterator[tuple[int, list[int], int]]:
    """For every interval ``j`` that overlaps intervals starting no later than it, yield
    ``(j, earlier, count)``: ``earlier`` lists them (at most ``limit``), ``count`` is how many
    there are in all.  Empty intervals never overlap anything; the output order depends only
    on the input (the heap's list order is deterministic, so no sorting is needed)."""
    order = sorted(range(len(intervals)), key=lambda k: (intervals[k][0], k))
    open_: list[tuple[int, int]] = []  # (end, index)
    for j in order:
        start, end = intervals[j]
        if end <= start:
            continue
        while open_ and open_[0][0] <= start:
            heapq.heappop(open_)
        if open_:
            # every interval still open overlaps this one
            earlier = [i for _end, i in (open_ if limit is None else islice(open_, limit))]
            yield j, earlier, len(open_)
        heapq.heappush(open_, (end, j))


def overlapping_pairs(intervals: Sequence[tuple[int, int]]) -> Iterator[tuple[int, int]]:
    """Yield ``(i, j)`` for every pair of intervals ``[start, end)`` that share an address;
    ``i`` starts first (ties: the one listed first)."""
    for j, earlier, _count in overlap_groups(intervals):
        for i in earlier:
            yield i, j
