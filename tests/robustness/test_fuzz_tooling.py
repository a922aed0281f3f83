"""The fuzzing tools themselves: generators are deterministic, the harness classifies
outcomes correctly (a harness that called everything "ok" would make every fuzz test pass)."""

from __future__ import annotations

import json
import random

import pytest

from smh_boot.errors import DevicetreeError, HeapError, InputError, TraceError
from smh_boot.fuzz import (
    generate_board,
    generate_devicetree,
    generate_trace,
    mutate,
    run_cli,
    run_trace,
    time_limit,
    trace_text,
)
from smh_boot.fuzz.harness import InputTimeout, guarded


@pytest.mark.parametrize("gen", [
    lambda r: generate_devicetree(r).files,
    lambda r: generate_board(r),
    lambda r: generate_trace(r),
    lambda r: mutate(r, "/ { a = <1 2>; };\n", 5),
])
def test_generators_are_deterministic_per_seed(gen):
    assert gen(random.Random(7)) == gen(random.Random(7))
    assert len({json.dumps(gen(random.Random(s)), sort_keys=True) for s in range(20)}) > 15


def _raise(e):
    def f():
        raise e
    return f


def test_harness_calls_a_foreign_exception_a_crash_with_its_traceback():
    out = guarded([("ok", lambda: None), ("boom", _raise(KeyError("x")))])
    assert (out.kind, out.step, out.error_type, out.failed) == ("crash", "boom", "KeyError", True)
    assert "KeyError" in out.traceback and "crash:boom:KeyError" in out.signature()


def test_harness_calls_a_located_input_error_an_error(tmp_path):
    f = tmp_path / "x.dts"
    f.write_text("a\nb\nc\n")
    out = guarded([("load", _raise(DevicetreeError("bad", file=str(f), line=3, column=1)))])
    assert (out.kind, out.failed) == ("error", False)
    assert guarded([("heap", _raise(HeapError("no memory")))]).kind == "error"


@pytest.mark.parametrize("err", [
    InputError("no file given"),
    TraceError("", file="t.json"),
    DevicetreeError("past the end", file="__FILE__", line=99),
    DevicetreeError("line zero", file="__FILE__", line=0),
])
def test_harness_calls_an_input_error_without_a_usable_location_unlocated(tmp_path, err):
    f = tmp_path / "x.dts"
    f.write_text("one line\n")
    if err.file == "__FILE__":
        err.file = str(f)
    out = guarded([("load", _raise(err))])
    assert out.kind == "unlocated" and out.failed


def test_time_limit_turns_a_hang_into_an_outcome():
    def spin():
        while True:
            pass

    out = guarded([("spin", spin)], timeout=0.2)
    assert (out.kind, out.step) == ("hang", "spin") and out.seconds < 5
    with pytest.raises(InputTimeout):
        with time_limit(0.05):
            spin()


def test_run_cli_classifies_exit_statuses():
    ok, stdout, _ = run_cli(["boards"])
    assert ok.kind == "ok" and ok.message == "exit 0" and stdout
    bad, _, stderr = run_cli(["no-such-command"])
    assert bad.kind == "error" and "No such command" in stderr


def test_trace_text_keeps_one_op_per_line_so_errors_have_lines(tmp_path):
    doc = generate_trace(random.Random(3))
    assert json.loads(trace_text(doc)) == doc
    doc["ops"].append({"op": "explode"})
    p = tmp_path / "t.json"
    p.write_text(trace_text(doc))
    out = run_trace(p)
    assert out.kind == "error" and f"{p}:{len(doc['ops']) + 1}:" in out.message
