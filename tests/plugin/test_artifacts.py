"""Failure artifacts and the failure summary, on a real booted system."""

from __future__ import annotations

import json

import pytest

import smh_boot
from smh_boot.errors import BoardError, DoubleFree, HeapError, LayoutError
from smh_boot.heap import SmhAttr
from smh_boot.heap.trace import load_trace, replay
from smh_boot.pytest_plugin import _ensure_checker
from smh_boot.testing import BootRecord, TraceRecorder, failure_summary, write_artifacts
from smh_boot.testing.artifacts import error_chain, reproduce_hint, safe_name, smh_error_report

NODE = "tests/x/test_uart.py::test_rx[stm32h747i_disco_m7-seed3]"


def _booted(seed=3, stress=True):
    rec = BootRecord(board="stm32h747i_disco_m7", seed=seed, stress=stress)

    def hook(pool):
        rec.recorder = TraceRecorder(pool)
        return rec.recorder

    rec.system = smh_boot.boot("stm32h747i_disco_m7", seed=seed, stress=stress, pool_hook=hook)
    _ensure_checker(rec.system)
    return rec


def _stale_tx(system):
    p = system.pool.alloc(SmhAttr.CACHEABLE, 64, owner="test:tx")
    system.memsys.cpu.write(p, b"x" * 64)
    try:
        system.dma.complete(system.dma.start(0, device="eth", src=p, size=64))
    except smh_boot.CoherencyError as e:
        return e
    raise AssertionError("the checker did not catch a missing flush")


def test_safe_name_is_stable_and_bounded():
    assert safe_name(NODE) == "tests_x_test_uart.py_test_rx[stm32h747i_disco_m7-seed3]"
    long = safe_name("t::" + "x" * 300)
    assert len(long) <= 120 and long == safe_name("t::" + "x" * 300)
    assert safe_name("t::" + "x" * 300) != safe_name("t::" + "x" * 299 + "y")
    assert safe_name("::") == "test"


def test_error_chain_and_reports():
    try:
        try:
            raise DoubleFree("heap corruption (double free?) at 0x30000040")
        except HeapError as inner:
            raise RuntimeError("driver failed") from inner
    except RuntimeError as outer:
        chain = list(error_chain(outer))
        text = smh_error_report(outer)
    assert [type(e) for e in chain] == [RuntimeError, DoubleFree]
    assert text.startswith("heap error DoubleFree (EFAULT; in Zephyr: k_panic()):")
    assert "0x30000040" in text
    assert smh_error_report(ValueError("plain")) is None
    assert smh_error_report(None) is None
    assert smh_error_report(LayoutError(["bad"], "b: 1 error")).startswith("LayoutError: b: 1 error")


def test_reproduce_hint_names_the_seed_and_stress():
    rec = BootRecord("b", 7, True)
    assert reproduce_hint("t.py::x", rec) == "pytest 't.py::x' --smh-seed 7 --smh-stress"
    assert reproduce_hint("t.py::x", BootRecord("b", 0, False)) == "pytest 't.py::x' --smh-seed 0"


def test_artifacts_of_a_coherency_failure(tmp_path):
    rec = _booted()
    err = _stale_tx(rec.system)
    files = write_artifacts(tmp_path, [rec], err, NODE, "AssertionError: boom")
    names = sorted(p.name for p in files)
    assert names == ["alloc-trace.json", "boot-report.json", "boot.log", "failure.txt"]
    assert (tmp_path / "boot.log").read_text() == rec.system.log_text
    report = json.loads((tmp_path / "boot-report.json").read_text())
    assert report["format"] == "smh-boot-report/1" and report["board"]["name"] == "stm32h747i_disco_m7"
    failure = (tmp_path / "failure.txt").read_text()
    assert "coherency error STALE_TX_DATA" in failure
    assert f"pytest '{NODE}' --smh-seed 3 --smh-stress" in failure
    assert "AssertionError: boom" in failure
    # the trace is valid golden format, replays, and ends with the test's allocation
    trace = load_trace(tmp_path / "alloc-trace.json")
    assert trace.doc["generator"] == {"kind": "recorded", "board": "stm32h747i_disco_m7",
                                      "test": NODE, "seed": 3}
    assert trace.ops[0] == {"op": "init_pool"} and trace.ops[-1]["op"] == "alloc"
    out = replay(trace)
    assert out["terminated"] is None
    assert out["results"][-1]["ret"] == rec.recorder.returns[-1]["ret"]


def test_summary_shows_seed_report_log_tail_and_folder(tmp_path):
    rec = _booted()
    err = _stale_tx(rec.system)
    text = failure_summary([rec], err, NODE, tmp_path, tail=5)
    lines = text.splitlines()
    assert lines[0] == "board stm32h747i_disco_m7, seed 3, stress on"
    assert lines[1] == f"  reproduce: pytest '{NODE}' --smh-seed 3 --smh-stress"
    assert "coherency error STALE_TX_DATA" in text and "hint:" in text
    n = len(rec.system.log)
    assert f"boot log (last 5 of {n} lines):" in text
    assert lines[-3] == "  " + rec.system.log[-1]
    assert lines[-1] == f"artifacts: {tmp_path}"


def test_collected_reports_of_a_non_raising_checker_are_shown():
    from smh_boot.memory import CoherencyChecker

    rec = _booted(stress=False)
    checker = CoherencyChecker(raise_errors=False)
    checker.bind(rec.system.memsys)
    rec.system.memsys.checker = checker
    p = rec.system.pool.alloc(SmhAttr.CACHEABLE, 64)
    rec.system.memsys.cpu.write(p, b"y" * 64)
    rec.system.dma.complete(rec.system.dma.start(1, device="uart", src=p, size=64))
    text = failure_summary([rec], AssertionError("x"), NODE, None)
    assert "coherency error STALE_TX_DATA" in text and "artifacts:" not in text


def test_a_failed_boot_is_reported_and_other_files_still_written(tmp_path):
    ok = _booted(stress=False)
    bad = BootRecord(board="nope", seed=0, stress=False, overlays=("a.overlay",))
    bad.error = BoardError("unknown board 'nope'", file="boards/nope.yaml")
    files = write_artifacts(tmp_path, [ok, bad], bad.error, NODE)
    assert sorted(p.name for p in files) == [
        "alloc-trace.json", "boot-error-2.txt", "boot-report.json", "boot.log", "failure.txt"]
    assert "BoardError" in (tmp_path / "boot-error-2.txt").read_text()
    text = failure_summary([ok, bad], bad.error, NODE, tmp_path)
    assert "boot 2/2: board nope, seed 0, stress off, overlays a.overlay" in text
    assert "boot failed: BoardError" in text
    assert "boot log of boot 1" in text


def test_an_artifact_that_cannot_be_built_is_replaced_by_its_error(tmp_path):
    rec = _booted(stress=False)
    rec.system.regions = None  # a broken system: the JSON report cannot be built
    files = write_artifacts(tmp_path, [rec], None, NODE)
    assert "boot-report.json.error.txt" in {p.name for p in files}
    assert "could not produce boot-report.json" in (tmp_path / "boot-report.json.error.txt").read_text()
    assert (tmp_path / "boot.log").exists()


def test_a_report_already_in_the_traceback_is_not_repeated(tmp_path):
    rec = _booted()
    err = _stale_tx(rec.system)
    shown = "E   " + str(err).replace("\n", "\nE   ")
    text = failure_summary([rec], err, NODE, tmp_path, shown=shown)
    assert "coherency error STALE_TX_DATA: the full report is in the error above and in failure.txt" in text
    assert "events on this line" not in text
    assert "the error above and in" not in failure_summary([rec], err, NODE, None, shown=shown)
