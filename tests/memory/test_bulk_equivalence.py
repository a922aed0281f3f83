"""The bulk path (smh_boot/memory/bulk.py) against the line-by-line reference path: the same
random programs of CPU accesses (partial lines, runs longer than the cache), maintenance,
DMA transfers in both directions, evictions and prefetches, with and without stress, give the
same bytes to the CPU and the devices, the same memory, the same cache contents in the same
LRU order, the same counters and the same findings (kind, device, buffer, line, state,
message: everything but the event history, which the bulk path records as range events)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from memrig import SRAM, heap_lookup

from smh_boot.memory import (
    AddressSpace,
    AllocationInfo,
    CoherencyChecker,
    CoherencyKind,
    DataCache,
    DmaEngine,
    MemorySystem,
    StressConfig,
)

SPAN = 0x6000  #: programs touch [SRAM, SRAM + SPAN): 768 lines, twelve times the cache
HEAP = heap_lookup(
    AllocationInfo(SRAM + 0x1000, 40, "sram", "a"),
    AllocationInfo(SRAM + 0x1028, 24, "sram", "b"),
    AllocationInfo(SRAM + 0x2000, 0x1800, "sram", "fb"),
)


def build(bulk: bool, seed: int | None, dirty_bytes_only: bool):
    memory = AddressSpace(32)
    memory.map(SRAM, 0x10000, "sram")
    memsys = MemorySystem(
        memory, DataCache(32, 2048, 2, dirty_bytes_only=dirty_bytes_only),
        cacheable=[(SRAM, 0x10000)], owner_lookup=HEAP,
        stress=StressConfig(seed) if seed is not None else None,
        checker=CoherencyChecker(raise_errors=False),
    )
    memsys.bulk_min_lines = 1 if bulk else None
    return memsys, DmaEngine(memsys, channels=3)


addr = st.integers(0, SPAN - 1).map(lambda o: SRAM + o)
size = st.one_of(st.integers(1, 80), st.integers(1, 0x2400))
op = st.one_of(
    st.tuples(st.just("write"), addr, size, st.integers(0, 255)),
    st.tuples(st.just("write"), addr, st.sampled_from([1, 2, 4]), st.integers(0, 255)),
    st.tuples(st.just("read"), addr, size),
    st.tuples(st.sampled_from(["flush", "invd", "flush+invd"]), addr, size),
    st.tuples(st.sampled_from(["flush all", "invd all", "flush+invd all"])),
    st.tuples(st.sampled_from(["evict", "prefetch"]), addr),
    st.tuples(st.sampled_from(["tx", "rx", "m2m"]), addr, size, addr),
    st.tuples(st.just("advance"), st.integers(0, 2), st.integers(1, 0x1000)),
    st.tuples(st.sampled_from(["complete", "abort"]), st.integers(0, 2)),
    st.tuples(st.just("bus write"), addr, st.integers(1, 300)),
)


def clip(a: int, n: int) -> int:
    return max(1, min(n, SRAM + SPAN - a))


def step(memsys: MemorySystem, dma: DmaEngine, o: tuple) -> object:
    kind = o[0]
    if kind == "write":
        _, a, n, v = o
        n = clip(a, n)
        payload = bytes((v + i) & 0xFF for i in range(n))
        # The reference run passes a bytearray: it also bypasses the one-line shortcut for bytes.
        memsys.cpu.write(a, payload if memsys.bulk_min_lines else bytearray(payload))
    elif kind == "read":
        return memsys.cpu.read(o[1], clip(o[1], o[2]))
    elif kind in ("flush", "invd", "flush+invd"):
        fn = {"flush": memsys.sys_cache_data_flush_range, "invd": memsys.sys_cache_data_invd_range,
              "flush+invd": memsys.sys_cache_data_flush_and_invd_range}[kind]
        return fn(o[1], clip(o[1], o[2]))
    elif kind.endswith(" all"):
        return {"flush all": memsys.sys_cache_data_flush_all, "invd all": memsys.sys_cache_data_invd_all,
                "flush+invd all": memsys.sys_cache_data_flush_and_invd_all}[kind]()
    elif kind == "evict":
        return memsys.evict_line(o[1])
    elif kind == "prefetch":
        return memsys.prefetch_line(o[1])
    elif kind in ("tx", "rx", "m2m"):
        free = [c for c in range(dma.channels) if c not in dma.active]
        if not free:
            return None
        _, a, n, b = o
        n = clip(max(a, b), n)
        if kind == "tx":
            t = dma.start(free[0], device="tx-dev", src=a, size=n)
        elif kind == "rx":
            t = dma.start(free[0], device="rx-dev", dst=a, size=n, data=bytes((i * 3) & 0xFF for i in range(n)))
        else:
            t = dma.start(free[0], device="m2m-dev", src=a, dst=b, size=n)
        return t.id
    elif kind == "advance":
        t = dma.active.get(o[1])
        return None if t is None else dma.advance(t, o[2])
    elif kind in ("complete", "abort"):
        t = dma.active.get(o[1])
        if t is None:
            return None
        (dma.complete if kind == "complete" else dma.abort)(t)
        return t.result
    elif kind == "bus write":
        memsys.dma.write(o[1], bytes(clip(o[1], o[2])), device="mac")
    return None


def state(memsys: MemorySystem) -> tuple:
    cache = memsys.cache
    lines = tuple(
        tuple((ln.addr, bytes(ln.data), ln.dirty, ln.device) for ln in s.values()) for s in cache._sets
    )
    reports = tuple(
        (r.kind, r.device, r.actor, r.transfer, r.buffer, r.line_addr, r.line_state, r.message, r.victim)
        for r in memsys.checker.reports
    )
    return memsys.memory.read(SRAM, 0x10000), lines, cache.stats.as_dict(), reports


def run(program, seed, dirty_bytes_only, bulk):
    memsys, dma = build(bulk, seed, dirty_bytes_only)
    out = []
    for o in program:
        try:
            out.append(step(memsys, dma, o))
        except Exception as e:  # noqa: BLE001 - compared between the two paths
            out.append((type(e).__name__, str(e)))
        out.append(state(memsys))
    return out, memsys


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(op, min_size=1, max_size=25), st.one_of(st.none(), st.integers(0, 1000)), st.booleans())
def test_bulk_path_gives_the_reference_results(program, seed, dirty_bytes_only):
    ref, _ = run(program, seed, dirty_bytes_only, bulk=False)
    got, memsys = run(program, seed, dirty_bytes_only, bulk=True)
    for i, (a, b) in enumerate(zip(ref, got)):
        assert a == b, f"diverged after step {i // 2}: {program[i // 2]}"


def test_the_bulk_path_is_taken_and_records_one_range_event():
    """Not a vacuous comparison: a long write really takes the bulk path (one range event)."""
    memsys, _ = build(True, None, False)
    memsys.cpu.write(SRAM, bytes(range(256)) * 24)  # 6 KiB: 192 lines, three times the cache
    log = memsys.checker.log
    assert log.seq == 1 and not log.lines()
    assert memsys.cache.stats.misses == 192 and memsys.cache.stats.writebacks == 128


def test_every_finding_kind_is_produced_by_the_programs_strategy():
    """The generated programs can reach every kind the bulk path must leave alone (the others,
    UNPADDED_DMA_BUFFER and CACHEABLE_BUFFER_FOR_DMA, need no bulk path: they are checked at
    ``start``, before any data moves)."""
    reach = {
        CoherencyKind.STALE_TX_DATA: [("write", SRAM, 100, 1), ("tx", SRAM, 100, SRAM)],
        CoherencyKind.STALE_RX_DATA: [("rx", SRAM, 3000, SRAM), ("complete", 0), ("read", SRAM, 3000)],
        CoherencyKind.INVALIDATE_BEFORE_COMPLETION: [
            ("rx", SRAM, 3000, SRAM), ("invd", SRAM, 3000), ("read", SRAM, 3000), ("complete", 0),
            ("read", SRAM, 3000)],
        CoherencyKind.DIRTY_EVICTION_DURING_DMA: [("rx", SRAM, 3000, SRAM), ("write", SRAM, 3000, 1)],
        CoherencyKind.TX_BUFFER_WRITTEN_DURING_DMA: [("tx", SRAM, 3000, SRAM), ("write", SRAM, 3000, 1)],
        CoherencyKind.PARTIAL_LINE_INVALIDATE: [("write", SRAM, 3000, 1), ("invd", SRAM + 8, 3000)],
        CoherencyKind.INVALIDATE_DISCARDED_DIRTY: [("write", SRAM, 3000, 1), ("invd", SRAM, 3000)],
        CoherencyKind.UNPADDED_DMA_BUFFER: [("rx", SRAM + 0x1000, 40, SRAM)],
    }
    for kind, program in reach.items():
        for bulk in (False, True):
            ref, memsys = run(program, None, False, bulk)
            assert memsys.checker.kinds()[:1] == [kind], (kind, bulk, memsys.checker.kinds())
        assert run(program, None, False, False)[0] == run(program, None, False, True)[0]
