"""``smh-boot replay`` time and memory against trace length (issue 14 F4): a trace that keeps
10,000 blocks live, at three lengths, replayed as the CLI does (streamed: read a piece at a
time, each result printed as it comes), or with ``--check`` against a golden version of it
(results recorded, compared op by op).

Run on demand, not in the test suite::

    python bench/replay_scaling.py                     # 10k, 100k and 1M ops
    python bench/replay_scaling.py --check             # the same, replay --check
    python bench/replay_scaling.py --in-memory         # load_trace + replay + compare, for contrast
    python bench/replay_scaling.py --ops 10000 20000 --digests all   # the old digest cost

Each size runs in a child process (so peak RSS is its own); figures are wall and CPU
seconds, the CPU time per op and the child's peak RSS.  Linear replay means a flat us/op
column; a streamed replay's peak RSS stays flat too (the in-memory one grows with the
trace: every op and result is held).  ``--digests all`` computes the state digest after
every op, which walks every live block each time (O(ops x live blocks)).
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from smh_boot.fuzz.isolate import peak_rss_mb

FORMAT = "zephyr-shared-multi-heap-golden/1"


def make_trace(n_ops: int, live: int, seed: int = 1) -> str:
    """A trace of ``n_ops`` ops: one 8 MiB region, ``live`` allocations, then frees and
    allocations in turn so that ``live`` blocks stay allocated (one op per line)."""
    rng = random.Random(seed)
    ops = [{"op": "init_pool"}, {"op": "add", "attr": 0, "base_mod": 0, "size": 8 << 20}]
    tags = [f"t{i}" for i in range(live)]
    for t in tags:
        ops.append({"op": "alloc", "attr": 0, "size": rng.choice((16, 24, 40, 64, 100)), "tag": t})
    k = live
    while len(ops) < n_ops:
        j = rng.randrange(live)
        ops.append({"op": "free", "tag": tags[j]})
        tags[j] = f"t{k}"
        k += 1
        ops.append({"op": "alloc", "attr": 0, "size": rng.choice((16, 24, 40, 64, 100)), "tag": tags[j]})
    ops = ops[:n_ops]
    head = {"format": FORMAT, "name": f"live{live}_{n_ops}",
            "variant": {"name": "p4_nostats", "ptr_size": 4, "runtime_stats": False},
            "config": {"CONFIG_SYS_HEAP_HARDENING_LEVEL": 1}}
    body = ",\n".join(json.dumps(op) for op in ops)
    return json.dumps(head)[:-1] + ', "ops": [\n' + body + "\n]}\n"


def with_results(path: str) -> None:
    """Rewrite the trace at ``path`` as a golden file: the results (no digests) and the final
    state recorded."""
    from smh_boot.heap.trace import dumps_trace, load_trace, replay

    trace = load_trace(path)
    out = replay(trace, digests="none")
    doc = dict(trace.doc, results=out["results"], terminated=out["terminated"],
               final_state=out["final_state"])
    Path(path).write_text(dumps_trace(doc))


class _Count:
    chars = 0

    def write(self, s: str) -> int:
        self.chars += len(s)
        return len(s)


def child(path: str, digests: str, mode: str) -> None:
    """Replay ``path`` as ``smh-boot replay [--check]`` does (``mode`` "print" or "check"),
    or in memory ("memory-print", "memory-check"), and print one JSON line of figures."""
    from smh_boot.heap import trace_stream as ts
    from smh_boot.heap.trace import compare, format_results, load_trace, replay

    t0, c0 = time.perf_counter(), time.process_time()
    sink = _Count()
    if mode == "print":
        src = ts.open_trace(path)
        ts.write_results(src, sink, digests=digests)
        n = src.n_ops
    elif mode == "check":
        src = ts.open_trace(path)
        assert ts.replay_file(src, digests=digests, check=True).difference is None
        n = src.n_ops
    else:
        trace = load_trace(path)
        out = replay(trace, digests=digests)
        if mode == "memory-check":
            assert compare(trace, out) is None
        else:
            sink.write(format_results(out))
        n = len(trace.ops)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(json.dumps({"ops": n, "wall": wall, "cpu": cpu, "chars": sink.chars,
                      "peak_mb": peak_mb()}))


def peak_mb() -> float:
    """This process's peak RSS in MiB (see smh_boot.fuzz.isolate.peak_rss_mb)."""
    return peak_rss_mb()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ops", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--live", type=int, default=10_000)
    ap.add_argument("--digests", default="recorded", choices=("recorded", "all", "none"))
    ap.add_argument("--check", action="store_true", help="replay --check a golden version")
    ap.add_argument("--in-memory", action="store_true",
                    help="load_trace + replay (+ compare), as replay did before it streamed")
    ap.add_argument("--child", nargs=3, metavar=("TRACE", "DIGESTS", "MODE"), help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        child(*a.child)
        return 0
    mode = ("memory-" if a.in_memory else "") + ("check" if a.check else "print")
    print(f"mode: {mode}")
    print(f"{'ops':>9} {'live':>6} {'MB':>6} {'wall s':>8} {'CPU s':>8} {'CPU us/op':>10} {'peak RSS':>9}")
    with tempfile.TemporaryDirectory(prefix="smh-replay-bench-") as d:
        for n in a.ops:
            p = Path(d) / f"t{n}.json"
            p.write_text(make_trace(n, a.live))
            if a.check:
                with_results(str(p))
            r = subprocess.run([sys.executable, __file__, "--child", str(p), a.digests, mode],
                               capture_output=True, text=True, check=True)
            f = json.loads(r.stdout.strip().splitlines()[-1])
            print(f"{n:>9} {a.live:>6} {p.stat().st_size / 1e6:>6.1f} {f['wall']:>8.2f} "
                  f"{f['cpu']:>8.2f} {f['cpu'] / n * 1e6:>10.1f} {f['peak_mb']:>7.0f} MB", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
