"""The README's resource contract (section "Robustness") states the limits the code enforces:
every environment variable with its default and range, and the fixed limits' values."""

from __future__ import annotations

import re
from pathlib import Path

from smh_boot import board, limits
from smh_boot.devicetree import guards
from smh_boot.drivers import ethernet

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
SECTION = README[README.index("### Resource contract"):README.index("### Figures")]
ROWS = [ln for ln in SECTION.splitlines() if ln.startswith("| ") and not ln.startswith("| ---")][1:]


def _g(x: float) -> str:
    return f"{x:g}"


def test_every_environment_limit_is_in_the_table_with_its_default_and_range():
    for lim in limits.ENV_LIMITS:
        row = next((r for r in ROWS if f"`{lim.env}`" in r), None)
        assert row is not None, f"{lim.env} is not in the README's resource contract"
        assert f"({_g(lim.minimum)}-{_g(lim.maximum)}" in row, row
        unit = " s" if lim.unit == "seconds" else " MiB"
        assert row.split("|")[2].strip() == f"{_g(lim.default)}{unit}", row


def test_the_fixed_limits_are_the_ones_the_code_enforces():
    text = "\n".join(ROWS)
    assert guards.MAX_SOURCE_BYTES == 64 << 20 and "| 64 MiB | fixed (`guards.MAX_SOURCE_BYTES`)" in text
    assert guards.MAX_STATEMENT_CHARS == 64 << 10 and "64 KiB of source" in text
    assert f"| {guards.MAX_NODE_DEPTH} levels |" in text
    assert f"| {guards.MAX_INCLUDE_DEPTH} files |" in text
    assert guards.FORBIDDEN_ROOTS == ("/proc", "/sys", "/dev") and "outside `/proc`, `/sys`, `/dev`" in text
    assert f"| {guards.MAX_SHOWN_VALUE} bytes (hex)" in text
    assert (board.MAX_CACHE_LINE, board.MAX_CACHE_WAYS, board.MAX_CACHE_BYTES, board.MAX_CACHE_LINES) == (
        1024, 64, 8 << 20, 131_072)
    assert re.search(r"line 4-1024 B .*at most 64 ways, 8 MiB, 131,072 lines", text)
    assert f"`rx-descriptors` {ethernet.MAX_DESCRIPTORS}," in text
