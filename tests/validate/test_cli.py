"""``smh-boot validate``: formats, options and exit statuses (0 clean, 1 errors, 2 bad input)."""

from __future__ import annotations

import json

import pytest

from smh_boot.cli import main
from smh_boot.validate import RULES

from .layouts import DATA

RULES_DIR = DATA / "rules"
OVERLAP = str(RULES_DIR / "region-overlap.bad.dts")
CLEAN = str(RULES_DIR / "region-overlap.good.dts")
KERNEL = str(RULES_DIR / "region-overlaps-kernel-ram.bad.dts")  # one warning


def run(capsys, *argv):
    rc = main(["validate", *argv])
    out, err = capsys.readouterr()
    return rc, out, err


def test_text_is_gcc_style_with_note(capsys):
    rc, out, _ = run(capsys, OVERLAP, "--arch", "arm")
    assert rc == 1
    lines = out.splitlines()
    assert lines[0].startswith(f"{OVERLAP}:23:4: error: /reserved-memory/memory@20021000: region ")
    assert lines[0].endswith("[region-overlap]")
    assert lines[1].startswith(f"{OVERLAP}:18:4: note: /reserved-memory/memory@20020000: ")
    assert lines[-1] == f"{OVERLAP}: 1 error"


def test_clean_file_exits_0(capsys):
    rc, out, _ = run(capsys, CLEAN)
    assert rc == 0
    assert out == f"{CLEAN}: no findings\n"


def test_warnings_alone_exit_0_and_werror_makes_them_errors(capsys):
    rc, out, _ = run(capsys, KERNEL, "--arch", "arm")
    assert rc == 0 and "warning:" in out
    rc, out, _ = run(capsys, KERNEL, "--arch", "arm", "--werror")
    assert rc == 1 and "error:" in out and "warning:" not in out


def test_severity_override_and_disable(capsys):
    rc, out, _ = run(capsys, KERNEL, "--severity", "region-overlaps-kernel-ram=error")
    assert rc == 1 and ": error: " in out
    rc, out, _ = run(capsys, OVERLAP, "--disable", "region-overlap")
    assert rc == 0 and "no findings" in out
    rc, out, _ = run(capsys, OVERLAP, "--severity", "region-overlap=info")
    assert rc == 0 and ": info: " in out
    rc, out, _ = run(capsys, OVERLAP, "--severity", "region-overlap=off")
    assert rc == 0 and "no findings" in out


def test_enable_turns_on_an_off_by_default_rule(capsys):
    path = str(RULES_DIR / "attr-unmapped.bad.dts")
    rc, out, _ = run(capsys, path, "--arch", "arm")
    assert "[attr-unmapped]" not in out and out.endswith("no findings\n")
    rc, out, _ = run(capsys, path, "--arch", "arm", "--enable", "attr-unmapped")
    assert rc == 0 and "[attr-unmapped]" in out and ": info: " in out


def test_json_output_follows_the_schema(capsys):
    rc, out, _ = run(capsys, OVERLAP, "--format", "json")
    assert rc == 1
    doc = json.loads(out)
    assert doc["schema"] == "smh-boot-validate/1"
    assert doc["inputs"] == [OVERLAP]
    assert doc["summary"] == {"error": 1, "warning": 0, "info": 0}
    (d,) = doc["diagnostics"]
    assert d["rule"] == "region-overlap" and d["severity"] == "error"
    assert (d["file"], d["line"], d["column"]) == (OVERLAP, 23, 4)
    assert d["node"] == "/reserved-memory/memory@20021000"
    assert d["related"] == [{
        "file": OVERLAP, "line": 18, "column": 4,
        "node": "/reserved-memory/memory@20020000", "message": "the other region is defined here",
    }]


def test_sarif_output(capsys, tmp_path):
    out_file = tmp_path / "report.sarif"
    rc, out, _ = run(capsys, OVERLAP, "--format", "sarif", "-o", str(out_file))
    assert rc == 1 and out == ""
    log = json.loads(out_file.read_text())
    assert log["version"] == "2.1.0"
    run0 = log["runs"][0]
    driver = run0["tool"]["driver"]
    assert driver["name"] == "smh-boot"
    assert [r["id"] for r in driver["rules"]] == list(RULES)
    (res,) = run0["results"]
    assert res["ruleId"] == "region-overlap" and res["level"] == "error"
    assert driver["rules"][res["ruleIndex"]]["id"] == "region-overlap"
    loc = res["locations"][0]
    assert loc["physicalLocation"]["artifactLocation"]["uri"] == OVERLAP
    assert loc["physicalLocation"]["region"] == {"startLine": 23, "startColumn": 4}
    assert loc["logicalLocations"][0]["fullyQualifiedName"] == "/reserved-memory/memory@20021000"
    rel = res["relatedLocations"][0]
    assert rel["id"] == 1 and rel["physicalLocation"]["region"]["startLine"] == 18


def test_explain_and_list_rules(capsys):
    rc, out, _ = run(capsys, "--explain", "mpu-region-constraints")
    assert rc == 0
    assert out.startswith("mpu-region-constraints (default severity: error)")
    assert "ARMv7-M" in out and "ARMv8-M" in out and "4 KiB" in out
    rc, out, _ = run(capsys, "--list-rules")
    assert rc == 0 and len(out.splitlines()) == len(RULES)


@pytest.mark.parametrize("rid", list(RULES))
def test_every_rule_explains_itself(capsys, rid):
    rc, out, _ = run(capsys, "--explain", rid)
    assert rc == 0
    assert RULES[rid].summary in out
    assert len(RULES[rid].explanation) > 200  # a real explanation, not a stub


def test_overlay_and_include_dir(capsys, tmp_path):
    inc = tmp_path / "inc"
    inc.mkdir()
    (inc / "sizes.h").write_text("#define POOL_BASE 0x20020000\n")
    ovl = tmp_path / "app.overlay"
    ovl.write_text(
        "#include <sizes.h>\n"
        "&fw_shared {\n"
        "\treg = <POOL_BASE 0x2000>;\n"
        "};\n"
        "&ipc_buf {\n"
        "\treg = <0x20021000 0x2000>;\n"
        "};\n"
    )
    rc, out, _ = run(capsys, CLEAN, "--overlay", str(ovl), "-I", str(inc))
    assert rc == 1
    # the override moved the reg: the finding points into the overlay
    assert out.startswith(f"{ovl}:6:2: error: /reserved-memory/memory@20022000: ")
    assert "unit-address-mismatch" in out


def test_arch_ptr_size_and_stats_change_heap_minimum(capsys, tmp_path):
    src = (RULES_DIR / "heap-region-too-small.good.dts").read_text().replace("reg = <0x80010000 44>", "reg = <0x80010000 52>")
    path = tmp_path / "h.dts"
    path.write_text(src)
    assert run(capsys, str(path), "--arch", "riscv")[0] == 0
    assert run(capsys, str(path), "--arch", "riscv", "--runtime-stats")[0] == 0
    rc, out, _ = run(capsys, str(path), "--arch", "riscv", "--ptr-size", "8")
    assert rc == 1 and "56 bytes (64-bit pointers" in out


def test_several_inputs(capsys):
    rc, out, _ = run(capsys, CLEAN, OVERLAP)
    assert rc == 1
    assert out.splitlines()[-1] == f"{CLEAN}, {OVERLAP}: 1 error"


# ------------------------------------------------------------------ error paths: exit 2


def test_missing_file_exits_2(capsys, tmp_path):
    rc, out, err = run(capsys, str(tmp_path / "nope.dts"))
    assert rc == 2 and out == ""
    assert "nope.dts" in err and "Traceback" not in err


def test_syntax_error_exits_2_with_location(capsys, tmp_path):
    bad = tmp_path / "bad.dts"
    bad.write_text("/dts-v1/;\n/ {\n\tfoo = <1>\n};\n")
    rc, _, err = run(capsys, str(bad))
    assert rc == 2
    assert f"{bad}:3:" in err and "error:" in err and "Traceback" not in err


def test_unknown_rule_exits_2_with_suggestion(capsys):
    rc, _, err = run(capsys, CLEAN, "--disable", "region-overlaps")
    assert rc == 2
    assert "unknown rule 'region-overlaps'" in err and "did you mean 'region-overlap'" in err
    rc, _, err = run(capsys, "--explain", "no-such-rule")
    assert rc == 2 and "unknown rule 'no-such-rule'" in err


def test_bad_severity_exits_2(capsys):
    rc, _, err = run(capsys, CLEAN, "--severity", "region-overlap=fatal")
    assert rc == 2 and "unknown severity 'fatal'" in err
    rc, _, err = run(capsys, CLEAN, "--severity", "region-overlap")
    assert rc == 2 and "RULE=LEVEL" in err


def test_no_input_is_a_usage_error(capsys):
    rc, _, err = run(capsys)
    assert rc == 2 and "give a .dts file" in err


def test_board_option(capsys):
    pytest.importorskip("smh_boot.board")
    rc, out, _ = run(capsys, "--board", "qemu_cortex_m3")
    assert rc == 0 and out.endswith("no findings\n")
    rc, _, err = run(capsys, "--board", "no_such_board")
    assert rc == 2 and "no_such_board" in err


def test_readme_example_is_real_output(capsys, monkeypatch):
    """The console block of the README's validate section is what the command prints."""
    import re
    import shlex
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    readme = (root / "README.md").read_text()
    section = readme[readme.index("<!-- section:validate -->"):readme.index("<!-- /section:validate -->")]
    block = re.search(r"```console\n\$ (.*?)\n(.*?)```", section, re.DOTALL)
    assert block, "no console example in the validate section"
    argv = shlex.split(block.group(1))
    assert argv[:2] == ["smh-boot", "validate"]
    monkeypatch.chdir(root)
    rc, out, _ = run(capsys, *argv[2:])
    assert rc == 1
    # Shipped board files are named <smh-boot>/dts/..., wherever the package is installed.
    assert out == block.group(2)


def test_heap_mode_option(capsys, tmp_path):
    src = (RULES_DIR / "heap-region-too-small.good.dts").read_text()
    path = tmp_path / "h.dts"
    path.write_text(src)
    assert run(capsys, str(path), "--arch", "riscv", "--heap-mode", "small")[0] == 0
    rc, out, _ = run(capsys, str(path), "--arch", "riscv", "--heap-mode", "big")
    assert rc == 1 and "56 bytes (32-bit pointers, runtime stats off, BIG_ONLY heaps" in out


def test_unwritable_output_exits_2(capsys, tmp_path):
    rc, _, err = run(capsys, CLEAN, "-o", str(tmp_path / "no" / "such" / "dir.json"))
    assert rc == 2
    assert "cannot write the report" in err and "Traceback" not in err


def test_missing_overlay_exits_2(capsys, tmp_path):
    rc, _, err = run(capsys, CLEAN, "--overlay", str(tmp_path / "gone.overlay"))
    assert rc == 2 and "gone.overlay" in err and "Traceback" not in err
