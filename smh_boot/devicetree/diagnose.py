"""Turn dtlib's error texts into one located :class:`DevicetreeError` with a hint.

dtlib reports two kinds of errors (spec/devicetree.md section 4):

* parse errors, ``file:line (column N): parse error: what`` -- already at the original file
  and line thanks to cpp's line markers; the column is a column of the *preprocessed* line,
  so it is moved back onto the original line when the offending token can be found there;
* errors found after parsing (undefined label in a value, duplicate label, ...), which name
  only a node path.  Those are placed with the location shim (:mod:`.parser`) and a search of
  the original source for the offending text.

This module does not import dtlib: it reads messages and walks nodes duck-typed.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterable, Sequence

from ..errors import DevicetreeError
from .model import SourceLocation
from .preprocess import display_path, project_include_dir
from .sources import SourceText, location_of
from .walk import preorder

_PARSE_RE = re.compile(
    r"^(?P<file>.*?):(?P<line>\d+) \(column (?P<col>\d+)\): parse error: (?P<msg>.*)$", re.S
)
_UNDEF_IN_VALUE_RE = re.compile(r"^(?P<path>/\S*): undefined node label '(?P<label>[^']+)'$")
_DUP_LABEL_RE = re.compile(r"^Label '(?P<label>[^']+)' appears on (?P<a>\S+) and on (?P<b>\S+)$")
_NODE_MSG_RE = re.compile(r"^(?P<path>/\S*): (?P<msg>.*)$", re.S)
_IDENT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DEFINE_RE = re.compile(r"^\s*#\s*define\s+([A-Za-z_][A-Za-z0-9_]*)", re.M)

#: File names cpp uses for text that is in no user file (the empty primary input,
#: command-line definitions); an error there means the input ended too early.
SYNTHETIC_FILES = frozenset({os.devnull, "<command-line>", "<built-in>", "<stdin>"})

_HINTS = {
    "expected ';' or ','": "a ';' is probably missing at the end of the previous "
    "statement (dtlib notices it at the next token)",
    "expected '/dts-v1/;' at start of file": "start the board file with '/dts-v1/;'",
    "malformed value": "check the value: an unterminated string, or a bad token after '='",
    "division by zero": "a cell expression divides by zero",
    "the root node cannot be deleted or omitted": "delete or omit its children by name "
    "(/delete-node/ &{/child};) instead",
}


def shipped_macros() -> dict[str, str]:
    """Macro name -> ``<header>`` that #defines it, over the shipped headers (for hints;
    error path only)."""
    inc = project_include_dir()
    names: dict[str, str] = {}
    for h in sorted(inc.rglob("*.h")):
        header = f"<{h.relative_to(inc).as_posix()}>"
        for name in _DEFINE_RE.findall(h.read_text(encoding="utf-8", errors="replace")):
            names.setdefault(name, header)
    return names


def _macro_hint(token: str) -> str:
    known = shipped_macros()
    if token in known:
        return f"{token} is defined in {known[token]}: add #include {known[token]}"
    return (
        "#define it, or #include the header that does (memory attributes: "
        "<zephyr/dt-bindings/memory-attr/memory-attr*.h>, sizes: <mem.h>)"
        + _suggest(token, known)
    )


def _before_token(src: SourceText, file: str, line: int, col: int) -> tuple[int, int] | None:
    # dtlib reports a missing ';' at the next token.  When that token starts its line, the
    # ';' belongs at the end of the previous non-blank line: point there, as GCC does.
    text = src.line(file, line)
    if text is None or text[: col - 1].strip():
        return None
    for n in range(line - 1, 0, -1):
        prev = src.line(file, n)
        if prev is not None and prev.strip():
            return n, len(prev.rstrip()) + 1
    return None


def _node_by_path(root: object | None, path: str) -> object | None:
    node = root
    for part in [p for p in path.split("/") if p]:
        if node is None:
            return None
        node = node.nodes.get(part)  # type: ignore[attr-defined]
    return node


def _suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _error(msg: str, loc: SourceLocation | None, fallback: str, hint: str) -> DevicetreeError:
    if loc is None:
        return DevicetreeError(msg, file=fallback, hint=hint)
    return DevicetreeError(msg, file=loc.file, line=loc.line, column=loc.column, hint=hint)


def translate_parse_error(
    text: str, src: SourceText, inputs: Sequence[str], root: object | None
) -> DevicetreeError | None:
    """A dtlib parse error -> DevicetreeError, or None when ``text`` is not one."""
    m = _PARSE_RE.match(text)
    if m is None:
        return None
    file, line, col, msg = m["file"], int(m["line"]), int(m["col"]), m["msg"].strip()
    if file in SYNTHETIC_FILES:
        # The parser ran off the end of the last input file: point at its end.
        last = inputs[-1]
        n = len(src.lines(last) or [""])
        return DevicetreeError(
            f"unexpected end of input ({msg})",
            file=display_path(last),
            line=n,
            hint="a '};' is probably missing: check that every '{' is closed",
        )
    hint = _HINTS.get(msg, "fix the devicetree syntax at this point")
    pre = src.pre_line(file, line)
    token = ""
    if pre is not None and 0 < col <= len(pre):
        t = _IDENT_RE.match(pre, col - 1)
        token = t.group() if t else pre[col - 1]
    if msg == "expected number or parenthesized expression":
        if token == '"':
            msg = "a string where a number belongs"
            hint = "cells between < > hold numbers; put strings outside < > or use a number"
        elif token and (token[0].isalpha() or token[0] == "_"):
            msg = f"unknown macro '{token}' in a cell expression"
            hint = _macro_hint(token)
    elif msg.startswith("undefined node label "):
        label = msg.split("'")[1] if "'" in msg else ""
        labels = [lb for n in preorder(root) for lb in n.labels]  # type: ignore[attr-defined]
        hint = (
            "define the label (label: node@addr { ... };) in the board or an earlier file, "
            "or fix the name" + _suggest(label, labels)
        )
    elif msg.endswith("could not be found"):
        hint = "add the folder that holds it with -I DIR (include_dirs=...)"
    if msg == "expected ';' or ','":
        moved = _before_token(src, file, line, col)
        if moved is not None:
            line, col = moved
            return DevicetreeError(
                "expected ';' or ',' at the end of this line",
                file=display_path(file), line=line, column=col,
                hint="end each property with ';' (and each node with '};')",
            )
    # Move the column from the preprocessed line back onto the original one.
    # Only an identifier is distinctive enough to search for; other tokens keep dtlib's column
    # (right whenever cpp left the line unchanged).
    orig = src.line(file, line)
    if token and _IDENT_RE.fullmatch(token) and orig is not None and orig != pre:
        idx = orig.find(token)
        if idx >= 0:
            col = idx + 1
    return DevicetreeError(msg, file=display_path(file), line=line, column=col, hint=hint)


def translate_post_parse_error(
    text: str, src: SourceText, root: object | None, fallback: str
) -> DevicetreeError:
    """A dtlib error raised after parsing (it names a node path, not a line)."""
    m = _UNDEF_IN_VALUE_RE.match(text)
    if m:
        node, label = _node_by_path(root, m["path"]), m["label"]
        pattern = re.compile(r"&" + re.escape(label) + r"(?![A-Za-z0-9_])")
        loc = None
        for prop in getattr(node, "props", {}).values():
            ploc = location_of(prop)
            if ploc is not None:
                raw = getattr(prop, "_smh_loc")[0]
                loc = src.find(raw, ploc.line, pattern)
                if loc is not None:
                    break
        labels = [lb for n in preorder(root) for lb in n.labels]  # type: ignore[attr-defined]
        return _error(
            f"undefined node label '{label}' (referenced from {m['path']})",
            loc or location_of(node),
            fallback,
            "define the label (label: node@addr { ... };) or fix the reference"
            + _suggest(label, labels),
        )
    m = _DUP_LABEL_RE.match(text)
    if m:
        nodes = [_node_by_path(root, m["a"]), _node_by_path(root, m["b"])]
        locs = [location_of(n) for n in nodes if n is not None]
        locs = [x for x in locs if x is not None]
        loc = max(locs, key=lambda x: (x.file, x.line)) if locs else None
        return _error(
            f"label '{m['label']}' is defined twice (on {m['a']} and on {m['b']})",
            loc,
            fallback,
            "labels must be unique: rename one of them",
        )
    m = _NODE_MSG_RE.match(text)
    if m:
        return _error(
            f"{m['msg']} (node {m['path']})",
            location_of(_node_by_path(root, m["path"])),
            fallback,
            "fix the property or node named above",
        )
    return DevicetreeError(text, file=fallback, hint="fix the devicetree")
