"""``smh-boot replay``: output, --check verdicts and exit codes, and malformed traces
reported as ``file:line: error: ...`` without a traceback."""

from __future__ import annotations

import json

import pytest
from heap_helpers import BUNDLED_GOLDEN

from smh_boot.cli import main
from smh_boot.errors import TraceError
from smh_boot.heap.trace import load_trace, parse_trace

T13 = BUNDLED_GOLDEN / "t13_double_free_panic.p4_nostats.json"
T05 = BUNDLED_GOLDEN / "t05_realloc.p8_stats.json"


def test_replay_prints_results_in_the_golden_layout(capsys):
    assert main(["replay", str(T13)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == '{"i":0,"rc":0,"sd":"cbf29ce484222325"}'
    assert json.loads(lines[2]) == {"i": 2, "ret": [0, 52], "usable": 36, "sd": "40709171e4df3dc4"}
    assert json.loads(lines[-1])["terminated"]["message"] == "heap corruption (double free?) at %p"


def test_replay_json_is_a_golden_document(capsys):
    assert main(["replay", "--json", str(T05)]) == 0
    doc = json.loads(capsys.readouterr().out)
    recorded = json.loads(T05.read_text())
    assert doc["results"] == recorded["results"]
    assert doc["final_state"] == recorded["final_state"]


def test_check_passes(capsys):
    assert main(["replay", "--check", str(T13), str(T05)]) == 0
    out = capsys.readouterr().out
    assert "PASS" in out and "2/2 trace(s) match" in out


def test_check_reports_the_first_difference_and_exits_1(tmp_path, capsys):
    doc = json.loads(T05.read_text())
    doc["results"][4]["ret"] = [0, 12345]
    bad = tmp_path / "t05_changed.json"
    bad.write_text(json.dumps(doc))
    assert main(["replay", "--check", str(T13), str(bad)]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "op 4" in out and "'ret'" in out and "12345" in out
    assert "1/2 trace(s) match" in out


def test_check_json_report(tmp_path, capsys):
    doc = json.loads(T13.read_text())
    doc["terminated"]["op"] = 6
    bad = tmp_path / "t13.json"
    bad.write_text(json.dumps(doc))
    assert main(["replay", "--check", "--json", str(bad)]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report[0]["ok"] is False and report[0]["where"] == "terminated"


def _golden_text(ops_lines):
    return "\n".join([
        "{",
        '  "format": "zephyr-shared-multi-heap-golden/1",',
        '  "variant": {"name": "p4_nostats", "ptr_size": 4, "runtime_stats": false},',
        '  "ops": [',
        ",\n".join("    " + o for o in ops_lines),
        "  ]",
        "}",
    ])


@pytest.mark.parametrize("ops,message,line", [
    (['{"op":"init_pool"}', '{"op":"allocate","size":3}'], "unknown op 'allocate'", 6),
    (['{"op":"init_pool"}', '{"op":"add","attr":0,"size":64}'], "missing field 'base_mod'", 6),
    (['{"op":"alloc","attr":0,"size":-4,"tag":"a"}'], "field 'size' must be a non-negative integer", 5),
    (['{"op":"alloc","attr":0,"size":4,"tag":7}'], "field 'tag' must be a string or null", 5),
    (['{"op":"add","attr":0,"base_mod":5000,"size":64}'], "base_mod must be below 4096", 5),
    (['{"op":"init_pool"}', '{"op":"free_raw","region":3,"offset":0}'], "region 3 has not been added", 6),
])
def test_malformed_ops_name_file_and_line(tmp_path, capsys, ops, message, line):
    f = tmp_path / "bad.json"
    f.write_text(_golden_text(ops))
    assert main(["replay", str(f)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{f}:{line}: error: ") and message in err
    assert "Traceback" not in err


@pytest.mark.parametrize("text,message", [
    ('{"ops": [', "not valid JSON"),
    ("[1, 2]", "must be a JSON object"),
    ('{"format": "other/1", "ops": []}', "unknown trace format"),
    ('{"variant": {"ptr_size": 4}}', "no 'ops' list"),
    ('{"ops": [], "variant": {"ptr_size": 2}}', "ptr_size 4 or 8"),
    ('{"ops": [], "variant": {"ptr_size": 4, "runtime_stats": "yes"}}', "runtime_stats must be"),
    ('{"ops": [], "variant": {"ptr_size": 4}, "results": 3}', "'results' must be a list"),
    ('{"ops": [], "variant": {"ptr_size": 4}, "results": [1]}', "'results' must be a list of objects"),
    ('{"ops": [], "variant": {"ptr_size": 4}, "final_state": [[]]}', "'final_state' must be a list"),
    ('{"ops": [], "variant": {"ptr_size": 4}, "terminated": 5}', "'terminated' must be null"),
    ('{"ops": [], "variant": {"ptr_size": 4}, "config": []}', "'config' must be an object"),
    ('{"ops": [], "variant": {"ptr_size": 4}, "config": {"CONFIG_SYS_HEAP_HARDENING_LEVEL": 9}}',
     "unusable trace configuration"),
])
def test_malformed_documents(tmp_path, capsys, text, message):
    f = tmp_path / "bad.json"
    f.write_text(text)
    assert main(["replay", str(f)]) == 2
    err = capsys.readouterr().err
    assert message in err and str(f) in err and "Traceback" not in err


def test_unreadable_file(tmp_path, capsys):
    assert main(["replay", str(tmp_path / "missing.json")]) == 2
    assert "cannot read trace" in capsys.readouterr().err


def test_trace_api_line_numbers_and_parse_without_text():
    t = load_trace(T13)
    assert t.line_of(0) == 12 and t.line_of(99) is None and t.name == "t13_double_free_panic"
    with pytest.raises(TraceError) as e:
        parse_trace({"ops": [{"op": "nope"}], "variant": {"ptr_size": 8}})
    assert e.value.line is None and "nope" in e.value.message


def test_check_needs_recorded_results(tmp_path, capsys):
    f = tmp_path / "ops_only.json"
    f.write_text(_golden_text(['{"op":"init_pool"}', '{"op":"add","attr":0,"base_mod":0,"size":256}']))
    assert main(["replay", str(f)]) == 0
    assert '"end_chunk":31' in capsys.readouterr().out
    assert main(["replay", "--check", str(f)]) == 2
    assert "records no results" in capsys.readouterr().err


def test_the_golden_index_is_skipped(tmp_path, capsys):
    idx = tmp_path / "index.json"
    idx.write_text('{\n "format": "zephyr-shared-multi-heap-golden-index/1",\n "files": []\n}\n')
    assert main(["replay", "--check", str(idx), str(T13)]) == 0
    captured = capsys.readouterr()
    assert "skip" in captured.err and "1/1 trace(s) match" in captured.out
