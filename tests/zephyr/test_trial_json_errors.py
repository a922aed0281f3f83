"""User trial: a command asked for JSON prints a JSON document on stdout when it fails too
(``| jq`` gets something), with the same exit status; diff checks its options before work."""

import json
from pathlib import Path

import pytest

from smh_boot.cli import main

ROOT = Path(__file__).resolve().parents[2]
DECIMAL = str(ROOT / "tests" / "boot" / "data" / "decimal_reg.overlay")


def _run(capsys, *argv):
    rc = main(list(argv))
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_boot_json_layout_error_is_a_json_document(capsys):
    rc, out, err = _run(capsys, "boot", "stm32h747i_disco_m7", "--overlay", DECIMAL, "--json")
    assert rc == 2 and "memory layout has" in err
    doc = json.loads(out)
    assert doc["format"] == "smh-boot-error/1" and doc["command"] == "boot" and doc["status"] == 2
    e = doc["error"]
    assert e["rule"] == "heap-unit-address-mismatch"
    assert e["file"].endswith("decimal_reg.overlay") and e["line"] == 10
    assert any("[mpu-region-constraints]" in d for d in doc["diagnostics"])


@pytest.mark.parametrize("argv", [
    ["boot", "missing.dts", "--json"],
    ["regions", "missing.dts", "--json"],
    ["map", "missing.dts", "--format", "json"],
    ["validate", "missing.dts", "--format", "json"],
    ["validate", "missing.dts", "--format=sarif"],
    ["fit", "missing.dts", "--json"],
    ["diff", "missing.dts", "--json"],
])
def test_every_json_command_prints_a_json_error(tmp_path, monkeypatch, capsys, argv):
    monkeypatch.chdir(tmp_path)
    rc, out, err = _run(capsys, *argv)
    assert rc == 2 and "missing.dts" in err
    doc = json.loads(out)
    assert doc["command"] == argv[0]
    assert doc["error"]["file"] == "missing.dts" and doc["error"]["message"]


def test_usage_error_with_json_is_a_json_document(capsys):
    rc, out, err = _run(capsys, "boot", "--arch", "mips", "--json")
    assert rc == 2
    doc = json.loads(out)
    assert doc["error"]["kind"] == "UsageError" and "mips" in doc["error"]["message"]


def test_without_json_stdout_stays_empty(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    rc, out, err = _run(capsys, "boot", "missing.dts")
    assert rc == 2 and out == ""


def test_fit_json_has_board_and_warnings(tmp_path, monkeypatch, capsys):
    from .test_trial_guesses import M7_DTS

    monkeypatch.chdir(tmp_path)
    (tmp_path / "m7.dts").write_text(M7_DTS)
    rc, out, err = _run(capsys, "fit", "m7.dts", "--json", "--no-search")
    assert rc == 0, err
    doc = json.loads(out)
    assert doc["board"] == "m7" and any("pass --dcache" in w for w in doc["warnings"])
    rc, out, err = _run(capsys, "fit", "--json", "--no-search")
    assert json.loads(out)["board"] == "stm32h747i_disco_m7" and json.loads(out)["warnings"] == []


def test_diff_map_with_a_report_fails_before_the_diff(tmp_path, capsys):
    rep = tmp_path / "a.json"
    assert main(["boot", "--json"]) == 0
    rep.write_text(capsys.readouterr().out)
    rc, out, err = _run(capsys, "diff", str(rep), str(rep), "--map", str(tmp_path / "x.html"))
    assert rc == 2 and "--map needs two boots" in err
    assert out == "" and not (tmp_path / "x.html").exists()
    rc, out, err = _run(capsys, "diff", str(rep), "--overlay-b", DECIMAL)
    assert rc == 2 and "--overlay-b cannot apply to a saved report" in err and out == ""


OVERLAP = str(ROOT / "tests" / "boot" / "data" / "reserved_heap_overlap.overlay")


def test_no_strict_says_the_layout_errors_it_does_not_fail_on(capsys):
    rc, out, err = _run(capsys, "boot", "--no-strict", "--overlay", DECIMAL)
    assert rc == 0  # the documented rule: nothing refused, every device ready
    assert out.splitlines()[-1] == "2 layout errors (not failing: --no-strict)"
    rc, out, err = _run(capsys, "boot", "--no-strict", "--overlay", DECIMAL, "--json")
    assert rc == 0 and json.loads(out)["summary"] == {
        "layout_errors": 2, "heap_refused": 0, "strict": False,
        "message": "2 layout errors (not failing: --no-strict)"}
    rc, out, err = _run(capsys, "boot", "--no-strict", "--overlay", OVERLAP)
    assert rc == 1 and out.splitlines()[-1].endswith("1 heap region refused (exit status 1)")
    rc, out, err = _run(capsys, "boot")
    assert rc == 0 and out.splitlines()[-1].startswith("devices:")  # a clean layout: no line
    assert json.loads(_run(capsys, "boot", "--json")[1])["summary"]["layout_errors"] == 0


def test_map_draws_a_broken_layout_with_status_0_and_says_so(capsys):
    rc, out, err = _run(capsys, "map", "--overlay", DECIMAL)
    assert rc == 0 and "2 layout errors (not failing: --no-strict)" in err
    rc, out, err = _run(capsys, "map", "--overlay", OVERLAP)
    assert rc == 0 and "1 heap region refused (not failing: --no-strict)" in err
    rc, out, err = _run(capsys, "map", "--help")
    assert "0 when the map is drawn, also for a broken layout" in " ".join(out.split())
    rc, out, err = _run(capsys, "map", "--strict", "--overlay", DECIMAL)
    assert rc == 2
