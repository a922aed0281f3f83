"""Helpers for the .dts corpus: options and expected findings are written in the files.

``// options: arch=arm isa=armv7e-m ptr_size=8 stats=1 enable=RULE`` on any line sets the
validation options; ``// expect: RULE [RULE...]`` at the end of a line says those rules must
report at that line.  A file reports exactly what it expects, nothing more.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from smh_boot.devicetree import load_devicetree
from smh_boot.validate import ValidationOptions, validate_devicetree

DATA = Path(__file__).resolve().parents[1] / "data" / "layouts"

_OPTIONS = re.compile(r"//\s*options:(.*)$", re.MULTILINE)
_EXPECT = re.compile(r"//\s*expect:\s*([a-z0-9 -]+?)\s*$")


def options_of(path: Path) -> ValidationOptions:
    """The ValidationOptions the file's ``// options:`` line asks for."""
    kw: dict = {}
    enabled = []
    for m in _OPTIONS.finditer(path.read_text()):
        for item in m.group(1).split():
            key, _, value = item.partition("=")
            if key == "arch":
                kw["arch"] = value
            elif key == "isa":
                kw["isa"] = value
            elif key == "ptr_size":
                kw["ptr_size"] = int(value)
            elif key == "stats":
                kw["runtime_stats"] = value == "1"
            elif key == "enable":
                enabled.append(value)
            else:  # pragma: no cover - a typo in a test file
                raise ValueError(f"{path}: unknown option {key}")
    return ValidationOptions(enabled=tuple(enabled), **kw)


def expected(path: Path) -> Counter:
    """Counter of (rule, line) the file expects."""
    out: Counter = Counter()
    for lineno, line in enumerate(path.read_text().splitlines(), 1):
        m = _EXPECT.search(line)
        if m:
            for rule in m.group(1).split():
                out[(rule, lineno)] += 1
    return out


def found(path: Path, options: ValidationOptions | None = None) -> tuple[Counter, list]:
    """Counter of (rule, line) validation reports in ``path`` itself, and the diagnostics."""
    dt = load_devicetree(path)
    diags = validate_devicetree(dt, options or options_of(path))
    got: Counter = Counter()
    for d in diags:
        assert d.location is not None, f"{d} has no location"
        assert Path(d.location.file).name == path.name, f"{d} points into another file"
        got[(d.rule, d.location.line)] += 1
    return got, diags
