"""Hypothesis drives random CPU overruns, stale-pointer writes, DMA (in bounds, overrunning,
through stale pointers, through freed-and-reused buffer handles, into blocks freed while the
transfer is in flight) and frees against a STRICT pool, and checks (#13):

* every damage is reported (a typed HeapCorruption) before any later operation returns an
  address whose block overlaps a heap header, another live block, or lies outside the heap;
* no report is false: the heap raises only after something really damaged a header or a
  free chunk, and a DMA is refused only when it would land outside the live block it starts in;
* a DMA through a buffer handle is refused (DmaUseAfterFree) exactly when the handle's block
  was freed, whether or not the pool has reused the memory, and writes nothing; freeing a
  block a transfer in flight still writes is refused at the free, and allowed once the
  transfer completed or was stopped;
* a report that names a writer names one whose write landed outside a live block (every
  write goes through the memory system, which logs it), never a write inside its block;
* introspection (blocks(), damage(), validate(), block_at()) always terminates.
"""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smh_boot.bootstage.device import Buffer
from smh_boot.errors import DmaUseAfterFree, HeapCorruption, SmhError
from smh_boot.heap import Hardening, HeapConfig, SharedMultiHeap, SharedMultiHeapRegion
from smh_boot.memory import DmaEngine, MemorySystem

BASE = 0x2000_0000
SIZE = 0x1000

OPS = st.sampled_from(["alloc", "alloc", "alloc", "aligned", "free", "free", "overrun", "stale_write",
                       "dma", "dma_overrun", "dma_stale", "dma_handle", "dma_handle", "free_in_flight"])
PATTERN = st.sampled_from(["zero", "ff", "random"])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ptr_size=st.sampled_from([4, 8]), data=st.data())
def test_every_corruption_is_reported_before_a_bad_address_comes_back(ptr_size, data):
    pool = SharedMultiHeap(None, HeapConfig(ptr_size=ptr_size, hardening=Hardening.STRICT))
    pool.pool_init()
    pool.add(SharedMultiHeapRegion(0, BASE, SIZE))
    heap = pool.heaps[0].sys_heap
    mem = pool.memory
    memsys = MemorySystem(mem)
    memsys.record_writes()
    pool.set_writer_lookup(memsys.writer_of)
    dma = DmaEngine(memsys, write_check=pool.check_dma_write, guard=pool.dma_guard)
    hb = heap.base + heap.hdr
    lo_ok, hi_ok = BASE + heap.first_block_offset, heap.base + 8 * heap.end_chunk
    live: dict[int, tuple[int, int, int]] = {}  # ptr -> (chunk start, requested bytes, span)
    freed: list[int] = []
    handles: dict[int, Buffer] = {}  # live ptr -> its buffer handle, as device.alloc makes it
    old_handles: list[Buffer] = []  # handles of freed blocks (a driver that kept them)
    culprits: set[str] = set()  # writers whose write landed outside one live block
    damaged = False  # something outside the heap's own code changed a header/free byte

    def check_new(p: int, n: int, owner: str) -> None:
        chunk = heap.base + 8 * ((p - hb) >> 3)
        assert lo_ok <= p and p + n <= hi_ok, f"{p:#x}+{n} outside the heap"
        for q, (cq, nq, _s) in live.items():
            assert p + n <= cq or q + nq <= chunk, f"block {p:#x}+{n} overlaps block {q:#x} or its header"
        blk = pool.block_at(p)
        span = blk.size if blk is not None and blk.addr == p else n
        live[p] = (chunk, n, span if n <= span <= n + 64 else n)
        h = handles[p] = Buffer(owner, p, n, "CACHEABLE", None, 0, owner)
        h._track(heap.live)

    def inside_one_block(a: int, n: int) -> bool:
        return any(q <= a and a + n <= q + s for q, (_c, _n, s) in live.items())

    def write(a: int, payload: bytes, who: str, view: str = "cpu") -> None:
        nonlocal damaged
        before = mem.read(a, len(payload))
        if view == "cpu":
            with memsys.acting_as(who):
                memsys.cpu.write(a, payload)
        else:
            memsys.dma.write(a, payload, device=who)
        if not inside_one_block(a, len(payload)):
            culprits.add(who)  # a bug even when it stores what was there already
            if before != payload:
                damaged = True

    def freed_now(p: int) -> None:
        del live[p]
        freed.append(p)
        h = handles.pop(p)
        assert h.freed, "a handle knows its block was freed through the pool"
        old_handles.append(h)

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
                owner = f"o{_step}"
                p = pool.alloc(0, n, owner=owner)
                if p is not None:
                    check_new(p, n, owner)
            elif op == "aligned":
                n = data.draw(st.integers(1, 200))
                a = data.draw(st.sampled_from([16, 32, 64, 0x28, 0x24]))
                owner = f"o{_step}"
                p = pool.aligned_alloc(0, a, n, owner=owner)
                if p is not None:
                    check_new(p, n, owner)
            elif op == "free" and live:
                p = data.draw(st.sampled_from(sorted(live)))
                pool.free(p)
                freed_now(p)
            elif op == "overrun" and live:
                p = data.draw(st.sampled_from(sorted(live)))
                extra = data.draw(st.integers(1, 24))
                n = live[p][2] + extra
                if p + n <= BASE + SIZE:
                    write(p, pattern(data.draw(PATTERN), n), f"w{_step}", data.draw(st.sampled_from(["cpu", "dma"])))
            elif op == "stale_write" and freed:
                p = data.draw(st.sampled_from(freed)) + data.draw(st.integers(0, 16))
                n = data.draw(st.integers(1, 16))
                if p + n <= BASE + SIZE:
                    write(p, pattern(data.draw(PATTERN), n), f"w{_step}")
            elif op == "dma_handle" and (handles or old_handles):
                # A driver starts a DMA through a handle it kept: live, or freed (and maybe reused).
                h = data.draw(st.sampled_from([*handles.values(), *old_handles]))
                was_freed = h in old_handles
                assert h.freed == was_freed
                n = data.draw(st.integers(1, h.size))
                before = mem.read(BASE, SIZE)
                try:
                    t = dma.start(0, device="hdev", dst=h, size=n, data=pattern("random", n))
                except DmaUseAfterFree as e:
                    assert was_freed, f"a live handle was refused: {e}"
                    assert e.kind == "dma-use-after-free" and e.block == h.addr and e.buffer == h.name
                    assert mem.read(BASE, SIZE) == before and not dma.active, "a refused DMA wrote"
                else:
                    assert not was_freed, f"DMA through freed handle {h.name} at {h.addr:#x} let through"
                    dma.complete(t)
            elif op == "free_in_flight" and live:
                # The driver frees a buffer its transfer is still writing: refused at the free.
                p = data.draw(st.sampled_from(sorted(live)))
                n = live[p][1]
                t = dma.start(1, device="fdev", dst=p, size=n, data=pattern("random", n))
                dma.advance(t, data.draw(st.integers(0, n)))
                try:
                    pool.free(p)
                except DmaUseAfterFree as e:
                    assert (e.block, e.transfer, e.channel) == (p, t.id, 1)
                else:
                    raise AssertionError(f"free of {p:#x} under transfer #{t.id} let through")
                assert pool.block_at(p) is not None and not handles[p].freed, "the refused free freed"
                (dma.complete if data.draw(st.booleans()) else dma.abort)(t)
                pool.free(p)  # the transfer is over: an ordinary free
                freed_now(p)
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
                    write(p, pattern("random", n), f"d{_step}", "dma")
        except HeapCorruption as e:
            assert damaged, f"false report: {e}"
            assert e.c_outcome == "panic"
            if e.writer is not None and e.kind not in ("dma-into-free", "dma-overrun", "dma-use-after-free"):
                who = re.match(r"(?:CPU|bus-master) write by device (\S+) at", e.writer)
                assert who and who.group(1) in culprits, f"blamed a write that damaged nothing: {e}"
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
