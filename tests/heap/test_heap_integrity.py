"""Heap integrity at STRICT (#13 items 1-3): damage is reported as a typed HeapCorruption at
the first operation that relies on the damaged header or link, naming the overrun block, its
owner and the offset; DMA writes into free memory or past a block's end are refused at the
DMA; introspection stops at the first bad header.  Below STRICT: Zephyr's behaviour, but
never a raw Python exception (#14 F8, F12)."""

from __future__ import annotations

import ast
import random
from pathlib import Path

import pytest

from smh_boot.errors import DoubleFree, HeapCorruption, InvalidArgument, InvalidFree, InvalidSize, SmhError
from smh_boot.heap import Hardening, HeapConfig, SharedMultiHeap, SharedMultiHeapRegion
from smh_boot.memory import MemorySystem
from smh_boot.memory.dma import DmaEngine

BASE = 0x3810_0000


def pool(ptr_size: int = 4, level: Hardening = Hardening.STRICT, size: int = 0x1000,
         stats: bool = False) -> SharedMultiHeap:
    p = SharedMultiHeap(None, HeapConfig(ptr_size=ptr_size, runtime_stats=stats, hardening=level))
    p.pool_init()
    p.add(SharedMultiHeapRegion(0, BASE, size))
    return p


def span(p: SharedMultiHeap, ptr: int) -> int:
    blk = p.block_at(ptr)
    assert blk is not None and blk.addr == ptr
    return blk.size


# --------------------------------------------------------------------------- item 1 / 2


@pytest.mark.parametrize("ptr_size", [4, 8])
@pytest.mark.parametrize("fill", [0xFF, 0x00, 0x5A])
def test_overrun_into_the_free_chunk_is_reported_at_the_next_alloc(ptr_size, fill):
    p = pool(ptr_size)
    buf = p.alloc(0, 32, owner="spi:rx")
    n = span(p, buf)
    p.memory.write(buf, bytes([fill]) * (n + 16))  # 16 bytes past the end, into the free chunk
    with pytest.raises(HeapCorruption) as ei:
        p.alloc(0, 32, owner="i2s:tx")
    e = ei.value
    assert (e.kind, e.block, e.owner, e.offset) == ("overrun", buf, "spi:rx", n)
    assert e.check == "free-list-unlink" and e.c_outcome == "panic"
    assert f"block {buf:#x} (owner 'spi:rx'" in str(e) and f"offset +{n} from the block start" in str(e)
    assert "ran past its end" in str(e)


@pytest.mark.parametrize("ptr_size", [4, 8])
@pytest.mark.parametrize("size", [0x1000, 0x80000])  # a small heap, and a big one (8-byte headers)
def test_a_zeroed_header_with_intact_links_is_not_handed_out(ptr_size, size):
    # Found by the DMA work: only the next free chunk's header zeroed (its links intact, so they
    # still point back at it) passed every link check, and alloc returned the chunk itself as a
    # zero-size block.  C checks chunk_size(c) >= sz for a chunk taken from a bigger bucket.
    p = pool(ptr_size, size=size)
    buf = p.alloc(0, 32, owner="drv:buf")
    hdr = p.heaps[0].sys_heap.hdr
    p.memory.write(buf + span(p, buf), bytes(hdr))
    with pytest.raises(HeapCorruption) as ei:
        p.alloc(0, 64, owner="other")
    e = ei.value
    assert (e.check, e.kind, e.block, e.owner) == ("free-list-unlink", "overrun", buf, "drv:buf")
    with pytest.raises(HeapCorruption):
        p.aligned_alloc(0, 64, 64)  # the same chunk through aligned_alloc's search


def test_a_zero_overrun_never_yields_an_address_inside_the_heap_header():
    # #13 item 2: the zeroed free chunk header used to send the next alloc to chunk 0.
    p = pool()
    buf = p.alloc(0, 32, owner="drv:buf")
    p.memory.write(buf, bytes(span(p, buf) + 8))
    with pytest.raises(HeapCorruption):
        p.alloc(0, 32)
    # introspection terminates and says where it stopped
    assert [b.addr for b in p.blocks()] == [buf]
    (where,) = p.damage()
    assert where.startswith(f"heap 0 at {BASE:#x}:")
    assert p.validate() is False


def test_an_overrun_over_a_used_neighbour_is_reported_when_the_neighbour_is_merged():
    p = pool()
    a = p.alloc(0, 32, owner="a")
    b = p.alloc(0, 32, owner="b")
    c = p.alloc(0, 32, owner="c")
    p.free(c)  # b's right neighbour is free: freeing b merges with it
    p.memory.write(b, bytes(span(p, b)) + b"\x00\x00\x00\x00" + bytes(8))  # b overruns c's header
    with pytest.raises(HeapCorruption) as ei:
        p.free(b)
    assert ei.value.block == b and ei.value.owner == "b"
    assert p.block_at(b) is not None  # the refused free leaves the block live
    assert p.block_at(a).owner == "a"


def test_damaged_free_list_links_are_caught_when_the_chunk_is_taken():
    p = pool()
    a = p.alloc(0, 64, owner="a")
    b = p.alloc(0, 64, owner="b")
    p.alloc(0, 64, owner="guard")
    p.free(a)  # a is a listed free chunk now; its links are its first data bytes
    # a write through a stale pointer hits the links only (header intact)
    p.memory.write(a, (a - BASE + 24 >> 3).to_bytes(2, "little") * 2)  # links into a itself
    with pytest.raises(HeapCorruption) as ei:
        p.alloc(0, 64)
    assert ei.value.check == "free-list-unlink"
    assert "free-list links" in str(ei.value)
    assert p.block_at(b).owner == "b"


# --------------------------------------------------------------------------- item 3: DMA


def dma_rig(level: Hardening = Hardening.STRICT):
    p = pool(level=level)
    memsys = MemorySystem(p.memory)
    return p, DmaEngine(memsys, write_check=p.check_dma_write)


def test_dma_through_a_stale_pointer_past_the_reused_block_is_refused_at_the_dma():
    p, dma = dma_rig()
    rx = p.alloc(0, 64, owner="uart:rx")
    p.free(rx)
    victim = p.alloc(0, 40, owner="app:victim")  # the pool reuses the memory
    assert victim == rx
    before = p.memory.read(BASE, 0x200)
    with pytest.raises(HeapCorruption) as ei:
        dma.start(3, device="uart@40004000", dst=rx, size=64, data=bytes([0xEE]) * 64)
    e = ei.value
    assert e.kind == "dma-overrun" and (e.block, e.owner) == (victim, "app:victim")
    assert e.offset == span(p, victim)
    assert e.writer == "DMA channel 3 of device uart@40004000 (transfer #1)"
    assert p.memory.read(BASE, 0x200) == before and p.validate()  # nothing was written
    assert 3 not in dma.active


def test_dma_into_free_heap_memory_is_refused_at_the_dma():
    p, dma = dma_rig()
    rx = p.alloc(0, 64, owner="uart:rx")
    p.alloc(0, 16, owner="keep")
    p.free(rx)
    with pytest.raises(HeapCorruption) as ei:
        dma.start(0, device="uart", dst=rx + 8, size=8, data=bytes(8))
    assert ei.value.kind == "dma-into-free" and "free heap memory" in str(ei.value)
    assert p.validate()


def test_a_buffer_freed_while_its_dma_is_in_flight_stops_the_next_write():
    p, dma = dma_rig()
    rx = p.alloc(0, 64, owner="uart:rx")
    p.alloc(0, 16, owner="keep")
    t = dma.start(1, device="uart", dst=rx, size=64, data=bytes(range(64)))
    assert dma.advance(t, 16) == 16
    p.free(rx)  # the driver's bug: the channel still writes into it
    with pytest.raises(HeapCorruption) as ei:
        dma.advance(t, 16)
    assert ei.value.kind == "dma-into-free"


def test_dma_into_a_block_of_another_owner_within_its_bounds_is_no_bug():
    # Drivers DMA into buffers their callers own.
    p, dma = dma_rig()
    buf = p.alloc(0, 64, owner="app:frame")
    t = dma.start(0, device="display", dst=buf, size=64, data=bytes([1]) * 64)
    dma.complete(t)
    assert p.memory.read(buf, 64) == bytes([1]) * 64 and p.validate()


def test_dma_over_the_heap_metadata_is_refused():
    p, dma = dma_rig()
    with pytest.raises(HeapCorruption) as ei:
        dma.start(0, device="eth", dst=BASE - 16, size=32, data=bytes(32))
    assert "metadata" in str(ei.value)


def test_below_strict_dma_is_not_checked_as_in_zephyr():
    p, dma = dma_rig(Hardening.MODERATE)
    rx = p.alloc(0, 64)
    p.free(rx)
    dma.complete(dma.start(0, device="uart", dst=rx + 8, size=8, data=bytes(8)))


# --------------------------------------------------------------------------- below STRICT (F8, F12)


@pytest.mark.parametrize("level", list(Hardening))
@pytest.mark.parametrize("ptr_size", [4, 8])
def test_damaged_heaps_give_typed_errors_at_every_level(level, ptr_size):
    rng = random.Random(f"{level}-{ptr_size}")
    for _trial in range(30):
        p = pool(ptr_size, level, size=0x800)
        live = [x for x in (p.alloc(0, rng.randint(1, 80)) for _ in range(6)) if x]
        for x in rng.sample(live, 3):
            p.free(x)
            live.remove(x)
        victim = rng.choice(live)
        n = p.heaps[0].sys_heap.usable_size(victim)
        p.memory.write(victim, bytes(rng.choice([0, 0xFF, rng.randrange(256)]) for _ in range(n + rng.randint(1, 24))))
        try:
            for _ in range(20):
                op = rng.random()
                if op < 0.5:
                    q = p.alloc(0, rng.randint(1, 100))
                    if q is not None:
                        live.append(q)
                elif live:
                    x = live.pop(rng.randrange(len(live)))
                    if op < 0.8:
                        p.free(x)
                    else:
                        q = p.realloc(0, x, rng.randint(1, 200))
                        live.append(q if q is not None else x)
                p.blocks()
                p.damage()
                p.validate()
        except SmhError:
            pass  # a typed outcome (assert/panic as Zephyr, or STRICT's report)


@pytest.mark.parametrize("level", [Hardening.MODERATE, Hardening.NONE, Hardening.BASIC])
def test_realloc_of_a_freed_block_below_strict_never_raises_a_python_error(level):
    outcomes = set()
    for size in (8, 24, 40, 41, 100, 600, 5000):
        p = pool(8, level)
        a = p.alloc(0, 40)
        p.alloc(0, 40)
        p.free(a)
        try:
            p.realloc(0, a, size)
            p.realloc(0, a, size // 2 + 1)
            outcomes.add("ok")
        except SmhError as e:
            outcomes.add(e.c_outcome)
    assert outcomes <= {"ok", "panic", "assert"}
    assert ("panic" in outcomes) == (level != Hardening.NONE)  # NONE: no check, as in C


def test_interior_free_at_none_never_raises_a_python_error():
    for off in range(0, 64, 4):
        p = pool(8, Hardening.NONE)
        a = p.alloc(0, 40)
        p.alloc(0, 40)
        try:
            p.free(a + off)
            p.alloc(0, 16)
            p.free(a)
        except SmhError:
            pass


@pytest.mark.parametrize("level", list(Hardening))
def test_bad_argument_types_and_negative_sizes_are_typed(level):
    p = pool(level=level)
    for call in (lambda: p.alloc(0, -1), lambda: p.alloc(0, 1.5),
                 lambda: p.aligned_alloc(0, 16, -8), lambda: p.realloc(0, p.alloc(0, 16), -3)):
        with pytest.raises(InvalidArgument):
            call()
    for call in (lambda: p.free(BASE + 64.5), lambda: p.free(1.5), lambda: p.realloc(0, "0x10", 8)):
        with pytest.raises(InvalidFree, match="must be an int"):
            call()
    # straight to the SysHeap (below the pool's argument check): the same family
    h = p.heaps[0].sys_heap
    with pytest.raises(InvalidSize) as ei:
        h.alloc(-1)
    assert isinstance(ei.value, ValueError) and ei.value.c_outcome == "assert"
    with pytest.raises(InvalidSize, match="must be an int"):
        h.alloc(1.5)
    with pytest.raises(InvalidFree, match="must be an int, not float"):
        h.free(BASE + 64.5)


def test_double_free_still_names_the_kind():
    p = pool()
    a = p.alloc(0, 16)
    p.free(a)
    with pytest.raises(DoubleFree):
        p.free(a)


# --------------------------------------------------------------------------- block_at (#16)


@pytest.mark.parametrize("ptr_size", [4, 8])
def test_block_at_agrees_with_a_sorted_listing(ptr_size):
    rng = random.Random(ptr_size)
    p = pool(ptr_size, size=1 << 20)
    live = []
    for i in range(3000):
        if live and rng.random() < 0.35:
            p.free(live.pop(rng.randrange(len(live))))
        elif rng.random() < 0.3:
            q = p.aligned_alloc(0, rng.choice([16, 32, 0x28, 0x24, 64]), rng.randint(1, 300), owner=i)
            live.append(q)
        else:
            live.append(p.alloc(0, rng.randint(1, 300), owner=i))
        if i % 97 == 0:  # queries between mutations exercise the stale-snapshot path
            _compare(p, rng, 50)
    _compare(p, rng, 2000)


def _compare(p: SharedMultiHeap, rng: random.Random, n: int) -> None:
    import bisect

    blocks = p.blocks()
    starts = [b.addr for b in blocks]
    for _ in range(n):
        a = rng.choice([rng.randrange(BASE, BASE + p.heaps[0].region.size),
                        rng.choice(starts) + rng.randrange(-8, 48) if starts else BASE])
        i = bisect.bisect_right(starts, a) - 1
        want = blocks[i] if i >= 0 and a < blocks[i].addr + max(blocks[i].usable, 1) else None
        assert p.block_at(a) == want, hex(a)


# --------------------------------------------------------------------------- layering


def test_no_import_circle_inside_the_heap_package():
    pkg = Path(__file__).resolve().parents[2] / "smh_boot" / "heap"
    graph: dict[str, set[str]] = {}
    for f in pkg.glob("*.py"):
        deps = set()
        for node in ast.walk(ast.parse(f.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                if node.module:
                    deps.add(node.module.split(".")[0])
                else:
                    deps.update(a.name for a in node.names)
        graph[f.stem] = deps & {g.stem for g in pkg.glob("*.py")}

    def reach(a: str, seen: set[str]) -> set[str]:
        for d in graph.get(a, ()):
            if d not in seen:
                seen.add(d)
                reach(d, seen)
        return seen

    assert [m for m in graph if m in reach(m, set())] == []


# --------------------------------------------------------------------------- through boot


def _boot_with(tmp_path, cls):
    from smh_boot.bootstage import DriverRegistry, boot
    from smh_boot.resources import dts_dir

    smh = dts_dir() / "overlays" / "upstream" / "shared_multi_heap" / "mps2_an521.overlay"
    ov = tmp_path / "drv.overlay"
    ov.write_text('/ {\n\tbuggy: buggy {\n\t\tcompatible = "smh-test,buggy";\n\t};\n};\n')
    reg = DriverRegistry()
    reg.register(cls)
    system = boot("mps2_an521", overlays=[smh, ov], drivers=reg)
    return system, system.device("buggy")


def _driver(mistake):
    from smh_boot.bootstage import Driver
    from smh_boot.heap import SmhAttr

    class Buggy(Driver):
        compatibles = ("smh-test,buggy",)

        def init(self, device):
            buf = device.alloc(SmhAttr.CACHEABLE, 32, name="rx")
            device.log(f"rx at {buf.addr:#x}")
            mistake(device, buf, SmhAttr)

    return Buggy


@pytest.mark.parametrize("fill", [0x00, 0xFF])
def test_a_driver_overrun_at_boot_fails_the_device_and_introspection_terminates(tmp_path, fill):
    from smh_boot.bootstage.boot_report import boot_report

    def overrun(device, buf, attr):
        n = device.pool.block_at(buf.addr).size
        device.cpu.write(buf.addr, bytes([fill]) * (n + 8))
        device.alloc(attr.CACHEABLE, 32, name="tx")

    system, dev = _boot_with(tmp_path, _driver(overrun))
    assert not dev.ready
    assert dev.init_error.startswith("HeapCorruption: heap corruption (buffer overflow?) during alloc")
    assert "owner 'buggy:rx'" in dev.init_error and "ran past its end" in dev.init_error
    report = boot_report(system)  # terminates, no RecursionError
    assert [a["owner"] for a in report["allocations"] if a["owner"] and a["owner"].startswith("buggy")] == ["buggy:rx"]
    assert system.pool.damage()


def test_a_driver_dma_through_a_stale_pointer_is_reported_at_the_dma(tmp_path):
    def stale(device, buf, attr):
        device.free(buf)
        device.pool.alloc(attr.CACHEABLE, 16, owner="app:victim")
        device.dma.start(0, device=device.name, dst=buf.addr, size=48, data=bytes(48))

    system, dev = _boot_with(tmp_path, _driver(stale))
    assert not dev.ready
    assert dev.init_error.startswith("HeapCorruption: DMA write refused: DMA channel 0 of device buggy")
    assert "owner 'app:victim'" in dev.init_error and "past the end of block" in dev.init_error
    assert system.pool.validate()


@pytest.mark.parametrize("ptr_size", [4, 8])
def test_the_guard_reports_nothing_when_nobody_writes_freed_memory(ptr_size):
    # The heap's own header and free-list writes land in quarantined blocks too (a free
    # chunk can start inside one after a split): they must not look like a use after free.
    from smh_boot.fuzz.guard import HeapGuard

    p = SharedMultiHeap(None, HeapConfig(ptr_size=ptr_size))
    p.pool_init()
    p.add(SharedMultiHeapRegion(0, 0x1000_0000, 1 << 16))
    p.add(SharedMultiHeapRegion(0, 0x1010_0000, 1 << 15))
    g = HeapGuard(p, quarantine=32)
    rng = random.Random(ptr_size)
    live: list[int] = []
    for _ in range(1500):
        r = rng.random()
        if r < 0.4 or not live:
            q = (g.alloc(0, rng.randint(1, 600)) if rng.random() < 0.7
                 else g.aligned_alloc(0, rng.choice([16, 64, 0x28]), rng.randint(1, 600)))
            if q:
                live.append(q)
        elif r < 0.8:
            g.free(live.pop(rng.randrange(len(live))))
        else:
            k = rng.randrange(len(live))
            q = g.realloc(0, live[k], rng.randint(1, 900))
            if q:
                live[k] = q
    assert g.reports == []


def test_generated_traces_replay_at_every_level_without_a_python_error(tmp_path):
    # #14 F8: below STRICT the outcome is Zephyr's (assert/panic as replay models it).
    from dataclasses import replace

    from smh_boot.fuzz.trace_gen import generate_trace, trace_text
    from smh_boot.heap import trace as T

    rng = random.Random(14)
    path = tmp_path / "t.json"
    for _ in range(150):
        path.write_text(trace_text(generate_trace(rng, max_ops=60)))
        try:
            tr = T.load_trace(path)
        except SmhError:
            continue
        for level in Hardening:
            try:
                T.replay(tr, replace(T.config_for(tr), hardening=level))
            except SmhError:
                pass
