"""Inference against the shipped boards: what /cpus says must agree with each board file."""

import pytest

from smh_boot.board import list_boards
from smh_boot.errors import InputError
from smh_boot.infer import Flags, infer_platform, parse_dcache
from smh_boot.zephyr.kconfig import parse_kconfig_text
from smh_boot.devicetree import load_devicetree


@pytest.mark.parametrize("board", list_boards(roots=[]), ids=lambda b: b.name)
def test_shipped_devicetrees_infer_what_their_board_files_say(board):
    dt = load_devicetree(board.dts_path, board.overlay_paths, board.include_dirs)
    p = infer_platform(dt)
    assert (p.arch, p.isa, p.ptr_size, p.cpu) == (board.arch, board.isa, board.ptr_size, board.cpu)


def test_config_only_target(tmp_path):
    dts = tmp_path / "x.dts"
    dts.write_text("/dts-v1/;\n/ { };\n")
    dt = load_devicetree(dts)
    cfg = parse_kconfig_text('CONFIG_ARCH="riscv"\nCONFIG_64BIT=y\n')
    p = infer_platform(dt, config=cfg)
    assert (p.arch, p.ptr_size) == ("riscv", 8) and p.sources["ptr_size"].startswith("CONFIG_64BIT")
    p = infer_platform(dt, config=parse_kconfig_text("CONFIG_CPU_CORTEX_M4=y\n"))
    assert (p.arch, p.isa, p.cpu, p.mpu) == ("arm", "armv7e-m", "cortex-m4", "armv7m")
    p = infer_platform(dt, meta={"arch": "xtensa"}, meta_where="b.yaml")
    assert (p.arch, p.ptr_size) == ("xtensa", 4) and p.sources["arch"] == "arch in b.yaml"
    with pytest.raises(InputError, match="arch 'arc' in b.yaml is not one smh-boot models"):
        infer_platform(dt, meta={"arch": "arc"}, meta_where="b.yaml")
    # riscv without CONFIG_64BIT or riscv,isa: a guess, said
    p = infer_platform(dt, flags=Flags(arch="riscv"))
    assert p.ptr_size == 4 and any("pass --ptr-size" in w for w in p.warnings)


def test_riscv_isa_and_cache_properties(tmp_path):
    dts = tmp_path / "rv.dts"
    dts.write_text("""/dts-v1/;
/ { cpus { #address-cells = <1>; #size-cells = <0>;
    cpu@0 { device_type = "cpu"; compatible = "sifive,u74", "riscv"; reg = <0>;
            riscv,isa = "rv64imafdc"; d-cache-line-size = <64>; d-cache-size = <32768>;
            d-cache-sets = <64>; }; }; };
""")
    p = infer_platform(load_devicetree(dts))
    assert (p.arch, p.isa, p.ptr_size, p.cache) == ("riscv", "rv64imafdc", 8, (64, 32768, 8))


@pytest.mark.parametrize("text, want", [("none", None), ("32:16384:4", (32, 16384, 4)),
                                        ("0x40:32768:4", (64, 32768, 4))])
def test_dcache_flag(text, want):
    assert parse_dcache(text) == want


@pytest.mark.parametrize("bad", ["32", "a:b:c", "24:16384:4", "32:1000:4", "32:16384:0"])
def test_bad_dcache_flag(bad):
    with pytest.raises(InputError, match="--dcache"):
        parse_dcache(bad)


def test_unmodelled_config_arch_is_an_error(tmp_path):
    dts = tmp_path / "x.dts"
    dts.write_text("/dts-v1/;\n/ { };\n")
    cfg = parse_kconfig_text('CONFIG_ARCH="arc"\n', "b/zephyr/.config")
    with pytest.raises(InputError) as e:
        infer_platform(load_devicetree(dts), config=cfg)
    assert (e.value.file, e.value.line) == ("b/zephyr/.config", 1)
    assert "CONFIG_ARCH='arc' is not an architecture smh-boot models" in e.value.message


@pytest.mark.parametrize("soc, size", [("stm32h747xx", 16384), ("mimxrt1176", 32768),
                                       ("mimxrt1021", 16384), ("stm32f746xx", 4096)])
def test_cortex_m7_cache_size_comes_from_the_soc(tmp_path, soc, size):
    dts = tmp_path / "m7.dts"
    dts.write_text('/dts-v1/;\n/ { cpus { #address-cells = <1>; #size-cells = <0>;\n'
                   '  cpu@0 { device_type = "cpu"; compatible = "arm,cortex-m7"; reg = <0>; }; }; };\n')
    dt = load_devicetree(dts)
    p = infer_platform(dt, soc=soc)
    assert p.cache == (32, size, 4) and not p.cautions
    p = infer_platform(dt)  # no SoC known: assumed, and said
    assert p.cache == (32, 16384, 4) and "pass --dcache" in p.cautions[0]


def test_shipped_rt1170_gets_its_32k_cache_from_the_root_compatible():
    from smh_boot.board import load_board

    b = load_board("mimxrt1170_evk")
    p = infer_platform(load_devicetree(b.dts_path))
    assert p.cache == (b.cache.line_size, b.cache.size, b.cache.ways) == (32, 32768, 4)
