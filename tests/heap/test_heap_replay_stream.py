"""Streamed replay (``smh-boot replay``): a trace file is read a piece at a time and each result
printed or compared as it comes, with the same output, verdicts and errors as the in-memory
``load_trace`` + ``replay`` + ``compare``, and memory that does not grow with the trace."""

from __future__ import annotations

import io
import json
import random
import tracemalloc
from pathlib import Path

import pytest
from heap_helpers import BUNDLED_GOLDEN, golden_files

from smh_boot.cli import main
from smh_boot.errors import TraceError
from smh_boot.heap import trace_stream as ts
from smh_boot.heap.trace import (FORMAT, Replayer, _Run, compare, config_for, dumps_trace,
                                 format_results, load_trace, parse_trace, replay)

GOLDEN = golden_files(BUNDLED_GOLDEN)
#: One golden trace per test family (t04_*, t13_*...): the reader does not care which variant.
#: (Not r02: seconds of replays with a digest after every op, and no layout the others lack.)
FAMILIES = sorted(p for p in {p.name.split(".")[0].rsplit("_base", 1)[0]: p for p in GOLDEN}.values()
                  if not p.name.startswith("r02"))
T13 = BUNDLED_GOLDEN / "t13_double_free_panic.p4_nostats.json"  # ends in a panic
T05 = BUNDLED_GOLDEN / "t05_realloc.p8_stats.json"


def _streamed(path, **kw):
    out = io.StringIO()
    ts.write_results(ts.open_trace(path), out, **kw)
    return out.getvalue()


def _document(path, **kw):
    out = io.StringIO()
    ts.write_document(ts.open_trace(path), out, **kw)
    return out.getvalue()


@pytest.fixture(autouse=True)
def heap_core():
    """Reading a trace file does not depend on the heap core (every heap test runs on both,
    tests/heap/conftest.py; the replays here compare with the in-memory replay on the same
    core, whichever it is): run once, on the default core."""
    yield


@pytest.mark.parametrize("path", FAMILIES, ids=lambda p: p.stem)
def test_golden_traces_stream_to_the_same_output_and_verdict(path):
    trace = load_trace(path)
    src = ts.open_trace(path)
    assert src.streamed and src.n_ops == len(trace.ops) and src.name == trace.name
    assert list(src.ops()) == trace.ops and list(src.results()) == trace.doc["results"]
    full = replay(trace)
    assert _streamed(path) == format_results(full) + "\n"
    assert _document(path) == json.dumps(full, indent=1) + "\n"  # what --json printed
    out = ts.replay_file(src, check=True)
    assert out.difference is None and compare(trace, full) is None
    assert out.compared == len(trace.doc["results"]) == out.results
    assert out.digests == sum("sd" in r for r in trace.doc["results"])
    assert (out.terminated, out.final_state) == (full["terminated"], full["final_state"])


def _layouts(doc: dict) -> dict[str, str]:
    return {
        "golden": dumps_trace(doc),  # one op / result per line
        "compact": json.dumps(doc),  # one line: never decoded a slab at a time
        "indent": json.dumps(doc, indent=1),  # every element over several lines
        "crlf": dumps_trace(doc).replace("\n", "\r\n"),
    }


@pytest.mark.parametrize("chunk", [5, 97, 4096, 1 << 20])
@pytest.mark.parametrize("layout", ["golden", "compact", "indent", "crlf"])
def test_any_layout_and_any_piece_size_read_the_same(tmp_path, monkeypatch, chunk, layout):
    monkeypatch.setattr(ts, "CHUNK", chunk)
    for base in (T13, T05):
        doc = json.loads(base.read_text())
        p = tmp_path / f"{layout}.json"
        p.write_text(_layouts(doc)[layout], newline="")
        trace = load_trace(p)
        src = ts.open_trace(p)
        assert src.streamed and list(src.ops()) == trace.ops
        assert list(src.results()) == doc["results"]
        assert _streamed(p) == format_results(replay(trace)) + "\n"
        assert ts.replay_file(src, check=True).difference is None
        assert [src.line(i) for i in (0, 3, len(trace.ops) - 1)] == \
            [trace.line_of(i) for i in (0, 3, len(trace.ops) - 1)]


def _mutations(doc: dict) -> list[tuple[str, dict]]:
    n = len(doc["results"])
    out = []

    def mutated(name, fn):
        d = json.loads(json.dumps(doc))
        fn(d)
        out.append((name, d))

    mutated("first", lambda d: d["results"][0].update(rc=-5))
    mutated("middle-new-key", lambda d: d["results"][n // 2].update(extra=1))
    mutated("middle-missing-key", lambda d: d["results"][n // 2].pop("i"))
    mutated("last", lambda d: d["results"][-1].update(i=-1))
    mutated("one-result-short", lambda d: d["results"].pop())
    mutated("one-result-extra", lambda d: d["results"].append({"i": n}))
    mutated("no-results", lambda d: d.update(results=[]))
    mutated("terminated", lambda d: d.update(terminated={"kind": "panic", "op": 1}))
    mutated("final-state", lambda d: d.update(final_state=[]))
    mutated("recorded-kind", lambda d: (d.update(generator={"kind": "recorded"}),
                                        d["results"][1].pop("i")))
    return out


@pytest.mark.parametrize("base", [T13, T05], ids=["panics", "ends"])
def test_the_first_difference_is_the_one_compare_finds(tmp_path, base):
    for name, doc in _mutations(json.loads(base.read_text())):
        p = tmp_path / f"{name}.json"
        p.write_text(dumps_trace(doc))
        trace = load_trace(p)
        expected = compare(trace, replay(trace))
        got = ts.replay_file(ts.open_trace(p), check=True).difference
        assert got == expected, name
        if name not in ("recorded-kind",):
            assert got is not None, name


def test_a_difference_names_the_op_line_and_the_report_counts(tmp_path, capsys):
    doc = json.loads(T05.read_text())
    doc["results"][4]["ret"] = [0, 12345]
    p = tmp_path / "t05.json"
    p.write_text(dumps_trace(doc))
    assert main(["replay", "--check", str(p)]) == 1
    out = capsys.readouterr().out
    assert f"{p}:{load_trace(p).line_of(4)}: op 4 " in out and "12345" in out
    assert main(["replay", "--check", "--json", str(p), str(T05)]) == 1
    bad, good = json.loads(capsys.readouterr().out)
    # ops 0-4 compared, 4 differed (T05 records a digest after every op)
    assert bad["op"] == 4 and bad["results_compared"] == 5 and bad["digests_compared"] == 5
    n = len(json.loads(T05.read_text())["results"])
    assert good["ok"] and good["results_compared"] == good["digests_compared"] == n
    assert main(["replay", "--check", str(T05)]) == 0
    assert f"PASS {T05} ({n} ops; {n} results and {n} digests compared)" in capsys.readouterr().out


def test_check_stops_at_the_first_difference(tmp_path, monkeypatch):
    doc = json.loads(T05.read_text())
    doc["results"][2]["rc"] = 99
    p = tmp_path / "t.json"
    p.write_text(dumps_trace(doc))
    steps = []
    real = Replayer.step
    monkeypatch.setattr(Replayer, "step", lambda self, *a: steps.append(a[0]) or real(self, *a))
    out = ts.replay_file(ts.open_trace(p), check=True)
    assert out.difference.index == 2 and steps == [0, 1, 2] and out.final_state is None


# ---------------------------------------------------------------------- errors and fallbacks


@pytest.mark.parametrize("text", [
    '{"ops": [',  # truncated
    '{"ops": [], "variant": {"ptr_size": 4}} trailing',
    '\ufeff{"ops": [], "variant": {"ptr_size": 4}}',
    '[1, 2]',
    '{"ops": [' + "[" * 100000 + "]" * 100000 + '], "variant": {"ptr_size": 4}}',
    '{"ops": [{"op": "alloc", "attr": 0, "size": ' + "9" * 5000 + ', "tag": null}], "variant": {"ptr_size": 4}}',
    '{"ops": [{"op": "init_pool"} {"op": "init_pool"}], "variant": {"ptr_size": 4}}',
    '{"ops": [{"op": "init_pool"}], "variant": {"ptr_size": 4}, "results": [{"i": 0}, 7]}',
    '{"ops": [{"op": "nope"}], "variant": {"ptr_size": 4}}',
    '{"ops": {"op": "init_pool"}, "variant": {"ptr_size": 4}}',
    '{"variant": {"ptr_size": 4}}',
    '{"ops": [], "variant": {"ptr_size": 4}, "config": {"CONFIG_SYS_HEAP_HARDENING_LEVEL": 9}}',
])
def test_a_malformed_file_gets_load_traces_own_error(tmp_path, text):
    p = tmp_path / "bad.json"
    p.write_text(text)
    with pytest.raises(TraceError) as want:
        config_for(load_trace(p))
    with pytest.raises(TraceError) as got:
        ts.open_trace(p)
    assert (got.value.message, got.value.line, got.value.column) == \
        (want.value.message, want.value.line, want.value.column)


def test_invalid_utf8_and_a_missing_file(tmp_path):
    p = tmp_path / "bin.json"
    p.write_bytes(b'{"ops": [], "name": "\xff"}')
    with pytest.raises(TraceError, match="cannot read trace"):
        ts.open_trace(p)
    with pytest.raises(TraceError, match="cannot read trace"):
        ts.open_trace(tmp_path / "missing.json")


def test_a_valid_document_the_reader_does_not_stream_is_replayed_in_memory(tmp_path):
    # json.loads keeps the last of two "ops": so does the replay, through load_trace.
    doc = json.loads(T13.read_text())
    text = dumps_trace(doc).replace('"ops": [', '"ops": [{"op": "nope"}], "ops": [', 1)
    p = tmp_path / "dup.json"
    p.write_text(text)
    src = ts.open_trace(p)
    assert not src.streamed and list(src.ops()) == doc["ops"]
    assert _streamed(p) == format_results(replay(load_trace(p))) + "\n"
    assert ts.replay_file(src, check=True).difference is None
    assert src.line(0) == load_trace(p).line_of(0)


def test_a_file_changed_while_replayed_is_an_error(tmp_path):
    p = tmp_path / "t.json"
    p.write_text(T05.read_text())
    src = ts.open_trace(p)
    p.write_text('{"ops": [')
    with pytest.raises(TraceError, match="changed while it was replayed"):
        ts.replay_file(src)


def test_a_runtime_error_names_the_op_line(tmp_path):
    ops = ['{"op":"init_pool"}', '{"op":"free_raw","region":3,"offset":0}']
    p = tmp_path / "t.json"
    p.write_text('{\n "variant": {"ptr_size": 4},\n "ops": [\n  ' + ",\n  ".join(ops) + "\n ]\n}\n")
    with pytest.raises(TraceError) as e:
        ts.replay_file(ts.open_trace(p))
    assert (e.value.line, e.value.message) == (5, "op 1 (free_raw): region 3 has not been added")


def test_the_replayer_refuses_a_step_after_termination_and_bad_digest_modes():
    with pytest.raises(ValueError, match="digests must be one of"):
        Replayer(config_for(load_trace(T13)), digests="some")
    trace = load_trace(T13)
    rep = Replayer(config_for(trace))
    for i, op in enumerate(trace.ops):
        if rep.step(i, op) is None:
            break
    assert rep.terminated is not None and rep.final_state() is None
    with pytest.raises(RuntimeError, match="terminated"):
        rep.step(i + 1, {"op": "init_pool"})


# ---------------------------------------------------------------------- memory


def _trace(n_ops: int, live: int, seed: int = 3) -> dict:
    rng = random.Random(seed)
    ops = [{"op": "init_pool"}, {"op": "add", "attr": 0, "base_mod": 0, "size": 1 << 20}]
    tags = [f"t{i}" for i in range(live)]
    ops += [{"op": "alloc", "attr": 0, "size": rng.choice((16, 40, 100)), "tag": t} for t in tags]
    k = live
    while len(ops) < n_ops:
        j = rng.randrange(live)
        ops.append({"op": "free", "tag": tags[j]})
        tags[j] = f"t{k}"
        k += 1
        ops.append({"op": "alloc", "attr": 0, "size": rng.choice((16, 40, 100)), "tag": tags[j]})
    return {"format": FORMAT, "variant": {"name": "p4_nostats", "ptr_size": 4,
                                          "runtime_stats": False}, "ops": ops[:n_ops]}


def test_the_run_keeps_only_live_tags():
    doc = _trace(3000, 100)
    run = _Run(config_for(parse_trace(doc)))
    for i, op in enumerate(doc["ops"]):
        run.run(i, op, {})
    assert len(run.tags) == 100  # 1,500 tags were used; the freed ones are forgotten
    assert all(p is not None for p in run.tags.values())


def _peak(path: Path, check: bool) -> int:
    src = ts.open_trace(path)
    tracemalloc.start()
    try:
        if check:
            assert ts.replay_file(src, check=True).difference is None
        else:
            ts.write_results(src, _Sink())  # printed, then dropped
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


class _Sink(io.TextIOBase):
    def write(self, s: str) -> int:
        return len(s)


@pytest.fixture(scope="module")
def short_and_long(tmp_path_factory):
    """Two golden files with the same heap state (100 live blocks), one 10x longer."""
    out = []
    for n in (3_000, 30_000):
        doc = _trace(n, 100)
        doc["results"] = replay(parse_trace(doc), digests="none")["results"]
        p = tmp_path_factory.mktemp("mem") / f"t{n}.json"
        p.write_text(dumps_trace(doc))
        out.append(p)
    return out


@pytest.mark.parametrize("check", [False, True], ids=["print", "check"])
def test_memory_does_not_grow_with_the_trace(short_and_long, monkeypatch, check):
    # The heaps' state is the same while the trace is 10x longer: the peak must not follow
    # the trace (in memory it grew with every op and result: 10x here).
    monkeypatch.setattr(ts, "CHUNK", 1 << 16)
    small, big = (_peak(p, check) for p in short_and_long)
    assert big < small * 1.5 + (256 << 10), (small, big)
