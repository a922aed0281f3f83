"""docs/driver-api.md runs as written: its Python blocks, in order and in one session, print the
``text`` block under each; its ``# file:`` test module passes under pytest with the plugin.

``python tests/docs/test_driver_api_doc.py`` prints each block's actual output (to update the
page after a deliberate change)."""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path


DOC = Path(__file__).resolve().parents[2] / "docs" / "driver-api.md"
FILE_RE = re.compile(r"^(?:#|/\*)\s*file:\s*(\S+?)\s*(?:\*/)?$")


def blocks() -> list[tuple[str, str]]:
    """``(language, body)`` of every fenced block, in order."""
    return re.findall(r"```(\w*)\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


def files() -> dict[str, str]:
    out = {}
    for _, body in blocks():
        first, _, rest = body.partition("\n")
        m = FILE_RE.match(first.strip())
        if m:
            out[m.group(1)] = rest
    return out


def examples() -> list[tuple[str, str | None]]:
    """Each runnable Python block with the ``text`` block right after it (None if none)."""
    bs = blocks()
    out = []
    for i, (lang, body) in enumerate(bs):
        if lang == "python" and not FILE_RE.match(body.partition("\n")[0].strip()):
            nxt = bs[i + 1] if i + 1 < len(bs) else ("", "")
            out.append((body, nxt[1] if nxt[0] == "text" else None))
    return out


def run_all(folder: Path) -> list[tuple[str, str | None, str]]:
    for name, body in files().items():
        (folder / name).write_text(body, encoding="utf-8")
    ns: dict = {"__name__": "driver_api_doc"}
    results = []
    old = os.getcwd()
    os.chdir(folder)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", DeprecationWarning)  # the page uses no deprecated name
            for code, shown in examples():
                out = io.StringIO()
                with contextlib.redirect_stdout(out):
                    exec(compile(code, str(DOC), "exec"), ns)
                results.append((code, shown, out.getvalue()))
    finally:
        os.chdir(old)
    return results


def test_every_example_prints_what_the_page_shows(tmp_path):
    results = run_all(tmp_path)
    assert len(results) >= 8
    for code, shown, got in results:
        assert shown is not None, f"no output block after:\n{code}"
        assert got == shown, f"example:\n{code}"


def test_the_fixture_example_passes_under_pytest(tmp_path):
    for name, body in files().items():
        (tmp_path / name).write_text(body, encoding="utf-8")
    driver = examples()[0][0].split("\nsystem = boot(", 1)[0]
    (tmp_path / "conftest.py").write_text(driver, encoding="utf-8")
    r = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
         "-p", "no:randomly", "test_codec.py"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "3 passed" in r.stdout


def test_the_page_imports_nothing_private():
    imports = re.findall(r"^\s*(?:from|import)\s+([\w.]+)", DOC.read_text(encoding="utf-8"), re.M)
    assert imports and not [m for m in imports if any(p.startswith("_") for p in m.split("."))]


if __name__ == "__main__":  # pragma: no cover - maintenance helper
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        for code, shown, got in run_all(Path(d)):
            print("-" * 60)
            print(got, end="")
