"""``smh_boot.boot()`` takes every target ``smh-boot boot`` takes, through the same resolver,
and says what it could not infer: in ``system.warnings``, the log, and as an
``InferenceWarning`` pointing at the caller's line."""

import json
import warnings

import pytest

import smh_boot
from smh_boot import InferenceWarning
from smh_boot.board import load_board
from smh_boot.cli import main
from smh_boot.errors import BoardError, InputError
from smh_boot.resolve import TargetSpec, resolve

from .test_front_door import NO_CPUS

Z = "zephyrproject/zephyr"
HAL = "zephyrproject/modules/hal/stm32"
H747 = "stm32h747i_disco/stm32h747xx/m7"


def _cli_boot(capsys, *argv):
    assert main(["boot", "--json", *argv]) == 0
    return json.loads(capsys.readouterr().out)


def _same(system, report):
    """The API's System and the CLI's JSON report describe the same boot."""
    assert system.board.name == report["board"]["name"]
    assert [(r.name, r.addr, r.size, r.attr) for r in system.regions] == [
        (r["name"], r["addr"], r["size"], r["attr"]) for r in report["regions"]]
    assert [(d.path, d.ready) for d in system.device_list] == [
        (d["path"], d["ready"]) for d in report["devices"]]
    assert system.log == report["log"]


def test_a_build_directory(in_data, capsys):
    _same(smh_boot.boot(build_dir="builds/h747_m7"), _cli_boot(capsys, "-d", "builds/h747_m7"))
    # the folder given as the board, as the command's argument may be
    assert smh_boot.boot("builds/qemu_a53", drivers=False).board.origin == "build"


def test_a_zephyr_board_target(in_data, capsys, monkeypatch):
    system = smh_boot.boot(H747, overlays=["app/app.overlay"], zephyr_base=Z, modules=[HAL])
    _same(system, _cli_boot(capsys, H747, "--zephyr-base", Z, "--module", HAL,
                            "--overlay", "app/app.overlay"))
    assert "SRAM4" in [r.name for r in system.regions]  # the overlay went to the resolver
    monkeypatch.setenv("ZEPHYR_BASE", Z)  # as the commands, $ZEPHYR_BASE by default
    assert smh_boot.boot("nrf5340dk/nrf5340/cpuapp", drivers=False).board.origin == "zephyr"


def test_revisions_shields_extensions_and_flags(in_data):
    s = smh_boot.boot("nrf5340dk@0.1.5/nrf5340/cpuapp/psram", zephyr_base=Z,
                      board_roots=["vendor_boards"], drivers=False)
    assert s.board.name == "nrf5340dk@0.1.0/nrf5340/cpuapp/psram"
    assert s.region("PSRAM").size == 0x400000
    s = smh_boot.boot("nrf5340dk/nrf5340/cpuapp", zephyr_base=Z, shields=["fixture_psram"],
                      drivers=False, isa="armv8-m.main", dcache="32:16384:4")
    assert s.board.heap.runtime_stats and s.cache is not None and s.cache.line_size == 32
    assert {"inferred: isa, mpu from --isa", "inferred: cache from --dcache"} <= set(s.log)


def test_board_files_and_plain_devicetrees(in_data, tmp_path):
    assert smh_boot.boot("qemu_cortex_m3", drivers=False).board == load_board("qemu_cortex_m3")
    dts = tmp_path / "plain.dts"
    dts.write_text(NO_CPUS.replace("0x200100", "0x100"))  # no architecture bits: nothing to guess
    assert smh_boot.boot(dts, drivers=False).board.origin == "dts"


def test_what_cannot_be_inferred_is_refused_under_strict_and_warned_otherwise(tmp_path):
    dts = tmp_path / "nocpu.dts"
    dts.write_text(NO_CPUS)
    with pytest.raises(InputError) as e:
        smh_boot.boot(dts)
    assert "refusing to go on with what smh-boot had to guess (strict=True)" in str(e.value)
    assert "cannot infer the architecture" in str(e.value)
    assert "arch=, isa=, ptr_size=, dcache=" in e.value.hint and "strict=False" in e.value.hint
    with pytest.warns(InferenceWarning, match=r"^nocpu: cannot infer the architecture") as rec:
        system = smh_boot.boot(dts, strict=False, drivers=False)
    ours = [w for w in rec if issubclass(w.category, InferenceWarning)]
    assert ours[0].filename == __file__  # the warning points at this call, not into smh-boot
    assert system.warnings and system.warnings == system.board.warnings
    assert any(line.startswith("warning: cannot infer the architecture") for line in system.log)
    # naming the architecture settles it: no warning about it any more
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        smh_boot.boot(dts, strict=False, drivers=False, arch="arm", isa="armv7-m")
    assert not [w for w in rec if "cannot infer the architecture" in str(w.message)]


def test_overlays_on_a_build_go_on_top_of_its_zephyr_dts_and_say_so(in_data, tmp_path):
    ovl = tmp_path / "extra.overlay"
    ovl.write_text('/ { soc { extra: memory@44000000 { compatible = "zephyr,memory-region", '
                   '"mmio-sram"; reg = <0x0 0x44000000 0x0 0x1000>; zephyr,memory-region = '
                   '"EXTRA"; zephyr,memory-attr = <0x100000>; }; }; };\n')
    s = smh_boot.boot(build_dir="builds/qemu_a53", overlays=[ovl], drivers=False, strict=False)
    assert [r.name for r in s.regions] == ["RES0", "RES1", "EXTRA"]
    assert ("inferred: overlays extra.overlay applied on top of the build's final zephyr.dts, as "
            "EXTRA_DTC_OVERLAY_FILE would be at build time (diagnostics point at zephyr.dts)") in s.log


def test_a_resolved_target_is_booted_as_it_is(in_data):
    r = resolve(TargetSpec(build_dir="builds/qemu_a53"))
    assert smh_boot.boot(r, drivers=False).devicetree is r.devicetree  # not parsed again


@pytest.mark.parametrize("call, err, msg", [
    (lambda: smh_boot.boot(load_board("qemu_cortex_m3"), zephyr_base=Z), InputError,
     "boot(): zephyr_base= only apply when board names a target"),
    (lambda: smh_boot.boot(resolve(TargetSpec(build_dir="builds/qemu_a53")), shields=["x"]),
     InputError, "boot(): shields= only apply"),
    (lambda: smh_boot.boot("nosuchboard"), BoardError, "unknown board 'nosuchboard'"),
    (lambda: smh_boot.boot("nosuchboard", zephyr_base=Z), BoardError, "no Zephyr board 'nosuchboard'"),
    (lambda: smh_boot.boot("qemu_cortex_m3", ptr_size=8), InputError,
     "pointer size 8 contradicts arch arm"),
    (lambda: smh_boot.boot("qemu_cortex_a53", build_dir="builds/h747_m7"), InputError,
     "'qemu_cortex_a53' conflicts with the build directory"),
    (lambda: smh_boot.boot(H747, zephyr_base=Z, modules=[HAL], shields=["nope"]), BoardError,
     "no shield 'nope'; shields: fixture_psram"),
    (lambda: smh_boot.boot("acme_radio_dk@3", zephyr_base=Z, board_roots=["vendor_boards"]),
     BoardError, "has no revision '3', and board.yml says revision exact: true"),
])
def test_errors_are_the_commands_errors(in_data, call, err, msg):
    with pytest.raises(err) as e:
        call()
    assert msg in str(e.value)
