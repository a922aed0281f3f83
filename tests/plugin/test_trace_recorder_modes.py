"""A recorded trace replays under the heap configuration it was recorded with, heap mode included."""

import dataclasses

import smh_boot
from smh_boot.board import load_board
from smh_boot.heap import HeapConfig
from smh_boot.heap.trace import config_for, parse_trace, replay
from smh_boot.testing.trace_recorder import TraceRecorder


def test_big_heap_mode_round_trip():
    b = load_board("mps2_an521")
    b = dataclasses.replace(b, heap=dataclasses.replace(b.heap, heap_mode="big"))
    recorders = []

    def hook(pool):
        recorders.append(TraceRecorder(pool))
        return recorders[0]

    system = smh_boot.boot(b, overlays=["dts/overlays/upstream/shared_multi_heap/mps2_an521.overlay"],
                           drivers=False, pool_hook=hook)
    p = system.pool.alloc(0, 0x40)
    q = system.pool.alloc(1, 0x100)
    base0 = system.pool.heaps[0].region.addr
    doc = recorders[0].to_trace()
    trace = parse_trace(doc)
    assert config_for(trace).heap_mode == "big"
    assert config_for(trace) == HeapConfig(ptr_size=4, heap_mode="big",
                                           hardening=system.pool.config.hardening)
    rets = [r["ret"] for r in replay(trace)["results"] if "ret" in r]
    assert rets[0] == [0, p - base0]  # big heap: 8-byte headers, so a different offset than auto
    assert p - base0 == 0x40 and q is not None
