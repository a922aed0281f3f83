"""What a failing test leaves behind: a text summary for the test report, and files on disk.

Every system a test boots is remembered as a :class:`BootRecord`.  When the test fails,
:func:`write_artifacts` writes, per booted system, the boot log, the JSON boot report and the
allocation trace (golden format, replayable with ``smh-boot replay``) into one folder per test,
and :func:`failure_summary` builds the text shown under the failure: board, seed, how to
reproduce, the coherency or heap report that was raised, the tail of the boot log and the
artifact folder.
"""

from __future__ import annotations

import json
import re
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from ..errors import CoherencyError, HeapError, SmhError

#: Lines of the boot log shown in the failure report (the whole log is in the artifacts).
LOG_TAIL = 15

#: What Zephyr's C code does for a HeapError's ``c_outcome``.
_C_OUTCOME = {"rc": "returns -{errno}", "assert": "__ASSERT fires", "panic": "k_panic()"}


@dataclass
class BootRecord:
    """One boot made during a test (by ``smh_system`` or ``smh_boot_factory``)."""

    board: str
    seed: int
    stress: bool
    overlays: tuple[str, ...] = ()
    system: Any = None  #: the System, or None when the boot itself failed
    recorder: Any = None  #: the TraceRecorder installed as the pool hook
    error: BaseException | None = None  #: why the boot failed
    files: list[Path] = field(default_factory=list)  #: artifacts written for it
    #: the options that select this board again (``--smh-board X``, ``--smh-build-dir D``,
    #: ``--smh-zephyr-base Z``...), for the reproduce line
    selection: tuple[str, ...] = ()
    #: what the board's inference could not settle (as the plugin words it)
    warnings: tuple[str, ...] = ()


def safe_name(text: str, limit: int = 120) -> str:
    """A file-system-safe folder name for a test node id: readable, deterministic and
    distinct for distinct ids.

    The path separators of a plain id (``/`` and ``::``) become ``_``, as users know the
    folders (``tests_test_x.py_test_rx[board-seed3]``).  Any other character a file name
    cannot carry safely (``/`` or a space in a parameter, ``\\``, a NUL, ``..``) is replaced
    too, and then a short hash of the whole id is appended, so ``test[a/b]`` and ``test[a b]``
    never share a folder (issue 14 F11); so is an id cut at ``limit``."""
    name = re.sub(r"[^A-Za-z0-9_.\-\[\]]+", "_", text).strip("_.") or "test"
    if len(name) > limit or (name != "test" and not _plain(text, name)):
        import hashlib

        digest = hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:10]
        name = f"{name[:limit - 11]}-{digest}"
    return name


def _plain(text: str, name: str) -> bool:
    # True when ``name`` is ``text`` with only its path separators replaced (one '_' each):
    # then the id can be read back from the name, so distinct plain ids get distinct names.
    head, bracket, param = text.partition("[")
    if "/" in param or "::" in param or "[" in param[:-1]:
        return False
    if not re.fullmatch(r"[A-Za-z0-9_.\-]+(?:(?:/|::)[A-Za-z0-9_.\-]+)*", head):
        return False
    if re.search(r"(?:^|/)\.\.?(?:/|$)", head):
        return False
    return name == head.replace("::", "_").replace("/", "_") + bracket + param


#: The file in each artifact folder whose first line (``test: <node id>``) says which test
#: the folder belongs to.
OWNER_FILE = "failure.txt"


def artifact_folder(root: Path, nodeid: str, fresh: bool = True) -> Path:
    """The folder for ``nodeid``'s artifacts under ``root``, emptied (unless ``fresh`` is
    False: a teardown failure adds to what the call wrote) and ready to write.

    Never shared: a folder another test id already owns (its :data:`OWNER_FILE` names
    another id) is left alone and this id gets a hashed name of its own.  Never written
    through a symlink: a symlink where the folder should be is removed (not its target) and
    a real folder made."""
    import hashlib

    name = safe_name(nodeid)
    folder = root / name
    owner = _owner(folder)
    if owner is not None and owner != nodeid:
        digest = hashlib.sha1(nodeid.encode("utf-8", "surrogatepass")).hexdigest()[:10]
        folder = root / f"{name[:109]}-{digest}"
    root.mkdir(parents=True, exist_ok=True)
    if folder.is_symlink():
        folder.unlink()  # the link, not what it points at
    elif folder.is_dir():
        if not fresh and owner == nodeid:
            return folder
        import shutil

        shutil.rmtree(folder)  # stale files of this test's earlier run
    elif folder.exists():
        folder.unlink()
    folder.mkdir()
    return folder


def _owner(folder: Path) -> str | None:
    try:
        if folder.is_symlink() or not folder.is_dir():
            return None
        with open(folder / OWNER_FILE, encoding="utf-8", errors="surrogateescape") as f:
            first = f.readline().rstrip("\n")
    except OSError:
        return None
    return first[len("test: "):] if first.startswith("test: ") else None


def _safe_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` without following a symlink planted there (it is replaced
    by a plain file; its target is never touched)."""
    import os

    if path.is_symlink():
        path.unlink()
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags, 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)


def error_chain(exc: BaseException | None) -> Iterator[BaseException]:
    """``exc`` and its causes/contexts, each once."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def smh_error_report(exc: BaseException | None) -> str | None:
    """The coherency or heap report carried by ``exc`` (or its causes), else None."""
    for e in error_chain(exc):
        if isinstance(e, CoherencyError):
            report = getattr(e, "report", None)
            return str(report) if report is not None else f"coherency error: {e}"
        if isinstance(e, HeapError):
            kind = getattr(e, "c_outcome", "rc")
            what = _C_OUTCOME.get(kind, kind).format(errno=e.errno_name)
            return f"heap error {type(e).__name__} ({e.errno_name}; in Zephyr: {what}):\n  {e}"
        if isinstance(e, SmhError):
            return f"{type(e).__name__}: {e}"
    return None


def collected_reports(record: BootRecord) -> list[str]:
    """Coherency findings a non-raising checker collected on this system."""
    memsys = getattr(record.system, "memsys", None)
    checker = getattr(memsys, "checker", None)
    return [str(r) for r in getattr(checker, "reports", ()) or ()]


def reproduce_hint(nodeid: str, record: BootRecord) -> str:
    """The command line that re-runs this test with the same seed."""
    import shlex

    cmd = f"pytest '{nodeid}' --smh-seed {record.seed}"
    if record.stress:
        cmd += " --smh-stress"
    if record.selection:
        cmd += " " + " ".join(shlex.quote(a) for a in record.selection)
    return cmd


def write_artifacts(folder: Path, records: list[BootRecord], exc: BaseException | None,
                    nodeid: str, longrepr: str | None = None) -> list[Path]:
    """Write every record's boot log, JSON boot report and allocation trace into ``folder``.

    Files of the first boot are ``boot.log``, ``boot-report.json``, ``alloc-trace.json``; later
    boots of the same test get a ``-2``, ``-3``... suffix.  ``failure.txt`` holds the failure
    summary and the error.  Returns the paths written.  A file that cannot be produced (e.g.
    a report of a half-booted system) is replaced by a ``.error.txt`` saying why, so one
    problem never hides the others."""
    if folder.is_symlink():
        folder.unlink()  # never write into whatever a planted link points at
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for i, rec in enumerate(records):
        sfx = "" if i == 0 else f"-{i + 1}"
        rec.files = []
        if rec.system is not None:
            _write(folder / f"boot{sfx}.log", lambda r=rec: r.system.log_text, rec, written)
            _write(folder / f"boot-report{sfx}.json",
                   lambda r=rec: json.dumps(_boot_report(r.system), indent=1) + "\n", rec, written)
        if rec.recorder is not None:
            _write(folder / f"alloc-trace{sfx}.json",
                   lambda r=rec, s=sfx: _trace_text(r, nodeid, s), rec, written)
        if rec.error is not None:
            _write(folder / f"boot-error{sfx}.txt",
                   lambda r=rec: "".join(traceback.format_exception(r.error)), rec, written)
    text = [f"test: {nodeid}"]
    for rec in records:
        text.append(f"board {rec.board}, seed {rec.seed}, stress {'on' if rec.stress else 'off'}"
                    + (f", overlays {', '.join(rec.overlays)}" if rec.overlays else ""))
        text.append(f"reproduce: {reproduce_hint(nodeid, rec)}")
    report = smh_error_report(exc)
    if report:
        text += ["", report]
    if longrepr:
        text += ["", longrepr]
    path = folder / "failure.txt"
    _safe_write(path, "\n".join(text) + "\n")
    written.append(path)
    return written


def failure_summary(records: list[BootRecord], exc: BaseException | None, nodeid: str,
                    folder: Path | None, tail: int = LOG_TAIL, shown: str = "") -> str:
    """The text shown under a failing test (see the module docstring).  ``shown`` is what the
    report already prints (pytest's traceback): a coherency or heap report found there is
    not repeated."""
    out: list[str] = []
    for i, rec in enumerate(records):
        head = f"board {rec.board}, seed {rec.seed}, stress {'on' if rec.stress else 'off'}"
        if rec.overlays:
            head += f", overlays {', '.join(rec.overlays)}"
        if len(records) > 1:
            head = f"boot {i + 1}/{len(records)}: " + head
        out.append(head)
        out.append(f"  reproduce: {reproduce_hint(nodeid, rec)}")
        out += [f"  warning: {w}" for w in rec.warnings]
        if rec.error is not None:
            out.append(f"  boot failed: {type(rec.error).__name__}: {rec.error}")
        for r in collected_reports(rec):
            out += ["", r]
    report = smh_error_report(exc)
    if report:
        first = report.splitlines()[0]
        if first in shown:
            out += ["", f"{first.split(':')[0]}: the full report is in the error above"
                        + (" and in failure.txt" if folder is not None else "")]
        else:
            out += ["", report]
    for i, rec in enumerate(records):
        if rec.system is None:
            continue
        log = list(rec.system.log)
        shown = log[-tail:]
        label = f" of boot {i + 1}" if len(records) > 1 else ""
        out += ["", f"boot log{label} (last {len(shown)} of {len(log)} lines):"]
        out += [f"  {line}" for line in shown]
    if folder is not None:
        out += ["", f"artifacts: {folder}"]
    return "\n".join(out)


# ------------------------------------------------------------------------- helpers


def _write(path: Path, make: Any, rec: BootRecord, written: list[Path]) -> None:
    try:
        text = make()
    except Exception as e:  # noqa: BLE001 - an artifact that cannot be built must not hide the rest
        path = path.with_name(path.name + ".error.txt")
        text = f"could not produce {path.name[:-10]}: {type(e).__name__}: {e}\n"
    _safe_write(path, text)
    rec.files.append(path)
    written.append(path)


def _boot_report(system: Any) -> dict[str, Any]:
    from ..bootstage.boot_report import boot_report

    return boot_report(system)


def _trace_text(rec: BootRecord, nodeid: str, sfx: str) -> str:
    trace = rec.recorder.to_trace(
        name=safe_name(nodeid, 80) + sfx,
        description=f"allocations of {nodeid} on {rec.board} (seed {rec.seed})",
        generator={"board": rec.board, "test": nodeid, "seed": rec.seed},
    )
    # One op per line, like the golden files, so diffs and greps stay readable.
    ops = trace.pop("ops")
    head = json.dumps(trace, indent=1)[:-2]
    body = ",\n".join("  " + json.dumps(op) for op in ops)
    return f'{head},\n "ops": [\n{body}\n ]\n}}\n'
