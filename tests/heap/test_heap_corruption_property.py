"""Hypothesis drives random CPU overruns, stale-pointer writes, DMA (in bounds, overrunning,
through stale pointers) and frees against a STRICT pool, and checks (#13):

* every damage is reported (a typed HeapCorruption) before any later operation returns an
  address whose block overlaps a heap header, another live block, or lies outside the heap;
* no report is false: the heap raises only after something really damaged a header or a
  free chunk, and a DMA is refused only when it would land outside the live block it starts in;
* introspection (blocks(), damage(), validate(), block_at()) always terminates.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smh_boot.errors import HeapCorruption, SmhError
from smh_boot.heap import Hardening, HeapConfig, SharedMultiHeap, SharedMultiHeapRegion

BASE = 0x2000_0000
SIZE = 0x1000

OPS = st.sampled_from(["alloc", "alloc", "alloc", "aligned", "free", "free", "overrun", "stale_write",
                       "dma", "dma_overrun", "dma_stale"])
PATTERN = st.sampled_from(["zero", "ff", "random"])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ptr_size=st.sampled_from([4, 8]), data=st.data())
def test_every_corruption_is_reported_before_a_bad_address_comes_back(ptr_size, data):
    pool = SharedMultiHeap(None, HeapConfig(ptr_size=ptr_size, hardening=Hardening.STRICT))
    pool.pool_init()
    pool.add(SharedMultiHeapRegion(0, BASE, SIZE))
    heap = pool.heaps[0].sys_heap
    mem = pool.memory
    hb = heap.base + heap.hdr
    lo_ok, hi_ok = BASE + heap.first_block_offset, heap.base + 8 * heap.end_chunk
    live: dict[int, tuple[int, int, int]] = {}  # ptr -> (chunk start, requested bytes, span)
    freed: list[int] = []
    damaged = False  # something outside the heap's own code changed a header/free byte

    def check_new(p: int, n: int) -> None:
        chunk = heap.base + 8 * ((p - hb) >> 3)
        assert lo_ok <= p and p + n <= hi_ok, f"{p:#x}+{n} outside the heap"
        for q, (cq, nq, _s) in live.items():
            assert p + n <= cq or q + nq <= chunk, f"block {p:#x}+{n} overlaps block {q:#x} or its header"
        blk = pool.block_at(p)
        span = blk.size if blk is not None and blk.addr == p else n
        live[p] = (chunk, n, span if n <= span <= n + 64 else n)

    def inside_one_block(a: int, n: int) -> bool:
        return any(q <= a and a + n <= q + s for q, (_c, _n, s) in live.items())

    def write(a: int, payload: bytes) -> None:
        nonlocal damaged
        before = mem.read(a, len(payload))
        mem.write(a, payload)
        if before != payload and not inside_one_block(a, len(payload)):
            damaged = True

    def pattern(kind: str, n: int) -> bytes:
        if kind == "zero":
            return bytes(n)
        if kind == "ff":
            return b"\xff" * n
        return data.draw(st.binary(min_size=n, max_size=n))

    for _step in range(data.draw(st.integers(5, 80))):
        op = data.draw(OPS)
        try:
            if op == "alloc":
                n = data.draw(st.integers(1, 120))
                p = pool.alloc(0, n, owner=f"o{_step}")
                if p is not None:
                    check_new(p, n)
            elif op == "aligned":
                n = data.draw(st.integers(1, 200))
                a = data.draw(st.sampled_from([16, 32, 64, 0x28, 0x24]))
                p = pool.aligned_alloc(0, a, n, owner=f"o{_step}")
                if p is not None:
                    check_new(p, n)
            elif op == "free" and live:
                p = data.draw(st.sampled_from(sorted(live)))
                pool.free(p)
                del live[p]
                freed.append(p)
            elif op == "overrun" and live:
                p = data.draw(st.sampled_from(sorted(live)))
                extra = data.draw(st.integers(1, 24))
                n = live[p][2] + extra
                if p + n <= BASE + SIZE:
                    write(p, pattern(data.draw(PATTERN), n))
            elif op == "stale_write" and freed:
                p = data.draw(st.sampled_from(freed)) + data.draw(st.integers(0, 16))
                n = data.draw(st.integers(1, 16))
                if p + n <= BASE + SIZE:
                    write(p, pattern(data.draw(PATTERN), n))
            elif op in ("dma", "dma_overrun", "dma_stale"):
                pool_src = sorted(live) if op != "dma_stale" else freed
                if not pool_src:
                    continue
                p = data.draw(st.sampled_from(pool_src))
                if op == "dma":
                    n = data.draw(st.integers(1, live[p][1]))
                elif op == "dma_overrun":
                    n = live[p][2] + data.draw(st.integers(1, 24))
                else:
                    n = data.draw(st.integers(1, 64))
                if p + n > BASE + SIZE:
                    continue
                try:
                    pool.check_dma_write(p, n, writer="DMA channel 0 of device t")
                except HeapCorruption as e:
                    assert e.kind in ("dma-into-free", "dma-overrun") and e.writer.startswith("DMA channel 0")
                    assert not inside_one_block(p, n) or damaged, "a DMA inside a live block was refused"
                else:
                    assert inside_one_block(p, n) or damaged, f"DMA {p:#x}+{n} outside a live block let through"
                    write(p, pattern("random", n))
        except HeapCorruption as e:
            assert damaged, f"false report: {e}"
            assert e.c_outcome == "panic"
            break
        finally:
            # introspection terminates on any heap, and says only typed things
            try:
                pool.blocks()
                pool.damage()
                pool.validate()
                for q in list(live)[:4]:
                    pool.block_at(q + 1)
            except SmhError:
                pass
