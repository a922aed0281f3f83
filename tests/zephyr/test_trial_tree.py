"""User trial on a small ARM tree (board acme/widget, SoC acme_a1m7): --arch against the
tree's includes is named in the include error; a SoC no soc.yml defines is a located error."""

import pytest

from smh_boot.cli import main

BOARD_YML = """board:
  name: widget
  full_name: ACME Widget
  vendor: acme
  socs:
    - name: {soc}
"""
SOC_YML = """family:
  - name: acme_family
    series:
      - name: acme_a1
        socs:
          - name: acme_a1m7
"""
DTSI = """/ { #address-cells = <1>; #size-cells = <1>;
  cpus { #address-cells = <1>; #size-cells = <0>;
    cpu@0 { device_type = "cpu"; compatible = "arm,cortex-m7"; reg = <0>; }; };
  sram0: memory@20000000 { device_type = "memory"; reg = <0x20000000 0x10000>; };
  chosen { zephyr,sram = &sram0; };
};
"""


@pytest.fixture
def tree(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    z = tmp_path / "zephyr"
    b = z / "boards" / "acme" / "widget"
    b.mkdir(parents=True)
    (b / "board.yml").write_text(BOARD_YML.format(soc="acme_a1m7"))
    (b / "widget.dts").write_text('/dts-v1/;\n#include <acme/acme_a1m7.dtsi>\n/ { model = "W"; };\n')
    (b / "widget.yaml").write_text("identifier: widget\nname: ACME Widget\narch: arm\n")
    (z / "soc" / "acme").mkdir(parents=True)
    (z / "soc" / "acme" / "soc.yml").write_text(SOC_YML)
    (z / "dts" / "arm" / "acme").mkdir(parents=True)
    (z / "dts" / "arm" / "acme" / "acme_a1m7.dtsi").write_text(DTSI)
    (z / "dts" / "riscv").mkdir(parents=True)
    return z


def _run(capsys, *argv):
    rc = main(list(argv))
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_the_tree_boots(tree, capsys):
    rc, out, err = _run(capsys, "boot", "widget", "--zephyr-base", "zephyr", "--no-drivers",
                        "--dcache", "none")
    assert rc == 0, err


def test_a_wrong_arch_is_named_in_the_missing_include_error(tree, capsys):
    rc, out, err = _run(capsys, "boot", "widget", "--zephyr-base", "zephyr", "--arch", "riscv")
    assert rc == 2 and "cannot find include file 'acme/acme_a1m7.dtsi'" in err
    assert "--arch riscv made dts/riscv the include folder" in err
    assert "this board's files include from dts/arm" in err and "pass --arch arm" in err


def test_metadata_arch_against_the_includes_is_named_too(tree, capsys):
    (tree / "boards" / "acme" / "widget" / "widget.yaml").write_text("identifier: widget\narch: riscv\n")
    rc, out, err = _run(capsys, "regions", "widget", "--zephyr-base", "zephyr")
    assert rc == 2 and "cannot find include file" in err
    assert "the arch riscv (from widget.yaml)" in err and "pass --arch arm" in err


def test_a_missing_include_with_the_right_arch_has_no_arch_note(tree, capsys):
    (tree / "dts" / "arm" / "acme" / "acme_a1m7.dtsi").unlink()
    rc, out, err = _run(capsys, "boot", "widget", "--zephyr-base", "zephyr", "--arch", "arm")
    assert rc == 2 and "cannot find include file" in err and "--arch" not in err


def test_a_soc_no_soc_yml_defines_is_a_located_error(tree, capsys):
    (tree / "boards" / "acme" / "widget" / "board.yml").write_text(BOARD_YML.format(soc="acme_a9"))
    for cmd in ("boot", "validate", "regions"):
        rc, out, err = _run(capsys, cmd, "widget", "--zephyr-base", "zephyr")
        assert rc == 2, cmd
        assert err.startswith("zephyr/boards/acme/widget/board.yml:6: error: board 'widget' "
                              "names SoC 'acme_a9', which no soc.yml defines"), err
        assert "zephyr/soc/**/soc.yml" in err and "Traceback" not in err


def test_boards_lists_the_zephyr_base_from_the_environment(tree, monkeypatch, capsys):
    # user trial: boot took $ZEPHYR_BASE by default, boards ignored it
    rc, out, err = _run(capsys, "boards")
    assert rc == 0 and "widget/acme_a1m7" not in out
    monkeypatch.setenv("ZEPHYR_BASE", str(tree))
    rc, out, err = _run(capsys, "boards")
    assert rc == 0 and "  widget/acme_a1m7" in out
    rc, out, err = _run(capsys, "boards", "--json")
    import json

    assert "widget/acme_a1m7" in json.loads(out)["zephyr_targets"]
    rc, out, err = _run(capsys, "boot", "widget", "--no-drivers", "--dcache", "none")
    assert rc == 0, err  # the same tree boot takes
    monkeypatch.setenv("ZEPHYR_BASE", str(tree / "nowhere"))
    rc, out, err = _run(capsys, "boards")
    assert rc == 2 and "ZEPHYR_BASE is not a directory ($ZEPHYR_BASE)" in err
