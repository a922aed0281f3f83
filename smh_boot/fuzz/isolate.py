"""Run one input in a child process with a memory cap and a wall-clock limit.

Resource-limit inputs (a 50 MB source, 100,000 nodes, deep nesting) can take the whole
machine down when something is wrong; the child runs under ``RLIMIT_AS`` so a blow-up ends
as a ``MemoryError`` (reported as a crash) instead, and is killed when it overruns its time.
The child prints one JSON line: the :class:`~.harness.Outcome` and its peak RSS.

Child entry point: ``python -m smh_boot.fuzz.isolate KIND PATH [OVERLAY...]`` where KIND is
``devicetree`` (PATH a .dts, scanned for ``arm``), ``board`` (PATH a board YAML, booted) or
``trace`` (PATH a trace file).
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

from .harness import Outcome


def run_isolated(kind: str, path: str | Path, *extra: str | Path, timeout: float = 60.0,
                 memory_mb: int = 2048) -> tuple[Outcome, float]:
    """Run ``kind`` on ``path`` in a child; returns (outcome, peak RSS in MiB).

    A child killed for overrunning ``timeout`` gives a ``"hang"`` outcome; one that dies
    without a report (a signal, the OOM killer) gives a ``"crash"``."""
    cmd = [sys.executable, "-m", "smh_boot.fuzz.isolate", kind, str(path), *map(str, extra)]
    env = dict(os.environ, SMH_FUZZ_MEMORY_MB=str(memory_mb))
    # A session of its own: on timeout the whole group goes, including a cpp the child started.
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return Outcome("hang", kind, "TimeoutExpired", f"still running after {timeout} s"), 0.0
    lines = [ln for ln in stdout.splitlines() if ln.startswith("{")]
    if not lines:
        return Outcome("crash", kind, f"exit {proc.returncode}", stderr[-2000:]), 0.0
    data = json.loads(lines[-1])
    peak = data.pop("peak_mb")
    return Outcome(**data), peak


def _child(kind: str, path: str, extra: list[str]) -> Outcome:
    from .harness import guarded, run_board, run_trace

    if kind == "devicetree":
        from ..devicetree import find_regions, load_devicetree
        from ..validate import ValidationOptions, validate_devicetree

        st: dict = {}

        def load() -> None:
            st["dt"] = load_devicetree(path, overlays=extra, include_dirs=[Path(path).parent])

        def scan() -> None:
            st["scan"] = find_regions(st["dt"], arch="arm")

        def validate() -> None:
            for d in validate_devicetree(st["dt"], ValidationOptions(arch="arm"), scan=st["scan"]):
                str(d)

        return guarded([("load_devicetree", load), ("find_regions", scan),
                        ("validate_devicetree", validate)], timeout=0)
    if kind == "board":
        return run_board(Path(path), boot=True, timeout=0)
    if kind == "trace":
        return run_trace(Path(path), timeout=0)
    raise SystemExit(f"unknown kind {kind!r}")


def peak_rss_mb() -> float:
    """This process's peak RSS in MiB: ``VmHWM`` where /proc has it, else ``ru_maxrss``.
    On Linux ``ru_maxrss`` carries the parent's peak over fork and exec, so a child started
    from a big process (a pytest worker that has run many tests) reported the parent's size."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str]) -> int:
    """Child entry point (see the module docstring)."""
    cap = int(os.environ.get("SMH_FUZZ_MEMORY_MB", "2048")) << 20
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    try:
        out = _child(argv[0], argv[1], argv[2:])
    except MemoryError:  # outside the guarded steps (e.g. while importing)
        out = Outcome("crash", argv[0], "MemoryError", "memory cap reached")
    data = asdict(out)
    data["peak_mb"] = peak_rss_mb()
    print(json.dumps(data))
    return 0


if __name__ == "__main__":  # pragma: no cover - exercised through run_isolated
    sys.exit(main(sys.argv[1:]))
