"""The dtlib parser subclass: source locations, and the limits dtlib does not enforce.

Location shim (spec/devicetree.md 1.5, extended): dtlib 0.0.2 has no ``Node.lineno``.  The
parser subclass below notes ``(file, line, column)`` each time a node body or property
assignment starts, *overwriting* any earlier note, so a later ``&label { ... }`` override or
a redefinition moves the location to the last definition, as a user reading the overlay
expects.  It hooks parser methods instead of patching dtlib's classes, so other users of
dtlib in the same process are unaffected.

The same subclass enforces the limits of :mod:`.guards` inside the parse (node depth,
``/include/`` cycles and depth, regular files only, the root node cannot be deleted),
because dtlib 0.0.2 hangs, recurses without bound or crashes on them.  It reads private
parser state (``_tok_i``, ``_lineno``, ``_filestack``...): dtlib is pinned at 0.0.2.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from typing import Any

from devicetree import dtlib

from ..errors import DevicetreeError
from .. import limits
from ..units import human_size
from .guards import (
    MAX_INCLUDE_DEPTH,
    MAX_NODE_DEPTH,
    MAX_SOURCE_BYTES,
    check_text,
    decode_utf8,
    forbidden_error,
    forbidden_file,
    line_col,
)
from .preprocess import display_path
from .sources import LOC_ATTR, unescape_marker

_PROPNODENAME = dtlib._T.PROPNODENAME  # private; pinned dtlib 0.0.2
#: Value markers that only say what type a stretch of bytes is (nothing to patch in).
_PLAIN_MARKERS = frozenset({dtlib._MarkerType.UINT8, dtlib._MarkerType.UINT16,
                            dtlib._MarkerType.UINT32, dtlib._MarkerType.UINT64,
                            dtlib._MarkerType.STRING})


class LocatingDT(dtlib.DT):
    """dtlib.DT that records where nodes and properties were last defined (see module doc)."""

    def __init__(self, filename: str, include_path: Sequence[str] = ()):
        self._smh_fn = filename
        self._smh_fn0 = filename  # dtlib's own first assignment, kept as it is
        #: /incbin/ bytes still allowed in this load (one budget for all of them)
        self._smh_incbin_left = int(limits.INCBIN_MB.value()) << 20
        self._smh_stack: list[Any] = []
        self._smh_depth0 = 0  # depth of self._smh_stack[0] (an '&label {' can start deep)
        self._smh_pending: tuple[Any, str, tuple[str, int, int]] | None = None
        # (device, inode) and name of each file on dtlib's /include/ stack, and of the one
        # being read, for cycle detection that does not depend on how a name was spelt.
        self._smh_files: list[tuple[tuple[int, int] | None, str]] = [
            (_file_id(filename), filename)
        ]
        super().__init__(filename, include_path)
        self._smh_parsed = True

    # dtlib sets ``filename`` from each line marker as the marker spells it, with C escapes
    # (cpp writes a file a"b\\c as "a\\"b\\\\c"): every location then named a file that
    # does not exist, and a relative /include/ or /incbin/ was looked for in the wrong folder.
    # The setter unescapes; our own file entry and exit write the real name directly.
    @property
    def filename(self) -> str:  # type: ignore[override]
        return self._smh_fn

    @filename.setter
    def filename(self, value: str) -> None:
        # Raw: dtlib's first assignment (the file given) and anything after the parse.
        raw = value is self._smh_fn0 or self.__dict__.get("_smh_parsed", False)
        self._smh_fn = value if raw else unescape_marker(value)

    def _smh_here(self) -> tuple[str, int, int]:
        # Same column arithmetic as dtlib's own parse errors (1-based, tab = 1).
        col = self._tok_i - self._file_contents.rfind("\n", 0, self._tok_i + 1)
        return (self.filename, self._lineno, col)

    def _parse_node(self, node: Any) -> Any:
        pending = self._smh_pending
        if pending is not None and pending[0] is node.parent and pending[1] == node.name:
            loc = pending[2]  # 'name {': the name token
        else:
            loc = self._smh_here()  # '/ {' or '&label {'
        setattr(node, LOC_ATTR, loc)
        self._smh_pending = None
        stack = self._smh_stack
        if not stack:
            self._smh_depth0 = _depth(node)
        # dtlib recurses once per level: stop at the limit, long before Python's own.
        if self._smh_depth0 + len(stack) > MAX_NODE_DEPTH:
            raise DevicetreeError(
                f"nodes nested deeper than {MAX_NODE_DEPTH} levels (the root is level 0)",
                file=display_path(loc[0]), line=loc[1], column=loc[2],
                hint="real devicetrees nest a few levels (Linux reads 64 at most): is a "
                "'};' missing, or was the file generated wrongly?",
            )
        stack.append(node)
        try:
            return super()._parse_node(node)
        finally:
            self._smh_stack.pop()

    def _parse_propnode_labels(self) -> Any:
        # Called before every item of a node body: the previous item is complete, so a
        # pending property gets its location now (also covers 'flag;' properties, which
        # never reach _parse_assignment).
        pending = self._smh_pending
        if pending is not None:
            prop = pending[0].props.get(pending[1])
            if prop is not None:
                setattr(prop, LOC_ATTR, pending[2])
            self._smh_pending = None
        result = super()._parse_propnode_labels()
        tok = self._saved_token  # the name token, peeked by the call above
        if tok is not None and tok.id == _PROPNODENAME:
            self._smh_pending = (self._smh_stack[-1], tok.val, self._smh_here())
        return result

    def _next_ref2node(self) -> Any:
        # Used by the top-level /delete-node/ and /omit-if-no-ref/: dtlib would crash on
        # the root (Node._del() goes through its parent, which the root does not have).
        node = super()._next_ref2node()
        if node.parent is None:
            self._parse_error(ROOT_REF_MSG)
        return node

    def _enter_file(self, filename: str) -> None:
        # dtlib 0.0.2 checks /include/ recursion by comparing the name as written with the
        # opened paths, which never match, so a cycle ran for ever.  Do the whole entry
        # here: resolve and read the file, then refuse a file already being read (by
        # device and inode) or a chain deeper than cpp allows.
        here = self._smh_here()
        raw = self._unescape(filename.encode("utf-8"))
        try:
            name = raw.decode("utf-8")
        except UnicodeDecodeError:
            self._parse_error("filename is not valid UTF-8")
        with self._open(name, "rb") as f:
            opened = f.name
            ident = _fd_id(f.fileno())
            data = f.read()
        chain = [n for _, n in self._smh_files]
        if ident is not None and any(ident == i for i, _ in self._smh_files):
            first = next(k for k, (i, _) in enumerate(self._smh_files) if i == ident)
            cycle = " -> ".join(display_path(n) for n in [*chain[first:], opened])
            raise DevicetreeError(
                f"recursive /include/: {cycle}", file=display_path(here[0]), line=here[1],
                column=here[2], hint="remove one /include/ of the cycle (or guard it)",
            )
        if len(self._filestack) >= MAX_INCLUDE_DEPTH:
            raise DevicetreeError(
                f"/include/ nested deeper than {MAX_INCLUDE_DEPTH} files",
                file=display_path(here[0]), line=here[1], column=here[2],
                hint="an /include/ chain this long is a mistake; check for a cycle",
            )
        text = decode_utf8(data, display_path(opened))
        check_text(text, lambda off: (display_path(opened), *line_col(text, off)))
        # The state dtlib keeps for a file (it restores it in _leave_file).
        self._filestack.append(dtlib._FileStackElt(
            self.filename, self._lineno, self._file_contents, self._tok_end_i))
        self._smh_files.append((ident, opened))
        self._file_contents = text
        self._smh_fn = opened
        self._lineno = 1
        self._tok_end_i = 0

    def _leave_file(self) -> None:
        (self._smh_fn, self._lineno, self._file_contents,
         self._tok_end_i) = self._filestack.pop()
        self._smh_files.pop()

    # /incbin/: dtlib grows the value with ``bytes +=`` per item (quadratic in the number of
    # /incbin/s of one property) and reads any file as often as it is named (a 63 MB file
    # named in 100 properties cost 6.2 GB).  Here one budget covers every /incbin/ of the
    # load, checked before reading, and the value is a bytearray while it is assembled.
    def _parse_assignment(self, prop: Any) -> None:
        try:
            super()._parse_assignment(prop)
        finally:
            if isinstance(prop.value, bytearray):
                prop.value = bytes(prop.value)

    def _fixup_props(self) -> None:
        # dtlib rebuilds every value after the parse, appending the bytes between markers
        # with ``bytes +=`` (quadratic in the number of markers): a property of 2,000
        # /incbin/s of 64 KiB never finished.  Values whose markers only give types (no
        # reference or label to patch in) come out of that rebuild unchanged, so they skip
        # it: their markers are set aside and put back (prop.type reads them).
        stash = []
        for node in self.node_iter():
            for prop in node.props.values():
                marks = prop._markers
                if len(marks) > 16 and all(m[1] in _PLAIN_MARKERS for m in marks):
                    stash.append((prop, marks))
                    prop._markers = []
        try:
            super()._fixup_props()
        finally:
            for prop, marks in stash:
                prop._markers = marks

    def _parse_incbin(self, prop: Any) -> None:
        here = self._smh_here()
        prop._add_marker(dtlib._MarkerType.UINT8)
        self._expect_token("(")
        tok = self._next_token()
        if tok.id != dtlib._T.STRING:
            self._parse_error("expected quoted filename")
        try:  # a string literal like any other (dtc unescapes it; dtlib 0.0.2 did not)
            filename = self._unescape(tok.val.encode("utf-8")).decode("utf-8")
        except UnicodeDecodeError:
            self._parse_error("filename is not valid UTF-8")
        tok = self._next_token()
        offset = size = None
        if tok.val == ",":
            offset = self._eval_prim()
            self._expect_token(",")
            size = self._eval_prim()
            self._expect_token(")")
            if offset < 0 or size < 0:
                self._parse_error("/incbin/ offset and size must not be negative")
        elif tok.val != ")":
            self._parse_error("expected ',' or ')'")
        with self._open(filename, "rb", what="/incbin/", here=here) as f:
            total = os.fstat(f.fileno()).st_size
            start = min(offset or 0, total)
            want = total - start if size is None else min(size, total - start)
            if want > self._smh_incbin_left:
                used = (int(limits.INCBIN_MB.value()) << 20) - self._smh_incbin_left
                raise DevicetreeError(
                    f"/incbin/ of '{filename}' adds {human_size(want)} to the "
                    f"{human_size(used)} already read; all /incbin/ data of one devicetree is "
                    f"limited to {human_size(used + self._smh_incbin_left)}",
                    file=display_path(here[0]), line=here[1], column=here[2],
                    hint="include less binary data (or a slice: /incbin/(\"f\", offset, size)); "
                    f"if it is real, raise ${limits.INCBIN_MB.env} (MiB)",
                )
            try:
                f.seek(start)
                data = f.read(want)
            except OSError as e:
                self._parse_error(f"could not read '{filename}': {e.strerror or e}")
        self._smh_incbin_left -= len(data)
        if not isinstance(prop.value, bytearray):
            prop.value = bytearray(prop.value)
        prop.value += data

    def _open(self, filename: str, mode: str = "r", what: str = "/include/",
              here: tuple[str, int, int] | None = None, **kwargs: Any) -> Any:
        # The file behind /include/ and /incbin/, searched like dtlib does (the including
        # file's folder, then the include path), but only ever a regular file of sane
        # size: dtlib would read '-' from stdin, block on a FIFO and read /dev/zero for ever.
        if filename == "-":
            self._parse_error("reading standard input ('-') is not supported")
        for folder in (os.path.dirname(self.filename), *self._include_path):
            path = os.path.join(folder, filename)
            try:
                st = os.stat(path)
            except FileNotFoundError:
                continue
            except OSError as e:
                self._parse_error(f"cannot read '{filename}': {e.strerror}")
            why = forbidden_file(path)
            if why is not None:
                loc = here or self._smh_here()
                raise forbidden_error(filename, why, display_path(loc[0]), loc[1], loc[2], what)
            if not stat.S_ISREG(st.st_mode):
                self._parse_error(f"'{filename}' is not a regular file")
            if st.st_size > MAX_SOURCE_BYTES:
                self._parse_error(
                    f"'{filename}' is {human_size(st.st_size)}, over the "
                    f"{human_size(MAX_SOURCE_BYTES)} limit"
                )
            try:
                return open(path, mode, **kwargs)  # noqa: SIM115 - the caller closes it
            except OSError as e:
                self._parse_error(f"cannot read '{filename}': {e.strerror}")
        self._parse_error(f"'{filename}' could not be found")


#: Parse-error text for ``/delete-node/ &{/};`` and ``/omit-if-no-ref/ &{/};``.
ROOT_REF_MSG = "the root node cannot be deleted or omitted"


def _depth(node: Any) -> int:
    depth = 0
    while node.parent is not None:
        node = node.parent
        depth += 1
    return depth


def _fd_id(fd: int) -> tuple[int, int] | None:
    try:
        st = os.fstat(fd)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def _file_id(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)
