"""Run one input through smh-boot's public entry points and classify what happened.

The property every robustness test checks: an input either works (``"ok"``) or ends in one
:class:`~smh_boot.errors.SmhError` (``"error"``) whose input errors name a file, and a line
inside it when they give one.  Anything else is a failure:

* ``"crash"``: another exception type escaped (the user would see a traceback);
* ``"hang"``: the input ran past its time limit;
* ``"unlocated"``: an input error without a file, with a line outside the file (or in a
  file that does not exist), or without a message;
* ``"leak"``: a message that prints a long stretch of a value (more than
  :data:`MAX_HEX_RUN` hex bytes in a row).

The time limit uses ``SIGALRM`` (main thread only; elsewhere it is not enforced) and raises a
``BaseException`` so that no ``except Exception`` in the code under test can swallow it.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import signal
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError, SmhError

#: Outcome kinds that are failures of smh-boot.
FAILURES = ("crash", "hang", "unlocated", "leak")

#: A message with a run of more hex bytes than this is a ``"leak"``: diagnostics go to public
#: CI logs and show only a short prefix of a value (32 bytes).
MAX_HEX_RUN = 48
_HEX_RUN_RE = re.compile(r"(?:\b[0-9a-fA-F]{2}\s){%d}" % (MAX_HEX_RUN + 1))


class InputTimeout(BaseException):
    """Raised by :func:`time_limit` when an input runs too long (a hang)."""


@dataclass
class Outcome:
    """What one input did: ``kind`` (ok, error, crash, hang, unlocated), the ``step`` that
    ended it, the exception type name and message, the traceback (failures only) and the
    time taken."""

    kind: str
    step: str = ""
    error_type: str = ""
    message: str = ""
    traceback: str = ""
    seconds: float = 0.0

    @property
    def failed(self) -> bool:
        """True when smh-boot did not fail safe."""
        return self.kind in FAILURES

    def signature(self) -> str:
        """A short key grouping failures with the same cause (type + innermost frame)."""
        last = [ln.strip() for ln in self.traceback.splitlines() if ln.strip().startswith("File ")]
        return f"{self.kind}:{self.step}:{self.error_type}:{last[-1] if last else ''}"

    def describe(self) -> str:
        """A multi-line report for an assertion message."""
        return f"{self.kind} in {self.step}: {self.error_type}: {self.message}\n{self.traceback}"


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`InputTimeout` in the block after ``seconds`` (main thread only)."""
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    def _alarm(_signum: int, _frame: Any) -> None:
        raise InputTimeout(f"input still running after {seconds} s")

    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _line_count(path: str | None, known: dict[str, int]) -> int | None:
    if path is None:
        return None
    if path in known:
        return known[path]
    try:
        n = Path(path).read_bytes().count(b"\n") + 1
    except OSError:
        return None
    known[path] = n
    return n


def leaks(message: str) -> bool:
    """True when ``message`` prints a long run of hex bytes (see FAILURES)."""
    return _HEX_RUN_RE.search(message) is not None


def _exists(path: str) -> bool:
    try:
        return Path(path).exists()
    except (OSError, ValueError):
        return False


def classify(err: SmhError, step: str, known_lines: dict[str, int] | None = None) -> Outcome:
    """An SmhError as an Outcome: ``"error"``, or ``"unlocated"`` when an input error lacks
    a file or message or points past the end of its file."""
    msg = str(err)
    out = Outcome("error", step, type(err).__name__, msg)
    if not msg.strip() or "Traceback (most recent call last)" in msg:
        out.kind = "unlocated"
    elif leaks(msg):
        out.kind = "leak"
        out.message = msg[:500] + f"... ({len(msg)} characters)"
    if isinstance(err, InputError):
        if not err.file or not err.message:
            out.kind = "unlocated"
        elif err.line is not None:
            n = _line_count(err.file, known_lines or {})
            if n is None and not _exists(err.file):
                # A line in a file that is not there: a name mangled on the way (escaped
                # line markers used to do this with '"' and '\' in paths).
                out.kind = "unlocated"
                out.message += f"\n(the error names line {err.line} of {err.file!r}, which does not exist)"
            elif err.line < 1 or (n is not None and err.line > n):
                out.kind = "unlocated"
                out.message += f"\n(line {err.line} is outside {err.file}, which has {n} line(s))"
    return out


def guarded(steps: Sequence[tuple[str, Callable[[], Any]]], timeout: float = 10.0) -> Outcome:
    """Run ``steps`` (name, thunk) in order under one time limit; the first failure ends it."""
    t0 = time.perf_counter()
    step = ""
    try:
        with time_limit(timeout):
            for step, fn in steps:
                fn()
        out = Outcome("ok", step)
    except SmhError as e:
        out = classify(e, step)
    except InputTimeout as e:
        out = Outcome("hang", step, "InputTimeout", str(e), traceback.format_exc(limit=-8))
    except RecursionError as e:  # a subclass of RuntimeError, named for clarity
        out = Outcome("crash", step, type(e).__name__, str(e)[:500], traceback.format_exc(limit=-8))
    except Exception as e:  # noqa: BLE001 - the whole point: anything else is a crash
        out = Outcome("crash", step, type(e).__name__, str(e)[:500], traceback.format_exc(limit=-12))
    out.seconds = time.perf_counter() - t0
    return out


def run_devicetree(case: Any, folder: Path, *, timeout: float = 10.0) -> Outcome:
    """Write ``case`` (a :class:`~.dts_gen.DtsCase`) into ``folder`` and run it through
    ``load_devicetree``, ``find_regions``, ``map_to_smh``, ``mem_attr_table`` and
    ``validate_devicetree``."""
    from ..devicetree import MappingPolicy, find_regions, load_devicetree, map_to_smh, mem_attr_table
    from ..validate import ValidationOptions, validate_devicetree

    dts, overlays = case.write(folder)
    st: dict[str, Any] = {}

    def load() -> None:
        st["dt"] = load_devicetree(dts, overlays=overlays, include_dirs=[folder])

    def scan() -> None:
        st["scan"] = find_regions(st["dt"], arch=case.arch)

    def smh() -> None:
        map_to_smh(st["scan"].regions, MappingPolicy.default(case.arch))
        mem_attr_table(st["scan"].regions)

    def validate() -> None:
        opts = ValidationOptions(arch=case.arch, ptr_size=case.ptr_size)
        for d in validate_devicetree(st["dt"], opts, scan=st["scan"]):
            str(d)  # formatting a finding must not fail either

    return guarded([("load_devicetree", load), ("find_regions", scan), ("map_to_smh", smh),
                    ("validate_devicetree", validate)], timeout)


def run_board(board_yaml: Path, *, boot: bool = False, strict: bool = True, seed: int = 0,
              timeout: float = 20.0) -> Outcome:
    """``load_board`` and, with ``boot``, ``boot()`` with the shipped drivers; the boot log
    and the JSON report are rendered too (they are what the CLI prints)."""
    from ..board import load_board

    st: dict[str, Any] = {}

    def load() -> None:
        st["board"] = load_board(board_yaml)

    steps: list[tuple[str, Callable[[], Any]]] = [("load_board", load)]
    if boot:
        def do_boot() -> None:
            from ..bootstage import boot as _boot

            system = _boot(st["board"], strict=strict, seed=seed, drivers=True)
            str(system.log_text)  # the boot log is what the CLI prints

        steps.append(("boot", do_boot))
    return guarded(steps, timeout)


def run_trace(path: Path, *, timeout: float = 10.0) -> Outcome:
    """``load_trace``, ``replay``, ``compare`` and ``format_results`` on a trace file."""
    from ..heap.trace import compare, format_results, load_trace, replay

    st: dict[str, Any] = {}

    def load() -> None:
        st["trace"] = load_trace(path)

    def run() -> None:
        st["out"] = replay(st["trace"])

    def check() -> None:
        if not st["trace"].doc.get("results"):
            return  # nothing recorded to compare with (compare() says so, as it should)
        d = compare(st["trace"], st["out"])
        if d is not None:
            d.describe(str(path))
        format_results(st["out"])

    return guarded([("load_trace", load), ("replay", run), ("compare", check)], timeout)


def run_cli(args: Sequence[str], *, timeout: float = 20.0) -> tuple[Outcome, str, str]:
    """``smh_boot.cli.main(args)`` with stdout/stderr captured.

    The outcome is ``"ok"`` for exit status 0/1, ``"error"`` for 2 with one message on stderr,
    ``"crash"`` when main raises or returns anything else, ``"unlocated"`` when exit status 2
    comes with an empty message or a traceback."""
    from ..cli import main

    out, err = io.StringIO(), io.StringIO()
    rc: list[Any] = []

    def call() -> None:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc.append(main(list(args)))

    o = guarded([("cli " + (args[0] if args else ""), call)], timeout)
    if o.kind == "ok":
        code = rc[0]
        msg = err.getvalue()
        if code in (0, 1):
            o.message = f"exit {code}"
        elif code == 2:
            o.kind, o.message = "error", msg
            if not msg.strip() or "Traceback" in msg:
                o.kind = "unlocated"
            elif leaks(msg):
                o.kind, o.message = "leak", msg[:500]
        else:
            o.kind, o.message = "crash", f"main returned {code!r}; stderr: {msg[-500:]}"
    return o, out.getvalue(), err.getvalue()


def run_artifacts(ids: Sequence[str], root: Path, *, plant_symlink: bool = False,
                  timeout: float = 10.0) -> Outcome:
    """The pytest plugin's artifact writer on distinct test ids: each must get a folder of
    its own (no two ids share one, none deletes another's files) and nothing may be written
    through a symlink planted where a folder or file is expected (``plant_symlink``).  A
    breach is a ``"crash"`` outcome (the property failed); an OSError from the file system
    (a name it cannot hold) is one too, since the writer must handle any id."""
    from ..testing.artifacts import OWNER_FILE, artifact_folder, safe_name, write_artifacts

    victim = root / "victim"
    problems: list[str] = []

    def check() -> None:
        victim.mkdir(parents=True, exist_ok=True)
        (victim / "failure.txt").write_text("precious\n")
        art = root / "art"
        art.mkdir(exist_ok=True)
        if plant_symlink:
            os.symlink(victim, art / safe_name(ids[0]))
        folders = []
        for nodeid in ids:
            folder = artifact_folder(art, nodeid)
            write_artifacts(folder, [], None, nodeid)
            folders.append(folder)
        if len({f.resolve() for f in folders}) != len(folders):
            problems.append(f"ids {list(ids)!r} share a folder: {[f.name for f in folders]}")
        for nodeid, folder in zip(ids, folders):
            text = (folder / OWNER_FILE).read_text(encoding="utf-8", errors="surrogateescape")
            if not text.startswith(f"test: {nodeid}\n"):
                problems.append(f"{folder.name}/{OWNER_FILE} is not {nodeid!r}'s any more")
        if (victim / "failure.txt").read_text() != "precious\n" or len(list(victim.iterdir())) != 1:
            problems.append("a file was written through the planted symlink")

    out = guarded([("artifacts", check)], timeout)
    if out.kind == "ok" and problems:
        out = Outcome("crash", "artifacts", "ArtifactCollision", "; ".join(problems), "", out.seconds)
    return out
