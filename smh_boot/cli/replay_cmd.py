"""``smh-boot replay TRACE... [--check] [--json]``: run golden-format heap traces."""

from __future__ import annotations

import json
import sys

import click


@click.command("replay")
@click.argument("traces", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--check", is_flag=True,
              help="Compare every result and the final state with the recorded ones.")
@click.option("--json", "as_json", is_flag=True,
              help="Print JSON: the replayed golden document (or, with --check, a report).")
@click.option("--digests", type=click.Choice(["recorded", "all", "none"]), default="recorded",
              show_default=True,
              help="After which ops to compute the 'sd' heap digest: where the trace records "
              "one, after every op (to record a golden file; costs ops x live blocks), or never.")
@click.pass_context
def command(ctx: click.Context, traces: tuple[str, ...], check: bool, as_json: bool,
            digests: str) -> None:
    """Replay each TRACE (a zephyr-shared-multi-heap-golden/1 file) through the emulated
    shared multi-heap, under the configuration the trace names, and print the results.

    Exit status: 0 (with --check: every trace matches), 1 a trace differs, 2 a trace file
    is unreadable or malformed."""
    from ..heap.trace import is_index
    from ..heap.trace_stream import open_trace, replay_file, write_document, write_results

    # Each trace is read a piece at a time and each result printed (or compared) as it comes:
    # memory stays the heaps' own state, whatever the trace's length (trace_stream).
    out = sys.stdout
    failed = 0
    report = []
    skipped = [p for p in traces if is_index(p)]
    for path in skipped:
        click.echo(f"skip {path}: a golden index, not a trace", err=True)
    traces = tuple(p for p in traces if p not in skipped)
    for path in traces:
        src = open_trace(path)
        if not check:
            if as_json:
                write_document(src, out, digests=digests)
            else:
                if len(traces) > 1:
                    out.write(f"# {path}\n")
                write_results(src, out, digests=digests)
            out.flush()
            continue
        outcome = replay_file(src, digests=digests, check=True)
        diff, n = outcome.difference, src.n_ops
        counts = {"results_compared": outcome.compared, "digests_compared": outcome.digests}
        if diff is None:
            report.append({"trace": path, "ok": True, "ops": n, **counts})
            if not as_json:
                click.echo(f"PASS {path} ({n} ops; {outcome.compared} results and "
                           f"{outcome.digests} digests compared)")
        else:
            failed += 1
            report.append({
                "trace": path, "ok": False, "ops": n, "where": diff.where, "op": diff.index,
                "field": diff.field, "expected": diff.expected, "actual": diff.actual, **counts,
            })
            if not as_json:
                click.echo(f"FAIL {path}: first difference\n{diff.describe(path)}")
    if check:
        if as_json:
            click.echo(json.dumps(report, indent=1))
        else:
            click.echo(f"{len(traces) - failed}/{len(traces)} trace(s) match")
    if failed:
        ctx.exit(1)
