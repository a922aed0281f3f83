"""``smh-boot replay`` time against trace length (issue 14 F4): a trace that keeps 10,000
blocks live, at three lengths, replayed as the CLI does (load, replay, print the results).

Run on demand, not in the test suite::

    python bench/replay_scaling.py                     # 10k, 100k and 1M ops
    python bench/replay_scaling.py --ops 10000 20000 --digests all   # the old cost, for contrast

Each size runs in a child process (so peak RSS is its own); figures are wall and CPU
seconds, the CPU time per op and the child's peak RSS.  Linear replay means a flat us/op
column.  ``--digests all`` computes the state digest after every op, which walks every
live block each time (O(ops x live blocks)): that is what ``replay`` did before.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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


def child(path: str, digests: str) -> None:
    """Replay ``path`` as ``smh-boot replay`` does and print one JSON line of figures."""
    from smh_boot.heap.trace import format_results, load_trace, replay

    t0, c0 = time.perf_counter(), time.process_time()
    trace = load_trace(path)
    out = replay(trace, digests=digests)
    text = format_results(out)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(json.dumps({"ops": len(trace.ops), "wall": wall, "cpu": cpu, "chars": len(text),
                      "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ops", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--live", type=int, default=10_000)
    ap.add_argument("--digests", default="recorded", choices=("recorded", "all", "none"))
    ap.add_argument("--child", nargs=2, metavar=("TRACE", "DIGESTS"), help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        child(*a.child)
        return 0
    print(f"{'ops':>9} {'live':>6} {'MB':>6} {'wall s':>8} {'CPU s':>8} {'CPU us/op':>10} {'peak RSS':>9}")
    with tempfile.TemporaryDirectory(prefix="smh-replay-bench-") as d:
        for n in a.ops:
            p = Path(d) / f"t{n}.json"
            p.write_text(make_trace(n, a.live))
            r = subprocess.run([sys.executable, __file__, "--child", str(p), a.digests],
                               capture_output=True, text=True, check=True)
            f = json.loads(r.stdout.strip().splitlines()[-1])
            print(f"{n:>9} {a.live:>6} {p.stat().st_size / 1e6:>6.1f} {f['wall']:>8.2f} "
                  f"{f['cpu']:>8.2f} {f['cpu'] / n * 1e6:>10.1f} {f['peak_mb']:>7.0f} MB", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
