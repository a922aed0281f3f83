"""#13 items 8-11: no silent drops at boot.  A heap region the boot refuses is an error-level
diagnostic (log, JSON report, map model) and fails --strict; the reproductions of the issue."""

from __future__ import annotations

import json

import pytest

import smh_boot
from smh_boot.bootstage.boot_report import boot_report
from smh_boot.cli import main
from smh_boot.errors import LayoutError


def test_reserved_memory_heap_overlap_fails_strict_boot(data_dir):
    with pytest.raises(LayoutError) as e:
        smh_boot.boot(overlays=[data_dir / "reserved_heap_overlap.overlay"], drivers=False)
    text = str(e.value)
    assert "region-overlap" in text and "reserved_heap_overlap.overlay:" in text
    assert "/reserved-memory/memory@30010000" in text


def test_refused_region_is_a_diagnostic_in_log_json_and_map(data_dir):
    system = smh_boot.boot(overlays=[data_dir / "reserved_heap_overlap.overlay"], drivers=False,
                           strict=False)
    refused = [d for d in system.diagnostics if d.rule == "heap-refused"]
    assert len(refused) == 1
    (d,) = refused
    assert d.severity == "error" and d.node == "/reserved-memory/memory@30010000"
    assert d.location is not None and d.location.file.endswith("reserved_heap_overlap.overlay")
    assert "SRAM1_CACHE" in d.message and "overlaps heap SRAM1" in d.message
    # the log: one line, GCC style under the layout: prefix
    lines = [l for l in system.log if "[heap-refused]" in l]
    assert len(lines) == 1 and lines[0].startswith("layout: ")
    assert ": error: /reserved-memory/memory@30010000: " in lines[0]
    # the JSON report
    rep = json.loads(json.dumps(boot_report(system)))
    assert [r["name"] for r in rep["refused"]] == ["SRAM1_CACHE"]
    r = rep["refused"][0]
    assert (r["addr"], r["size"], r["attr"]) == (0x30010000, 0x8000, "CACHEABLE")
    assert r["path"] == "/reserved-memory/memory@30010000" and "overlaps heap SRAM1" in r["reason"]
    assert any("[heap-refused]" in s for s in rep["diagnostics"])
    # the map model
    from smh_boot.report.from_system import map_from_system

    m = map_from_system(system)
    assert [(x.name, x.addr, x.size) for x in m.refused] == [("SRAM1_CACHE", 0x30010000, 0x8000)]
    assert m.to_dict()["refused"][0]["reason"] == r["reason"]


def test_cli_refused_region_exit_status(data_dir, capsys):
    ovl = str(data_dir / "reserved_heap_overlap.overlay")
    assert main(["boot", "--no-drivers", "--overlay", ovl]) == 2
    err = capsys.readouterr().err
    assert "region-overlap" in err and "Traceback" not in err
    # --no-strict boots, but the exit status still says the boot is not what the DT describes
    assert main(["boot", "--no-drivers", "--no-strict", "--overlay", ovl]) == 1
    out = capsys.readouterr().out
    assert "[heap-refused]" in out


def test_clean_board_has_no_refusals():
    system = smh_boot.boot(drivers=False)
    assert boot_report(system)["refused"] == []
    assert not any(d.rule == "heap-refused" for d in system.diagnostics)


def test_decimal_reg_under_unit_address_is_an_error(data_dir):
    with pytest.raises(LayoutError) as e:
        smh_boot.boot(overlays=[data_dir / "decimal_reg.overlay"], drivers=False)
    text = str(e.value)
    assert "heap-unit-address-mismatch" in text and "write 0x20180000" in text
    # forced through: the log says it as an error, not as a warning
    system = smh_boot.boot(overlays=[data_dir / "decimal_reg.overlay"], drivers=False, strict=False)
    line = next(l for l in system.log if "heap-unit-address-mismatch" in l)
    assert ": error: /memory@20180000:" in line


def test_leftover_region_name_makes_no_linker_region(data_dir):
    system = smh_boot.boot(overlays=[data_dir / "leftover_region_name.overlay"], drivers=False)
    assert not [d for d in system.diagnostics if d.severity == "error"]
    assert [d.rule for d in system.diagnostics] == ["region-name-without-compatible"]
    assert system.region("BDMA_POOL").heap_index is not None


def test_deprecation_is_one_finding_one_line(data_dir):
    system = smh_boot.boot(overlays=[data_dir / "string_attr.overlay"], drivers=False)
    hits = [l for l in system.log if "deprecated" in l]
    assert len(hits) == 1, hits
    (line,) = hits
    assert line.count("warning:") == 1 and "[attr-deprecated-encoding]" in line
    assert "string_attr.overlay:" in line
    assert [d.rule for d in system.diagnostics] == ["attr-deprecated-encoding"]
    assert system.region("SRAM2").attr == "NON_CACHEABLE"


def test_validate_cli_reports_the_reserved_memory_heap_overlap(data_dir, capsys):
    """The issue's first symptom: 'no findings', exit 0."""
    ovl = str(data_dir / "reserved_heap_overlap.overlay")
    assert main(["validate", "--board", "stm32h747i_disco_m7", "--overlay", ovl]) == 1
    out = capsys.readouterr().out
    assert "error: /reserved-memory/memory@30010000: heap region [0x30010000-0x30017fff] overlaps " \
           "memory@30000000" in out and "[region-overlap]" in out


def test_deprecation_on_a_disabled_node_is_still_said_once(data_dir, tmp_path):
    ovl = tmp_path / "d.overlay"
    ovl.write_text('/ {\n\toff: memory@38008000 {\n\t\tcompatible = "zephyr,memory-region";\n'
                   '\t\treg = <0x38008000 0x1000>;\n\t\tzephyr,memory-region = "OFF";\n'
                   '\t\tzephyr,memory-attr = "RAM";\n\t\tstatus = "disabled";\n\t};\n};\n')
    system = smh_boot.boot(overlays=[ovl], drivers=False)
    hits = [l for l in system.log if "deprecated" in l]
    assert len(hits) == 1 and hits[0].count("warning:") == 1


def test_front_end_warning_has_one_prefix(tmp_path):
    ovl = tmp_path / "both.overlay"
    ovl.write_text('&sram2 {\n\tzephyr,memory-region-mpu = "RAM";\n};\n')
    system = smh_boot.boot(overlays=[ovl], drivers=False)
    (line,) = [l for l in system.log if "mpu-string-ignored" in l]
    assert line.startswith(f"layout: {ovl}:2:") and line.count("warning:") == 1


def test_too_small_heap_is_refused_not_dropped(tmp_path):
    ovl = tmp_path / "tiny.overlay"
    ovl.write_text('#include <zephyr/dt-bindings/memory-attr/memory-attr-arm.h>\n/ {\n'
                   '\ttiny: memory@38000000 {\n\t\tcompatible = "zephyr,memory-region";\n'
                   '\t\treg = <0x38000000 0x20>;\n\t\tzephyr,memory-region = "TINY";\n'
                   '\t\tzephyr,memory-attr = <( DT_MEM_ARM(ATTR_MPU_RAM) )>;\n\t};\n};\n')
    with pytest.raises(LayoutError):
        smh_boot.boot(overlays=[ovl], drivers=False)
    system = smh_boot.boot(overlays=[ovl], drivers=False, strict=False)
    (d,) = [d for d in system.diagnostics if d.rule == "heap-refused"]
    assert d.node == "/memory@38000000" and "TINY" in d.message
    assert [r["name"] for r in boot_report(system)["refused"]] == ["TINY"]
