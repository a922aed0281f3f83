"""The README's heap example runs and prints what its comments say."""

from __future__ import annotations

import contextlib
import io
import re

from heap_helpers import ROOT


def heap_section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(r"<!-- section:heap -->(.*?)<!-- /section:heap -->", text, re.S)
    assert m, "README.md lost its heap section markers"
    return m.group(1)


def test_readme_heap_example_runs():
    code = re.search(r"```python\n(.*?)```", heap_section(), re.S).group(1)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md#heap", "exec"), {})
    lines = out.getvalue().splitlines()
    assert lines[0] == "0x3810003c"
    assert lines[1] == "None"
    assert lines[2].startswith("free(0x38100044) refused:") and "8 byte(s) into block 0x3810003c" in lines[2]
    assert "owner 'uart0 rx'" in lines[2]
    assert lines[3].startswith("511 7 HeapStats(free_bytes=4028") and lines[3].endswith("True")


def test_readme_heap_integrity_example_runs():
    blocks = re.findall(r"```python\n(.*?)```", heap_section(), re.S)
    code = next(b for b in blocks if "HeapCorruption" in b)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md#heap-integrity", "exec"), {})
    lines = out.getvalue().splitlines()
    assert lines[0] == "overrun free-list-unlink 0x3810003c spi0 rx 36"
    assert lines[1].startswith("heap 0 at 0x38100000: the header of chunk 12 at 0x38100060 is damaged")


def test_readme_errors_section_lists_every_heap_corruption_kind():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    errors = text[text.index("<!-- section:errors -->"):text.index("<!-- /section:errors -->")]
    for kind in ("overrun", "free-list", "dma-into-free", "dma-overrun", "dma-use-after-free", "wild-chunk",
                 "DoubleFree", "InvalidFree", "UseAfterFree"):
        assert f"| `{kind}`" in errors, kind
