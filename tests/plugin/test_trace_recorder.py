"""TraceRecorder: a pool proxy that writes what happened as a replayable golden trace."""

from __future__ import annotations

import json
import threading

import pytest

from smh_boot.errors import DoubleFree, InvalidAlignment
from smh_boot.heap import Hardening, HeapConfig, SharedMultiHeap, SharedMultiHeapRegion, SmhAttr
from smh_boot.heap.trace import parse_trace, replay
from smh_boot.testing import TraceRecorder

C, NC = SmhAttr.CACHEABLE, SmhAttr.NON_CACHEABLE


def _pool(ptr_size=4, hardening=Hardening.MODERATE, stats=False):
    rec = TraceRecorder(SharedMultiHeap(None, HeapConfig(ptr_size=ptr_size, hardening=hardening,
                                                         runtime_stats=stats)))
    rec.pool_init()
    rec.add(SharedMultiHeapRegion(C, 0x2000_0004, 0x1000))
    rec.add(SharedMultiHeapRegion(NC, 0x2010_0000, 0x2000))
    return rec


def _replayed_rets(trace: dict) -> dict[int, list | None]:
    doc = json.loads(json.dumps(trace))  # what a file round trip gives
    out = replay(parse_trace(doc))
    return {r["i"]: r.get("ret") for r in out["results"] if "ret" in r}, out


def test_ops_are_recorded_in_golden_format():
    rec = _pool()
    a = rec.alloc(C, 40)
    b = rec.aligned_alloc(NC, 64, 100)
    rec.free(a)
    t = rec.to_trace("demo", generator={"board": "x"})
    assert t["format"] == "zephyr-shared-multi-heap-golden/1"
    assert t["variant"] == {"name": "p4_nostats", "ptr_size": 4, "runtime_stats": False}
    assert t["generator"] == {"kind": "recorded", "board": "x"}
    assert t["config"]["CONFIG_SYS_HEAP_HARDENING_LEVEL"] == 2
    assert t["ops"] == [
        {"op": "init_pool"},
        {"op": "add", "attr": 0, "base_mod": 4, "size": 0x1000},
        {"op": "add", "attr": 1, "base_mod": 0, "size": 0x2000},
        {"op": "alloc", "attr": 0, "size": 40, "tag": "p1"},
        {"op": "aligned_alloc", "attr": 1, "align": 64, "size": 100, "tag": "p2"},
        {"op": "free", "tag": "p1"},
    ]
    assert t["n_ops"] == 6 and t["terminated"] is None
    assert b % 64 == 0


@pytest.mark.parametrize("ptr_size,stats", [(4, False), (8, True)])
def test_replay_of_a_recording_gives_the_same_pointers(ptr_size, stats):
    rec = _pool(ptr_size, stats=stats)
    live = []
    for i in range(60):  # a deterministic mix of every op kind
        if i % 7 == 3 and live:
            rec.free(live.pop(0))
        elif i % 5 == 4 and live:
            p = rec.realloc(C, live.pop(), 8 + 13 * i)
            if p is not None:
                live.append(p)
        elif i % 3 == 0:
            p = rec.aligned_alloc(NC if i % 2 else C, 32, 10 + i)
            if p is not None:
                live.append(p)
        else:
            p = rec.alloc(C, 1 + 9 * i)
            if p is not None:
                live.append(p)
    rec.free(None)
    rec.realloc(C, live[0], 0)  # realloc(p, 0) frees
    rets, out = _replayed_rets(rec.to_trace())
    recorded = {r["i"]: r["ret"] for r in rec.returns if "ret" in r}
    assert recorded and rets == recorded
    assert out["terminated"] is None


def test_interior_free_becomes_free_raw_and_replays():
    rec = _pool()
    a = rec.alloc(C, 64)
    rec.free(a + 3)  # MODERATE: silently frees block a (Zephyr behaviour)
    b = rec.alloc(C, 64)
    assert b == a
    op = rec.ops[-2]
    assert op == {"op": "free_raw", "region": 0, "offset": a + 3 - 0x2000_0004}
    rets, _ = _replayed_rets(rec.to_trace())
    assert rets[len(rec.ops) - 1] == [0, a - 0x2000_0004]


def test_foreign_free_outside_every_region_is_a_named_unknown_tag():
    rec = _pool(hardening=Hardening.NONE)
    with pytest.raises(Exception):
        rec.free(0x9000_0000)
    assert rec.ops[-1] == {"op": "free", "tag": "foreign_0x90000000"}


def test_failed_alloc_stores_null_and_realloc_failure_keeps_the_block():
    rec = _pool()
    assert rec.alloc(C, 1 << 20) is None
    a = rec.alloc(C, 16)
    assert rec.realloc(C, a, 1 << 20) is None  # too big: a is untouched
    rec.free(a)  # still recorded under its own tag
    assert rec.ops[-1] == {"op": "free", "tag": rec.ops[-3]["tag"]}
    assert rec.returns[3]["ret"] is None


def test_realloc_moves_the_tag():
    rec = _pool()
    a = rec.alloc(C, 16)
    b = rec.realloc(C, a, 64)
    rec.free(b)
    assert rec.ops[-2]["tag"] == "p1" and rec.ops[-2]["newtag"] == "p2"
    assert rec.ops[-1] == {"op": "free", "tag": "p2"}


def test_an_operation_that_raises_ends_the_trace_with_terminated():
    rec = _pool()
    a = rec.alloc(C, 16)
    rec.free(a)
    with pytest.raises(DoubleFree):
        rec.free(a)
    t = rec.to_trace()
    assert t["terminated"]["kind"] == "panic" and t["terminated"]["op"] == len(t["ops"]) - 1
    assert t["terminated"]["error"] == "DoubleFree"
    out = replay(parse_trace(json.loads(json.dumps(t))))
    assert out["terminated"]["kind"] == "panic" and out["terminated"]["op"] == t["terminated"]["op"]


def test_bad_alignment_is_an_assert_termination():
    rec = _pool()
    with pytest.raises(InvalidAlignment):
        rec.aligned_alloc(C, 56, 8)
    assert rec.to_trace()["terminated"]["kind"] == "assert"


def test_everything_else_is_forwarded_to_the_pool():
    rec = _pool(hardening=Hardening.STRICT)  # STRICT keeps owner tags
    a = rec.alloc(C, 32, owner="uart:rx")
    assert rec.wrapped.block_at(a) == rec.block_at(a)
    assert len(rec.heaps) == 2
    assert [b.owner for b in rec.blocks()] == ["uart:rx"]


def test_concurrent_callers_give_one_consistent_order():
    rec = _pool(ptr_size=8)
    rec.add(SharedMultiHeapRegion(C, 0x3000_0000, 0x10000))

    def worker(n):
        mine = []
        for i in range(200):
            if mine and i % 3 == 2:
                rec.free(mine.pop())
            else:
                p = rec.aligned_alloc(C, 16, 1 + (i * n) % 200)
                if p is not None:
                    mine.append(p)
        for p in mine:
            rec.free(p)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(1, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rets, out = _replayed_rets(rec.to_trace())
    assert rets == {r["i"]: r["ret"] for r in rec.returns if "ret" in r}
    assert not rec.blocks()


@pytest.mark.parametrize("ptr_size,stats", [(4, False), (4, True), (8, False), (8, True)])
def test_recorded_results_and_owners_pass_replay_check(ptr_size, stats, tmp_path, capsys):
    """A recorded trace carries the results the system produced and the owners, so
    `smh-boot replay --check` of a test's own trace passes (it used to exit 2: no results)."""
    from smh_boot.cli import main

    rec = _pool(ptr_size=ptr_size, stats=stats)
    a = rec.alloc(C, 40, owner="uart0:rx")
    b = rec.aligned_alloc(NC, 64, 100, owner="eth0:desc")
    rec.realloc(C, a, 200, owner="uart0:rx")
    rec.free(b)
    rec.alloc(NC, 1 << 20)  # NULL
    t = rec.to_trace("owned")
    assert [o.get("owner") for o in t["ops"] if o["op"] != "add"] == [None, "uart0:rx", "eth0:desc", "uart0:rx", None, None]
    res = {r["i"]: r for r in t["results"]}
    assert res[1] == {"i": 1, "rc": 0, "region": 0, "end_chunk": res[1]["end_chunk"], "big": int(ptr_size == 8),
                      "chunk0": res[1]["chunk0"], **({"stats": res[1]["stats"]} if stats else {})}
    assert res[3]["ret"] == [0, a - 0x2000_0004] and res[3]["usable"] >= 40
    assert res[7]["ret"] is None and "usable" not in res[7]
    assert ("stats" in res[3]) == stats
    assert t["final_state"] and len(t["final_state"]) == 2
    path = tmp_path / "owned.json"
    path.write_text(json.dumps(t))
    assert main(["replay", "--check", str(path)]) == 0, capsys.readouterr().out
    # A wrong recorded result is caught: the comparison is real.
    t["results"][3]["ret"] = [0, 8]
    path.write_text(json.dumps(t))
    assert main(["replay", "--check", str(path)]) == 1
