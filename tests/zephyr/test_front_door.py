"""boot / validate / regions / map from a Zephyr build directory, a Zephyr tree + board
target, and a plain .dts: same regions whichever way, inference said out loud, every error
path one clear message."""

import json

import pytest

import smh_boot
from smh_boot.cli import main
from smh_boot.devicetree import find_regions
from smh_boot.resolve import TargetSpec, resolve

from .conftest import DATA
from .westbuild import BUILDS, H747_CONFIG, make_build

TREE_H747 = ["stm32h747i_disco/stm32h747xx/m7", "--zephyr-base", "zephyrproject/zephyr",
             "--module", "zephyrproject/modules/hal/stm32", "--overlay", "app/app.overlay"]
TREE_A53 = ["qemu_cortex_a53", "--zephyr-base", "zephyrproject/zephyr",
            "--overlay", "app64/app.overlay"]


def _run(capsys, *argv):
    rc = main(list(argv))
    out = capsys.readouterr()
    return rc, out.out, out.err


def _regions(capsys, *argv):
    rc, out, err = _run(capsys, "regions", "--json", *argv)
    assert rc == 0, err
    doc = json.loads(out)
    return [(r["path"], r["addr"], r["size"], r["attr"], r["smh_attr"]) for r in doc["regions"]], doc


@pytest.mark.parametrize("build, tree", [("h747_m7", TREE_H747), ("qemu_a53", TREE_A53)])
def test_same_regions_from_tree_and_from_build(in_data, capsys, build, tree):
    from_build, doc_b = _regions(capsys, "--build-dir", f"builds/{build}")
    from_tree, doc_t = _regions(capsys, *tree)
    assert from_build == from_tree and len(from_build) >= 2
    assert doc_b["arch"] == doc_t["arch"] == ("arm" if build == "h747_m7" else "arm64")
    # and the same boot: the same heaps and devices (the build's .config may differ from the
    # board's defconfig, e.g. runtime stats, which moves addresses: that is the point)
    rc, log_b, _ = _run(capsys, "boot", "-d", f"builds/{build}", "--json")
    rc2, log_t, _ = _run(capsys, "boot", *tree, "--json")
    assert rc == rc2 == 0
    rb, rt = json.loads(log_b), json.loads(log_t)
    pick = lambda rep: ([(r["name"], r["addr"], r["size"], r["attr"]) for r in rep["regions"]],
                        [(d["path"], d["ready"]) for d in rep["devices"]])
    assert pick(rb) == pick(rt)


def test_build_dir_boots_with_no_yaml_and_no_flags(in_data, capsys):
    rc, out, err = _run(capsys, "boot", "--build-dir", "builds/h747_m7")
    assert rc == 0, err
    assert out.startswith("*** smh-boot 0.1.0 - booting stm32h747i_disco/stm32h747xx/m7 "
                          "(STMicroelectronics STM32H747I Discovery (M7)) ***\n")
    assert "inferred: devicetree zephyr.dts.pre (line markers give the original sources)" in out
    assert ("inferred: heap (runtime stats on, alloc loops 3, auto chunks, hardening strict) and "
            "mem_attr (on, heap off) from zephyr/.config") in out
    assert "devices: 4/4 ready" in out and "warning" not in out


def test_build_dir_kconfig_reaches_the_heap(in_data):
    r = resolve(TargetSpec(build_dir="builds/qemu_a53"))
    b = r.board
    assert (b.arch, b.isa, b.ptr_size, b.cpu) == ("arm64", "armv8-a", 8, "cortex-a53")
    assert (b.heap.runtime_stats, b.heap.hardening, b.heap.alloc_loops) == (False, "moderate", 3)
    assert (b.mem_attr.enabled, b.mem_attr.heap) == (True, True)
    assert b.cache.line_size == 64
    system = smh_boot.boot(b, dt_loader=r.dt_loader(), drivers=False)
    assert system.pool.config.ptr_size == 8 and system.mem_attr_heap is not None
    h = resolve(TargetSpec(build_dir="builds/h747_m7")).board
    assert h.heap.runtime_stats is True and h.ptr_size == 4 and h.cache.line_size == 32


def _tmp_build(tmp_path, monkeypatch, name, **kw):
    monkeypatch.chdir(DATA)
    target, ovl, mods, cfg = BUILDS[name]
    out = tmp_path / name
    make_build(out, target, "zephyrproject/zephyr", ovl, mods, kw.pop("config", cfg), **kw)
    return out


def test_kconfig_options_change_results(tmp_path, monkeypatch):
    cfg = H747_CONFIG.replace("CONFIG_SYS_HEAP_ALLOC_LOOPS=3", "CONFIG_SYS_HEAP_ALLOC_LOOPS=7") \
        .replace("# CONFIG_SYS_HEAP_BIG_ONLY is not set", "CONFIG_SYS_HEAP_BIG_ONLY=y") \
        .replace("CONFIG_DCACHE_LINE_SIZE=32", "CONFIG_DCACHE_LINE_SIZE=64") \
        + "CONFIG_SYS_HEAP_HARDENING_BASIC=y\n"
    b = resolve(TargetSpec(build_dir=str(_tmp_build(tmp_path, monkeypatch, "h747_m7", config=cfg)))).board
    assert (b.heap.alloc_loops, b.heap.heap_mode, b.heap.hardening) == (7, "big", "basic")
    assert (b.cache.line_size, b.cache.size) == (64, 16384)
    assert "line size from CONFIG_DCACHE_LINE_SIZE" in " ".join(b.notes)
    nocache = H747_CONFIG.replace("CONFIG_DCACHE=y", "# CONFIG_DCACHE is not set")
    b = resolve(TargetSpec(build_dir=str(_tmp_build(tmp_path / "n", monkeypatch, "h747_m7",
                                                    config=nocache)))).board
    assert b.cache is None
    nosmh = H747_CONFIG.replace("CONFIG_SHARED_MULTI_HEAP=y", "# CONFIG_SHARED_MULTI_HEAP is not set")
    b = resolve(TargetSpec(build_dir=str(_tmp_build(tmp_path / "s", monkeypatch, "h747_m7",
                                                    config=nosmh)))).board
    assert any("CONFIG_SHARED_MULTI_HEAP is not set" in w for w in b.warnings)


def test_board_name_from_board_only_config(tmp_path, monkeypatch):
    cfg = "\n".join(l for l in H747_CONFIG.splitlines() if not l.startswith("CONFIG_BOARD_TARGET"))
    b = resolve(TargetSpec(build_dir=str(_tmp_build(tmp_path, monkeypatch, "h747_m7",
                                                    config=cfg, with_info=False)))).board
    assert b.name == "stm32h747i_disco/stm32h747xx/m7"  # CONFIG_BOARD + CONFIG_BOARD_QUALIFIERS


def test_diagnostics_point_at_original_sources_or_zephyr_dts(tmp_path, monkeypatch, capsys):
    bad = tmp_path / "bad.overlay"
    bad.write_text("&sram2 {\n\treg = <0x30010000 0x20000>;\n};\n")
    monkeypatch.chdir(DATA)
    out = tmp_path / "b"
    make_build(out, "stm32h747i_disco/stm32h747xx/m7", "zephyrproject/zephyr",
               (str(bad),), ("zephyrproject/modules/hal/stm32",), H747_CONFIG)
    rc, text, _ = _run(capsys, "validate", "-d", str(out))
    assert rc == 1
    overlap = next(l for l in text.splitlines() if "overlap" in l and "error" in l)
    assert overlap.startswith(f"{bad}:") or "stm32h7.dtsi:" in overlap, overlap
    (out / "zephyr" / "zephyr.dts.pre").unlink()
    rc, text, _ = _run(capsys, "validate", "-d", str(out))
    overlap = next(l for l in text.splitlines() if "overlap" in l and "error" in l)
    assert rc == 1 and "zephyr/zephyr.dts:" in overlap, overlap


def test_stale_pre_is_not_used(tmp_path, monkeypatch):
    import os

    out = _tmp_build(tmp_path, monkeypatch, "h747_m7")
    pre = out / "zephyr" / "zephyr.dts.pre"
    os.utime(pre, (1, 1))
    r = resolve(TargetSpec(build_dir=str(out)))
    assert any("zephyr.dts.pre is older than zephyr.dts" in w for w in r.warnings)


@pytest.mark.parametrize("setup, msg", [
    (lambda d: None, "build directory does not exist"),
    (lambda d: d.write_text("x"), "is not a directory"),
    (lambda d: (d / "zephyr").mkdir(parents=True), "missing zephyr/zephyr.dts and zephyr/.config"),
    (lambda d: ((d / "zephyr").mkdir(parents=True), (d / "zephyr" / "zephyr.dts").write_text("/dts-v1/; / { };")),
     "missing zephyr/.config (what `west build` leaves behind)"),
])
def test_build_dir_errors(tmp_path, capsys, setup, msg):
    d = tmp_path / "build"
    setup(d)
    rc, _, err = _run(capsys, "boot", "--build-dir", str(d))
    assert rc == 2 and msg in err and "Traceback" not in err


def test_inner_zephyr_folder_names_its_parent(tmp_path, monkeypatch, capsys):
    out = _tmp_build(tmp_path, monkeypatch, "h747_m7")
    rc, _, err = _run(capsys, "regions", "-d", str(out / "zephyr"))
    assert rc == 2 and f"pass its parent: --build-dir {out}" in err


def test_build_dir_conflicts(in_data, capsys):
    rc, _, err = _run(capsys, "boot", "-d", "builds/h747_m7", "--overlay", "app/app.overlay")
    assert rc == 2 and "--overlay, -I, --app and --shield cannot be combined with --build-dir" in err
    rc, _, err = _run(capsys, "boot", "qemu_cortex_a53", "-d", "builds/h747_m7")
    assert rc == 2 and "conflicts with the build directory, which was built for " \
                       "'stm32h747i_disco/stm32h747xx/m7'" in err
    # the build's own board is fine
    assert _run(capsys, "regions", "stm32h747i_disco", "-d", "builds/h747_m7")[0] == 0


def test_malformed_config_and_unnamed_board(tmp_path, monkeypatch, capsys):
    out = _tmp_build(tmp_path, monkeypatch, "h747_m7", config=H747_CONFIG + "garbage line\n")
    rc, _, err = _run(capsys, "boot", "-d", str(out))
    assert rc == 2 and ".config:39: error: not a Kconfig line: 'garbage line'" in err
    out = _tmp_build(tmp_path / "x", monkeypatch, "h747_m7", config="CONFIG_DCACHE=y\n",
                     with_info=False)
    rc, _, err = _run(capsys, "boot", "-d", str(out))
    assert rc == 2 and "names no board (CONFIG_BOARD / CONFIG_BOARD_TARGET)" in err


def test_64bit_config_contradicting_the_cpu_is_an_error(tmp_path, monkeypatch, capsys):
    cfg = H747_CONFIG.replace("# CONFIG_64BIT is not set", "CONFIG_64BIT=y")
    out = _tmp_build(tmp_path, monkeypatch, "h747_m7", config=cfg)
    rc, _, err = _run(capsys, "boot", "-d", str(out))
    assert rc == 2 and "CONFIG_64BIT=y gives 64-bit pointers, which arch arm" in err


# --------------------------------------------------------------------------- tree + target


def test_tree_target_with_module_and_env_zephyr_base(in_data, monkeypatch, capsys):
    monkeypatch.setenv("ZEPHYR_BASE", "zephyrproject/zephyr")
    rc, out, err = _run(capsys, "boot", "stm32h747i_disco/stm32h747xx/m7", "--module",
                        "zephyrproject/modules/hal/stm32")
    assert rc == 0, err
    assert "inferred: board stm32h747i_disco from zephyrproject/zephyr/boards/st/" \
           "stm32h747i_disco/board.yml" in out


def test_include_dirs_are_zephyrs(in_data):
    b = resolve(TargetSpec(target=TREE_H747[0], zephyr_base="zephyrproject/zephyr",
                           modules=("zephyrproject/modules/hal/stm32",),
                           overlays=("app/app.overlay",))).board
    assert [str(p) for p in b.include_dirs] == [
        "zephyrproject/modules/hal/stm32/dts",          # module root: only dts/ exists
        "zephyrproject/zephyr/include",                 # ZEPHYR_BASE root, pre_dt.cmake order
        "zephyrproject/zephyr/include/zephyr",
        "zephyrproject/zephyr/dts/common",
        "zephyrproject/zephyr/dts/arm",
        "zephyrproject/zephyr/dts",
    ]


def test_missing_module_is_a_located_include_error(in_data, capsys):
    rc, _, err = _run(capsys, "regions", TREE_H747[0], "--zephyr-base", "zephyrproject/zephyr")
    assert rc == 2
    assert "stm32h747i_disco_stm32h747xx_m7.dts:3" in err
    assert "cannot find include file 'st/h7/stm32h747xihx-pinctrl.dtsi'" in err


def test_variant_and_revision_through_boot(in_data, capsys):
    rc, out, err = _run(capsys, "regions", "--json", "nrf5340dk/nrf5340/cpuapp/ns",
                        "--zephyr-base", "zephyrproject/zephyr")
    assert rc == 0, err
    assert [r["size"] for r in json.loads(out)["regions"]] == [0x10000]
    rc, out, _ = _run(capsys, "regions", "--json", "nrf5340dk@0.1.0/nrf5340/cpuapp",
                      "--zephyr-base", "zephyrproject/zephyr")
    assert [r["size"] for r in json.loads(out)["regions"]] == [0x8000]
    r = resolve(TargetSpec(target="nrf5340dk/nrf5340/cpuapp/ns", zephyr_base="zephyrproject/zephyr"))
    assert (r.board.cpu, r.board.isa, r.platform.mpu) == ("cortex-m33", "armv8-m.main", "armv8m")


@pytest.mark.parametrize("argv, msg", [
    (["boot", "nosuchboard", "--zephyr-base", "zephyrproject/zephyr"], "no Zephyr board 'nosuchboard'"),
    (["boot", "stm32h747i_disco/stm32h747xx/m3", "--zephyr-base", "zephyrproject/zephyr"],
     "valid targets: stm32h747i_disco/stm32h747xx/m7"),
    (["boot", "stm32h747i_disco/stm32h747xx/m7", "--zephyr-base", "nowhere"],
     "ZEPHYR_BASE is not a directory (--zephyr-base)"),
    (["boot", "stm32h747i_disco/stm32h747xx/m7", "--zephyr-base", "app"], "not a Zephyr tree"),
    (["boot", "stm32h747i_disco/stm32h747xx/m7"],
     "unknown board 'stm32h747i_disco/stm32h747xx/m7'; known boards: esp32s3_devkitc"),
    (["boot", "qemu_cortex_a53", "--zephyr-base", "zephyrproject/zephyr", "--module", "nope"],
     "module folder does not exist"),
    (["boot", "--arch", "arm", "--ptr-size", "8", "qemu_cortex_m3"], "pointer size 8 contradicts arch arm"),
    (["boot", "--dcache", "33:100:3"], "--dcache '33:100:3'"),
    (["regions"], "no input: give a .dts file"),
    (["boot", "missing.dts"], "missing.dts: error: no such devicetree file"),
    (["boot", "qemu_cortex_a53", "--zephyr-base", "zephyrproject/zephyr", "--overlay", "no.overlay"],
     "no.overlay: error: no such devicetree file"),
    (["boot", "app"], "app: error: is a directory; expected a board, a .dts file or a board target"),
])
def test_error_paths(in_data, capsys, argv, msg):
    rc, _, err = _run(capsys, *argv)
    assert rc == 2 and msg in err and "Traceback" not in err and "internal error" not in err


# --------------------------------------------------------------------------- plain .dts


NO_CPUS = """/dts-v1/;
/ {
	#address-cells = <1>;
	#size-cells = <1>;
	sram@20000000 {
		compatible = "zephyr,memory-region", "mmio-sram";
		reg = <0x20000000 0x10000>;
		zephyr,memory-region = "SRAM_NC";
		zephyr,memory-attr = <0x200100>;
	};
};
"""


def test_plain_dts_never_yaml_error(tmp_path, capsys):
    bad = tmp_path / "my.dts"
    bad.write_text("/dts-v1/;\n/ { foo = <1> };\n")
    rc, _, err = _run(capsys, "boot", str(bad))
    assert rc == 2 and "YAML" not in err and "my.dts:2" in err
    rc, _, err = _run(capsys, "map", str(bad))
    assert rc == 2 and "YAML" not in err


def test_unknown_arch_with_arch_bits_is_said_everywhere(tmp_path, capsys):
    dts = tmp_path / "nocpu.dts"
    dts.write_text(NO_CPUS)
    rc, _, err = _run(capsys, "boot", str(dts))
    assert rc == 2 and "cannot infer the architecture" in err and "pass --arch" in err
    rc, out, err = _run(capsys, "boot", str(dts), "--no-strict", "--json", "--no-drivers")
    assert rc == 0
    rep = json.loads(out)
    assert any("pass --arch" in w for w in rep["board"]["warnings"])
    assert any(l.startswith("warning: cannot infer the architecture") for l in rep["log"])
    rc, out, err = _run(capsys, "regions", "--json", str(dts))
    assert any("pass --arch" in w["message"] for w in json.loads(out)["warnings"])
    rc, _, err = _run(capsys, "validate", str(dts), "--werror")
    assert rc == 1 and "pass --arch" in err
    rc, out, _ = _run(capsys, "validate", str(dts), "--format", "json")
    assert rc == 0 and "pass --arch" in json.loads(out)["inference"][0]["warning"]
    rc, out, _ = _run(capsys, "validate", str(dts), "--format", "sarif")
    notes = json.loads(out)["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert notes[0]["level"] == "warning" and "pass --arch" in notes[0]["message"]["text"]
    # the flag silences it and changes the mapping
    rc, out, err = _run(capsys, "regions", "--json", str(dts), "--arch", "arm")
    doc = json.loads(out)
    assert not any("pass --arch" in w["message"] for w in doc["warnings"])
    assert any("pass --isa" in w["message"] for w in doc["warnings"])  # the MPU is still unknown
    assert doc["regions"][0]["smh_attr"] == "NON_CACHEABLE" and doc["policy"] == "arm-mpu"


def test_no_arch_bits_no_warning(tmp_path, capsys):
    dts = tmp_path / "plain.dts"
    dts.write_text(NO_CPUS.replace("0x200100", "0x100"))
    rc, out, err = _run(capsys, "boot", str(dts), "--no-drivers")
    assert rc == 0 and "warning" not in out + err


def test_mpu_node_gives_the_mpu_flavour(tmp_path):
    dts = tmp_path / "mpu.dts"
    dts.write_text(NO_CPUS.replace("/ {\n", "/ {\n\tmpu@e000ed90 { compatible = \"arm,armv8m-mpu\"; };\n", 1))
    r = resolve(TargetSpec(target=str(dts)))
    assert (r.board.arch, r.board.isa, r.platform.mpu) == ("arm", "armv8-m.main", "armv8m")
    assert not r.warnings


def test_flags_override_inference(in_data):
    r = resolve(TargetSpec(build_dir="builds/h747_m7"))
    assert r.board.isa == "armv7e-m"
    from smh_boot.infer import Flags

    r = resolve(TargetSpec(build_dir="builds/h747_m7", flags=Flags(isa="armv8-m.main", dcache="none")))
    assert r.board.isa == "armv8-m.main" and r.board.cache is None


def test_map_takes_build_dir_and_dts(in_data, capsys, tmp_path):
    rc, out, err = _run(capsys, "map", "-d", "builds/qemu_a53")
    assert rc == 0, err
    assert "RES0" in out and "RES1" in out
    rc, out, err = _run(capsys, "map", "zephyrproject/zephyr/boards/qemu/cortex_a53/qemu_cortex_a53.dts",
                        "-I", "zephyrproject/zephyr/dts", "--format", "json")
    assert rc == 0, err


def test_only_guesses_stop_a_strict_boot(tmp_path, monkeypatch, capsys):
    import os

    nosmh = H747_CONFIG.replace("CONFIG_SHARED_MULTI_HEAP=y", "# CONFIG_SHARED_MULTI_HEAP is not set")
    out = _tmp_build(tmp_path, monkeypatch, "h747_m7", config=nosmh)
    os.utime(out / "zephyr" / "zephyr.dts.pre", (1, 1))
    rc, log, _ = _run(capsys, "boot", "-d", str(out), "--no-drivers")
    assert rc == 0
    assert "warning: zephyr.dts.pre is older than zephyr.dts" in log
    assert "warning: CONFIG_SHARED_MULTI_HEAP is not set" in log


def test_a_flag_over_an_inferred_value_is_noted_not_refused(in_data, capsys):
    rc, log, err = _run(capsys, "boot", "-d", "builds/qemu_a53", "--arch", "riscv", "--no-drivers")
    assert rc == 0, err
    assert "inferred: --arch riscv overrides arch arm64 inferred from /cpus/cpu@0" in log
    assert "cpu: unknown (riscv, unknown), 64-bit pointers" in log  # CONFIG_64BIT=y still holds


@pytest.mark.parametrize("build, tree", [("h747_m7", TREE_H747), ("qemu_a53", TREE_A53)])
def test_validate_and_map_agree_between_tree_and_build(in_data, capsys, build, tree):
    _, vb, _ = _run(capsys, "validate", "-d", f"builds/{build}")
    _, vt, _ = _run(capsys, "validate", *tree)
    assert vb.splitlines()[:-1] == vt.splitlines()[:-1]  # same findings at the same lines
    _, mb, _ = _run(capsys, "map", "-d", f"builds/{build}", "--format", "json", "--no-drivers")
    _, mt, _ = _run(capsys, "map", *tree, "--format", "json", "--no-drivers")
    key = lambda doc: [(b["name"], b["addr"], b["size"], b["attr"]) for b in doc["bands"]]
    assert key(json.loads(mb)) == key(json.loads(mt)) != []


def test_env_zephyr_base_keeps_shipped_names_explicit_base_prefers_the_tree(in_data, monkeypatch):
    monkeypatch.setenv("ZEPHYR_BASE", "zephyrproject/zephyr")
    assert resolve(TargetSpec(target="qemu_cortex_a53")).kind == "board"
    r = resolve(TargetSpec(target="qemu_cortex_a53", zephyr_base="zephyrproject/zephyr"))
    assert r.kind == "zephyr" and r.board.vendor == "ARM Ltd."


def test_a_build_dir_given_as_the_argument(in_data):
    assert resolve(TargetSpec(target="builds/h747_m7")).kind == "build"


@pytest.mark.parametrize("name", sorted(BUILDS))
def test_committed_builds_are_what_westbuild_makes(tmp_path, monkeypatch, name):
    out = _tmp_build(tmp_path, monkeypatch, name)
    for f in ("zephyr/zephyr.dts", "zephyr/zephyr.dts.pre", "zephyr/.config", "build_info.yml"):
        assert (out / f).read_text() == (DATA / "builds" / name / f).read_text(), f


def test_sysbuild_build_dir_boots_its_default_image(tmp_path, monkeypatch, capsys):
    import shutil

    sb = tmp_path / "build"
    shutil.copytree(DATA / "builds" / "h747_m7", sb / "hello")
    (sb / "zephyr").mkdir()  # sysbuild's own zephyr/ folder has no zephyr.dts
    (sb / "domains.yaml").write_text(f"default: hello\nbuild_dir: {sb}\ndomains:\n"
                                     f"  - name: hello\n    build_dir: {sb / 'hello'}\n")
    monkeypatch.chdir(DATA)
    r = resolve(TargetSpec(build_dir=str(sb)))
    assert r.kind == "build" and r.board.name == "stm32h747i_disco/stm32h747xx/m7"
    (sb / "domains.yaml").unlink()
    rc, _, err = _run(capsys, "boot", "-d", str(sb))
    assert rc == 2 and "but it holds the build of hello" in err and f"--build-dir {sb / 'hello'}" in err


def test_app_folder_overlays_as_zephyr_picks_them(in_data, tmp_path):
    import shutil

    app = tmp_path / "app"
    app.mkdir()
    shutil.copy(DATA / "app" / "app.overlay", app / "app.overlay")
    spec = dict(target=TREE_H747[0], zephyr_base=str(DATA / "zephyrproject" / "zephyr"),
                modules=(str(DATA / "zephyrproject" / "modules" / "hal" / "stm32"),), app=str(app))
    r = resolve(TargetSpec(**spec))
    assert [o.name for o in r.board.overlay_paths] == ["app.overlay"]
    assert "SRAM4" in [rec.region_name for rec in find_regions(r.devicetree).regions]
    (app / "boards").mkdir()
    (app / "boards" / "stm32h747i_disco_stm32h747xx_m7.overlay").write_text("/ { };\n")
    extra = tmp_path / "extra.overlay"
    extra.write_text("/ { };\n")
    b = resolve(TargetSpec(**spec, overlays=(str(extra),))).board
    # a board overlay in boards/ replaces app.overlay; --overlay files come last
    assert [o.name for o in b.overlay_paths] == ["stm32h747i_disco_stm32h747xx_m7.overlay", "extra.overlay"]
    with pytest.raises(Exception, match="application folder does not exist"):
        resolve(TargetSpec(**{**spec, "app": str(tmp_path / "nope")}))


def test_a_typo_with_zephyr_base_suggests_both_kinds_of_board(in_data, monkeypatch, capsys):
    monkeypatch.setenv("ZEPHYR_BASE", "zephyrproject/zephyr")
    rc, _, err = _run(capsys, "boot", "stm32h747i_disco_m8")
    assert rc == 2 and "did you mean stm32h747i_disco?" in err
    assert "smh-boot ships stm32h747i_disco_m7" in err


def test_shields_as_zephyr_applies_them(in_data, capsys):
    rc, out, err = _run(capsys, "regions", "--json", "nrf5340dk/nrf5340/cpuapp", "--shield",
                        "fixture_psram", "--zephyr-base", "zephyrproject/zephyr")
    assert rc == 0, err
    regions = {r["region_name"]: r["size"] for r in json.loads(out)["regions"]}
    assert regions == {"SHARED_RAM": 0x10000, "PSRAM": 0x400000}  # board-specific overlay last
    r = resolve(TargetSpec(target="nrf5340dk/nrf5340/cpuapp", shields=("fixture_psram",),
                           zephyr_base="zephyrproject/zephyr"))
    assert [o.name for o in r.board.overlay_paths] == ["fixture_psram.overlay",
                                                       "nrf5340dk_nrf5340_cpuapp.overlay"]
    rc, _, err = _run(capsys, "boot", "nrf5340dk/nrf5340/cpuapp", "--shield", "nope",
                      "--zephyr-base", "zephyrproject/zephyr")
    assert rc == 2 and "no shield 'nope'; shields: fixture_psram" in err
    rc, _, err = _run(capsys, "boot", "-d", "builds/h747_m7", "--shield", "fixture_psram")
    assert rc == 2 and "cannot be combined with --build-dir" in err


def test_small_only_heaps_on_a_64bit_build_are_an_error_not_a_crash(tmp_path, monkeypatch, capsys):
    from .westbuild import A53_CONFIG

    out = _tmp_build(tmp_path, monkeypatch, "qemu_a53", config=A53_CONFIG + "CONFIG_SYS_HEAP_SMALL_ONLY=y\n")
    rc, _, err = _run(capsys, "boot", "-d", str(out))
    assert rc == 2 and "internal error" not in err
    assert ".config:23: error: CONFIG_SYS_HEAP_SMALL_ONLY=y on a 64-bit target" in err


@pytest.mark.parametrize("line, msg", [
    ("CONFIG_DCACHE_LINE_SIZE=33", "CONFIG_DCACHE_LINE_SIZE=33 is not a cache line size"),
    ("CONFIG_DCACHE_LINE_SIZE=0", "CONFIG_DCACHE_LINE_SIZE=0 is not a cache line size"),
    ("CONFIG_SYS_HEAP_ALLOC_LOOPS=0", "CONFIG_SYS_HEAP_ALLOC_LOOPS=0: sys_heap needs at least 1"),
])
def test_impossible_kconfig_values_are_located_errors(tmp_path, monkeypatch, capsys, line, msg):
    out = _tmp_build(tmp_path, monkeypatch, "h747_m7", config=H747_CONFIG + line + "\n")
    rc, _, err = _run(capsys, "boot", "-d", str(out))
    assert rc == 2 and f".config:39: error: {msg}" in err


@pytest.mark.parametrize("files, msg", [
    ({"domains.yaml": "default: [x\n"}, "YAML syntax error in the sysbuild domains.yaml"),
    ({"domains.yaml": "default: app\ndomains: 3\n"}, "'domains' must be a list of {name, build_dir}"),
    ({"domains.yaml": "default: app\ndomains: []\n"}, "the default image 'app' has no build_dir"),
])
def test_broken_sysbuild_folders(tmp_path, capsys, files, msg):
    (tmp_path / "zephyr").mkdir()
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    rc, _, err = _run(capsys, "boot", "-d", str(tmp_path))
    assert rc == 2 and msg in err and "internal error" not in err


def test_broken_module_yml_is_located(in_data, tmp_path, capsys):
    (tmp_path / "zephyr").mkdir()
    (tmp_path / "zephyr" / "module.yml").write_text("[\n")
    rc, _, err = _run(capsys, "boot", "qemu_cortex_a53", "--zephyr-base", "zephyrproject/zephyr",
                      "--module", str(tmp_path))
    assert rc == 2 and "module.yml:2:1: error: YAML syntax error in the module.yml" in err


@pytest.mark.parametrize("name", sorted(BUILDS))
def test_committed_builds_hold_no_absolute_paths(name):
    import re

    for f in ("zephyr/zephyr.dts.pre", "build_info.yml"):
        text = (DATA / "builds" / name / f).read_text()
        markers = re.findall(r'^# \d+ "([^"]+)"', text, re.M)
        assert not [m for m in markers if m.startswith("/") and m != "/dev/null"], f
        assert str(DATA.parents[2]) not in text, f  # nothing of this checkout's location
