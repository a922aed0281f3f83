"""Run one input through smh-boot's public entry points and classify what happened.

The property every robustness test checks: an input either works (``"ok"``) or ends in one
:class:`~smh_boot.errors.SmhError` (``"error"``) whose input errors name a file, and a line
inside it when they give one.  Anything else is a failure:

* ``"crash"``: another exception type escaped (the user would see a traceback);
* ``"hang"``: the input ran past its time limit;
* ``"unlocated"``: an input error without a file, with a line outside the file, or without
  a message.

The time limit uses ``SIGALRM`` (main thread only; elsewhere it is not enforced) and raises a
``BaseException`` so that no ``except Exception`` in the code under test can swallow it.
"""

from __future__ import annotations

import contextlib
import io
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
FAILURES = ("crash", "hang", "unlocated")


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


def classify(err: SmhError, step: str, known_lines: dict[str, int] | None = None) -> Outcome:
    """An SmhError as an Outcome: ``"error"``, or ``"unlocated"`` when an input error lacks
    a file or message or points past the end of its file."""
    msg = str(err)
    out = Outcome("error", step, type(err).__name__, msg)
    if not msg.strip() or "Traceback (most recent call last)" in msg:
        out.kind = "unlocated"
    if isinstance(err, InputError):
        if not err.file or not err.message:
            out.kind = "unlocated"
        elif err.line is not None:
            n = _line_count(err.file, known_lines or {})
            if err.line < 1 or (n is not None and err.line > n):
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
        else:
            o.kind, o.message = "crash", f"main returned {code!r}; stderr: {msg[-500:]}"
    return o, out.getvalue(), err.getvalue()
