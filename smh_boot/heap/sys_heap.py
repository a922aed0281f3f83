"""``sys_heap``: Zephyr's chunk allocator, byte-exact, with its headers in emulated memory.

The heap keeps a ``memoryview`` of its own region's bytes (from
:meth:`AddressSpace.view <smh_boot.memory.AddressSpace.view>`) and reads and writes every
``struct z_heap`` field and chunk header at the offset the C code uses, so a caller that
overruns a block through the address space damages the next header exactly as on hardware.

Speed: the hot operations are closures built once per heap over *strided field views*
(``L[c]``, ``SZ[c]``, ``PV[c]``, ``NX[c]`` are the four header fields of chunk ``c``: a cast
of the region bytes to uint16/uint32 sliced with the header stride), with the free-list
operations written out in place.  They are installed as instance attributes (``heap.alloc``
is a plain function, not a bound method).  Introspection (walks, validate, digests) lives in
:mod:`.introspect` and never runs on the hot path.
"""

from __future__ import annotations

from typing import Any

from ..errors import (
    DoubleFree,
    HeapCorruption,
    HeapError,
    InvalidAlignment,
    InvalidFree,
    InvalidSize,
    MemoryMapError,
)
from ..memory.address_space import AddressSpace
from . import compiled as _compiled
from . import introspect as _introspect
from .config import Hardening, HeapConfig
from .layout import CHUNK_UNIT, Geometry, bucket_idx, geometry
from .stats import HeapStats

_MISSING = object()

#: bucket_idx(n) for n < 4096 chunks, per min_chunk_size - 1 (0 small heaps, 1 big ones).
_BUCKETS = tuple([(n - m1).bit_length() - 1 for n in range(4096)] for m1 in (0, 1))


class SysHeap:
    """One ``struct sys_heap`` over ``[addr, addr + size)``.

    ``memory``: the address space holding the region (it must be mapped there already), or
    None to map it into a private one.  Public attributes: ``addr``/``size`` (the region),
    ``base`` (8-aligned heap base), ``end_chunk``, ``big``, ``hdr``, ``nb``, ``chunk0``,
    ``first_block_offset``, ``config``, ``memory``; ``live`` is the STRICT-level dict of live
    block start -> owner tag (None at other levels).

    Operations (C name in brackets; addresses are ints, NULL is None):
    ``alloc(bytes, owner=None)`` [sys_heap_alloc], ``aligned_alloc(align, bytes, owner=None)``,
    ``free(ptr)``, ``realloc(ptr, bytes, owner=None)``,
    ``aligned_realloc(ptr, align, bytes, owner=None)``, ``usable_size(ptr)``.
    """

    def __init__(
        self, memory: AddressSpace | None, addr: int, size: int, config: HeapConfig = HeapConfig()
    ):
        g = geometry(addr, size, config)
        if memory is None:
            memory = AddressSpace(32 if config.ptr_size == 4 else 64)
            memory.map(addr, size, f"heap@{addr:#x}")
        elif memory.find(addr, size) is None:
            raise MemoryMapError(
                f"heap region [{addr:#x}, {addr + size:#x}) is not mapped in the address space; "
                "map it (AddressSpace.map) before creating the heap"
            )
        self.memory = memory
        self.config = config
        self.geometry: Geometry = g
        self.addr, self.size, self.base = addr, size, g.base
        self.end_chunk, self.big, self.hdr, self.nb, self.chunk0 = (
            g.end_chunk, g.big, g.hdr, g.nb, g.chunk0,
        )
        self.first_block_offset = g.first_block_offset
        self.live: dict[int, Any] | None = {} if config.hardening >= Hardening.STRICT else None
        self._raw = memory.view(addr, size)
        self._make_views()
        self._init_memory()
        self._build_ops()

    # ------------------------------------------------------------------ layout
    def _make_views(self) -> None:
        g = self.geometry
        off = g.base - g.addr
        # Chunk headers up to and including the end marker's LEFT_SIZE/SIZE_AND_USED.
        hb = self._raw[off : off + CHUNK_UNIT * g.end_chunk + g.hdr]
        if g.big:
            w = hb.cast("I")
            self._L, self._SZ, self._PV, self._NX = w[0::2], w[1::2], w[2::2], w[3::2]
        else:
            w = hb.cast("H")
            self._L, self._SZ, self._PV, self._NX = w[0::4], w[1::4], w[2::4], w[3::4]
        # struct z_heap: end_chunk at +8, avail_buckets at +12, then stats, then buckets.
        self._Z = hb[:16].cast("I")
        self._B = hb[g.buckets_offset : g.buckets_offset + 4 * g.nb].cast("I")
        if g.stats_offset is None:
            self._ST = None
        else:
            ps = self.config.ptr_size
            self._ST = hb[g.stats_offset : g.stats_offset + 3 * ps].cast("I" if ps == 4 else "Q")

    def _init_memory(self) -> None:
        """sys_heap_init steps 4-9: z_heap fields, chunk 0, the free chunk, the end marker."""
        g = self.geometry
        L, SZ, Z, B, ST = self._L, self._SZ, self._Z, self._B, self._ST
        Z[2] = g.end_chunk
        Z[3] = 0
        if ST is not None:
            ST[0] = ST[1] = ST[2] = 0
        for b in range(g.nb):
            B[b] = 0
        c0, end = g.chunk0, g.end_chunk
        SZ[0] = c0 << 1 | 1
        L[0] = 0
        SZ[c0] = (end - c0) << 1
        L[c0] = c0
        SZ[end] = 1
        L[end] = end - c0
        # free_list_add of the one free chunk (always big enough to be listed).
        bi = bucket_idx(end - c0, g.big)
        Z[3] = 1 << bi
        B[bi] = c0
        self._PV[c0] = c0
        self._NX[c0] = c0
        if ST is not None:
            ST[0] = g.initial_free_bytes

    # ------------------------------------------------------------------ hot path
    def _build_ops(self) -> None:  # noqa: C901 - one closure factory on purpose (speed)
        """Install the heap operations.

        Integrity checks (see the README's "Heap integrity" section; ``core`` mirrors them):

        * ``free-block`` (BASIC and up, Zephyr's free-time hardening): the block's used bit;
          ``left(right(c)) == c``; from MODERATE ``right(left(c)) == c``.
        * At STRICT only, before the heap relies on a free chunk or a list link:

          - ``free-list-unlink``: a chunk taken off a free list (alloc, also each chunk id its
            bounded bucket search reads, the merges of free, realloc growing into its
            neighbour) lies in the heap, is free, its size is non-zero and ends
            inside the heap where the next chunk's LEFT_SIZE agrees, and its links are
            inside the heap and point back at it: ``prev(next(c)) == c == next(prev(c))``;
            a chunk taken from a bigger bucket is big enough (C: ``free_list_remove_bidx``'s
            CHECKs, ``alloc_chunk``'s ``chunk_size(h, c) >= sz`` and the newer hardening's
            link check).  The terms are tested in order and stop at the first that fails
            (the compiled core tests them in the same order).
          - ``free-list-add``: the bucket a chunk joins is consistent:
            ``next(prev(head)) == head`` (C: ``free_list_add_bidx``'s CHECK).
          - ``merge-neighbour``: a free right neighbour that free or a shrinking realloc
            merges with has a size that ends inside the heap (then ``free-list-unlink``).
          - ``realloc-block``: realloc runs the ``free-block`` checks on its pointer.

        A failed check raises HeapCorruption (``kind`` "overrun" or "free-list") naming the
        block whose end was overrun, its owner and the offset; the operation stops there
        (a refused free leaves its block live).  Each check is an expression right before the
        writes that rely on it, marked ``# CHECK <name>``.  At every level, a chunk id that would take the emulator outside the heap's views
        (what C would do silently) raises HeapCorruption ``kind`` "wild-chunk" instead of a
        Python IndexError, and a non-integer pointer or size a typed error."""
        L, SZ, PV, NX, Z, B, ST = self._L, self._SZ, self._PV, self._NX, self._Z, self._B, self._ST
        g = self.geometry
        big, hdr, end, c0min = g.big, g.hdr, g.end_chunk, g.chunk0
        base, addr = g.base, g.addr
        hb = base + hdr  # chunk c's data starts at hb + 8*c
        m1 = 1 if big else 0  # min_chunk_size - 1, for bucket_idx
        # bucket_idx(n) = (n - m1).bit_length() - 1, from a table for the common sizes (a list
        # index is ~20 ns cheaper than the method call; every n here is > m1)
        BT = _BUCKETS[m1]
        TL = len(BT)
        hdr7 = hdr + 7
        stats = ST is not None
        smask = (1 << (8 * self.config.ptr_size)) - 1  # size_t
        loops = self.config.alloc_loops
        level = int(self.config.hardening)
        moderate = level >= 2
        strict = level >= 4
        live = self.live
        raw = self._raw
        heap = self
        wild = (IndexError, ValueError, OverflowError, TypeError)

        def corrupt(point: str, c: int, op: str) -> Exception:
            return _introspect.corruption(heap, point, c, op)

        def unlink_bad(c: int, bi: int) -> bool:
            # CHECK free-list-unlink (STRICT): may chunk c be taken off bucket bi?
            if not c0min <= c < end:
                return True
            s = SZ[c]
            sz = s >> 1
            if s & 1 or not sz or c + sz > end or L[c + sz] != sz:
                return True
            if sz <= m1:
                return False  # undersized: never listed, no links to check
            n, p = NX[c], PV[c]
            return (
                not c0min <= n < end or not c0min <= p < end or PV[n] != c or NX[p] != c
                or (sz - m1).bit_length() - 1 != bi or not B[bi] or not Z[3] >> bi & 1
            )

        def fl_add(c: int, sz: int) -> None:
            # free_list_add(): undersized chunks of big heaps are never listed.
            if sz <= m1:  # undersized (big heaps only)
                return
            bi = BT[sz] if sz < TL else (sz - m1).bit_length() - 1
            h = B[bi]
            if h:
                f = PV[h]
                if strict and NX[f] != h:  # CHECK free-list-add
                    raise corrupt("free-list-add", h, "free list add")
                PV[c] = f
                NX[c] = h
                NX[f] = c
                PV[h] = c
            else:
                Z[3] |= 1 << bi
                B[bi] = c
                PV[c] = c
                NX[c] = c
            if stats:
                ST[0] += sz * 8 - hdr

        def fl_remove(c: int, sz: int, op: str) -> None:
            # free_list_remove(): the bucket head moves to c's successor, whatever c was.
            if sz <= m1:
                # undersized (never listed), or a size of 0: CHECK free-list-unlink
                if strict and (not sz or SZ[c] & 1 or L[c + sz] != sz):
                    raise corrupt("free-list-unlink", c, op)
                return
            bi = BT[sz] if sz < TL else (sz - m1).bit_length() - 1
            n = NX[c]
            if n == c:  # a list of one: sound when prev == c too (see alloc)
                if strict and (SZ[c] & 1 or L[c + sz] != sz or PV[c] != c
                               or c < c0min):  # CHECK free-list-unlink
                    raise corrupt("free-list-unlink", c, op)
                Z[3] &= ~(1 << bi)
                B[bi] = 0
            else:
                p = PV[c]
                if strict and (SZ[c] & 1 or L[c + sz] != sz or PV[n] != c or NX[p] != c
                               or c < c0min or n < c0min or p < c0min):  # CHECK free-list-unlink
                    raise corrupt("free-list-unlink", c, op)
                B[bi] = n
                NX[p] = n
                PV[n] = p
            if stats:
                ST[0] -= sz * 8 - hdr

        def alloc_chunk(sz: int, op: str) -> int:
            # Bounded search of the exact bucket (rotating its head), then the smallest
            # non-empty bigger bucket.  Returns the chunk, already off its list, or 0.
            # (A chunk id read in the search that lies below the heap's chunks fails
            # free-list-unlink; one past its end the views' bounds: see _wild.)  The search
            # and fl_remove() are written out (aligned_alloc's hot path), with fl_remove()'s
            # meaning: the compiled core's alloc_chunk() calls it.
            bi = BT[sz] if sz < TL else (sz - m1).bit_length() - 1
            c = B[bi]
            if c:
                first = c
                i = loops
                while True:
                    s = SZ[c]
                    csz = s >> 1
                    if csz >= sz:
                        break
                    c = NX[c]
                    B[bi] = c
                    i -= 1
                    if not i or c == first:
                        c = 0
                        break
            if not c:
                mask = Z[3] >> (bi + 1)
                if not mask:
                    return 0
                bi += (mask & -mask).bit_length()
                c = B[bi]
                s = SZ[c]
                csz = s >> 1
                if strict and csz < sz:  # CHECK free-list-unlink (C: chunk_size(c) >= sz)
                    raise corrupt("free-list-unlink", c, op)
            if csz <= m1:
                # undersized (never listed), or a size of 0: CHECK free-list-unlink
                if strict and (not csz or s & 1 or L[c + csz] != csz):
                    raise corrupt("free-list-unlink", c, op)
                return c
            bi = BT[csz] if csz < TL else (csz - m1).bit_length() - 1  # fl_remove(): the bucket of c's own size
            n = NX[c]
            if n == c:  # a list of one (see alloc)
                if strict and (s & 1 or L[c + csz] != csz or PV[c] != c or c < c0min):
                    raise corrupt("free-list-unlink", c, op)  # CHECK free-list-unlink
                Z[3] &= ~(1 << bi)
                B[bi] = 0
            else:
                p = PV[c]
                if strict and (s & 1 or L[c + csz] != csz or PV[n] != c or NX[p] != c
                               or c < c0min or n < c0min or p < c0min):  # CHECK free-list-unlink
                    raise corrupt("free-list-unlink", c, op)
                B[bi] = n
                NX[p] = n
                PV[n] = p
            if stats:
                ST[0] -= csz * 8 - hdr
            return c

        def free_chunk(c: int, sz: int, op: str) -> None:
            # Merge with a free right neighbour first, then with a free left one.
            rc = c + sz
            rs = SZ[rc]
            if not rs & 1:
                rs >>= 1
                if strict and (not rs or rc + rs > end):
                    raise corrupt("merge-neighbour", rc, op)
                fl_remove(rc, rs, op)
                sz += rs
                SZ[c] = sz * 2
                L[c + sz] = sz
            lc = c - L[c]
            ls = SZ[lc]
            if not ls & 1:
                ls >>= 1
                fl_remove(lc, ls, op)
                sz += ls
                SZ[lc] = sz * 2
                L[lc + sz] = sz
                c = lc
            fl_add(c, sz)

        def alloc(nbytes: int, owner: Any = None) -> int | None:
            # alloc_chunk() and the free-list operations are written out here: this is
            # the hottest function of the emulator.
            try:
                if nbytes <= 0:
                    if nbytes == 0:
                        return None
                    raise _bad_size(nbytes, "alloc")
                need = (nbytes + hdr7) >> 3
                if need > end:
                    need = end
                bi = BT[need] if need < TL else (need - m1).bit_length() - 1
                c = B[bi]
                if c:
                    first = c
                    i = loops
                    while True:
                        s = SZ[c]
                        sz = s >> 1
                        if sz >= need:
                            break
                        c = NX[c]
                        B[bi] = c
                        i -= 1
                        if not i or c == first:
                            c = 0
                            break
                if not c:
                    mask = Z[3] >> (bi + 1)
                    if not mask:
                        return None
                    bi += (mask & -mask).bit_length()
                    c = B[bi]
                    s = SZ[c]
                    sz = s >> 1
                    if strict and sz < need:  # CHECK free-list-unlink (C: chunk_size(c) >= sz)
                        raise corrupt("free-list-unlink", c, "alloc")
                # CHECK free-list-unlink, written out: free, sized, links inside the heap
                # pointing back.  (A chunk id or link past the heap's end fails as an
                # IndexError: see _wild, which reports it the same way.)  A list of one
                # (next == c) is sound when prev == c too: the general test, with n = c,
                # reduces to that, and it saves two reads on the commonest case.
                n = NX[c]
                if n == c:
                    if strict and (s & 1 or L[c + sz] != sz or PV[c] != c or c < c0min):
                        raise corrupt("free-list-unlink", c, "alloc")
                    Z[3] &= ~(1 << bi)
                    B[bi] = 0
                else:
                    p = PV[c]
                    if strict and (s & 1 or L[c + sz] != sz or PV[n] != c or NX[p] != c
                                   or c < c0min or n < c0min or p < c0min):
                        raise corrupt("free-list-unlink", c, "alloc")
                    B[bi] = n
                    NX[p] = n
                    PV[n] = p
                if stats:
                    ST[0] -= sz * 8 - hdr
                if sz > need:
                    rc = c + need
                    rsz = sz - need
                    SZ[rc] = rsz * 2
                    L[rc] = need
                    L[rc + rsz] = rsz
                    if rsz > m1:
                        bi = BT[rsz] if rsz < TL else (rsz - m1).bit_length() - 1
                        h = B[bi]
                        if h:
                            f = PV[h]
                            if strict and NX[f] != h:  # CHECK free-list-add
                                raise corrupt("free-list-add", h, "alloc")
                            PV[rc] = f
                            NX[rc] = h
                            NX[f] = rc
                            PV[h] = rc
                        else:
                            Z[3] |= 1 << bi
                            B[bi] = rc
                            PV[rc] = rc
                            NX[rc] = rc
                        if stats:
                            ST[0] += rsz * 8 - hdr
                    sz = need
                SZ[c] = sz * 2 + 1
                if stats:
                    a = ST[1] + sz * 8 - hdr
                    ST[1] = a
                    if a > ST[2]:
                        ST[2] = a
                p = hb + c * 8
                if live is not None:
                    live[p] = owner
                return p
            except wild as e:
                raise _wild(heap, "alloc", e, size=nbytes) from None

        def aligned_alloc(align: int, nbytes: int, owner: Any = None) -> int | None:
            try:
                rew = align & -align
                if align != rew:
                    # Two bits set: align to the higher part, then rewind by the lowest bit.
                    align -= rew
                    gap = rew if rew < hdr else hdr
                    if align & (align - 1):
                        raise _bad_align(align + rew)
                else:
                    if align <= hdr:
                        return alloc(nbytes, owner)
                    rew = 0
                    gap = hdr
                if nbytes <= 0:
                    if nbytes == 0:
                        return None
                    raise _bad_size(nbytes, "aligned_alloc")
                padded = (nbytes + align - gap + hdr7) >> 3
                if padded > end:
                    padded = end
                c0 = alloc_chunk(padded, "aligned_alloc")
                if not c0:
                    return None
                m = ((hb + c0 * 8 + rew + align - 1) & -align) - rew
                c = (m - hb) >> 3
                c_end = (m + nbytes + 7 - base) >> 3
                sz = SZ[c0] >> 1
                if c > c0:
                    # Free the unused prefix (before the suffix: the order shows in the lists).
                    lsz = c - c0
                    sz -= lsz
                    SZ[c0] = lsz * 2
                    SZ[c] = sz * 2
                    L[c] = lsz
                    L[c + sz] = sz
                    fl_add(c0, lsz)
                if c + sz > c_end:
                    lsz = c_end - c
                    rsz = sz - lsz
                    SZ[c_end] = rsz * 2
                    L[c_end] = lsz
                    L[c_end + rsz] = rsz
                    fl_add(c_end, rsz)
                    sz = lsz
                SZ[c] = sz * 2 + 1
                if stats:
                    a = ST[1] + sz * 8 - hdr
                    ST[1] = a
                    if a > ST[2]:
                        ST[2] = a
                if live is not None:
                    live[m] = owner
                return m
            except wild as e:
                raise _wild(heap, "aligned_alloc", e, size=nbytes, align=align) from None

        def check_block(ptr: int, op: str) -> tuple[int, int]:
            # CHECK free-block: the free-time hardening checks (and the emulator's own bounds
            # checks, which keep a wild pointer from taking Python outside the heap's views).
            c = (ptr - hb) >> 3
            if not c0min <= c < end:
                raise _outside(heap, ptr, op)
            s = SZ[c]
            sz = s >> 1
            if level:
                if not s & 1:
                    raise _double_free(heap, ptr, op)
                rc = c + sz
                if not sz or rc > end or L[rc] != sz:
                    raise _overflow(heap, ptr, c, op)
                if level >= 2:
                    lsz = L[c]
                    if not lsz or lsz > c or SZ[c - lsz] >> 1 != lsz:
                        raise _overflow(heap, ptr, c, op)
            elif not sz or c + sz > end or L[c] > c:
                raise _overflow(heap, ptr, c, op)
            return c, s

        def free(ptr: int | None) -> None:
            # check_block() and free_chunk() with its free-list operations, written out.
            if ptr is None:
                return
            try:
                if live is not None:
                    owner = live.pop(ptr, _MISSING)
                    if owner is _MISSING:
                        raise _not_live(heap, ptr, "free")
                    c = (ptr - hb) >> 3  # a live block's start: inside the heap
                else:
                    c = (ptr - hb) >> 3
                    if c < c0min or c >= end:
                        raise _outside(heap, ptr, "free")
                s = SZ[c]
                sz = s >> 1
                rc = c + sz
                lz = L[c]  # (no write below touches L[c]: sz > 0 once the checks passed)
                if level:
                    # CHECK free-block
                    if not s & 1 or rc > end or L[rc] != sz or (
                        moderate and (lz > c or SZ[c - lz] >> 1 != lz)
                    ):
                        if live is not None:
                            live[ptr] = owner  # keep the block known, for the report
                        check_block(ptr, "free")  # raises with the details
                        raise _overflow(heap, ptr, c, "free")
                elif not sz or rc > end or lz > c:
                    raise _overflow(heap, ptr, c, "free")
                # Merge with a free right neighbour first ...  At STRICT each unlink is
                # checked right before it is written (CHECK merge-neighbour, then
                # free-list-unlink); a failure leaves the block live and in the report.
                rs = SZ[rc]
                if not rs & 1:
                    rs >>= 1
                    # inlined free_list_remove(): unlink, bucket head = successor (undersized: never listed)
                    if rs > m1:
                        bi = BT[rs] if rs < TL else (rs - m1).bit_length() - 1
                        n = NX[rc]
                        if n == rc:  # a list of one (see alloc)
                            if strict and (L[rc + rs] != rs or PV[rc] != rc):
                                # CHECK merge-neighbour + free-list-unlink
                                live[ptr] = owner
                                raise corrupt("merge-neighbour", rc, "free")
                            Z[3] &= ~(1 << bi)
                            B[bi] = 0
                        else:
                            p = PV[rc]
                            if strict and (L[rc + rs] != rs or PV[n] != rc or NX[p] != rc
                                           or n < c0min or p < c0min):  # CHECK merge-neighbour + free-list-unlink
                                live[ptr] = owner
                                raise corrupt("merge-neighbour", rc, "free")
                            B[bi] = n
                            NX[p] = n
                            PV[n] = p
                        if stats:
                            ST[0] -= rs * 8 - hdr
                    sz += rs
                    L[c + sz] = sz
                # (this one write leaves c's header as C's used-bit clear + merge leaves it)
                SZ[c] = sz * 2
                # ... then with a free left neighbour.
                lc = c - lz
                ls = SZ[lc]
                if not ls & 1:
                    ls >>= 1
                    # inlined free_list_remove(): unlink, bucket head = successor (undersized: never listed)
                    if ls > m1:
                        bi = BT[ls] if ls < TL else (ls - m1).bit_length() - 1
                        n = NX[lc]
                        if n == lc:  # a list of one (see alloc)
                            if strict and (PV[lc] != lc or lc < c0min):  # CHECK free-list-unlink
                                raise corrupt("free-list-unlink", lc, "free")
                            Z[3] &= ~(1 << bi)
                            B[bi] = 0
                        else:
                            p = PV[lc]
                            if strict and (PV[n] != lc or NX[p] != lc
                                           or n < c0min or p < c0min):  # CHECK free-list-unlink
                                raise corrupt("free-list-unlink", lc, "free")
                            B[bi] = n
                            NX[p] = n
                            PV[n] = p
                        if stats:
                            ST[0] -= ls * 8 - hdr
                    sz += ls
                    SZ[lc] = sz * 2
                    L[lc + sz] = sz
                    c = lc
                if stats:
                    a = ST[1] - ((s >> 1) * 8 - hdr)
                    # Only a double free at hardening NONE (unchecked, as in C) takes the counter
                    # below zero; C's size_t wraps, and so does this.
                    ST[1] = a if a >= 0 else a & smask
                if sz > m1:
                    bi = BT[sz] if sz < TL else (sz - m1).bit_length() - 1
                    h = B[bi]
                    if h:
                        f = PV[h]
                        if strict and NX[f] != h:  # CHECK free-list-add
                            raise corrupt("free-list-add", h, "free")
                        PV[c] = f
                        NX[c] = h
                        NX[f] = c
                        PV[h] = c
                    else:
                        Z[3] |= 1 << bi
                        B[bi] = c
                        PV[c] = c
                        NX[c] = c
                    if stats:
                        ST[0] += sz * 8 - hdr
            except wild as e:
                raise _wild(heap, "free", e, ptr) from None

        def usable_size(ptr: int) -> int:
            try:
                c = (ptr - hb) >> 3
            except TypeError as e:
                raise _wild(heap, "usable_size", e, ptr) from None
            if c < c0min or c >= end:
                raise _outside(heap, ptr, "usable_size")
            # mem_align_gap() of this revision is 0 whenever the header is 8 bytes, so big
            # heaps over-report rewind-aligned blocks (golden surprise 9).
            return (SZ[c] >> 1) * 8 - hdr - (0 if big else (ptr - 4) & 7)

        def inplace_realloc(ptr: int, nbytes: int) -> bool:
            c = (ptr - hb) >> 3
            gap = 0 if big else (ptr - 4) & 7
            need = (nbytes + gap + hdr7) >> 3
            if need > end:
                need = end
            sz = SZ[c] >> 1
            if sz == need:
                return True
            if sz > need:
                # Shrink: split, keep the head used, free the tail (merging to the right).
                rc = c + need
                rsz = sz - need
                if strict:  # CHECK merge-neighbour before the split is written
                    nc = c + sz
                    ns = SZ[nc]
                    if not ns & 1:
                        ns >>= 1
                        if not ns or nc + ns > end or unlink_bad(nc, (ns - m1).bit_length() - 1):
                            raise corrupt("merge-neighbour", nc, "realloc")
                SZ[c] = need * 2 + 1
                SZ[rc] = rsz * 2
                L[rc] = need
                L[rc + rsz] = rsz
                free_chunk(rc, rsz, "realloc")
                if stats:
                    ST[1] -= rsz * 8
                return True
            rc = c + sz
            rs = SZ[rc]
            if rs & 1:
                return False
            rsz = rs >> 1
            if strict and (not rsz or rc + rsz > end):
                raise corrupt("merge-neighbour", rc, "realloc")
            if sz + rsz < need:
                return False
            # Grow into the free right neighbour, taking only what is needed.
            split = need - sz
            fl_remove(rc, rsz, "realloc")
            if stats:
                a = ST[1] + split * 8
                ST[1] = a
                if a > ST[2]:
                    ST[2] = a
            if split < rsz:
                nc = rc + split
                nsz = rsz - split
                SZ[rc] = split * 2
                SZ[nc] = nsz * 2
                L[nc] = split
                L[nc + nsz] = nsz
                fl_add(nc, nsz)
            SZ[c] = need * 2 + 1
            L[c + need] = need
            return True

        def aligned_realloc(
            ptr: int | None, align: int, nbytes: int, owner: Any = None
        ) -> int | None:
            if ptr is None:
                return aligned_alloc(align, nbytes, owner)
            try:
                if nbytes <= 0:
                    if nbytes == 0:
                        free(ptr)
                        return None
                    raise _bad_size(nbytes, "realloc")
                if align & (align - 1):
                    raise _bad_align(align)
                c = (ptr - hb) >> 3
                if c < c0min or c >= end:
                    raise _outside(heap, ptr, "realloc")
                if live is not None:
                    old = live.get(ptr, _MISSING)
                    if old is _MISSING:
                        raise _not_live(heap, ptr, "realloc")
                    if owner is None:
                        owner = old
                if level >= 3:
                    check_block(ptr, "realloc")  # CHECK realloc-block
                if (not align or not ptr & (align - 1)) and inplace_realloc(ptr, nbytes):
                    if live is not None:
                        live[ptr] = owner
                    return ptr
                # Fallback: allocate first (so ptr's own chunk cannot be reused), copy, free.
                p2 = aligned_alloc(align, nbytes, owner)
                if p2 is not None:
                    n = usable_size(ptr)
                    if n > nbytes:
                        n = nbytes
                    o1 = ptr - addr
                    o2 = p2 - addr
                    raw[o2 : o2 + n] = bytes(raw[o1 : o1 + n])
                    free(ptr)
                return p2
            except wild as e:
                raise _wild(heap, "realloc", e, ptr, size=nbytes, align=align) from None

        def realloc(ptr: int | None, nbytes: int, owner: Any = None) -> int | None:
            return aligned_realloc(ptr, 0, nbytes, owner)

        self.alloc = alloc
        self.aligned_alloc = aligned_alloc
        self.free = free
        self.realloc = realloc
        self.aligned_realloc = aligned_realloc
        self.usable_size = usable_size
        self._inplace_realloc = inplace_realloc
        # The compiled core, when built and selected, takes over these six operations and
        # calls back into them for everything it leaves to the reference (see compiled.py).
        _compiled.attach_heap(self, {
            "alloc": alloc, "aligned_alloc": aligned_alloc, "free": free, "realloc": realloc,
            "aligned_realloc": aligned_realloc, "usable_size": usable_size,
            # the error factories the compiled core raises through (the same reports)
            "corrupt": corrupt,
            "wild": lambda op, e, ptr=0, size=0, align=0: _wild(heap, op, e, ptr, size, align),
        })

    # ------------------------------------------------------------------ memory access
    def read(self, addr: int, size: int) -> bytes:
        """Bytes at ``[addr, addr+size)`` of the heap's address space (BusFault outside it)."""
        return self.memory.read(addr, size)

    def write(self, addr: int, data: bytes) -> None:
        """Store ``data`` at ``addr`` in the heap's address space (BusFault outside it)."""
        self.memory.write(addr, data)

    def contains(self, ptr: int) -> bool:
        """True when ``ptr`` lies inside this heap's region."""
        return self.addr <= ptr < self.addr + self.size

    def owner_of(self, ptr: int) -> Any:
        """Owner tag of the live block starting at ``ptr`` (STRICT only; None otherwise)."""
        return None if self.live is None else self.live.get(ptr)

    def set_owner(self, ptr: int, owner: Any) -> None:
        """Re-tag a live block (STRICT only; a no-op at other levels)."""
        if self.live is not None and ptr in self.live:
            self.live[ptr] = owner

    # ------------------------------------------------------------------ introspection
    def chunks(self) -> list[tuple[int, int, bool]]:
        """Chunk walk from chunk 0: ``(chunk, size_units, used)``, end marker excluded."""
        return _introspect.chunks(self)

    def stats(self) -> HeapStats:
        """free/allocated/max bytes: the runtime counters, or a walk without runtime stats
        (then ``max_allocated_bytes`` is None: the high-water mark is not tracked)."""
        if self._ST is not None:
            return HeapStats(int(self._ST[0]), int(self._ST[1]), int(self._ST[2]))
        free, used = _introspect.walk_totals(self)
        return HeapStats(free, used, None)

    def runtime_stats_get(self) -> HeapStats:
        """``sys_heap_runtime_stats_get`` (needs ``runtime_stats=True``)."""
        if self._ST is None:
            raise _no_stats()
        return self.stats()

    def runtime_stats_reset_max(self) -> None:
        """``sys_heap_runtime_stats_reset_max``: max = allocated (needs runtime stats)."""
        if self._ST is None:
            raise _no_stats()
        self._ST[2] = self._ST[1]

    def check(self) -> str | None:
        """Every check of Zephyr's ``sys_heap_validate``: None when sound, else the reason."""
        return _introspect.check(self)

    def validate(self) -> bool:
        """``sys_heap_validate``: True when :meth:`check` finds nothing."""
        return _introspect.check(self) is None

    def largest_free_bytes(self) -> int:
        """Usable bytes of the largest listed free chunk (0 when none)."""
        return _introspect.largest_free_bytes(self)

    def free_chunk_histogram(self) -> list[int]:
        """Number of listed free chunks per bucket (length ``nb``)."""
        return _introspect.free_chunk_histogram(self)

    def digest(self, index: int = 0, seed: int | None = None) -> int:
        """Golden ``sd`` words of this heap (as region ``index``) folded into FNV-1a 64."""
        return _introspect.digest(self, index, seed)

    def dump(self, index: int = 0) -> dict[str, Any]:
        """The golden ``final_state`` entry of this heap (as region ``index``)."""
        return _introspect.dump(self, index)

    def __repr__(self) -> str:
        kind = "big" if self.big else "small"
        return (
            f"<SysHeap {self.addr:#x}+{self.size:#x} {kind} end_chunk={self.end_chunk} "
            f"chunk0={self.chunk0}>"
        )


# ---------------------------------------------------------------------- error paths
# Built only when something is wrong, so they may be as slow and as wordy as is useful.


def _c_error(cls: type, message: str, c_message: str) -> Exception:
    e = cls(message)
    e.zephyr_message = c_message
    return e


def _bad_align(align: int) -> Exception:
    return _c_error(
        InvalidAlignment,
        f"alignment {align} ({align:#x}) has more than two bits set: use a power of two, or a "
        "power of two plus one lower 'rewind' bit",
        "align must be a power of 2",
    )


def _no_stats() -> Exception:
    return HeapError("runtime stats are off for this heap: create it with HeapConfig(runtime_stats=True)")


def _describe(heap: SysHeap, ptr: int) -> str:
    return _introspect.describe_pointer(heap, ptr)


def _bad_size(nbytes: Any, op: str) -> Exception:
    return _c_error(
        InvalidSize,
        f"{op}: size {nbytes!r} is not a valid allocation size: give a non-negative int "
        "(C would read a negative size as a huge size_t)",
        "invalid allocation size",
    )


def _not_int(what: str, value: Any, op: str) -> Exception:
    cls = InvalidFree if what == "pointer" else InvalidSize
    return _c_error(
        cls,
        f"{op}: the {what} must be an int, not {type(value).__name__} {value!r}",
        "invalid pointer" if what == "pointer" else "invalid allocation size",
    )


def _wild(heap: SysHeap, op: str, e: Exception, ptr: Any = 0, size: Any = 0, align: Any = 0) -> Exception:
    """What a Python error inside a heap operation means: a bad argument type, or (below
    STRICT, where Zephyr does not check) a damaged header that led outside the heap."""
    if isinstance(e, HeapError):
        return e  # already typed (InvalidSize is also a ValueError)
    for what, value in (("pointer", ptr), ("size", size), ("alignment", align)):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            return _not_int(what, value, op)
    c = _introspect.first_fault(heap)
    if c is not None and heap.config.hardening >= Hardening.STRICT:
        # A link or size past the heap's end (the check expressions leave that to the
        # views' bounds): the same report as the check point's.
        return _introspect.corruption(heap, "free-list-unlink", c, op)
    where, writer = "", None
    if c is not None:
        text = ""
        if heap.chunk0 <= c < heap.end_chunk:
            text, writer = _introspect._writer_text(heap, heap.base + 8 * c)
            text = f" ({text})"
        where = f"; the first damaged header is chunk {c} at {heap.base + 8 * c:#x}{text}"
    err = _c_error(
        HeapCorruption,
        f"heap corruption during {op} on {heap!r}: a damaged chunk header or free-list link "
        f"leads outside the heap ({type(e).__name__}: {e}); Zephyr would read or write wild "
        f"memory here (undefined behaviour) at hardening {heap.config.hardening.name}; "
        f"STRICT reports the damage where it is first relied on{where}",
        "heap corruption (wild chunk index)",
    )
    err.kind = "wild-chunk"  # type: ignore[attr-defined]
    err.writer = writer  # type: ignore[attr-defined]
    return err


def _outside(heap: SysHeap, ptr: int, op: str) -> Exception:
    if not isinstance(ptr, int):
        return _not_int("pointer", ptr, op)
    return _c_error(
        InvalidFree,
        f"{op}({ptr:#x}): the pointer is not inside the heap area of {heap!r} "
        f"({_describe(heap, ptr)})",
        "heap corruption (invalid pointer?) at %p",
    )


def _double_free(heap: SysHeap, ptr: int, op: str) -> Exception:
    return _c_error(
        DoubleFree,
        f"heap corruption (double free?) at {ptr:#x}: {op} of a chunk that is not in use "
        f"({_describe(heap, ptr)})",
        "heap corruption (double free?) at %p",
    )


def _overflow(heap: SysHeap, ptr: int, c: int, op: str) -> Exception:
    return _introspect.overflow_at_free(heap, ptr, c, op)


def _not_live(heap: SysHeap, ptr: int, op: str) -> Exception:
    if not isinstance(ptr, int):
        return _not_int("pointer", ptr, op)
    if _introspect.in_free_chunk(heap, ptr):
        cls, what = DoubleFree, "it points into free memory: was it freed already (double free?)"
    else:
        cls, what = InvalidFree, "it is not the start of a live block of this pool"
    return _c_error(
        cls,
        f"{op}({ptr:#x}) refused: {what}; {_describe(heap, ptr)}",
        "heap corruption (double free?) at %p" if cls is DoubleFree else "invalid pointer",
    )
