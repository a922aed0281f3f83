"""Off-the-hot-path views of a :class:`~smh_boot.heap.sys_heap.SysHeap`: chunk walks,
Zephyr's ``sys_heap_validate`` checks, the golden-trace digest and dump, and the wording of
corruption reports.  Everything here reads the heap's header fields straight from memory."""

from __future__ import annotations

import bisect
from array import array
from typing import Any

from ..errors import HeapCorruption
from .layout import bucket_idx

#: The heap these functions read: a :class:`~smh_boot.heap.sys_heap.SysHeap` (duck-typed on
#: its views ``_L``/``_SZ``/``_PV``/``_NX``/``_Z``/``_B``/``_ST`` and geometry attributes), so
#: this module never imports ``sys_heap`` (which imports it).
SysHeap = Any

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


# ---------------------------------------------------------------------- integrity reports


def header_fault(heap: SysHeap, c: int) -> str | None:
    """Why the header of chunk ``c`` cannot be trusted (None when it looks sound): size,
    extent, the next chunk's LEFT_SIZE, and for a free listed chunk its links."""
    L, SZ, PV, NX = heap._L, heap._SZ, heap._PV, heap._NX
    end, c0 = heap.end_chunk, heap.chunk0
    if not c0 <= c < end:
        return f"chunk id {c} lies outside the heap (chunks {c0}..{end - 1})"
    s = SZ[c]
    sz = s >> 1
    if not sz:
        return f"SIZE_AND_USED reads {s:#x}: size 0"
    if c + sz > end:
        return f"SIZE_AND_USED reads {s:#x}: {sz} units would end past the heap's end"
    lsz = L[c]
    if not lsz or lsz > c or SZ[c - lsz] >> 1 != lsz:
        return f"LEFT_SIZE reads {lsz}, which does not lead to the chunk below"
    if not s & 1 and not (heap.big and sz < 2):
        n, p = NX[c], PV[c]
        if not (c0 <= n < end and c0 <= p < end):
            return f"free-list links FREE_PREV {p} / FREE_NEXT {n} point outside the heap"
        if PV[n] != c or NX[p] != c:
            return f"free-list links FREE_PREV {p} / FREE_NEXT {n} do not point back at it"
    return None


def _live_starts(heap: SysHeap) -> list[int]:
    if heap.live is not None:
        return sorted(heap.live)
    try:
        return [p for p, _s, _u in used_blocks(heap)]
    except HeapCorruption:
        return []


def _block_before(heap: SysHeap, where: int) -> int | None:
    """Start of the live block nearest below address ``where`` (a damaged header)."""
    starts = _live_starts(heap)
    i = bisect.bisect_left(starts, where)
    return starts[i - 1] if i else None


#: Said of the writer when no write log is attached (a pool outside a booted system).
_NO_LOG = ("not recorded (a CPU store; DMA writes through smh-boot's DMA engine are checked "
           "when they happen)")


def damaged_bytes(heap: SysHeap, hdr_addr: int) -> tuple[int, int]:
    """``(addr, size)`` of the bytes a damaged header at ``hdr_addr`` is made of: the chunk
    header, plus the free-list links when the chunk is a listed free chunk."""
    c = (hdr_addr - heap.base) >> 3
    n = heap.hdr
    if heap.chunk0 <= c < heap.end_chunk and not heap._SZ[c] & 1 and not (heap.big and heap._SZ[c] >> 1 < 2):
        n *= 2
    return hdr_addr, n


def writer_of(heap: SysHeap, addr: int, size: int) -> str | None:
    """Who last wrote ``[addr, addr+size)``, from the write log the boot stage attached
    (``SharedMultiHeap.set_writer_lookup``): e.g. ``"CPU write by device spi0 at 0x..
    (40 bytes, from spi.py:31)"``; None when no log is attached or it knows no such write.
    A write that lies inside one live block is no culprit: it is passed over (it was made
    before the heap reshaped that memory; its bytes may match the header by chance)."""
    return _lookup_writer(heap, addr, size)[0]


def _lookup_writer(heap: SysHeap, addr: int, size: int) -> tuple[str | None, str | None]:
    """(the writer as :func:`writer_of` says it, why the lookup failed or None)."""
    lookup = getattr(heap, "writer_lookup", None)
    if lookup is None:
        return None, None
    try:
        rec = lookup(addr, size, lambda a, n: _inside_one_block(heap, a, n))
    except Exception as e:  # noqa: BLE001 - a report must never fail for want of its writer
        return None, f"{type(e).__name__}: {e}"
    return (None if rec is None else str(rec)), None


def _inside_one_block(heap: SysHeap, addr: int, size: int) -> bool:
    """True when ``[addr, addr+size)`` lies in the bytes of one live block before the next
    chunk header (a block whose own header is damaged does not count)."""
    p = _block_before(heap, addr + 1)
    if p is None:
        return False
    span = _span_or_none(heap, p)
    return span is not None and p <= addr and addr + size <= p + span


def _writer_text(heap: SysHeap, hdr_addr: int | None) -> tuple[str, str | None]:
    """(``writer: ...`` for a report on the header at ``hdr_addr``, the writer or None)."""
    if hdr_addr is None or getattr(heap, "writer_lookup", None) is None:
        return f"writer: {_NO_LOG}", None
    w, failed = _lookup_writer(heap, *damaged_bytes(heap, hdr_addr))
    if failed is not None:
        return f"writer: unknown (the write log's lookup failed: {failed})", None
    if w is None:
        return ("writer: not recorded (no write the memory system logged is what the header "
                "holds now: a store past the memory system, or one older than its log)"), None
    return f"writer: {w}", w


def _fill(err: HeapCorruption, **kw: Any) -> HeapCorruption:
    for k, v in kw.items():
        setattr(err, k, v)
    return err


def corruption(heap: SysHeap, point: str, c: int, op: str) -> HeapCorruption:
    """The report of a STRICT check point (``point``) that found chunk ``c`` damaged during
    ``op``: which header, why, and the live block below it that probably ran past its end
    (its owner and the offset of the header from its start)."""
    end = heap.end_chunk
    in_heap = 0 <= c <= end
    hdr_addr = heap.base + 8 * c if in_heap else None
    why = header_fault(heap, c) if in_heap else f"chunk id {c} lies outside the heap"
    if in_heap and why is None and c < end:
        rc = c + (heap._SZ[c] >> 1)
        if heap._L[rc] != rc - c:  # the next header is the damaged one
            why = f"LEFT_SIZE reads {heap._L[rc]}, but the chunk below it is {rc - c} units"
            c = rc
            hdr_addr = heap.base + 8 * c
    if point == "free-list-add" and why is None:
        why = "the bucket it belongs to is inconsistent (head or avail_buckets bit)"
    kind = "overrun"
    block = owner = offset = None
    if hdr_addr is None:
        blame = "the damage is in a free-list link; no block can be named"
        kind = "free-list"
    else:
        block = _block_before(heap, hdr_addr)
        if block is None:
            blame = "no live block lies below it (a write through a stale or wild pointer?)"
            kind = "free-list"
        else:
            owner = heap.owner_of(block)
            offset = hdr_addr - block
            span = _span_or_none(heap, block)
            if span is not None and block + span == hdr_addr:
                blame = (f"{describe_block(heap, block)} ran past its end: the header at "
                         f"{hdr_addr:#x} is at offset +{offset} from the block start")
            else:
                blame = (f"the nearest live block below is {describe_block(heap, block)}; the header "
                         f"at {hdr_addr:#x} is at offset +{offset} from its start (a write through "
                         "a stale pointer, or an overrun of a block freed since?)")
    where = f" at {hdr_addr:#x}" if hdr_addr is not None else ""
    wtext, writer = _writer_text(heap, hdr_addr)
    err = HeapCorruption(
        f"heap corruption (buffer overflow?) during {op} [check {point}]: the header of chunk "
        f"{c}{where} is damaged ({why}); {blame}; {wtext} [{heap!r}]"
    )
    err.zephyr_message = "heap corruption (buffer overflow?) at %p"  # type: ignore[attr-defined]
    return _fill(err, kind=kind, check=point, block=block, owner=owner, offset=offset, where=hdr_addr,
                 writer=writer)


def _span_or_none(heap: SysHeap, ptr: int) -> int | None:
    c = (ptr - heap.base - heap.hdr) >> 3
    if not heap.chunk0 <= c < heap.end_chunk:
        return None
    sz = heap._SZ[c] >> 1
    if not sz or c + sz > heap.end_chunk:
        return None
    return heap.base + 8 * (c + sz) - ptr


def overflow_at_free(heap: SysHeap, ptr: int, c: int, op: str) -> HeapCorruption:
    """The ``free-block`` check's report (Zephyr: "heap corruption (buffer overflow?)")."""
    L, SZ = heap._L, heap._SZ
    end = heap.end_chunk
    s = SZ[c]
    sz = s >> 1
    lsz = L[c]
    own_hdr = heap.base + 8 * c
    own_ok = bool(s & 1) and sz and c + sz <= end and 0 < lsz <= c and SZ[c - lsz] >> 1 == lsz
    owner = heap.owner_of(ptr)
    if not own_ok:
        below = _block_before(heap, own_hdr)
        culprit = (f"; the block below, {describe_block(heap, below)}, probably ran past its end "
                   f"(the header is at offset +{own_hdr - below} from its start)") if below else ""
        text = (f"the header of {describe_block(heap, ptr)} at {own_hdr:#x} was overwritten "
                f"(LEFT_SIZE {lsz}, SIZE_AND_USED {s:#x}){culprit}")
        blk, off = (below, own_hdr - below) if below else (ptr, own_hdr - ptr)
        owner = heap.owner_of(blk)
    else:
        rc = c + sz
        nxt = heap.base + 8 * rc
        text = (f"{describe_block(heap, ptr)} ran past its end: the header of the next chunk at "
                f"{nxt:#x} (offset +{nxt - ptr} from the block start) reads LEFT_SIZE {L[rc]}, "
                f"expected {sz}")
        blk, off = ptr, nxt - ptr
    where = own_hdr if not own_ok else heap.base + 8 * (c + sz)
    wtext, writer = _writer_text(heap, where)
    err = HeapCorruption(f"heap corruption (buffer overflow?) at {ptr:#x} during {op}: {text}; {wtext}")
    err.zephyr_message = "heap corruption (buffer overflow?) at %p"  # type: ignore[attr-defined]
    return _fill(err, kind="overrun", check="free-block", block=blk, owner=owner, offset=off,
                 where=where, writer=writer)


def sound_blocks(heap: SysHeap) -> tuple[list[tuple[int, int, int, Any]], str | None]:
    """``[(ptr, span, usable, owner)]`` of the live blocks in address order, up to the first
    one whose header is damaged, and where that is (None when every header is sound).

    Bounded by the number of live blocks (STRICT) or chunks: it never loops or recurses,
    whatever the headers say."""
    SZ = heap._SZ
    end, hdr = heap.end_chunk, heap.hdr
    out: list[tuple[int, int, int, Any]] = []
    if heap.live is not None:
        items = sorted(heap.live.items())
    else:
        items = []
        c = 0
        while c < end:  # each step moves right by at least one unit: terminates
            s = SZ[c]
            sz = s >> 1
            if not sz or c + sz > end:
                return out, (f"chunk {c} at {heap.base + 8 * c:#x} has a damaged header "
                             f"(SIZE_AND_USED {s:#x}); the walk stops there")
            if s & 1 and c:
                items.append((heap.base + hdr + 8 * c, None))
            c += sz
    for p, owner in items:
        c = (p - heap.base - hdr) >> 3
        s = SZ[c]
        sz = s >> 1
        if not s & 1 or not sz or c + sz > end:
            return out, (f"the header of block {p:#x} ({_owner_text(owner)}) at "
                         f"{heap.base + 8 * c:#x} is damaged (SIZE_AND_USED {s:#x}); "
                         "the listing stops there")
        span = heap.base + 8 * (c + sz) - p
        usable = 8 * sz - hdr - (0 if heap.big else (p - 4) & 7)
        out.append((p, span, usable, owner))
    return out, None


def dma_fault(heap: SysHeap, lo: int, hi: int, addr: int, size: int, writer: str,
              find_block: Any) -> HeapCorruption | None:
    """Why a bus-master write of ``size`` bytes at ``addr`` must not happen (None when it
    may): ``[lo, hi)`` is the part of it inside ``heap``'s region; ``find_block(heap, a)``
    gives the greatest live block start <= ``a``.  The write may only land inside one live
    block, within the bytes before the next chunk header."""
    first = heap.base + 8 * heap.chunk0 + heap.hdr  # the first byte a block can start at
    what = f"{writer} would write {size} byte(s) at {addr:#x}"
    p = find_block(heap, lo) if lo >= first else None
    span = _span_or_none(heap, p) if p is not None else None
    if p is None or span is None or lo >= p + span:
        # The first byte lands in free memory, a chunk header or the heap's own metadata.
        if lo < first:
            where = f"the heap's own metadata (struct z_heap and chunk 0, up to {first:#x})"
        else:
            c, free = _chunk_holding(heap, lo, p)
            hdr_at = heap.base + 8 * c if c is not None else None
            if c is not None and lo < hdr_at + heap.hdr:
                where = f"the chunk header at {hdr_at:#x}"
            elif free:
                where = f"free heap memory (free chunk at {hdr_at:#x}: a buffer used after it was freed?)"
            else:
                where = "memory no live block holds"
        below = f"; the nearest live block below is {describe_block(heap, p)}" if p is not None else ""
        err = HeapCorruption(
            f"DMA write refused: {what}, into {where} of {heap!r}{below}; a device may only "
            "write into a live block it was given"
        )
        return _fill(err, kind="dma-into-free", check="dma-write", block=p,
                     owner=heap.owner_of(p) if p is not None else None,
                     offset=lo - p if p is not None else None, writer=writer, where=lo)
    if hi > p + span:
        hdr_at = p + span
        err = HeapCorruption(
            f"DMA write refused: {what}, {hi - hdr_at} byte(s) past the end of "
            f"{describe_block(heap, p)}: it would overwrite the chunk header at {hdr_at:#x} "
            f"(offset +{span} from the block start) and what follows: the device ran past its "
            "buffer (a stale pointer, or a length larger than the buffer)"
        )
        return _fill(err, kind="dma-overrun", check="dma-write", block=p, owner=heap.owner_of(p),
                     offset=span, writer=writer, where=hdr_at)
    return None


def _chunk_holding(heap: SysHeap, a: int, p: int | None) -> tuple[int | None, bool]:
    """(chunk holding address ``a``, is it free), walking a few chunks from the block at
    ``p`` (or from the first chunk); (None, False) when the headers do not lead there."""
    SZ = heap._SZ
    end = heap.end_chunk
    c = heap.chunk0 if p is None else (p - heap.base - heap.hdr) >> 3
    target = (a - heap.base) >> 3
    for _ in range(64):
        if not 0 <= c < end:
            break
        sz = SZ[c] >> 1
        if not sz or c + sz > end:
            break
        if target < c + sz:
            return c, not SZ[c] & 1
        c += sz
    return None, False


def first_fault(heap: SysHeap) -> int | None:
    """The first chunk (in address order) whose header is damaged; else the first free chunk
    whose free-list links are damaged; else a bucket head outside the heap (returned as that
    head's id); None when none is found.  One bounded walk: never loops.

    Damaged links rank after damaged sizes: they are also what a chunk shows in the middle of a
    free that stopped on damage elsewhere (marked free, its links not written yet: its old data
    reads as links), so a damaged size or left size further up is the better answer.  A bucket
    head outside the heap ranks last: it is what an unlink that followed a damaged link leaves
    behind (below STRICT), so the chunk whose link it followed is the better answer."""
    SZ = heap._SZ
    end, c0 = heap.end_chunk, heap.chunk0
    links = None
    c = c0
    while c < end:
        why = header_fault(heap, c)
        if why is not None:
            if not why.startswith("free-list links"):
                return c
            if links is None:
                links = c
        c += SZ[c] >> 1  # > 0: header_fault checked the size (it reports links last)
    if links is not None:
        return links
    for b in range(heap.nb):
        h = heap._B[b]
        if h and not c0 <= h < end:
            return h
    return None


def damage_report(heap: SysHeap) -> str | None:
    """Where the first damaged header or link of ``heap`` is, in words (None: none found)."""
    c = first_fault(heap)
    if c is None:
        return None
    if not heap.chunk0 <= c < heap.end_chunk:
        return f"a bucket head points at chunk {c}, outside the heap"
    why = header_fault(heap, c)
    below = _block_before(heap, heap.base + 8 * c)
    blame = f"; the live block below is {describe_block(heap, below)}" if below is not None else ""
    writer = writer_of(heap, *damaged_bytes(heap, heap.base + 8 * c))
    wtext = f"; writer: {writer}" if writer is not None else ""
    return f"the header of chunk {c} at {heap.base + 8 * c:#x} is damaged ({why}){blame}{wtext}"
