"""What a Zephyr build directory saves: `smh-boot boot --build-dir B` against the same kind of
boot from a shipped board and from a Zephyr tree + board target (run on demand:
``python bench/front_door.py [--runs N]``).

Each case runs the whole command in this process (``smh_boot.cli.main``, output discarded),
so it counts resolving the input, preprocessing (a cpp child process: its CPU time is read
from ``RUSAGE_CHILDREN``), parsing, inference, validation and the boot.  Printed: median wall
time and median CPU time (this process + its children) over N runs, after one warm-up run.
Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import resource
import statistics
import time
from pathlib import Path

from smh_boot.cli import main

DATA = Path(__file__).resolve().parents[1] / "tests" / "zephyr" / "data"
CASES = {
    "shipped board stm32h747i_disco_m7": ["boot", "stm32h747i_disco_m7"],
    "build dir builds/h747_m7": ["boot", "--build-dir", "builds/h747_m7"],
    "tree target + module + overlay": [
        "boot", "stm32h747i_disco/stm32h747xx/m7", "--zephyr-base", "zephyrproject/zephyr",
        "--module", "zephyrproject/modules/hal/stm32", "--overlay", "app/app.overlay"],
}


def _cpu() -> float:
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + kids.ru_utime + kids.ru_stime


def measure(argv: list[str], runs: int) -> tuple[float, float]:
    """(median wall s, median CPU s) of ``smh-boot ARGV``."""
    walls, cpus = [], []
    for i in range(runs + 1):
        w, c = time.perf_counter(), _cpu()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            rc = main(list(argv))
        if rc != 0:
            raise SystemExit(f"{' '.join(argv)} failed with {rc}")
        if i:  # the first run warms imports and caches
            walls.append(time.perf_counter() - w)
            cpus.append(_cpu() - c)
    return statistics.median(walls), statistics.median(cpus)


def run(runs: int) -> None:
    os.chdir(DATA)
    print(f"median of {runs} runs (ms)      wall      cpu")
    for name, argv in CASES.items():
        wall, cpu = measure(argv, runs)
        print(f"{name:32s} {wall * 1e3:7.1f}  {cpu * 1e3:7.1f}")


if __name__ == "__main__":  # pragma: no cover
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=15)
    run(ap.parse_args().runs)
