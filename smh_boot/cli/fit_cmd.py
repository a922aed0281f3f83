"""``smh-boot fit [BOARD]``: how small can each heap region be for a workload?

The workload is the board's own boot (its drivers' allocations, recorded), one or more
golden-format traces (``--trace``: files, folders, or the ``index.json`` that
``pytest --smh-record`` writes), or a pytest selection run and recorded on the spot
(``--pytest``).  Exit status: 0 the workload succeeds at the board's (or --resize) sizes, 1 it
does not (an allocation returned NULL, or an assert/panic), 2 bad input.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import tempfile

import click

from ..errors import InputError
from ._target import devicetree_options, print_warnings, resolve_target, target_options

_SIZE = re.compile(r"^\s*(0x[0-9a-fA-F]+|\d+)\s*([kKmMgG]?)(i?[bB])?\s*$")


def parse_size(text: str, what: str) -> int:
    """``4096``, ``0x1000``, ``64K``, ``1M``, ``2MiB`` -> bytes."""
    m = _SIZE.match(text)
    if not m:
        raise InputError(f"{what}: {text!r} is not a size", hint="write bytes (4096, 0x1000) or 64K / 1M / 1MiB")
    n = int(m.group(1), 0)
    return n << {"": 0, "k": 10, "m": 20, "g": 30}[m.group(2).lower()]


def parse_margin(text: str) -> float:
    t = text.strip()
    try:
        v = float(t[:-1]) / 100 if t.endswith("%") else float(t)
    except ValueError:
        v = float("nan")
    if not math.isfinite(v) or v < 0 or v > 10:
        raise InputError(f"--margin {text!r}: expected a percentage such as 20%", hint="0% to 1000%")
    return v


def _record_pytest(selection: str, board: str | None, out_dir: str, overlays=(), include_dirs=(),
                   **target) -> None:
    """Run the pytest selection with ``--smh-record`` on the same board: the command's target
    options given as the plugin's (``--build-dir`` as ``--smh-build-dir``, ``--zephyr-base``
    as ``--smh-zephyr-base``...), so the plugin resolves the board as this command did."""
    args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--smh-record", out_dir]
    if target.get("build_dir"):
        args += ["--smh-build-dir", target["build_dir"]]  # the build names its board
    elif board:
        args += ["--smh-board", board]
    for key in ("zephyr_base", "app", "arch", "isa", "ptr_size", "dcache"):
        if target.get(key):
            args += [f"--smh-{key.replace('_', '-')}", str(target[key])]
    for key, opt in (("board_roots", "board-root"), ("modules", "module"), ("shields", "shield")):
        for v in target.get(key) or ():
            args += [f"--smh-{opt}", v]
    for o in overlays:
        args += ["--smh-overlay", o]
    for d in include_dirs:
        args += ["--smh-include-dir", d]
    args += selection.split()
    proc = subprocess.run(args, capture_output=True, text=True)
    if proc.returncode not in (0, 1):
        tail = (proc.stdout + proc.stderr).strip().splitlines()[-5:]
        raise InputError(f"--pytest {selection!r}: pytest exited with {proc.returncode}",
                         hint="; ".join(tail) or "run the selection with pytest first")


def _fmt(n: int | None) -> str:
    if n is None:
        return "-"
    from ..report.fmt import human_size

    return f"{n} ({human_size(n)})"


def render_text(board_name: str, report) -> str:
    lines = [f"fit: {board_name}, {len(report.workloads)} workload(s), "
             f"{sum(w['ops'] for w in report.workloads)} ops, margin {report.margin:.0%}"]
    for w in report.workloads:
        state = "ok"
        if w["terminated"]:
            state = f"ENDED at {w['terminated']['where']}: {w['terminated']['error']}"
        elif w["first_null"]:
            fn = w["first_null"]
            state = f"first NULL at {fn['where']}: {fn['text']}"
        lines.append(f"  workload {w['name']} ({w['ops']} ops): {state}")
        if w["first_null"] and not w["terminated"]:
            for h in w["first_null"]["heaps"]:
                if h.get("heap", True) is None:
                    continue
                lines.append(f"    region {h['region']}: {h['allocated_bytes']} B used, "
                             f"{h['free_bytes']} B free, largest free {h['largest_free_bytes']} B")
    if report.resized:
        lines.append("  resized: " + ", ".join(f"{k}={v}" for k, v in report.resized.items()))
    head = ("region", "attr", "size", "peak", "blocks", "headroom", "frag", "minimum", "suggested")
    rows = []
    for rf in report.regions:
        rows.append((rf.region.name, rf.region.attr_name, str(rf.current), str(rf.peak_bytes),
                     str(rf.peak_blocks), str(rf.headroom_at_peak), f"{rf.worst_fragmentation:.1%}",
                     "-" if rf.minimum is None else str(rf.minimum),
                     "-" if rf.suggested is None else str(rf.suggested)))
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
    lines.append("  " + "  ".join(h.ljust(widths[i]) if i < 2 else h.rjust(widths[i]) for i, h in enumerate(head)))
    for r in rows:
        lines.append("  " + "  ".join(c.ljust(widths[i]) if i < 2 else c.rjust(widths[i]) for i, c in enumerate(r)))
    if any(rf.minimum is not None for rf in report.regions):
        lines.append("per region (sizes in bytes; minimum = smallest size at which every workload succeeds):")
        for rf in report.regions:
            why = rf.rule.why
            b = rf.below
            below = ("nothing smaller is allowed" if b is None else
                     f"at {b['size']}: {b['where']}: {b['text']} -> {b['got']}")
            lines.append(f"  {rf.region.name}: minimum {_fmt(rf.minimum)}, suggested {_fmt(rf.suggested)} [{why}]")
            lines.append(f"    one step smaller fails: {below}")
            if rf.peak_bytes == 0:
                lines.append("    no block ever lands here: the region could go")
        lines.append(f"search: {report.probes} probes (the JSON report has the time taken)")
    return "\n".join(lines) + "\n"


@click.command("fit")
@click.argument("board", required=False)
@devicetree_options
@target_options
@click.option("--trace", "traces", multiple=True, type=click.Path(),
              help="Golden-format trace, folder of traces or index.json (repeatable). "
                   "Default: the board's own boot, recorded.")
@click.option("--pytest", "pytest_sel", metavar="SELECTION",
              help="Run this pytest selection with --smh-record and fit its traces.")
@click.option("--margin", default="0%", show_default=True, help="Headroom added to each minimum.")
@click.option("--resize", "resizes", multiple=True, metavar="NAME=SIZE",
              help="What-if: run the workload with this region at this size (repeatable).")
@click.option("--no-search", is_flag=True, help="Only profile the workload; do not search sizes.")
@click.option("--emit-overlay", "emit", type=click.Path(dir_okay=False),
              help="Write a devicetree overlay with the suggested sizes.")
@click.option("--svg", "svg", type=click.Path(dir_okay=False),
              help="Write the usage-over-time picture (SVG).")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON report.")
def command(board, overlays, include_dirs, traces, pytest_sel, margin, resizes, no_search, emit, svg,
            as_json, **target):
    """Size BOARD's heap regions (default: the default board) for a workload, byte-exactly.

    BOARD is anything `boot` takes: a shipped board, a board YAML, a .dts, a Zephyr board
    target (with --zephyr-base), or --build-dir DIR."""
    from ..bootstage import boot
    from ..planning import board_side, fit, load_workloads

    m = parse_margin(margin)
    resize = {}
    for item in resizes:
        name, sep, size = item.partition("=")
        if not sep or not name:
            raise InputError(f"--resize {item!r}: expected NAME=SIZE", hint="e.g. --resize SRAM1=64K")
        resize[name] = parse_size(size, f"--resize {name}")

    resolved = resolve_target(board, overlays, include_dirs, **target)
    print_warnings(resolved)
    system, doc = board_side.record_boot(boot, resolved.board, strict=False,
                                         dt_loader=resolved.dt_loader())
    regions = board_side.plan_regions(system)
    if pytest_sel:
        from ..testing.record_dir import board_folder

        tmp = tempfile.mkdtemp(prefix="smh-fit-")
        _record_pytest(pytest_sel, board, tmp, overlays, include_dirs, **target)
        traces = (*traces, os.path.join(tmp, board_folder(resolved.board.name)))
    if traces:
        workloads = load_workloads(list(traces), regions)
    else:
        workloads = [board_side.boot_workload(system, doc)]
    b = system.board
    report = fit(regions, workloads, system.pool.config, arch=b.arch, isa=getattr(b, "isa", None),
                 dt_attrs=board_side.dt_attrs(system), margin=m, resize=resize, search=not no_search)
    if emit:
        if no_search:
            raise InputError("--emit-overlay needs the search", hint="drop --no-search")
        text = board_side.overlay_text(system, {rf.region.path: rf.suggested for rf in report.regions},
                                       comment=f"{b.name}, margin {m:.0%}")
        try:
            with open(emit, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as e:
            raise InputError(f"cannot write the overlay: {e.strerror}", file=emit) from e
    if svg:
        from ..report.usage_chart import usage_svg

        try:
            with open(svg, "w", encoding="utf-8") as fh:
                fh.write(usage_svg(b.name, report))
        except OSError as e:
            raise InputError(f"cannot write the picture: {e.strerror}", file=svg) from e
    if as_json:
        # the board the sizes are for, and what its inference had to guess (also on stderr)
        doc = {"board": b.name, **report.as_dict(), "warnings": list(resolved.warnings)}
        click.echo(json.dumps(doc, indent=2))
    else:
        click.echo(render_text(b.name, report), nl=False)
        if emit:
            click.echo(f"overlay written to {emit}")
        if svg:
            click.echo(f"picture written to {svg}")
    return 0 if report.ok else 1
