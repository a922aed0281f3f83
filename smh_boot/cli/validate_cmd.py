"""``smh-boot validate``: check a devicetree memory layout, GCC-style diagnostics.

Exit status: 0 no error-level finding, 1 error-level findings, 2 the input could not be read
(or an option names an unknown rule).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import InputError
from ._target import target_options

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


def _board_facts(b) -> dict:
    """Validation defaults from a resolved board (arch "unknown" -> no arch rules)."""
    return {
        "arch": None if b.arch == "unknown" else b.arch,
        "isa": None if b.isa == "unknown" else b.isa,
        "ptr_size": b.ptr_size,
        "runtime_stats": b.heap.runtime_stats,
        "heap_mode": b.heap.heap_mode,
        "policy_rules": b.policy_rules(),
    }


def _with_inference(text: str, fmt: str, inference: list[tuple[str, str]]) -> str:
    """The JSON/SARIF report with what the input resolver had to guess: ``"inference"``
    (input, message) in the JSON report, tool execution notifications in SARIF."""
    if not inference:
        return text
    import json

    doc = json.loads(text)
    if fmt == "json":
        doc["inference"] = [{"input": i, "warning": w} for i, w in inference]
    elif fmt == "sarif":
        doc["runs"][0]["invocations"] = [{
            "executionSuccessful": True,
            "toolExecutionNotifications": [
                {"level": "warning", "message": {"text": w},
                 "locations": [{"physicalLocation": {"artifactLocation": {"uri": i}}}]}
                for i, w in inference],
        }]
    return json.dumps(doc, indent=2) + "\n"


@click.command("validate")
@click.argument("dts", nargs=-1)
@click.option("--board", help="Validate a board definition (its devicetree, overlays and settings).")
@click.option("--overlay", "overlays", multiple=True, type=click.Path(dir_okay=False),
              help="Devicetree overlay applied after the .dts (repeatable).")
@click.option("-I", "--include-dir", "include_dirs", multiple=True, type=click.Path(file_okay=False),
              help="Include directory for #include / /include/ (repeatable).")
@target_options
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
def command(dts, board, overlays, include_dirs, runtime_stats, heap_mode, fmt, output,
            werror, disabled, enabled, severities, explain_rule, list_rules, **target):
    """Validate the memory layout of DTS (one or more devicetrees) or of --board NAME.

    Each DTS may also be a board or a Zephyr board target (with --zephyr-base); --build-dir
    validates a Zephyr build.  Architecture, ISA and pointer size are inferred (from /cpus, the
    .config or the board) unless --arch/--isa/--ptr-size are given.

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

    from ..devicetree import MappingPolicy, load_devicetree
    from ._target import resolve_target

    resolved = []
    if board:
        resolved.append(resolve_target(board, overlays, include_dirs, **target))
    for path in dts:
        resolved.append(resolve_target(path, overlays, include_dirs, **target))
    if target.get("build_dir") and not dts and not board:
        resolved.append(resolve_target(None, overlays, include_dirs, **target))
    if not resolved:
        raise click.UsageError("give a .dts file, a board, a board target, --build-dir or "
                               "--board NAME (or --explain/--list-rules)")
    from ..resources import display_name

    diags = []
    files: list[str] = []
    shown_inputs: list[str] = []
    inference: list[tuple[str, str]] = []
    guesses = 0
    for r in resolved:
        b = r.board
        facts = _board_facts(b)
        policy = MappingPolicy.from_rules(facts["policy_rules"]) if facts["policy_rules"] else None
        options = ValidationOptions(
            arch=facts["arch"],
            isa=facts["isa"],
            ptr_size=facts["ptr_size"],
            runtime_stats=runtime_stats if runtime_stats is not None else facts["runtime_stats"],
            heap_mode=heap_mode or facts["heap_mode"],
            smh_policy=policy,
            disabled=tuple(disabled),
            enabled=tuple(enabled),
            severities=_parse_severities(severities),
            werror=werror,
        )
        options.check(RULES)
        if r.kind == "board":
            # board files: paths as the user sees them (relative to the working directory)
            d, ovl = _shown(b.dts_path), tuple(map(_shown, b.overlay_paths))
            dt = load_devicetree(d, overlays=ovl, include_dirs=tuple(map(_shown, b.include_dirs)))
        else:
            dt = r.load_devicetree()
            d, ovl = str(dt.dts_path), tuple(map(str, b.overlay_paths))
        for w in r.warnings:
            click.echo(f"warning: {w}", err=True)
            inference.append((d, w))
            guesses += 1
        diags.extend(validate_devicetree(dt, options=options))
        files += [d, *ovl]
        shown_inputs.append(d)

    if fmt == "text":
        text = report.render_text(diags)
        text += f"{', '.join(display_name(p) for p in shown_inputs)}: {report.summary_line(diags)}\n"
    else:
        text = _with_inference(report.render(diags, fmt, files), fmt, inference)
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
    return 1 if count_by_severity(diags)["error"] or (werror and guesses) else 0
