"""``smh-boot validate``: check a devicetree memory layout, GCC-style diagnostics.

Exit status: 0 no error-level finding, 1 error-level findings, 2 the input could not be read
(or an option names an unknown rule).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import InputError

_FORMATS = ("text", "json", "sarif")


def _parse_severities(pairs: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        rule, sep, level = pair.partition("=")
        if not sep or not rule or not level:
            raise InputError(f"--severity expects RULE=LEVEL, got {pair!r}",
                             hint="e.g. --severity region-overlaps-kernel-ram=error")
        out[rule.strip()] = level.strip()
    return out


def _shown(path) -> str:
    """A board's file as diagnostics should name it: a shipped file by its absolute path (shown
    as ``<smh-boot>/dts/...``), a user's file below the working directory relative to it, so
    diagnostics read ``boards/x.dts:12:3`` rather than the full path."""
    from ..resources import display_name

    p = Path(path)
    if display_name(p) != str(p):
        return str(p)
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _board_inputs(name: str):
    """(dts, overlays, include_dirs, option defaults) of a board definition."""
    try:
        from ..board import load_board
    except ImportError as e:  # pragma: no cover - boards not part of this build
        raise InputError("--board needs smh_boot.board, which is not available") from e
    b = load_board(name)
    defaults = {
        "arch": b.arch,
        "isa": b.isa,
        "ptr_size": b.ptr_size,
        "runtime_stats": b.heap.runtime_stats,
        "heap_mode": b.heap.heap_mode,
        "policy_rules": b.policy_rules(),
    }
    return (_shown(b.dts_path), tuple(map(_shown, b.overlay_paths)), tuple(map(_shown, b.include_dirs)),
            defaults)


@click.command("validate")
@click.argument("dts", nargs=-1, type=click.Path(dir_okay=False))
@click.option("--board", help="Validate a board definition (its devicetree, overlays and settings).")
@click.option("--overlay", "overlays", multiple=True, type=click.Path(dir_okay=False),
              help="Devicetree overlay applied after the .dts (repeatable).")
@click.option("-I", "--include-dir", "include_dirs", multiple=True, type=click.Path(file_okay=False),
              help="Include directory for #include / /include/ (repeatable).")
@click.option("--arch", type=click.Choice(["arm", "arm64", "riscv", "xtensa", "x86", "posix"]),
              help="Board architecture (enables the architecture rules).")
@click.option("--isa", help="Instruction set, e.g. armv7e-m or armv8-m.main (chooses the MPU rule).")
@click.option("--ptr-size", type=click.Choice(["4", "8"]), help="Pointer size in bytes [default: 4].")
@click.option("--runtime-stats/--no-runtime-stats", default=None,
              help="CONFIG_SYS_HEAP_RUNTIME_STATS (changes the smallest heap) [default: off].")
@click.option("--heap-mode", type=click.Choice(["auto", "small", "big"]),
              help="CONFIG_SYS_HEAP_AUTO / SMALL_ONLY / BIG_ONLY [default: auto].")
@click.option("--format", "fmt", type=click.Choice(_FORMATS), default="text", show_default=True,
              help="Output format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the report to a file.")
@click.option("--werror", is_flag=True, help="Report warnings as errors.")
@click.option("--disable", "disabled", multiple=True, metavar="RULE", help="Do not run RULE (repeatable).")
@click.option("--enable", "enabled", multiple=True, metavar="RULE",
              help="Run RULE, also one that is off by default (repeatable).")
@click.option("--severity", "severities", multiple=True, metavar="RULE=LEVEL",
              help="Report RULE as error, warning, info or off (repeatable).")
@click.option("--explain", "explain_rule", metavar="RULE", help="Explain RULE and exit.")
@click.option("--list-rules", is_flag=True, help="List every rule and exit.")
def command(dts, board, overlays, include_dirs, arch, isa, ptr_size, runtime_stats, heap_mode, fmt, output,
            werror, disabled, enabled, severities, explain_rule, list_rules):
    """Validate the memory layout of DTS (one or more devicetrees) or of --board NAME.

    Prints one line per finding, `file:line:col: severity: node: message [rule]`, with `note:`
    lines for the other place of two-node findings.  Exit status: 0 clean (warnings allowed),
    1 error-level findings, 2 unreadable input."""
    from ..validate import RULES, ValidationOptions, count_by_severity, validate_devicetree
    from ..validate import report

    if list_rules:
        click.echo(report.list_rules(), nl=False)
        return 0
    if explain_rule:
        if explain_rule not in RULES:
            ValidationOptions(disabled=(explain_rule,)).check(RULES)  # raises with a hint
        click.echo(report.explain(explain_rule), nl=False)
        return 0

    inputs: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = []
    defaults: dict = {}
    if board:
        b_dts, b_ovl, b_inc, defaults = _board_inputs(board)
        inputs.append((str(b_dts), (*map(str, b_ovl), *overlays), (*map(str, b_inc), *include_dirs)))
    for path in dts:
        inputs.append((path, tuple(overlays), tuple(include_dirs)))
    if not inputs:
        raise click.UsageError("give a .dts file or --board NAME (or --explain/--list-rules)")

    policy = None
    if defaults.get("policy_rules"):
        from ..devicetree import MappingPolicy

        policy = MappingPolicy.from_rules(defaults["policy_rules"])
    options = ValidationOptions(
        arch=arch or defaults.get("arch"),
        isa=isa or defaults.get("isa"),
        ptr_size=int(ptr_size) if ptr_size else defaults.get("ptr_size", 4),
        runtime_stats=runtime_stats if runtime_stats is not None else defaults.get("runtime_stats", False),
        heap_mode=heap_mode or defaults.get("heap_mode", "auto"),
        smh_policy=policy,
        disabled=tuple(disabled),
        enabled=tuple(enabled),
        severities=_parse_severities(severities),
        werror=werror,
    )
    options.check(RULES)

    from ..devicetree import load_devicetree
    from ..resources import display_name

    diags = []
    files: list[str] = []
    for path, ovl, inc in inputs:
        dt = load_devicetree(path, overlays=ovl, include_dirs=inc)
        diags.extend(validate_devicetree(dt, options=options))
        files += [path, *ovl]

    if fmt == "text":
        text = report.render_text(diags)
        text += f"{', '.join(display_name(p) for p, _, _ in inputs)}: {report.summary_line(diags)}\n"
    else:
        text = report.render(diags, fmt, files)
    if output:
        try:
            with open(output, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as e:
            raise InputError(f"cannot write the report: {e.strerror}", file=output,
                             hint="check that the folder exists and is writable") from e
    else:
        click.echo(text, nl=False)
        sys.stdout.flush()
    return 1 if count_by_severity(diags)["error"] else 0
