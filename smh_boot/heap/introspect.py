"""Off-the-hot-path views of a :class:`~smh_boot.heap.sys_heap.SysHeap`: chunk walks,
Zephyr's ``sys_heap_validate`` checks, the golden-trace digest and dump, and the wording of
corruption reports.  Everything here reads the heap's header fields straight from memory."""

from __future__ import annotations

import bisect
from array import array
from typing import TYPE_CHECKING, Any

from ..errors import HeapCorruption
from .layout import bucket_idx

if TYPE_CHECKING:  # pragma: no cover
    from .sys_heap import SysHeap

FNV_OFFSET = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3
_M64 = (1 << 64) - 1


def fnv1a(data: bytes, h: int = FNV_OFFSET) -> int:
    """FNV-1a 64 over ``data``, continuing from ``h``."""
    p = FNV_PRIME
    m = _M64
    for b in data:
        h = ((h ^ b) * p) & m
    return h


# ---------------------------------------------------------------------- walks


def chunks(heap: SysHeap) -> list[tuple[int, int, bool]]:
    """``(chunk, size_units, used)`` from chunk 0 up to the end marker (excluded)."""
    SZ, end = heap._SZ, heap.end_chunk
    out = []
    c = 0
    while c < end:
        s = SZ[c]
        sz = s >> 1
        if sz == 0 or c + sz > end:
            raise HeapCorruption(
                f"{heap!r}: chunk {c} has size {sz} units; the chunk walk cannot go on "
                f"({check(heap) or 'header damaged'})"
            )
        out.append((c, sz, bool(s & 1)))
        c += sz
    return out


def _unit(heap: SysHeap, sz: int) -> int:
    return 8 * sz - heap.hdr


def block_bytes(heap: SysHeap, ptr: int) -> int:
    """Bytes the block at ``ptr`` takes from the heap as runtime stats count them: its
    chunk(s), alignment gap included, less one chunk header (``chunksz_to_bytes``)."""
    c = (ptr - heap.base - heap.hdr) >> 3
    return _unit(heap, heap._SZ[c] >> 1)


def walk_totals(heap: SysHeap) -> tuple[int, int]:
    """(free usable bytes of listed free chunks, usable bytes of used chunks but chunk 0)."""
    free = used = 0
    for c, sz, u in chunks(heap):
        if u:
            if c:
                used += _unit(heap, sz)
        elif not (heap.big and sz < 2):
            free += _unit(heap, sz)
    return free, used


def largest_free_bytes(heap: SysHeap) -> int:
    """Usable bytes of the largest listed free chunk."""
    best = 0
    for _c, sz, u in chunks(heap):
        if not u and not (heap.big and sz < 2):
            best = max(best, _unit(heap, sz))
    return best


def free_chunk_histogram(heap: SysHeap) -> list[int]:
    """Listed free chunks per bucket."""
    hist = [0] * heap.nb
    for _c, sz, u in chunks(heap):
        if not u and not (heap.big and sz < 2):
            hist[bucket_idx(sz, heap.big)] += 1
    return hist


def used_blocks(heap: SysHeap) -> list[tuple[int, int, int]]:
    """``(ptr, span, usable)`` of every used chunk but chunk 0, by a walk.

    ``ptr`` is the normal data start of the chunk; an aligned block whose pointer sits past
    it is found by its chunk (use :attr:`SysHeap.live` at STRICT level for exact pointers)."""
    out = []
    hb = heap.base + heap.hdr
    for c, sz, u in chunks(heap):
        if u and c:
            span = 8 * sz - heap.hdr
            out.append((hb + 8 * c, span, span))
    return out


def in_free_chunk(heap: SysHeap, ptr: int) -> bool:
    """True when the data of a free chunk holds ``ptr`` (a pointer that was freed)."""
    rel = ptr - heap.base
    try:
        return any(not u and 8 * c < rel < 8 * (c + sz) for c, sz, u in chunks(heap))
    except HeapCorruption:
        return False


def block_span(heap: SysHeap, ptr: int) -> tuple[int, int]:
    """(bytes from ptr to the next chunk header, usable_size as Zephyr reports it)."""
    c = (ptr - heap.base - heap.hdr) >> 3
    end_of_chunk = heap.base + 8 * (c + (heap._SZ[c] >> 1))
    return end_of_chunk - ptr, heap.usable_size(ptr)


# ---------------------------------------------------------------------- validate


def check(heap: SysHeap) -> str | None:  # noqa: C901 - one list of checks, in Zephyr's order
    """Zephyr's ``sys_heap_validate`` checks; returns the first failure or None."""
    L, SZ, PV, NX, Z, B, ST = heap._L, heap._SZ, heap._PV, heap._NX, heap._Z, heap._B, heap._ST
    end, c0, big, nb = heap.end_chunk, heap.chunk0, heap.big, heap.nb
    if Z[2] != end:
        return f"z_heap.end_chunk reads {Z[2]}, expected {end}"
    if SZ[0] >> 1 != c0 or not SZ[0] & 1 or L[0] != 0:
        return f"chunk 0 (the heap header) is damaged: size {SZ[0] >> 1}, used {SZ[0] & 1}"
    listed_expected: set[int] = set()
    used_total = free_total = 0
    prev, prev_free = 0, False
    c = c0
    while c < end:
        s = SZ[c]
        sz = s >> 1
        if sz == 0:
            return f"chunk {c} has size 0"
        if c + sz > end or sz >= end:
            return f"chunk {c} of {sz} units extends past end_chunk {end}"
        if L[c] != c - prev:
            return f"chunk {c}: LEFT_SIZE is {L[c]} but the chunk below it is {c - prev} units"
        if s & 1:
            if big and sz < 2:
                return f"used chunk {c} is undersized ({sz} unit)"
            used_total += 8 * sz - heap.hdr
            prev_free = False
        else:
            if prev_free:
                return f"free chunk {c} follows free chunk {prev}: they should have been merged"
            if not (big and sz < 2):
                if not (c0 <= PV[c] < end and c0 <= NX[c] < end):
                    return f"free chunk {c} has free-list links out of bounds ({PV[c]}, {NX[c]})"
                listed_expected.add(c)
                free_total += 8 * sz - heap.hdr
            prev_free = True
        prev = c
        c += sz
    if c != end:
        return f"the chunk walk ends at {c}, not at end_chunk {end}"
    if L[end] != end - prev or SZ[end] != 1:
        return f"end marker damaged: LEFT_SIZE {L[end]} (expected {end - prev}), size/used {SZ[end]}"
    if ST is not None:
        if ST[0] != free_total or ST[1] != used_total:
            return (
                f"runtime stats disagree with a recount: free {ST[0]} vs {free_total}, "
                f"allocated {ST[1]} vs {used_total}"
            )
        if ST[2] < ST[1]:
            return f"max_allocated_bytes {ST[2]} is below allocated_bytes {ST[1]}"
    avail = Z[3]
    if avail >> nb:
        return f"avail_buckets {avail:#x} has bits above bucket {nb - 1}"
    seen: set[int] = set()
    for b in range(nb):
        head = B[b]
        if bool(head) != bool(avail >> b & 1):
            return f"bucket {b}: head {head} disagrees with avail bit {avail >> b & 1}"
        if not head:
            continue
        n = head
        while True:
            if n not in listed_expected:
                return f"bucket {b} lists chunk {n}, which is not a free chunk"
            if bucket_idx(SZ[n] >> 1, big) != b:
                return f"chunk {n} of {SZ[n] >> 1} units is listed in bucket {b}"
            if n in seen:
                return f"chunk {n} is listed twice (bucket {b} loops)"
            if PV[NX[n]] != n:
                return f"bucket {b}: links of chunk {n} are inconsistent"
            seen.add(n)
            n = NX[n]
            if n == head:
                break
    missing = listed_expected - seen
    if missing:
        return f"free chunk(s) {sorted(missing)} are on no free list"
    return None


# ---------------------------------------------------------------------- golden digest/dump


def digest_words(heap: SysHeap, index: int) -> array:
    """The uint32 words the golden ``sd`` digest covers for this heap."""
    SZ, PV, NX, Z, B = heap._SZ, heap._PV, heap._NX, heap._Z, heap._B
    end, big = heap.end_chunk, heap.big
    w = array("I", (index, end, Z[3]))
    w.extend(B)
    c = 0
    ap = w.append
    while c < end:
        s = SZ[c]
        sz = s >> 1
        if sz == 0:
            raise HeapCorruption(f"{heap!r}: chunk {c} has size 0; cannot digest")
        ap(c)
        ap(sz)
        ap(s & 1)
        if not s & 1 and not (big and sz < 2):
            ap(PV[c])
            ap(NX[c])
        c += sz
    ap(end)
    return w


def digest(heap: SysHeap, index: int = 0, seed: int | None = None) -> int:
    """Fold this heap's digest words into FNV-1a 64 (``seed``: the running hash)."""
    return fnv1a(digest_words(heap, index).tobytes(), FNV_OFFSET if seed is None else seed)


def dump(heap: SysHeap, index: int = 0) -> dict[str, Any]:
    """Golden ``final_state`` entry."""
    PV, NX = heap._PV, heap._NX
    out = []
    for c, sz, u in chunks(heap):
        if u or (heap.big and sz < 2):
            out.append([c, sz, int(u)])
        else:
            out.append([c, sz, 0, PV[c], NX[c]])
    return {
        "region": index,
        "end_chunk": heap.end_chunk,
        "big": int(heap.big),
        "avail_buckets": int(heap._Z[3]),
        "buckets": list(heap._B),
        "chunks": out,
    }


# ---------------------------------------------------------------------- error wording


def _owner_text(owner: Any) -> str:
    return "no owner tag" if owner is None else f"owner {owner!r}"


def describe_block(heap: SysHeap, ptr: int) -> str:
    """``block 0x.. (owner 'x', N usable bytes)`` for a live block start."""
    try:
        n = heap.usable_size(ptr)
    except (IndexError, ValueError):
        n = "?"
    return f"block {ptr:#x} ({_owner_text(heap.owner_of(ptr))}, {n} usable bytes)"


def nearest_blocks(heap: SysHeap, ptr: int) -> tuple[int | None, int | None]:
    """Start of the nearest live block at or below ``ptr``, and of the first one above."""
    if heap.live is not None:
        starts = sorted(heap.live)
    else:
        try:
            starts = [p for p, _s, _u in used_blocks(heap)]
        except HeapCorruption:
            return None, None
    i = bisect.bisect_right(starts, ptr)
    below = starts[i - 1] if i else None
    above = starts[i] if i < len(starts) else None
    return below, above


def describe_pointer(heap: SysHeap, ptr: int) -> str:
    """Where ``ptr`` falls relative to the live blocks of ``heap``."""
    below, above = nearest_blocks(heap, ptr)
    if below is not None:
        span = heap.usable_size(below)
        if ptr < below + span:
            return f"it points {ptr - below} byte(s) into {describe_block(heap, below)}"
        return f"nearest block below: {describe_block(heap, below)}, ending {ptr - below - span} byte(s) before it"
    if above is not None:
        return f"nearest block: {describe_block(heap, above)}, {above - ptr} byte(s) above it"
    return f"{heap!r} has no live blocks"


def explain_damage(heap: SysHeap, ptr: int, c: int) -> str:
    """Which header around chunk ``c`` (the block at ``ptr``) was overwritten, and by whom."""
    L, SZ = heap._L, heap._SZ
    end = heap.end_chunk
    s = SZ[c]
    sz = s >> 1
    lsz = L[c]
    own_hdr = heap.base + 8 * c
    own_ok = bool(s & 1) and sz and c + sz <= end and 0 < lsz <= c and SZ[c - lsz] >> 1 == lsz
    if not own_ok:
        below, _ = nearest_blocks(heap, own_hdr - 1)
        culprit = f"; the block below, {describe_block(heap, below)}, probably ran past its end" if below else ""
        return (
            f"the header of {describe_block(heap, ptr)} at {own_hdr:#x} was overwritten "
            f"(LEFT_SIZE {lsz}, SIZE_AND_USED {s:#x}){culprit}"
        )
    rc = c + sz
    nxt = heap.base + 8 * rc
    return (
        f"{describe_block(heap, ptr)} ran past its end: the header of the next chunk at "
        f"{nxt:#x} (offset +{nxt - ptr} from the block start) reads LEFT_SIZE {L[rc]}, "
        f"expected {sz}"
    )
