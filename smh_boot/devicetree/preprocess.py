"""Run the C preprocessor over a board devicetree and its overlays, the way Zephyr does.

Zephyr (``zephyr_dt_preprocess`` in cmake/modules/extensions.cmake) runs::

    <cc> -x assembler-with-cpp -nostdinc -isystem <dir>... -include <board.dts>
         -include <overlay>... -undef -D__DTS__ -E -o zephyr.dts.pre <empty input>

so every file is one translation unit (a ``#define`` in the board reaches the overlays) and
the line markers stay in the output (no ``-P``): dtlib reads them, which is how every node
and error keeps its original file and line.

cpp's own failures (missing include, ``#error``, unterminated macro call) are turned into one
:class:`~smh_boot.errors.DevicetreeError` at the file and line cpp names.
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from .. import limits
from ..errors import DevicetreeError
from ..resources import display_name, dts_dir
from ..units import human_size

#: Environment variable naming the preprocessor to run instead of ``cpp`` on the PATH.
CPP_ENV = "SMH_BOOT_CPP"

#: The empty primary input; the board and overlays come in through ``-include``.
EMPTY_INPUT = os.devnull

# "file:line:col: fatal error: text" / "file:line: error: text" (GCC diagnostics)
_DIAG_RE = re.compile(
    r"^(?P<file>[^\n]+?):(?P<line>\d+):(?:(?P<col>\d+):)? (?:fatal )?error: (?P<msg>.*)$",
    re.MULTILINE,
)
_MISSING_RE = re.compile(r"^(?P<name>.+): No such file or directory$")


def project_include_dir() -> Path:
    """The shipped ``dts/include`` (dt-bindings headers, ``mem.h``), always on the path."""
    return dts_dir() / "include"


def display_path(name: str) -> str:
    """A file name as users wrote it (cpp prefixes ``-include``d relative paths with ``./``);
    shipped data files as ``<smh-boot>/dts/...`` (:func:`smh_boot.resources.display_name`)."""
    return display_name(name)


def find_cpp(cpp: str | None = None, for_file: str | None = None) -> str:
    """The preprocessor to run: ``cpp`` argument, else ``$SMH_BOOT_CPP``, else ``cpp`` on the
    PATH.  Raises DevicetreeError with install instructions when it cannot be found."""
    wanted = cpp or os.environ.get(CPP_ENV) or "cpp"
    found = shutil.which(wanted)
    if found is None:
        raise DevicetreeError(
            f"the C preprocessor '{wanted}' was not found; devicetrees are preprocessed "
            "with cpp, as Zephyr does",
            file=for_file,
            hint="install it (Debian/Ubuntu: apt-get install cpp; Fedora: dnf install cpp) "
            f"or point {CPP_ENV} at a GCC-compatible preprocessor",
        )
    return found


def cpp_command(
    cpp: str,
    dts: str,
    overlays: Sequence[str],
    include_dirs: Sequence[str],
    output: str,
) -> list[str]:
    """The preprocessor command line (Zephyr's flags; user include dirs come first so they
    can override the shipped headers)."""
    cmd = [cpp, "-x", "assembler-with-cpp", "-nostdinc", "-undef", "-D__DTS__"]
    for d in [*include_dirs, str(project_include_dir())]:
        cmd += ["-isystem", str(d)]
    for f in [dts, *overlays]:
        cmd += ["-include", str(f)]
    cmd += ["-E", EMPTY_INPUT, "-o", output]
    return cmd


def preprocess(
    dts: str,
    overlays: Sequence[str],
    include_dirs: Sequence[str],
    output: str,
    cpp: str | None = None,
) -> None:
    """Preprocess ``dts`` + ``overlays`` into ``output``; DevicetreeError on any cpp error."""
    exe = find_cpp(cpp, for_file=dts)
    cmd = cpp_command(exe, dts, overlays, include_dirs, output)
    from . import guards

    # Device files and /proc, /sys, /dev are refused at the #include line before cpp reads
    # them; the search path is the one on cpp's command line.
    guards.check_include_targets([dts, *overlays], _search_dirs(cmd))
    timeout = limits.CPP_TIMEOUT.value()
    memory = int(limits.CPP_MEMORY_MB.value()) << 20
    try:
        # Bytes, not text: cpp echoes bad input back in its messages, and those bytes
        # need not be UTF-8.  Its own session, so a runaway cpp is killed with all it started;
        # an address-space limit, so a file that never ends cannot eat the machine's memory.
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                start_new_session=True, preexec_fn=lambda: _limit_memory(memory))
    except OSError as e:  # e.g. the file exists but is not executable
        raise DevicetreeError(
            f"cannot run the C preprocessor '{exe}': {e.strerror or e}",
            file=dts,
            hint=f"install cpp (apt-get install cpp) or point {CPP_ENV} at a working one",
        ) from e
    stderr, why = _wait_bounded(proc, output, timeout)
    if why is not None:
        raise DevicetreeError(
            why,
            file=dts,
            hint="look for files that #include each other without include guards (an "
            "include bomb) or very large generated input; cpp's time limit is "
            f"${CPP_TIMEOUT_ENV} seconds (default {DEFAULT_CPP_TIMEOUT:g})",
        )
    if proc.returncode != 0:
        text = stderr.decode("utf-8", errors="replace")
        if _OOM_RE.search(text):
            raise DevicetreeError(
                f"the C preprocessor ran out of memory (its limit is {memory >> 20} MiB)",
                file=dts,
                hint="an #include built by a macro may name a file that never ends, or the "
                f"input is huge; raise ${limits.CPP_MEMORY_MB.env} only for real input",
            )
        raise cpp_error(text, dts)


#: Environment variable overriding the preprocessor's time limit (seconds).
CPP_TIMEOUT_ENV = limits.CPP_TIMEOUT.env
DEFAULT_CPP_TIMEOUT = limits.CPP_TIMEOUT.default

_OOM_RE = re.compile(r"out of memory|virtual memory exhausted|cannot allocate memory", re.I)


def _limit_memory(nbytes: int) -> None:
    # In the child between fork and exec (no imports here: another thread may hold the
    # import lock at fork time): cap cpp's (and cc1's) address space.
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        nbytes = min(nbytes, hard)
    resource.setrlimit(resource.RLIMIT_AS, (nbytes, hard))


def _search_dirs(cmd: Sequence[str]) -> list[str]:
    # The folders cpp searches, in its order, read back from its command line.
    out = []
    for flag, value in zip(cmd, cmd[1:]):
        if flag in ("-isystem", "-I", "-iquote", "-idirafter"):
            out.append(value)
    return out


def _wait_bounded(proc: subprocess.Popen, output: str, limit: float) -> tuple[bytes, str | None]:
    """Wait for cpp within the time limit and while its output stays under the source size
    limit; returns (stderr, None) or (b"", why it was stopped)."""
    import signal
    import threading

    from . import guards

    chunks: list[bytes] = []
    reader = threading.Thread(target=lambda: chunks.append(proc.stderr.read()), daemon=True)
    reader.start()
    why = None
    waited = 0.0
    while proc.poll() is None:
        if not _wait_exit(proc, 0.05):
            waited += 0.05
        try:
            size = os.path.getsize(output)
        except OSError:
            size = 0
        if size > guards.MAX_SOURCE_BYTES:
            # cpp is stopped while still writing: the real size is unknown, hence "at least"
            why = (f"the preprocessed devicetree is at least {human_size(size)}, over the "
                   f"{human_size(guards.MAX_SOURCE_BYTES)} limit")
        elif waited > limit:
            why = f"the C preprocessor did not finish in {limit:g} s"
        if why is not None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            proc.wait()
            break
    reader.join(timeout=5)
    if not reader.is_alive() and proc.stderr is not None:
        # The pipe is ours to close (Popen only closes it in communicate() or a with
        # block); left open it leaks one descriptor per preprocess().  A reader still
        # blocked (a grandchild holding the pipe) keeps it: closing would block on its lock.
        proc.stderr.close()
    return (b"".join(chunks), why)


def _wait_exit(proc: subprocess.Popen, seconds: float) -> bool:
    """Block until ``proc`` exits or ``seconds`` pass; True when it exited.

    On Linux a pidfd wakes the wait the moment cpp exits, where ``Popen.wait(timeout)`` polls
    with growing sleeps (up to 50 ms late, ~4 ms for a 12 ms cpp run); elsewhere it is that
    timed wait."""
    import select

    try:
        fd = os.pidfd_open(proc.pid)  # type: ignore[attr-defined]
    except (AttributeError, OSError):  # not Linux, or the child is already reaped
        try:
            proc.wait(timeout=seconds)
            return True
        except subprocess.TimeoutExpired:
            return False
    try:
        select.select([fd], [], [], seconds)
    finally:
        os.close(fd)
    return proc.poll() is not None


def cpp_error(stderr: str, dts: str) -> DevicetreeError:
    """Turn cpp's stderr into one located DevicetreeError (the first error it reports)."""
    m = _DIAG_RE.search(stderr)
    if m is None:
        text = stderr.strip().splitlines()
        return DevicetreeError(
            f"the C preprocessor failed: {text[-1] if text else 'no message'}",
            file=dts,
            hint="run the same cpp command by hand to see the full output",
        )
    msg, hint = m["msg"].strip(), None
    missing = _MISSING_RE.match(msg)
    if missing:
        name = missing["name"]
        msg = f"cannot find include file '{name}'"
        hint = (
            "add the folder that holds it with -I DIR (include_dirs=...), or fix the name; "
            "smh-boot ships <zephyr/dt-bindings/memory-attr/*.h>, "
            "<zephyr/dt-bindings/dt-util.h> and <mem.h>"
        )
    elif msg.startswith("#error"):
        msg = msg[len("#error") :].strip() or "#error"
        hint = "an #error directive stopped preprocessing"
    elif "unterminated argument list" in msg:
        hint = "a macro call is missing its closing ')'"
    return DevicetreeError(
        msg,
        file=display_path(m["file"]),
        line=int(m["line"]),
        column=int(m["col"]) if m["col"] else None,
        hint=hint or "fix the preprocessor directive or macro use at this line",
    )
