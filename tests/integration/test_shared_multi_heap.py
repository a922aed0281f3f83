"""Port of Zephyr's tests/kernel/mem_heap/shared_multi_heap, written with the plugin.

Zephyr runs it on mps2_an521 and qemu_cortex_a53 with a board overlay that carves RES0
(cacheable, 4 KiB), RES1 (non-cacheable, 8 KiB) and RES2 (cacheable, 12 KiB) out of RAM.  Here
the same overlays (dts/overlays/upstream/shared_multi_heap/) are applied to the same boards and
the boot stage does what the test's suite set-up does: ``shared_multi_heap_pool_init()`` and
one ``shared_multi_heap_add()`` per region with an attribute.  The expected addresses are the
ones Zephyr's heap gives (spec section 7.5).
"""

from __future__ import annotations

import threading

import pytest

from smh_boot.errors import PoolAlreadyInitialised
from smh_boot.heap import SmhAttr
from smh_boot.resources import dts_dir

UPSTREAM = dts_dir() / "overlays" / "upstream" / "shared_multi_heap"
C, NC = SmhAttr.CACHEABLE, SmhAttr.NON_CACHEABLE
MAX_SHARED_MULTI_HEAP_ATTR = 3

pytestmark = pytest.mark.smh_board("mps2_an521", "qemu_cortex_a53")

#: spec 7.5: alloc(C,0x40), alloc(C,0x80), alloc(C,0x1200), alloc(NC,0x100) twice
EXPECTED = {
    "mps2_an521": [0x3810003C, 0x38100084, 0x38300044, 0x3820003C, 0x38200144],
    "qemu_cortex_a53": [0x42000040, 0x42000088, 0x44000048, 0x43000040, 0x43000148],
}


@pytest.fixture
def system(smh_board, smh_boot_factory):
    """The board booted with Zephyr's overlay for this test."""
    return smh_boot_factory(smh_board, overlays=[UPSTREAM / f"{smh_board.name}.overlay"])


def test_regions_are_added_in_devicetree_order(system):
    heaps = [(r.name, r.attr) for r in system.regions if r.heap_index is not None]
    assert heaps == [("RES0", "CACHEABLE"), ("RES1", "NON_CACHEABLE"), ("RES2", "CACHEABLE")]
    # SSRAM2_3 / RES_NO_MPU carry no zephyr,memory-attr: the test's fill_multi_heap skips them
    assert all(r.heap_index is None for r in system.regions if r.name in ("SSRAM2_3", "RES_NO_MPU"))


def test_shared_multi_heap(system, smh_board):
    pool = system.pool
    with pytest.raises(PoolAlreadyInitialised) as e:  # 1: -EALREADY
        pool.pool_init()
    assert e.value.errno_name == "EALREADY"

    got = [pool.alloc(C, 0x40), pool.alloc(C, 0x80), pool.alloc(C, 0x1200),
           pool.alloc(NC, 0x100), pool.alloc(NC, 0x100)]
    assert got == EXPECTED[smh_board.name]
    assert [system.region_name_at(p) for p in got] == ["RES0", "RES0", "RES2", "RES1", "RES1"]

    assert pool.alloc(NC, 0x10000) is None  # 7: bigger than every non-cacheable heap
    assert pool.alloc(NC, 0) is None  # 8
    assert pool.alloc(MAX_SHARED_MULTI_HEAP_ATTR, 0x100) is None  # 9: invalid attribute
    assert largest_cacheable_block(pool) == 0x1D80  # what RES2 has left (spec 7.5)


# --------------------------------------------------------------------------- concurrent test

STRESS_THREADS = 4
STRESS_SLOTS = 4
STRESS_MAX_SIZE = 256
STRESS_ITERATIONS = 20000


def largest_cacheable_block(pool) -> int:
    """Upstream's probe: the largest 0x40-multiple CACHEABLE block that can be allocated."""
    for size in range(0x4000, 0, -0x40):
        p = pool.alloc(C, size)
        if p is not None:
            pool.free(p)
            return size
    return 0


def _worker(pool, memory, pattern: int, errors: list[str]) -> None:
    state = pattern  # per-thread LCG, seeded with the pattern as upstream does
    slots: list[tuple[int, int] | None] = [None] * STRESS_SLOTS

    def rand() -> int:
        nonlocal state
        state = (state * 1103515245 + 12345) & 0xFFFFFFFF
        return state >> 16

    def verify(addr: int, size: int) -> None:
        if memory.read(addr, size) != bytes([pattern]) * size:
            errors.append(f"thread {pattern}: block {addr:#x}+{size} was overwritten")

    for _ in range(STRESS_ITERATIONS):
        slot = rand() % STRESS_SLOTS
        size = 1 + rand() % STRESS_MAX_SIZE
        if slots[slot] is not None:
            addr, old = slots[slot]
            verify(addr, old)
            if rand() % 4 == 0:
                p = pool.realloc(C, addr, size)
                if p is not None:
                    slots[slot] = (p, size)
                    memory.fill(p, pattern, size)
            else:
                pool.free(addr)
                slots[slot] = None
        else:
            p = pool.aligned_alloc(C, 16, size)
            if p is not None:
                slots[slot] = (p, size)
                memory.fill(p, pattern, size)
    for s in slots:
        if s is not None:
            verify(*s)
            pool.free(s[0])


def test_shared_multi_heap_concurrent(system):
    pool = system.pool
    before = largest_cacheable_block(pool)
    assert before
    errors: list[str] = []
    # The blocks' contents are checked in emulated memory directly: there is no DMA here, so
    # the cache model has nothing to add and would only slow the test down.
    threads = [threading.Thread(target=_worker, args=(pool, system.memory, p, errors))
               for p in range(1, STRESS_THREADS + 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert largest_cacheable_block(pool) == before  # the pool is whole again
    assert all(h.sys_heap.validate() for h in pool.heaps)
