"""Waiting for cpp: the wait wakes when the process exits (a pidfd on Linux), not on a timer."""

from __future__ import annotations

import subprocess
import sys

from smh_boot.devicetree.preprocess import _wait_exit


def test_wait_exit_reports_exit_and_timeout():
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.5)"])
    try:
        assert _wait_exit(proc, 0.01) is False  # still running after 10 ms
        assert _wait_exit(proc, 30) is True  # returns once it exits, long before 30 s
        assert proc.returncode == 0
        assert _wait_exit(proc, 0.01) is True  # already reaped: no pidfd, still "exited"
    finally:
        proc.kill()
        proc.wait()
