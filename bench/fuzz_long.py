"""Long fuzzing run (issue 9): many generated inputs through every public entry point, with
figures.  Run on demand, not in the test suite::

    python bench/fuzz_long.py                      # 100,000 devicetrees, 10,000 traces, ...
    python bench/fuzz_long.py --dts 2000 --traces 500 --boards 200 --boots 50 --cli 50
    python bench/fuzz_long.py --jobs 2 --json figures.json

Inputs are numbered: input N of a kind is ``random.Random(N)`` fed to that kind's generator,
so any failure printed here is reproduced by re-running its seed (``--replay KIND:SEED``).
Each worker process runs under a memory cap (``--memory-mb``) so a blow-up shows as a
MemoryError crash instead of taking the machine down, and every input has a time limit.
The same property as the tests: every input works or ends in one located SmhError.
"""

from __future__ import annotations

import argparse
import collections
import json
import multiprocessing as mp
import random
import resource
import signal
import sys
import tempfile
import time
from pathlib import Path

from smh_boot.fuzz import generate_board, generate_devicetree, generate_trace, mutate, trace_text
from smh_boot.fuzz.harness import (
    Outcome,
    run_artifacts,
    run_board,
    run_cli,
    run_devicetree,
    run_trace,
)
from smh_boot.fuzz.hostile import artifact_ids, hostile_board_text, hostile_trace_text

KINDS = ("dts", "trace", "board", "boot", "cli", "artifact")

#: Share of devicetrees, traces and boards that also get a hostile family (issue 14).
HOSTILE = 0.1


def one(kind: str, seed: int, timeout: float) -> Outcome:
    """Generate input ``seed`` of ``kind`` and run it."""
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="smh-fuzz-long-") as d:
        folder = Path(d)
        if kind == "dts":
            return run_devicetree(generate_devicetree(rng, hostile=HOSTILE), folder, timeout=timeout)
        if kind == "artifact":
            return run_artifacts(artifact_ids(rng), folder, plant_symlink=rng.random() < 0.5,
                                 timeout=timeout)
        if kind == "trace":
            doc = generate_trace(rng)
            text = trace_text(doc)
            if rng.random() < 0.4:
                text = mutate(rng, text, rng.randint(1, 3))
            if rng.random() < HOSTILE / 2:
                text = hostile_trace_text(rng, text)
            p = folder / "t.json"
            p.write_text(text, encoding="utf-8", errors="surrogateescape")
            return run_trace(p, timeout=timeout)
        # board / boot / cli: a generated devicetree (mostly clean) under a generated board
        clean = None if kind == "board" else rng.random() < 0.8  # boots mostly reach the devices
        case = generate_devicetree(rng, mutations=kind == "board", clean=clean)
        case.write(folder)
        yaml_text = generate_board(rng, case.dts, case.overlays, clean=clean)
        if kind == "board" and rng.random() < 0.4:
            yaml_text = mutate(rng, yaml_text, rng.randint(1, 3))
        if rng.random() < HOSTILE / 2:
            yaml_text = hostile_board_text(rng, yaml_text)
        y = folder / "board.yaml"
        y.write_text(yaml_text, encoding="utf-8", errors="surrogateescape")
        if kind == "board":
            return run_board(y, timeout=timeout)
        if kind == "boot":
            return run_board(y, boot=True, strict=rng.random() < 0.5, seed=seed, timeout=timeout)
        args = rng.choice((
            ["validate", str(folder / case.dts), "--arch", "arm"],
            ["regions", str(folder / case.dts)],
            ["boot", str(y), "--json"],
            ["boot", str(y), "--no-strict", "--stress", "--seed", str(seed)],
            ["map", str(y), "--format", "text"],
        ))
        return run_cli(args, timeout=timeout)[0]


def _init(memory_mb: int) -> None:
    cap = memory_mb << 20
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def _stop(*_: object) -> None:
    raise KeyboardInterrupt


def _task(job: tuple[str, int, float]) -> tuple[str, int, Outcome, float]:
    kind, seed, timeout = job
    out = one(kind, seed, timeout)
    return kind, seed, out, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dts", type=int, default=100_000)
    ap.add_argument("--traces", type=int, default=10_000)
    ap.add_argument("--boards", type=int, default=5_000)
    ap.add_argument("--boots", type=int, default=1_000)
    ap.add_argument("--cli", type=int, default=1_000)
    ap.add_argument("--artifacts", type=int, default=2_000)
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=1)
    # Issue 14's bound: no input may take over 30 s or 1 GiB (a worker's address space is
    # capped, so a blow-up is a MemoryError crash; cpp inherits the cap).
    ap.add_argument("--timeout", type=float, default=30.0, help="seconds per input")
    ap.add_argument("--memory-mb", type=int, default=1024)
    ap.add_argument("--json", help="write the figures here")
    ap.add_argument("--replay", help="KIND:SEED - run one input and print its outcome")
    a = ap.parse_args(argv)
    if a.replay:
        kind, seed = a.replay.split(":")
        out = one(kind, int(seed), a.timeout)
        print(out.describe())
        return 1 if out.failed else 0
    counts = {"dts": a.dts, "trace": a.traces, "board": a.boards, "boot": a.boots, "cli": a.cli,
              "artifact": a.artifacts}
    jobs = [(k, a.first_seed + i, a.timeout) for k in KINDS for i in range(counts[k])]
    random.Random(0).shuffle(jobs)  # mix slow and fast kinds across the workers
    tally = {k: collections.Counter() for k in KINDS}
    sigs: dict[str, list] = {}
    slowest = {k: (0.0, -1) for k in KINDS}
    t0, c0 = time.time(), time.process_time()
    peak_mb = 0.0
    stopped = ""
    pool = mp.Pool(a.jobs, initializer=_init, initargs=(a.memory_mb,))
    # SIGTERM (and ^C) end the run early with the figures so far, instead of losing them.
    signal.signal(signal.SIGTERM, _stop)
    try:
        for n, (kind, seed, out, rss) in enumerate(pool.imap_unordered(_task, jobs, chunksize=16), 1):
            peak_mb = max(peak_mb, rss)
            tally[kind][out.kind] += 1
            if out.seconds > slowest[kind][0]:
                slowest[kind] = (out.seconds, seed)
            if out.failed:
                entry = sigs.setdefault(out.signature(), [0, kind, seed, out.describe()[:3000]])
                entry[0] += 1
                if entry[0] == 1:
                    print(f"  new failure: {out.signature()} (--replay {kind}:{seed})", flush=True)
            if n % 5000 == 0:
                print(f"  {n}/{len(jobs)} inputs, {time.time() - t0:.0f} s, "
                      f"{sum(v[0] for v in sigs.values())} failure(s), "
                      + ", ".join(f"{k} {sum(tally[k].values())}" for k in KINDS), flush=True)
    except KeyboardInterrupt:
        stopped = " (STOPPED EARLY)"
    finally:
        pool.terminate()
        pool.join()
    elapsed = time.time() - t0
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = time.process_time() - c0 + children.ru_utime + children.ru_stime
    total = sum(sum(c.values()) for c in tally.values())
    failures = sum(v[0] for v in sigs.values())
    print(f"\n{total} inputs{stopped} in {elapsed:.0f} s wall, {cpu:.0f} s CPU ({a.jobs} workers), "
          f"{failures} failure(s), {len(sigs)} distinct; largest worker {peak_mb:.0f} MiB RSS "
          f"(cap {a.memory_mb} MiB)")
    for k in KINDS:
        c = tally[k]
        print(f"  {k:6} {sum(c.values()):7} inputs: " + ", ".join(f"{n} {v}" for n, v in sorted(c.items()))
              + f"; slowest {slowest[k][0]:.2f} s (seed {slowest[k][1]})")
    for sig, (n, kind, seed, text) in sorted(sigs.items(), key=lambda kv: -kv[1][0]):
        print(f"\n[{n}x] {sig}\n  first: --replay {kind}:{seed}\n  " + text[:1500].replace("\n", "\n  "))
    if a.json:
        Path(a.json).write_text(json.dumps({
            "inputs": {k: dict(tally[k]) for k in KINDS}, "stopped_early": bool(stopped), "seconds": elapsed, "cpu_seconds": cpu,
            "peak_mb": peak_mb, "slowest": {k: list(v) for k, v in slowest.items()}, "failures": failures,
            "signatures": {s: {"count": v[0], "kind": v[1], "seed": v[2]} for s, v in sigs.items()},
        }, indent=1))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
