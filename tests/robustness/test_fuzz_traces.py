"""Fuzzing golden-format traces: generated, mutated and damaged real ones.

Property: ``load_trace`` + ``replay`` + ``compare`` + ``format_results`` end normally (a
replay may report a difference) or in one TraceError/SmhError naming the trace file.
"""

from __future__ import annotations

import json
import random
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smh_boot.fuzz import generate_trace, mutate, run_trace, trace_text
from smh_boot.fuzz.harness import Outcome

from .fuzzprofile import fuzz_settings

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "golden"


def run_text(text: str) -> Outcome:
    with tempfile.TemporaryDirectory(prefix="smh-fuzz-") as d:
        p = Path(d) / "trace.json"
        p.write_text(text, encoding="utf-8", errors="surrogateescape")
        out = run_trace(p, timeout=10)
        if out.kind == "error" and out.step == "load_trace":
            assert str(p) in out.message, out.message
    assert not out.failed, f"{out.describe()}\ntrace:\n{text[:4000]}"
    return out


@fuzz_settings("trace")
@given(rng=st.randoms(use_true_random=False))
def test_generated_traces_replay_or_fail_with_one_error(rng):
    run_text(trace_text(generate_trace(rng)))


@fuzz_settings("trace_mutants")
@given(rng=st.randoms(use_true_random=False), edits=st.integers(1, 4))
def test_mutated_traces_replay_or_fail_with_one_error(rng, edits):
    run_text(mutate(rng, trace_text(generate_trace(rng)), edits))


def _golden_head(path: Path, n: int) -> dict:
    # the first n ops of a real trace with their recorded results: compare() has work to do
    doc = json.loads(path.read_text())
    doc["ops"] = doc["ops"][:n]
    doc["results"] = doc.get("results", [])[:n]
    doc["final_state"] = None
    doc["n_ops"] = n
    return doc


GOLDEN_FILES = sorted(GOLDEN.glob("*.json"))


@fuzz_settings("golden_mutants")
@given(rng=st.randoms(use_true_random=False), which=st.sampled_from(GOLDEN_FILES),
       edits=st.integers(1, 3))
def test_damaged_golden_traces_replay_or_fail_with_one_error(rng, which, edits):
    doc = _golden_head(which, 60)
    run_text(mutate(rng, trace_text(doc), edits))


def test_generated_traces_reach_replay_and_its_errors():
    kinds = [run_text(trace_text(generate_trace(random.Random(s)))) for s in range(80)]
    assert sum(o.kind == "ok" for o in kinds) >= 10
    assert {o.step for o in kinds if o.kind == "error"} >= {"replay"}


REGRESSIONS = {
    # RB-8: JSON reads 1e400 as infinity; int() of it is an OverflowError
    "infinite-alloc-loops": '{"format": "zephyr-shared-multi-heap-golden/1", "variant": {"ptr_size": 4}, '
    '"config": {"CONFIG_SYS_HEAP_ALLOC_LOOPS": 1e400}, "ops": [\n{"op": "init_pool"}\n]}\n',
    "negative-hardening": '{"variant": {"ptr_size": 8}, "config": {"CONFIG_SYS_HEAP_HARDENING_LEVEL": -3}, '
    '"ops": [\n{"op": "init_pool"}\n]}\n',
    "nan-ptr-size": '{"variant": {"ptr_size": NaN}, "ops": []}\n',
    # RB-10: at hardening NONE a double free drives the stats counter below zero
    "double-free-without-hardening-with-stats": '{"variant": {"ptr_size": 4, "runtime_stats": true}, '
    '"config": {"CONFIG_SYS_HEAP_HARDENING_LEVEL": 0}, "ops": [\n{"op": "init_pool"},\n'
    '{"op": "add", "attr": 0, "base_mod": 12, "size": 8192},\n{"op": "alloc", "attr": 0, "size": 1000, "tag": "t0"},\n'
    '{"op": "alias", "tag": "t0", "newtag": "t1"},\n{"op": "free", "tag": "t1"},\n{"op": "free", "tag": "t0"}\n]}\n',
}


@pytest.mark.parametrize("name", sorted(REGRESSIONS))
def test_regressions(name):
    assert run_text(REGRESSIONS[name]).kind in ("ok", "error")
