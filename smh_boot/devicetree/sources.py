"""Original source text, for pointing errors at the right line and column.

Only error paths read files here, so nothing is cached between loads.
"""

from __future__ import annotations

import re
from pathlib import Path

from .model import SourceLocation
from .preprocess import display_path

#: Attribute the location shim stores on dtlib nodes and properties: (file, line, column),
#: the place they were last defined.  Tuples are cheap to make while parsing; a
#: SourceLocation is built only when asked for.
LOC_ATTR = "_smh_loc"

# "# 12 "file" 1 3" (GCC) or "#line 12 "file"" markers in the preprocessed text
_MARKER_RE = re.compile(r'^#\s*(?:line\s+)?(\d+)\s+"((?:[^"\\]|\\.)*)"')
_MARKER_LINE_RE = re.compile(r'^#\s*(?:line\s+)?(\d+)\s+"((?:[^"\\]|\\.)*)".*$', re.M)


def unescape_marker(name: str) -> str:
    """A file name as a line marker spells it (GCC escapes ``"`` and ``\\`` with a
    backslash, and a newline as ``\\n``) back to the real name."""
    if "\\" not in name:
        return name
    return _MARKER_ESC_RE.sub(_unescape_one, name)


_MARKER_ESC_RE = re.compile(r"\\(.)", re.S)


def _unescape_one(m: re.Match[str]) -> str:
    esc = m.group(1)
    return "\n" if esc == "n" else esc


def location_of(obj: object) -> SourceLocation | None:
    """The recorded SourceLocation of a dtlib node or property, or None."""
    loc = getattr(obj, LOC_ATTR, None)
    if loc is None:
        return None
    return SourceLocation(display_path(loc[0]), loc[1], loc[2])


def pre_location(text: str, offset: int, default_file: str) -> tuple[str, int, int]:
    """(file, line, column) of the original source that ``offset`` of the preprocessed
    ``text`` comes from, read from the line markers before it (``default_file`` and the
    plain line number when there are none).  Error path only: scans ``text`` up to
    ``offset``."""
    file, line, base = default_file, 1, 0
    for m in _MARKER_LINE_RE.finditer(text, 0, offset):
        # The marker names the line that follows it.
        file, line, base = unescape_marker(m[2]), int(m[1]), m.end() + 1
    line += text.count("\n", base, offset)
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return display_path(file), line, col


class SourceText:
    """Lazy reader of original files and of the preprocessed text."""

    def __init__(self, pre_text: str | None = None):
        self._files: dict[str, list[str] | None] = {}
        self._pre = pre_text

    def lines(self, file: str) -> list[str] | None:
        """All lines of ``file`` (without newlines), or None if it cannot be read."""
        if file not in self._files:
            try:
                text = Path(file).read_text(encoding="utf-8", errors="replace")
                self._files[file] = text.splitlines()
            except OSError:
                self._files[file] = None
        return self._files[file]

    def line(self, file: str, n: int) -> str | None:
        """Line ``n`` (1-based) of ``file``, or None."""
        lines = self.lines(file)
        if lines is None or not 1 <= n <= len(lines):
            return None
        return lines[n - 1]

    def pre_line(self, file: str, n: int) -> str | None:
        """The preprocessed text of line ``n`` of ``file`` (as named by the line markers)."""
        if self._pre is None:
            return None
        cur_file, cur_line = None, 0
        for text in self._pre.splitlines():
            m = _MARKER_RE.match(text)
            if m:
                cur_file, cur_line = unescape_marker(m[2]), int(m[1])
                continue
            if cur_file == file and cur_line == n:
                return text
            cur_line += 1
        return None

    def find(self, file: str, start: int, pattern: re.Pattern[str], span: int = 40) -> SourceLocation | None:
        """First match of ``pattern`` in ``file`` from line ``start`` on, looking at most
        ``span`` lines ahead; None when not found."""
        lines = self.lines(file)
        if lines is None:
            return None
        for n in range(max(start, 1), min(start + span, len(lines)) + 1):
            m = pattern.search(lines[n - 1])
            if m:
                return SourceLocation(display_path(file), n, m.start() + 1)
        return None
