"""Replay a trace file op by op, holding neither its ops nor any result.

:func:`~smh_boot.heap.trace.load_trace` parses the whole document and
:func:`~smh_boot.heap.trace.replay` returns every result: a 1,000,000-op trace took about
760 MiB that way.  Here the file is read twice, a piece at a time: a first pass checks the
whole trace (so a malformed file is refused before anything runs or prints) and keeps only the
small top-level values; the second pass feeds the ops to a
:class:`~smh_boot.heap.trace.Replayer` one by one, reading the recorded results alongside them
from a second position in the file, compares each pair at once and keeps only what the report
needs: the first difference, counts and the end state.  Memory is then the heaps' own state
(live blocks and tags) plus one read buffer, whatever the trace's length.

Anything the streaming reader does not take as it comes (a JSON or schema error, a duplicate
key) sends the file to ``load_trace``, which reports the error exactly as before (or, for a
valid but unusual document, reads it into memory and replays it the old way): the results and
messages are the same either way.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any

from ..errors import TraceError
from .trace import (
    FORMAT,
    Difference,
    Replayer,
    Trace,
    _check_op,
    compare_end,
    compare_result,
    config_for,
    is_recorded,
    load_trace,
    no_results_error,
    parse_trace,
)

#: Characters read from the file at a time (the buffer grows only for a value longer than that).
CHUNK = 1 << 20

_DECODER = json.JSONDecoder()
_WS = re.compile(r"[ \t\n\r]*")


class _GiveUp(Exception):
    """The streaming reader met something only the in-memory reader describes exactly."""


class _Reader:
    """A top-level JSON object read from a file a piece at a time; values are decoded one at a
    time by the json module's own decoder (the one ``json.loads`` uses).  Positions are
    character offsets in the file's text (:meth:`offset`); lines are counted only when asked
    for (:func:`line_at`), which only an error or a difference does."""

    def __init__(self, path: str):
        try:
            self._f: IO[str] = open(path, encoding="utf-8")  # noqa: SIM115 - closed by close()
        except OSError as e:
            raise _GiveUp from e
        self.buf = ""
        self.pos = 0
        self.base = 0  # file offset of buf[0]
        self.eof = False

    def close(self) -> None:
        self._f.close()

    def __enter__(self) -> _Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def offset(self) -> int:
        """File offset (in characters) of the read position."""
        return self.base + self.pos

    def _fill(self) -> None:
        """Read more: at least a chunk, and as much as is buffered (so a long value is
        decoded again only log(n) times)."""
        if self.eof:
            return
        try:
            more = self._f.read(max(CHUNK, len(self.buf) - self.pos))
        except (OSError, UnicodeDecodeError) as e:
            raise _GiveUp from e
        if not more:
            self.eof = True
        self.base += self.pos
        self.buf = self.buf[self.pos:] + more
        self.pos = 0

    def peek(self) -> str:
        """The next character after whitespace ("" at the end of the file)."""
        while True:
            self.pos = _WS.match(self.buf, self.pos).end()  # type: ignore[union-attr]
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if self.eof:
                return ""
            self._fill()

    def take(self, ch: str) -> None:
        """Consume ``ch`` (after whitespace), or give up."""
        if self.peek() != ch:
            raise _GiveUp
        self.pos += 1

    def value(self) -> Any:
        """Decode the value at the read position (after whitespace)."""
        self.peek()
        while True:
            try:
                v, end = _DECODER.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError:
                if self.eof:
                    raise _GiveUp from None
                self._fill()
                continue
            except (ValueError, RecursionError):  # a 4300-digit number, nesting too deep
                raise _GiveUp from None
            if end == len(self.buf) and not self.eof:  # a number may go on in the next piece
                self._fill()
                continue
            self.pos = end
            return v

    def members(self) -> Iterator[str]:
        """The keys of the top-level object, in order; the caller reads each value (with
        :meth:`value` or :meth:`elements`) before asking for the next key."""
        self.take("{")
        if self.peek() == "}":
            self.pos += 1
        else:
            while True:
                if self.peek() != '"':
                    raise _GiveUp
                key = self.value()
                self.take(":")
                yield key
                c = self.peek()
                self.pos += 1
                if c == "}":
                    break
                if c != ",":
                    raise _GiveUp
        if self.peek() != "":  # json.loads: "Extra data"
            raise _GiveUp

    def _skip_ws(self) -> bool:
        """Skip whitespace (across pieces); True when it held a line break."""
        newline = False
        while True:
            m = _WS.match(self.buf, self.pos)
            assert m is not None  # the pattern matches the empty string
            newline = newline or "\n" in m.group()
            self.pos = m.end()
            if self.pos < len(self.buf) or self.eof:
                return newline
            self._fill()

    def elements(self) -> Iterator[Any]:
        """The elements of the array at the read position, in order.

        Whole lines are decoded a slab at a time: ``json.loads("[" + lines + "]")`` succeeds
        only when the lines end on an element of this array (a JSON string holds no line
        break, and a cut inside an element or past the array leaves brackets unbalanced), so
        it gives exactly the elements one by one decoding would, at the speed of one
        ``json.loads``; anything else (a long line, the array's end) is decoded one element at
        a time."""
        self.take("[")
        if self.peek() == "]":
            self.pos += 1
            return
        want_element = True
        no_slab_until = -1
        while True:
            if not want_element:
                c = self.peek()
                self.pos += 1
                if c == "]":
                    return
                if c != ",":
                    raise _GiveUp
                want_element = True
                continue
            self.peek()
            last = self.buf.rfind("\n", self.pos)
            items = None
            if self.base + last > no_slab_until:
                cut = last
                while cut > self.pos:  # the lines up to the last line break, else half of them...
                    slab = self.buf[self.pos:cut].rstrip()
                    trailing = slab.endswith(",")
                    try:
                        items = json.loads("[" + (slab[:-1] if trailing else slab) + "]")
                    except (ValueError, RecursionError):
                        items = None
                    if items:
                        self.pos = cut
                        yield from items
                        want_element = trailing
                        break
                    cut = self.buf.rfind("\n", self.pos, self.pos + (cut - self.pos) // 2)
                else:
                    no_slab_until = self.base + last  # one at a time up to there
                if items:
                    continue
            yield self.value()
            want_element = False

    def located_elements(self) -> Iterator[tuple[Any, int | None]]:
        """:meth:`elements` one at a time, each with its file offset when it starts a line of
        its own with ``{"op"`` (one op per line, as golden files are written and as
        ``load_trace`` counts op lines), else None (slower: for finding an op's line)."""
        self.take("[")
        newline = self._skip_ws()
        if self.peek() == "]":
            return
        while True:
            start = self.offset()
            while len(self.buf) - self.pos < 5 and not self.eof:
                self._fill()
            own_line = newline and self.buf.startswith('{"op"', self.pos)  # as load_trace counts
            yield self.value(), start if own_line else None
            c = self.peek()
            self.pos += 1
            if c != ",":
                return
            newline = self._skip_ws()

    def skip_to(self, wanted: str) -> bool:
        """Read the object up to the value of key ``wanted`` (True), skipping the others;
        False when the object has no such key."""
        for key in self.members():
            if key == wanted:
                return True
            if self.peek() == "[":
                for _ in self.elements():
                    pass
            else:
                self.value()
        return False


#: After an array element: whitespace, the separator, and the whitespace before the next one.
_SEP = re.compile(r"[ \t\n\r]*([,\]])([ \t\n\r]*)")


def line_at(path: str, offset: int) -> int:
    """The line of character ``offset`` in the file (read again: only errors and differences
    ask)."""
    line, left = 1, offset
    with open(path, encoding="utf-8") as f:
        while left > 0:
            piece = f.read(min(CHUNK, left))
            if not piece:
                break
            line += piece.count("\n")
            left -= len(piece)
    return line


#: The top-level keys streamed element by element (the others are kept: they are small).
STREAMED = ("ops", "results")


@dataclass
class TraceFile:
    """A trace to replay: ``path``, ``header`` (every top-level value but the ops and the
    results, ``final_state`` included), ``n_ops`` and ``has_results``; :meth:`ops` and
    :meth:`results` read them again, one at a time.  ``streamed`` is False when the file was
    read into memory instead (see the module's docstring)."""

    path: str
    header: dict[str, Any]
    n_ops: int
    has_results: bool
    streamed: bool
    _trace: Trace | None = None

    @property
    def name(self) -> str:
        """Trace name (file stem when the document has none)."""
        return str(self.header.get("name") or Path(self.path).stem)

    def ops(self) -> Iterator[dict[str, Any]]:
        """The ops, in order."""
        if self._trace is not None:
            yield from self._trace.ops
            return
        yield from self._stream("ops")

    def line(self, i: int) -> int | None:
        """The line of op ``i`` when ops are one per line, as golden files have them, else
        None.  A streamed file is read again for it: only an error or a difference asks."""
        if self._trace is not None:
            return self._trace.line_of(i)
        try:
            with _Reader(self.path) as r:
                if not r.skip_to("ops"):
                    return None
                for k, (_op, where) in enumerate(r.located_elements()):
                    if k == i:
                        return None if where is None else line_at(self.path, where)
        except _GiveUp:
            pass
        return None

    def results(self) -> Iterator[dict[str, Any]]:
        """The recorded results, in order."""
        if self._trace is not None:
            yield from self._trace.doc.get("results") or []
            return
        yield from self._stream("results")

    def _stream(self, key: str) -> Iterator[Any]:
        try:
            with _Reader(self.path) as r:
                if r.skip_to(key):
                    yield from r.elements()
        except _GiveUp as e:  # the file changed since it was checked
            raise TraceError("the trace file changed while it was replayed", self.path,
                             hint="replay it again") from e


def open_trace(path: str | os.PathLike[str]) -> TraceFile:
    """Check the trace file at ``path`` in one streaming pass; TraceError (the same as
    ``load_trace``'s) when it is malformed."""
    p = str(path)
    try:
        return _scan(p)
    except _GiveUp:
        trace = load_trace(p)  # raises the precise error; else an unusual but valid file
    config_for(trace)  # an unusable configuration is refused before anything runs
    doc = trace.doc
    header = {k: v for k, v in doc.items() if k not in STREAMED}
    return TraceFile(p, header, len(trace.ops), "results" in doc, False, trace)


def _scan(path: str) -> TraceFile:
    header: dict[str, Any] = {}
    seen: set[str] = set()
    n_ops = 0
    has_ops = has_results = False
    probe = Trace({}, path, [])
    with _Reader(path) as r:
        for key in r.members():
            if key in seen:
                raise _GiveUp  # json.loads keeps the last one: let it
            seen.add(key)
            if key in STREAMED and r.peek() == "[":
                for i, item in enumerate(r.elements()):
                    if key == "ops":
                        try:
                            _check_op(probe, i, item)
                        except TraceError:
                            raise _GiveUp from None
                        n_ops += 1
                    elif not isinstance(item, dict):
                        raise _GiveUp
                has_ops = has_ops or key == "ops"
                has_results = has_results or key == "results"
            else:
                header[key] = r.value()
    if not has_ops:
        raise _GiveUp
    doc = dict(header, ops=[])
    if has_results:
        doc["results"] = []
    try:
        config_for(parse_trace(doc, path))
    except TraceError:
        raise _GiveUp from None
    return TraceFile(path, header, n_ops, has_results, True)


# ---------------------------------------------------------------------- replay


@dataclass
class Outcome:
    """What a streamed replay leaves: the first ``difference`` (None when it matches or was not
    checked), ``terminated``, ``final_state``, the number of ``results`` replayed, of recorded
    results ``compared`` and of ``digests`` (``sd``) among them."""

    difference: Difference | None
    terminated: dict[str, Any] | None
    final_state: list[dict[str, Any]] | None
    results: int
    compared: int
    digests: int


def replay_file(src: TraceFile, *, digests: str = "recorded", check: bool = False,
                on_result: Callable[[dict[str, Any]], None] | None = None) -> Outcome:
    """Replay ``src`` op by op.  ``on_result`` gets each result as it comes (then it is
    dropped).  With ``check``, each result is compared with the recorded one as it comes and
    the replay stops at the first difference; TraceError when the trace records no results.
    ``digests`` as for :func:`~smh_boot.heap.trace.replay`."""
    if check and not src.has_results:
        raise no_results_error(src.path)
    cfg = config_for(Trace(src.header, src.path, []))
    rep = Replayer(cfg, src.path, digests)
    recorded = src.results() if src.has_results and (check or digests == "recorded") else None
    exact = not is_recorded(src.header)
    diff: Difference | None = None
    compared = n_digests = 0
    ended = False
    for i, op in enumerate(src.ops()):
        e = next(recorded, None) if recorded is not None else None
        try:
            res = rep.step(i, op, None, e is not None and "sd" in e)
        except TraceError as err:  # located here: lines are counted only when needed
            raise TraceError(err.message, src.path, src.line(i), hint=err.hint) from err
        if check and (e is not None or res is not None):
            diff = compare_result(i, e, res, op, None, not exact)
            if e is not None and res is not None:
                compared += 1
                n_digests += "sd" in e
            if diff is not None:
                diff = replace(diff, line=src.line(i))
        if res is None:  # an assert or panic outcome ended the run
            ended = True
            break
        if on_result is not None:
            on_result(res)
        if diff is not None:
            ended = True
            break
    if check and not ended:  # a recorded result past the last op
        e = next(recorded, None) if recorded is not None else None
        if e is not None:
            diff = Difference("op", rep.count, "result", e, None, None, None)
    final = rep.final_state() if diff is None else None
    if check and diff is None:
        diff = compare_end(src.header, rep.terminated, final)
    return Outcome(diff, rep.terminated, final, rep.count, compared, n_digests)


def write_results(src: TraceFile, out: IO[str], *, digests: str = "recorded",
                  batch: int = 4096) -> Outcome:
    """``smh-boot replay``'s text output: every result on its own line as it comes (the
    golden files' layout), then the termination or the final state."""
    lines: list[str] = []

    def emit(res: dict[str, Any]) -> None:
        lines.append(json.dumps(res, separators=(",", ":")))
        if len(lines) >= batch:
            out.write("\n".join(lines) + "\n")
            lines.clear()

    outcome = replay_file(src, digests=digests, on_result=emit)
    if outcome.terminated is not None:
        t = {k: v for k, v in outcome.terminated.items() if k != "error"}
        lines.append(json.dumps({"terminated": t}, separators=(",", ":")))
    else:
        lines.append(json.dumps({"final_state": outcome.final_state}, separators=(",", ":")))
    out.write("\n".join(lines) + "\n")
    return outcome


def _indented(value: Any, depth: int) -> str:
    # json.dumps(value, indent=1) as it appears ``depth`` levels deep in a document.
    return json.dumps(value, indent=1).replace("\n", "\n" + " " * depth)


def write_document(src: TraceFile, out: IO[str], *, digests: str = "recorded") -> Outcome:
    """``smh-boot replay --json``: the golden document :func:`~smh_boot.heap.trace.replay`
    returns, written as ``json.dumps(doc, indent=1)`` writes it, without holding it: the
    results wait in a temporary file (the document names the termination before the ops)."""
    with tempfile.TemporaryFile("w+", encoding="utf-8") as tmp:
        first = [True]

        def emit(res: dict[str, Any]) -> None:
            tmp.write(("  " if first[0] else ",\n  ") + _indented(res, 2))
            first[0] = False

        outcome = replay_file(src, digests=digests, on_result=emit)
        h = src.header
        head = {"format": FORMAT, "name": src.name, "description": h.get("description", ""),
                "variant": h["variant"], "config": h.get("config", {}),
                "terminated": outcome.terminated, "n_ops": src.n_ops}
        out.write("{\n" + ",\n".join(f" {json.dumps(k)}: {_indented(v, 1)}" for k, v in head.items()))
        out.write(',\n "ops": ')
        sep = "[\n  "
        for op in src.ops():
            out.write(sep + _indented(op, 2))
            sep = ",\n  "
        out.write("[]" if sep == "[\n  " else "\n ]")
        out.write(',\n "results": ')
        if first[0]:
            out.write("[]")
        else:
            out.write("[\n")
            tmp.seek(0)
            shutil.copyfileobj(tmp, out)
            out.write("\n ]")
        out.write(f',\n "final_state": {_indented(outcome.final_state, 1)}\n}}\n')
    return outcome
