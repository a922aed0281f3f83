"""bench/heap_ab.py (the paired before/after heap comparison) runs and checks its two sides agree."""

import runpy
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(),
                    reason="needs the git checkout (heap_ab exports the base revision with git archive)")
def test_heap_ab_compares_this_tree_with_a_revision(capsys, monkeypatch):
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True,
                          text=True, check=True).stdout.strip()
    monkeypatch.setattr(sys, "path", list(sys.path))  # heap_ab adds bench/ and the export
    monkeypatch.delenv("SMH_BOOT_HEAP_CORE", raising=False)
    mod = runpy.run_path(str(ROOT / "bench" / "heap_ab.py"), run_name="heap_ab")
    rc = mod["main"](["--base", head, "--ops", "3000", "--chunk", "500", "--variant", "p4_stats"])
    out = capsys.readouterr().out
    for name in [m for m in sys.modules if m == "smh_base" or m.startswith("smh_base.")]:
        del sys.modules[name]
    assert rc == 0, out
    assert "SMH_BOOT_HEAP_CORE" not in __import__("os").environ  # set for the run only
    assert "pure-Python core, base " in out  # both sides ran on the reference core
    row = next(line for line in out.splitlines() if line.startswith("p4_stats"))
    base_rate, this_rate, ratio, median = (float(x) for x in row.split()[1:])
    assert base_rate > 0 and this_rate > 0 and ratio > 0 and median > 0
