"""Shared constants of the devicetree tests (a plain module: this test folder is not a
package, because a package named ``devicetree`` would shadow the dtlib dependency)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from smh_boot.resources import dts_dir

REPO_DTS = dts_dir()
DATA = Path(__file__).resolve().parent.parent / "data" / "dts"
UPSTREAM = REPO_DTS / "overlays" / "upstream"

needs_cpp = pytest.mark.skipif(shutil.which("cpp") is None, reason="GCC cpp not installed")
