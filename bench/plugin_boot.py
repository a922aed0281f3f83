"""The pytest plugin's warm per-test boot (issue #16 target: <= 2 ms), and how fast the
preprocessor wait notices cpp's exit.

    python bench/plugin_boot.py [--runs N] [--boards a,b]

A warm boot is what every test after the first pays: the board from the plugin's board cache,
the devicetree from its content-keyed cache, then boot() with an allocation-trace recorder, as
the ``smh_system`` fixture does.  CPU time (time.process_time) is printed beside wall time: on
a shared machine the wall clock measures the neighbours.
"""

from __future__ import annotations

import argparse
import inspect
import statistics
import subprocess
import time
from pathlib import Path

import smh_boot.drivers.shipped  # noqa: F401 - the shipped drivers, as the entry point loads them
from smh_boot.bootstage import boot
from smh_boot.devicetree import preprocess as pp
from smh_boot.pytest_plugin import SmhSettings
from smh_boot.testing.trace_recorder import TraceRecorder


def warm_boot(board: str, runs: int) -> tuple[float, float]:
    s = SmhSettings(requested_boards=[], explicit_boards=False, seed=0, explicit_seed=False,
                    stress=False, overlays=[], artifacts=Path("smh-artifacts"))

    load = getattr(s, "load_board", None) or __import__("smh_boot.board").board.load_board

    def one():  # what the smh_system fixture does
        return boot(load(board), pool_hook=TraceRecorder, **s.boot_kwargs())

    one()  # cold: cpp, parse, validation
    best = None
    for _ in range(3):
        w, c = time.perf_counter(), time.process_time()
        for _ in range(runs):
            one()
        r = ((time.perf_counter() - w) / runs, (time.process_time() - c) / runs)
        best = r if best is None or r[1] < best[1] else best
    return best


def wait_latency(runs: int) -> tuple[float, float]:
    """Median wall time of a 12 ms child through a blocking wait and through the cpp wait."""
    def median(waiter):
        ts = []
        for _ in range(runs):
            t = time.perf_counter()
            p = subprocess.Popen(["sleep", "0.012"], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, start_new_session=True)
            waiter(p)
            ts.append(time.perf_counter() - t)
        return statistics.median(ts)

    extra = [30.0] if "limit" in inspect.signature(pp._wait_bounded).parameters else []
    return (median(lambda p: (p.wait(), p.stderr.read())),
            median(lambda p: pp._wait_bounded(p, "/nonexistent", *extra)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--boards", default="stm32h747i_disco_m7,mimxrt1170_evk,esp32s3_devkitc,qemu_cortex_m3")
    a = ap.parse_args()
    print(f"{'board':24} {'warm boot CPU':>14} {'wall':>10}")
    for b in a.boards.split(","):
        w, c = warm_boot(b, a.runs)
        print(f"{b:24} {c * 1e3:11.2f} ms {w * 1e3:7.2f} ms")
    blocking, ours = wait_latency(max(10, a.runs // 2))
    print(f"12 ms child: blocking wait {blocking * 1e3:.2f} ms, cpp wait {ours * 1e3:.2f} ms (wall, median)")


if __name__ == "__main__":
    main()
