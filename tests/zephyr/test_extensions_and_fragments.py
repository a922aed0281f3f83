"""Board extensions (``board.yml`` ``extend:``) and the Kconfig view a target gets from its
fragments, merged as Zephyr's kconfig.cmake merges them: the board's defconfigs, the
application's prj.conf and board fragments, then each shield's ``.conf`` files."""

import json
import shutil

import pytest

from smh_boot.cli import main
from smh_boot.errors import BoardError
from smh_boot.resolve import TargetSpec, resolve
from smh_boot.zephyr import hwm

from .conftest import DATA, ZBASE

Z = "zephyrproject/zephyr"
VENDOR = "vendor_boards"


def _run(capsys, *argv):
    rc = main(list(argv))
    out = capsys.readouterr()
    return rc, out.out, out.err


# --------------------------------------------------------------------------- extend:


def test_an_extension_adds_a_variant_from_another_board_root(in_data, capsys):
    b = hwm.find_board("nrf5340dk", [DATA / VENDOR, ZBASE])
    assert [e.yml.parent.name for e in b.extensions] == ["nrf5340dk_psram"]
    assert b.dirs == [ZBASE / "boards" / "nordic" / "nrf5340dk",
                      DATA / VENDOR / "boards" / "extensions" / "nrf5340dk_psram"]
    assert "nrf5340dk/nrf5340/cpuapp/psram" in b.target_names()
    # without the board root holding the extension, the variant does not exist
    assert "nrf5340dk/nrf5340/cpuapp/psram" not in hwm.find_board("nrf5340dk", [ZBASE]).target_names()

    rc, out, err = _run(capsys, "regions", "--json", "nrf5340dk/nrf5340/cpuapp/psram",
                        "--zephyr-base", Z, "--board-root", VENDOR)
    assert rc == 0, err
    assert {r["region_name"]: r["size"] for r in json.loads(out)["regions"]} == {
        "SHARED_RAM": 0x10000, "PSRAM": 0x800000}
    r = resolve(TargetSpec(target="nrf5340dk@0.1.0/nrf5340/cpuapp/psram", zephyr_base=Z,
                           board_roots=(VENDOR,)))
    # the variant's .dts, revision overlay and defconfig come from the extension's folder;
    # the base target's revision overlay and defconfig are not the variant's
    assert r.board.dts_path.parent.name == "nrf5340dk_psram"
    assert [o.name for o in r.board.overlay_paths] == ["nrf5340dk_nrf5340_cpuapp_psram_0_1_0.overlay"]
    assert [f.name for f in r.config.sources] == ["nrf5340dk_nrf5340_cpuapp_psram_defconfig"]
    assert (r.board.mem_attr.enabled, r.board.mem_attr.heap) == (True, True)
    assert r.board.description == "NRF5340-DK-NRF5340-application-MCU-PSRAM"
    assert ("board nrf5340dk from zephyrproject/zephyr/boards/nordic/nrf5340dk/board.yml extended "
            "by vendor_boards/boards/extensions/nrf5340dk_psram/board.yml") in r.board.notes
    # the board's own folder stays the DTS root (pre_dt.cmake), not the extension's
    assert not any("nrf5340dk_psram" in str(d) for d in r.board.include_dirs)


def test_boards_lists_extension_variants(in_data, capsys):
    rc, out, _ = _run(capsys, "boards", "--board-root", VENDOR, "--zephyr-base", Z)
    assert rc == 0 and "  nrf5340dk/nrf5340/cpuapp/psram\n" in out
    assert "  acme_sensor_dk/acme_m33\n" in out


def _extension(tmp_path, text):
    root = tmp_path / "root"
    shutil.copytree(DATA / VENDOR, root)
    (root / "boards" / "extensions" / "nrf5340dk_psram" / "board.yml").write_text(text)
    return root


@pytest.mark.parametrize("text, msg", [
    ("board:\n  extend: nrf5340dk\n  variants:\n    - name: psram\n      qualifier: nrf5340/cpuapp2\n",
     "qualifiers 'nrf5340/cpuapp2' not found when extending board 'nrf5340dk'"),
    ("board:\n  extend: nrf5340dk\n  variants:\n    - name: ns\n      qualifier: nrf5340/cpuapp\n",
     "variant 'ns' of board 'nrf5340dk' below 'nrf5340/cpuapp' is defined more than once"),
    ("board:\n  extend: nrf5340dk\n  name: nrf5340dk\n  socs: [{name: nrf5340}]\n",
     "a board entry has either 'name' (a board) or 'extend'"),
    ("board:\n  extend: nrf5340dk\n  variants:\n    - name: psram\n",
     "every variant of an 'extend:' entry needs a 'name' and a 'qualifier'"),
    ("board:\n  extend: nrf5340dk\n  variants: psram\n", "'variants' must be a list of mappings"),
    ("board:\n  extend: [nrf5340dk]\n", "'extend' names the board to extend"),
    ("board:\n  extend: nrf5340dk\nboards:\n  - extend: nrf5340dk\n",
     "'board' and 'boards' cannot both be given"),
])
def test_broken_extensions_are_located(tmp_path, capsys, monkeypatch, text, msg):
    root = _extension(tmp_path, text)
    monkeypatch.chdir(DATA)
    rc, _, err = _run(capsys, "regions", "nrf5340dk/nrf5340/cpuapp", "--zephyr-base", Z,
                      "--board-root", str(root))
    assert rc == 2 and msg in err and "Traceback" not in err
    assert err.startswith(f"{root}/boards/extensions/nrf5340dk_psram/board.yml: error: ")


def test_an_extension_of_a_board_that_is_not_there_is_ignored_as_zephyr_does(tmp_path):
    root = _extension(tmp_path, "board:\n  extend: no_such_board\n  variants:\n"
                                "    - name: x\n      qualifier: y\n")
    b = hwm.find_board("nrf5340dk", [root, ZBASE])
    assert b.extensions == [] and b.dirs == [b.dir]


# --------------------------------------------------------------------------- shields' Kconfig


def test_shield_kconfig_fragments_merge_after_the_board(in_data, capsys):
    r = resolve(TargetSpec(target="nrf5340dk/nrf5340/cpuapp", zephyr_base=Z, shields=("fixture_psram",)))
    assert [f.name for f in r.config.sources] == [
        "nrf5340dk_nrf5340_cpuapp_defconfig",   # the board
        "fixture_psram.conf",                   # <shield>.conf
        "nrf5340dk_nrf5340_cpuapp.conf",        # the shield's boards/<target>.conf
    ]
    assert r.board.heap.runtime_stats is True and r.board.mem_attr.enabled is True
    assert r.board.mem_attr.heap is False
    assert r.config.where("SYS_HEAP_RUNTIME_STATS").endswith("fixture_psram/fixture_psram.conf:4")
    # the revision-specific fragment of the shield comes with the (active) revision
    r = resolve(TargetSpec(target="nrf5340dk@0.1.5/nrf5340/cpuapp", zephyr_base=Z,
                           shields=("fixture_psram",)))
    assert [f.name for f in r.config.sources][-1] == "nrf5340dk_nrf5340_cpuapp_0_1_0.conf"
    assert r.board.mem_attr.heap is True
    rc, out, err = _run(capsys, "boot", "nrf5340dk/nrf5340/cpuapp", "--shield", "fixture_psram",
                        "--zephyr-base", Z, "--no-drivers")
    assert rc == 0, err
    assert ("inferred: heap (runtime stats on, alloc loops 3, auto chunks, hardening strict) and "
            "mem_attr (on, heap off) from nrf5340dk_nrf5340_cpuapp_defconfig + fixture_psram.conf "
            "+ nrf5340dk_nrf5340_cpuapp.conf") in out


def _shield_copy(tmp_path):
    z = tmp_path / "zephyr"
    shutil.copytree(ZBASE, z)
    return z, z / "boards" / "shields" / "fixture_psram"


def test_a_bad_value_in_a_shield_fragment_points_at_that_fragment(tmp_path, capsys):
    z, shield = _shield_copy(tmp_path)
    (shield / "fixture_psram.conf").write_text("CONFIG_SYS_HEAP_ALLOC_LOOPS=0\n")
    rc, _, err = _run(capsys, "boot", "nrf5340dk/nrf5340/cpuapp", "--shield", "fixture_psram",
                      "--zephyr-base", str(z))
    assert rc == 2
    assert err.startswith(f"{shield}/fixture_psram.conf:1: error: CONFIG_SYS_HEAP_ALLOC_LOOPS=0: "
                          "sys_heap needs at least 1")
    (shield / "fixture_psram.conf").write_text("CONFIG_OK=y\nthis is not kconfig\n")
    rc, _, err = _run(capsys, "boot", "nrf5340dk/nrf5340/cpuapp", "--shield", "fixture_psram",
                      "--zephyr-base", str(z))
    assert rc == 2 and err.startswith(f"{shield}/fixture_psram.conf:2: error: not a Kconfig line")


def test_a_shield_with_both_spellings_of_a_board_file_is_refused(tmp_path, capsys):
    z, shield = _shield_copy(tmp_path)
    # qemu_cortex_a53 has one SoC, so the short name qemu_cortex_a53.conf is allowed too
    (shield / "boards" / "qemu_cortex_a53.conf").write_text("CONFIG_MEM_ATTR=y\n")
    (shield / "boards" / "qemu_cortex_a53_qemu_cortex_a53.conf").write_text("CONFIG_MEM_ATTR=y\n")
    rc, _, err = _run(capsys, "boot", "qemu_cortex_a53", "--shield", "fixture_psram",
                      "--zephyr-base", str(z))
    assert rc == 2
    assert ("error: conflicting file names: both qemu_cortex_a53_qemu_cortex_a53.conf and "
            "qemu_cortex_a53.conf (shield fixture_psram)") in err


# --------------------------------------------------------------------------- the application


def test_application_prj_conf_and_board_fragments(in_data, tmp_path):
    app = tmp_path / "app"
    (app / "boards").mkdir(parents=True)
    (app / "prj.conf").write_text("CONFIG_SHARED_MULTI_HEAP=y\nCONFIG_MEM_ATTR=y\n")
    (app / "boards" / "nrf5340dk_nrf5340_cpuapp.conf").write_text("CONFIG_SYS_HEAP_ALLOC_LOOPS=5\n")
    spec = dict(target="nrf5340dk/nrf5340/cpuapp", zephyr_base=str(ZBASE), app=str(app),
                shields=("fixture_psram",))
    r = resolve(TargetSpec(**spec))
    assert [f.name for f in r.config.sources] == [
        "nrf5340dk_nrf5340_cpuapp_defconfig", "prj.conf", "nrf5340dk_nrf5340_cpuapp.conf",
        "fixture_psram.conf", "nrf5340dk_nrf5340_cpuapp.conf"]
    assert r.board.heap.alloc_loops == 5 and r.board.mem_attr.enabled
    # prj_<board>.conf replaces prj.conf and its fragments (configuration_files.cmake)
    (app / "prj_nrf5340dk.conf").write_text("CONFIG_SYS_HEAP_ALLOC_LOOPS=2\n")
    r = resolve(TargetSpec(**spec))
    assert [f.name for f in r.config.sources][1] == "prj_nrf5340dk.conf"
    assert r.board.heap.alloc_loops == 2
    # <board>.overlay in the application folder (BOARD is the board's name, no qualifiers)
    (app / "nrf5340dk.overlay").write_text("/ { };\n")
    (app / "app.overlay").write_text("/ { };\n")
    r = resolve(TargetSpec(**spec))
    assert [o.name for o in r.board.overlay_paths][-1] == "nrf5340dk.overlay"


def test_an_unreadable_board_yml_is_an_error_not_a_dropped_extension(tmp_path):
    # A board.yml that cannot be read may hold an extend: of the board looked up: Zephyr's
    # board listing fails on it too, so it is a located error (it used to be skipped).
    bad = tmp_path / "boards" / "acme" / "board.yml"
    bad.mkdir(parents=True)  # a folder where the file should be: reading it fails
    with pytest.raises(BoardError) as ei:
        hwm.find_extensions("nrf5340dk", [tmp_path])
    assert ei.value.file == str(bad) and "cannot read the board file" in str(ei.value)
