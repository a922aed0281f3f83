"""User trial: a flag settles a guess (and removes its warning); a guess left standing fails
--strict; --arch/--isa are checked against the known set; an --isa against the tree's CPU is
said and refused under --strict."""

import json

import pytest

from smh_boot.cli import main
from smh_boot.devicetree import load_devicetree
from smh_boot.errors import InputError
from smh_boot.infer import Flags, infer_platform

M7_DTS = """/dts-v1/;
/ { #address-cells = <1>; #size-cells = <1>;
  cpus { #address-cells = <1>; #size-cells = <0>;
    cpu@0 { device_type = "cpu"; compatible = "arm,cortex-m7"; reg = <0>; }; };
  mpu: mpu@e000ed90 { compatible = "arm,armv7m-mpu"; reg = <0xe000ed90 0x40>; };
  sram0: memory@20000000 { device_type = "memory"; reg = <0x20000000 0x10000>; };
  chosen { zephyr,sram = &sram0; };
  ram@30000000 { compatible = "zephyr,memory-region", "mmio-sram";
    reg = <0x30000000 0x10000>; zephyr,memory-region = "DMA_CACHED";
    zephyr,memory-attr = <0x100000>; };
};
"""


@pytest.fixture
def m7(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "m7.dts").write_text(M7_DTS)
    return "m7.dts"


def _run(capsys, *argv):
    rc = main(list(argv))
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_dcache_flag_removes_the_m7_cache_caution(m7):
    dt = load_devicetree(m7)
    assert infer_platform(dt).cautions  # unknown SoC: assumed, and said
    for flag in ("none", "64:32768:8", "32:16384:4"):
        p = infer_platform(dt, flags=Flags(dcache=flag))
        assert p.cautions == [] and p.sources["cache"] == "--dcache"


def test_validate_werror_passes_once_dcache_settles_the_guess(m7, capsys):
    rc, out, err = _run(capsys, "validate", m7, "--werror")
    assert rc == 1 and "pass --dcache" in err
    for flag in ("none", "64:32768:8", "32:16384:4"):
        rc, out, err = _run(capsys, "validate", m7, "--werror", "--dcache", flag)
        assert rc == 0 and "D-cache" not in err, err
        assert "no findings" in out


def test_strict_boot_refuses_a_guessed_cache_and_takes_the_flag(m7, capsys):
    rc, out, err = _run(capsys, "boot", m7, "--no-drivers")
    assert rc == 2 and "refusing to go on" in err and "pass --dcache" in err
    rc, out, err = _run(capsys, "boot", m7, "--no-drivers", "--dcache", "32:16384:4")
    assert rc == 0, err
    assert "D-cache size is chosen" not in out
    rc, out, err = _run(capsys, "boot", m7, "--no-drivers", "--no-strict", "--json")
    assert rc == 0
    assert any("pass --dcache" in w for w in json.loads(out)["board"]["warnings"])


@pytest.mark.parametrize("soc, size", [("stm32h723xx", 32768), ("stm32h735xx", 32768),
                                       ("stm32h743xx", 16384), ("mimxrt1062", 32768),
                                       ("mimxrt1024", 16384), ("stm32f722xx", 8192)])
def test_m7_table_is_per_soc(m7, soc, size):
    p = infer_platform(load_devicetree(m7), soc=soc)
    assert p.cache == (32, size, 4) and not p.cautions


@pytest.mark.parametrize("soc", ["mimxrt1011", "mimxrt1015", "mimxrt1189", "stm32h7r7xx",
                                 "stm32h7s3xx"])
def test_m7_socs_the_table_does_not_state_are_assumed_and_said(m7, soc):
    p = infer_platform(load_devicetree(m7), soc=soc)
    assert p.cautions and soc in p.cautions[0]


@pytest.mark.parametrize("argv, msg", [
    (["--isa", "armv9"], "unknown --isa 'armv9'"),
    (["--isa", "armv8-a"], "--isa armv8-a is an arm64 ISA, but the target's arch is arm"),
    (["--arch", "mips"], "'mips' is not one of"),
])
@pytest.mark.parametrize("cmd", ["validate", "boot", "regions", "map"])
def test_unknown_or_foreign_isa_is_an_error(m7, capsys, cmd, argv, msg):
    rc, out, err = _run(capsys, cmd, m7, *argv)
    assert rc == 2 and msg in err and "Traceback" not in err
    if "unknown --isa" in msg:
        assert "armv7e-m" in err and "armv8-m.main" in err  # the choices are listed


def test_unknown_isa_on_a_board_file(capsys):
    rc, out, err = _run(capsys, "validate", "--board", "qemu_cortex_m3", "--isa", "armv9")
    assert rc == 2 and "unknown --isa 'armv9'" in err


def test_isa_against_the_tree_cpu_is_said_and_refused_under_strict(m7, capsys):
    p = infer_platform(load_devicetree(m7), flags=Flags(isa="armv8-m.main", dcache="none"))
    assert p.mpu == "armv8m" and p.isa == "armv8-m.main"
    assert any("--isa armv8-m.main contradicts ISA armv7e-m of cortex-m7" in w for w in p.warnings)
    rc, out, err = _run(capsys, "boot", m7, "--no-drivers", "--dcache", "none", "--isa", "armv8-m.main")
    assert rc == 2 and "contradicts ISA armv7e-m" in err
    rc, out, err = _run(capsys, "boot", m7, "--no-drivers", "--dcache", "none", "--isa",
                        "armv8-m.main", "--no-strict", "--json")
    assert rc == 0 and any("contradicts" in w for w in json.loads(out)["board"]["warnings"])
    rc, out, err = _run(capsys, "validate", m7, "--dcache", "none", "--isa", "armv8-m.main",
                        "--werror", "--format", "json")
    assert rc == 1 and "contradicts" in json.dumps(json.loads(out)["inference"])
    # the same ISA as the tree's is no contradiction
    p = infer_platform(load_devicetree(m7), flags=Flags(isa="armv7e-m"))
    assert not p.warnings and p.mpu == "armv7m"
