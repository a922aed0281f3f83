"""``smh-boot regions``: table, JSON, warnings, and errors as one message with exit status 2."""

from __future__ import annotations

import json

from smh_boot.cli import main
from smhdt_helpers import DATA, UPSTREAM, needs_cpp

pytestmark = needs_cpp

A53 = [str(DATA / "standin_qemu_cortex_a53.dts"), "--overlay",
       str(UPSTREAM / "shared_multi_heap" / "qemu_cortex_a53.overlay")]


def test_text_table(capsys):
    assert main(["regions", *A53, "--arch", "arm64"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["PATH", "LABEL", "REGION", "ADDRESS", "SIZE", "ATTR", "DECODED",
                              "SMH", "SOURCE"]
    assert out[1].split()[:8] == ["/soc/memory@42000000", "res0", "RES0", "0x42000000",
                                  "0x1000", "0x00000001", "CACHEABLE", "CACHEABLE"]
    assert out[1].split()[8].endswith("qemu_cortex_a53.overlay:15:9")
    assert out[2].split()[7] == "NON_CACHEABLE"
    assert "no attribute (not a heap region): /soc/memory@45000000" in out
    assert "policy generic-cacheable (first match wins):" in out


def test_json(capsys):
    assert main(["regions", *A53, "--arch", "ARM64", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["arch"] == "arm64" and doc["policy"] == "generic-cacheable"
    assert [(r["region_name"], r["smh_attr"]) for r in doc["regions"]] == [
        ("RES0", "CACHEABLE"), ("RES1", "NON_CACHEABLE"), ("RES2", "CACHEABLE")
    ]
    assert doc["without_attr"] == ["/soc/memory@40000000", "/soc/memory@45000000"]


def test_unmapped_and_disabled_and_warnings(capsys, write):
    board = write("b.dts", """
        /dts-v1/;
        / {
        	#address-cells = <1>;
        	#size-cells = <1>;
        	a@1000 { reg = <0x1000 0x100>; zephyr,memory-region-mpu = "FLASH"; };
        	b@2000 { reg = <0x2000 0x100>; zephyr,memory-attr = <1>; status = "disabled"; };
        };
    """)
    assert main(["regions", board, "--arch", "arm"]) == 0
    captured = capsys.readouterr()
    assert "unmapped: /a@1000: policy arm-mpu cannot map attr 0x00400000 (ARM_MPU_FLASH)" in captured.out
    assert "disabled: /b@2000 (disabled), 0x2000+0x100" in captured.out
    assert captured.err.startswith('b.dts:5:33: warning: /a@1000: zephyr,memory-region-mpu = "FLASH" is a deprecated encoding')


def test_empty_tree(capsys, write):
    board = write("b.dts", "/dts-v1/;\n/ { };\n")
    assert main(["regions", board]) == 0
    assert "(no status-okay node carries zephyr,memory-attr)" in capsys.readouterr().out


def test_error_is_one_message_exit_2(capsys, write):
    board = write("b.dts", "/dts-v1/;\n/ {\n\tx = <FOO>;\n};\n")
    assert main(["regions", board]) == 2
    err = capsys.readouterr().err
    assert err.startswith("b.dts:3:7: error: unknown macro 'FOO' in a cell expression\n  hint:")
    assert "Traceback" not in err


def test_bad_arch_is_a_usage_error(capsys):
    assert main(["regions", *A53, "--arch", "vax"]) == 2
    assert "Invalid value for '--arch'" in capsys.readouterr().err
