"""Hypothesis drives random alloc / aligned_alloc / realloc / free sequences against a
simple model of the live blocks: blocks never overlap and stay inside the heap, contents
survive (also across realloc moves), stats agree, and ``validate()`` holds after each step."""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from smh_boot.heap import Hardening, HeapConfig, SharedMultiHeap, SharedMultiHeapRegion, SysHeap
from smh_boot.heap.introspect import block_span

ALIGNS = st.sampled_from([0, 1, 4, 8, 16, 32, 64, 128, 3, 12, 24, 68, 136])
SIZES = st.one_of(st.integers(1, 64), st.integers(65, 700))


class HeapMachine(RuleBasedStateMachine):
    blocks = Bundle("blocks")

    @initialize(ptr=st.sampled_from([4, 8]), stats=st.booleans(), size=st.sampled_from([1024, 3000, 8192]),
                base_mod=st.sampled_from([0, 4, 7]))
    def make_heap(self, ptr, stats, size, base_mod):
        self.heap = SysHeap(None, 0x2000_0000 + base_mod, size,
                            HeapConfig(ptr_size=ptr, runtime_stats=stats, hardening=Hardening.STRICT))
        self.model: dict[int, tuple[int, int]] = {}  # ptr -> (requested size, fill byte)
        self.counter = 0

    def _span(self, p, size):
        # Bytes the caller may really write: up to the next chunk header.  Equal to the
        # request except for big-heap blocks with a rewind below 8, where Zephyr's usable
        # size (and in-place realloc) ignore the gap (golden surprise 9).
        span, usable = block_span(self.heap, p)
        assert usable >= size
        if self.heap.big and usable != span:
            assert usable - span == (p - self.heap.hdr) & 7
        return min(size, span)

    def _store(self, p, size):
        self.counter = (self.counter + 1) % 251
        fillb = self.counter + 1
        n = self._span(p, size)
        self.heap.write(p, bytes([fillb]) * n)
        self.model[p] = (n, fillb)
        return p

    def _expect_intact(self, p):
        size, fillb = self.model[p]
        assert self.heap.read(p, size) == bytes([fillb]) * size

    @rule(target=blocks, size=SIZES)
    def alloc(self, size):
        p = self.heap.alloc(size)
        if p is None:
            return None
        assert p not in self.model
        return self._store(p, size)

    @rule(target=blocks, align=ALIGNS, size=SIZES)
    def aligned_alloc(self, align, size):
        p = self.heap.aligned_alloc(align, size)
        if p is None:
            return None
        rew = align & -align
        if align != rew:
            assert (p + rew) % (align - rew) == 0
        elif align > 1:
            assert p % align == 0
        return self._store(p, size)

    @rule(target=blocks, p=consumes(blocks), size=SIZES)
    def realloc(self, p, size):
        if p is None or p not in self.model:
            return None
        old_size, fillb = self.model[p]
        q = self.heap.realloc(p, size)
        if q is not None:
            # the written prefix survives; in place the block may have shrunk below it
            old_size = min(old_size, self._span(q, size))
        if q is None:  # failed: the old block is untouched
            self._expect_intact(p)
            return p
        keep = min(old_size, size)
        assert self.heap.read(q, keep) == bytes([fillb]) * keep
        del self.model[p]
        return self._store(q, size)

    @rule(p=consumes(blocks))
    def free(self, p):
        if p is None or p not in self.model:
            return
        self._expect_intact(p)
        self.heap.free(p)
        del self.model[p]

    @invariant()
    def consistent(self):
        h = getattr(self, "heap", None)
        if h is None:
            return
        assert h.check() is None
        spans = sorted((p, p + s) for p, (s, _f) in self.model.items())
        lo = h.base + 8 * h.chunk0
        hi = h.base + 8 * h.end_chunk
        for (a0, a1), (b0, _b1) in zip(spans, spans[1:]):
            assert a1 <= b0, "blocks overlap"
        for a0, a1 in spans:
            assert lo < a0 and a1 <= hi
        assert set(h.live) == set(self.model)
        used = [c for c, _s, u in h.chunks() if u and c]
        assert len(used) == len(self.model)
        st_ = h.stats()
        expect = sum(h.usable_size(p) + (0 if h.big else (p - 4) & 7) for p in self.model)
        if not h.big:
            assert st_.allocated_bytes == expect
        assert st_.free_bytes + st_.allocated_bytes <= 8 * (h.end_chunk - h.chunk0)


def test_heap_state_machine():
    # A plain test function (not HeapMachine.TestCase) so that it runs on both heap cores.
    run_state_machine_as_test(HeapMachine, settings=settings(
        max_examples=60, stateful_step_count=40, deadline=None,
        suppress_health_check=[HealthCheck.too_slow], derandomize=True,
    ))


class PoolMachine(RuleBasedStateMachine):
    """The same game one layer up: a STRICT SharedMultiHeap with two cacheable heaps and a
    non-cacheable one, so realloc may move blocks across heaps (copying their contents)."""

    blocks = Bundle("blocks")

    @initialize(ptr=st.sampled_from([4, 8]), stats=st.booleans())
    def make_pool(self, ptr, stats):
        self.pool = SharedMultiHeap(None, HeapConfig(ptr_size=ptr, runtime_stats=stats))
        self.pool.pool_init()
        for attr, addr, size in ((0, 0x3000_0000, 0x600), (1, 0x3000_2000, 0x400), (0, 0x3000_1000, 0xA00)):
            self.pool.add(SharedMultiHeapRegion(attr, addr, size))
        self.model: dict[int, tuple[int, int, str]] = {}
        self.n = 0

    def _store(self, p, size):
        self.n += 1
        fillb = self.n % 250 + 1
        blk = self.pool.block_at(p)
        assert blk is not None and blk.addr == p
        k = min(size, blk.size)
        self.pool.memory.write(p, bytes([fillb]) * k)
        self.model[p] = (k, fillb, f"o{self.n}")
        return p

    @rule(target=blocks, attr=st.sampled_from([0, 1]), size=SIZES)
    def alloc(self, attr, size):
        p = self.pool.alloc(attr, size, owner=f"o{self.n + 1}")
        return None if p is None else self._store(p, size)

    @rule(target=blocks, attr=st.sampled_from([0, 1]), align=ALIGNS, size=SIZES)
    def aligned_alloc(self, attr, align, size):
        p = self.pool.aligned_alloc(attr, align, size, owner=f"o{self.n + 1}")
        return None if p is None else self._store(p, size)

    @rule(target=blocks, p=consumes(blocks), attr=st.sampled_from([0, 1]), size=SIZES)
    def realloc(self, p, attr, size):
        if p is None or p not in self.model:
            return None
        k, fillb, _owner = self.model[p]
        q = self.pool.realloc(attr, p, size, owner=f"o{self.n + 1}")
        if q is None:
            assert self.pool.memory.read(p, k) == bytes([fillb]) * k
            return p
        keep = min(k, size, self.pool.block_at(q).size)
        assert self.pool.memory.read(q, keep) == bytes([fillb]) * keep
        del self.model[p]
        return self._store(q, size)

    @rule(p=consumes(blocks))
    def free(self, p):
        if p is None or p not in self.model:
            return
        k, fillb, _o = self.model.pop(p)
        assert self.pool.memory.read(p, k) == bytes([fillb]) * k
        self.pool.free(p)

    @invariant()
    def consistent(self):
        pool = getattr(self, "pool", None)
        if pool is None:
            return
        assert pool.validate()
        blocks = pool.blocks()
        assert [b.addr for b in blocks] == sorted(self.model)
        assert {b.addr: b.owner for b in blocks} == {p: o for p, (_k, _f, o) in self.model.items()}
        for a, b in zip(blocks, blocks[1:]):
            assert a.addr + a.size <= b.addr


def test_pool_state_machine():
    run_state_machine_as_test(PoolMachine, settings=settings(
        max_examples=40, stateful_step_count=40, deadline=None,
        suppress_health_check=[HealthCheck.too_slow], derandomize=True,
    ))
