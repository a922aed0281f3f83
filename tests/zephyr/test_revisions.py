"""Board revisions as Zephyr's ``board_check_revision`` (cmake/modules/extensions.cmake) checks
them: the three formats, loose MAJOR.MINOR.PATCH typing, the nearest lower listed revision when
the one asked for is not listed, ``exact: true``, and the files a revision brings (overlays,
``_defconfig``, the deprecated ``.conf``)."""

import json

import pytest

from smh_boot.cli import main
from smh_boot.errors import BoardError
from smh_boot.resolve import TargetSpec, resolve
from smh_boot.zephyr import hwm

Z = "zephyrproject/zephyr"
VENDOR = "vendor_boards"


def _run(capsys, *argv):
    rc = main(list(argv))
    out = capsys.readouterr()
    return rc, out.out, out.err


def _sizes(capsys, *argv):
    rc, out, err = _run(capsys, "regions", "--json", *argv)
    assert rc == 0, err
    return {r["region_name"]: r["size"] for r in json.loads(out)["regions"]}


# --------------------------------------------------------------------------- the rule itself


@pytest.mark.parametrize("fmt, text, want", [
    ("major.minor.patch", "1", "1.0.0"),
    ("major.minor.patch", "1.2", "1.2.0"),
    ("major.minor.patch", "0.11.3", "0.11.3"),
    ("major.minor.patch", "01.0.0", None),     # no leading zero on the major number
    ("major.minor.patch", "1.0.0.0", None),
    ("major.minor.patch", "v1", None),
    ("letter", "B", "B"),
    ("letter", "b", None),
    ("letter", "AB", None),
    ("number", "12", "12"),
    ("number", "1.2", None),
    ("custom", "rev-x", "rev-x"),
])
def test_revisions_are_written_in_the_boards_format(fmt, text, want):
    assert hwm.normalize_revision(fmt, text) == want


@pytest.mark.parametrize("fmt, requested, revisions, exact, want", [
    ("major.minor.patch", "0.2.0", ["0.1.0", "0.2.0"], False, "0.2.0"),      # listed: itself
    ("major.minor.patch", "0.1.5", ["0.1.0", "0.2.0"], False, "0.1.0"),      # nearest lower
    ("major.minor.patch", "0.10.0", ["0.2.0", "0.9.0", "1.0.0"], False, "0.9.0"),  # as versions
    ("major.minor.patch", "0.0.1", ["0.1.0", "0.2.0"], False, None),         # none below
    ("major.minor.patch", "0.1.5", ["0.1.0", "0.2.0"], True, None),          # exact: no stand-in
    ("major.minor.patch", "1.0.0", ["1", "0.5"], False, "1"),    # listed loosely: its spelling
    ("letter", "D", ["A", "C", "E"], False, "C"),
    ("letter", "A", ["B", "C"], False, None),
    ("number", "20", ["1", "2", "10"], False, "10"),   # numbers, not strings ("2" > "10" as text)
    ("number", "9", ["1", "2", "10"], False, "2"),
    ("number", "3", ["1", "2"], True, None),
    ("number", "02", ["2", "5"], False, None),          # compared as Zephyr does: 2 > 2 is false
])
def test_nearest_lower_revision(fmt, requested, revisions, exact, want):
    assert hwm.pick_revision(fmt, requested, revisions, exact) == want


# --------------------------------------------------------------------------- major.minor.patch


def test_a_revision_between_two_listed_ones_uses_the_lower(in_data, capsys):
    # nrf5340dk lists 0.1.0 (32 KiB shared RAM, by its revision overlay) and 0.2.0 (default)
    assert _sizes(capsys, "nrf5340dk@0.1.5/nrf5340/cpuapp", "--zephyr-base", Z) == {"SHARED_RAM": 0x8000}
    assert _sizes(capsys, "nrf5340dk@7/nrf5340/cpuapp", "--zephyr-base", Z) == {"SHARED_RAM": 0x10000}
    r = resolve(TargetSpec(target="nrf5340dk@0.1.5/nrf5340/cpuapp", zephyr_base=Z))
    assert r.board.name == "nrf5340dk@0.1.0/nrf5340/cpuapp"
    assert ("revision 0.1.5 is revision 0.1.0: the nearest lower one board.yml lists, as Zephyr "
            "picks it") in r.board.notes
    # the revision's _defconfig is merged after the target's
    assert r.board.heap.alloc_loops == 8
    assert r.config.where("SYS_HEAP_ALLOC_LOOPS").endswith("nrf5340dk_nrf5340_cpuapp_0_1_0_defconfig:3")


def test_loose_revision_typing(in_data):
    r = resolve(TargetSpec(target="nrf5340dk@0.1/nrf5340/cpuapp", zephyr_base=Z))
    assert r.board.name == "nrf5340dk@0.1.0/nrf5340/cpuapp"
    assert [o.name for o in r.board.overlay_paths] == ["nrf5340dk_nrf5340_cpuapp_0_1_0.overlay"]
    assert "revision 0.1 is revision 0.1.0" in r.board.notes


def test_the_default_revision_brings_no_overlay_it_has_not(in_data):
    r = resolve(TargetSpec(target="nrf5340dk/nrf5340/cpuapp", zephyr_base=Z))
    assert r.board.overlay_paths == () and r.board.heap.alloc_loops == 3
    assert [f.name for f in r.config.sources] == ["nrf5340dk_nrf5340_cpuapp_defconfig"]


# --------------------------------------------------------------------------- letter and number


def test_letter_revisions(in_data, capsys):
    args = ("--zephyr-base", Z, "--board-root", VENDOR)
    assert _sizes(capsys, "acme_sensor_dk", *args) == {"DMA_RAM": 0x10000}     # default C
    assert _sizes(capsys, "acme_sensor_dk@A", *args) == {"DMA_RAM": 0x8000}    # its overlay
    assert _sizes(capsys, "acme_sensor_dk@B", *args) == {"DMA_RAM": 0x8000}    # B -> A
    assert _sizes(capsys, "acme_sensor_dk@Z", *args) == {"DMA_RAM": 0x10000}   # Z -> C
    rc, out, err = _run(capsys, "boot", "acme_sensor_dk@B", *args, "--no-drivers")
    assert rc == 0, err
    assert out.startswith("*** smh-boot 0.1.0 - booting acme_sensor_dk@A/acme_m33 (acme ACME sensor DK) ***")
    assert ("inferred: revision B is revision A: the nearest lower one board.yml lists, as "
            "Zephyr picks it") in out
    assert "inferred: devicetree acme_sensor_dk.dts + revision overlay acme_sensor_dk_A.overlay" in out


def test_exact_revisions_and_the_deprecated_conf(in_data, capsys):
    args = ("--zephyr-base", Z, "--board-root", VENDOR)
    rc, _, err = _run(capsys, "boot", "acme_radio_dk@3", *args)
    assert rc == 2 and "Traceback" not in err
    assert err.startswith(f"{VENDOR}/boards/acme/acme_dk/board.yml: error: board 'acme_radio_dk' "
                          "has no revision '3', and board.yml says revision exact: true, so no "
                          "nearer revision stands in; revisions: 1, 2")
    assert "hint: pick one of the listed revisions" in err
    r = resolve(TargetSpec(target="acme_radio_dk@1", zephyr_base=Z, board_roots=(VENDOR,)))
    assert r.board.heap.runtime_stats is True  # from acme_radio_dk_acme_m33_1.conf
    assert ("acme_radio_dk_acme_m33_1.conf read as Kconfig (Zephyr deprecates it: rename it "
            "acme_radio_dk_acme_m33_1_defconfig)") in r.board.notes
    assert not resolve(TargetSpec(target="acme_radio_dk", zephyr_base=Z,
                                  board_roots=(VENDOR,))).board.heap.runtime_stats


@pytest.mark.parametrize("target, msg", [
    ("acme_sensor_dk@b", "revision 'b' of 'acme_sensor_dk@b' is not written in board "
                         "'acme_sensor_dk''s revision format letter (one capital letter, A to Z)"),
    ("acme_radio_dk@1.0", "revision '1.0' of 'acme_radio_dk@1.0' is not written in board "
                          "'acme_radio_dk''s revision format number (a whole number)"),
    ("nrf5340dk@0.0.1/nrf5340/cpuapp", "board 'nrf5340dk' has no revision '0.0.1' nor any "
                                       "below it; revisions: 0.1.0, 0.2.0"),
    ("nrf5340dk@first/nrf5340/cpuapp", "is not written in board 'nrf5340dk''s revision format "
                                       "major.minor.patch (MAJOR.MINOR.PATCH, e.g. 1.0.0"),
    ("acme_sensor_dk@A/acme_m34", "has no target with qualifiers 'acme_m34'"),
])
def test_unknown_revisions_are_located_errors(in_data, capsys, target, msg):
    rc, _, err = _run(capsys, "regions", target, "--zephyr-base", Z, "--board-root", VENDOR)
    assert rc == 2 and msg in err and "board.yml: error:" in err and "Traceback" not in err


# --------------------------------------------------------------------------- board.yml checks


def _board(tmp_path, revision: str, files=("b.dts",)):
    d = tmp_path / "boards" / "acme" / "b"
    d.mkdir(parents=True)
    (d / "board.yml").write_text("board:\n  name: b\n  revision:\n" + revision
                                 + "  socs:\n    - name: s\n")
    for f in files:
        (d / f).write_text("/dts-v1/;\n/ { };\n")
    (tmp_path / "soc" / "acme").mkdir(parents=True)  # hwmv2 needs the SoC defined
    (tmp_path / "soc" / "acme" / "soc.yml").write_text("socs:\n  - name: s\n")
    return d


@pytest.mark.parametrize("revision, msg", [
    ("    format: semver\n    default: '1'\n    revisions: [{name: '1'}]\n",
     "revision format 'semver' is not one of major.minor.patch, letter, number, custom"),
    ("    format: number\n    revisions: [{name: '1'}]\n", "revision: needs 'default' with format number"),
    ("    format: number\n    default: '1'\n", "revision: needs 'revisions' with format number"),
    ("    format: number\n    default: '1'\n    exact: maybe\n    revisions: [{name: '1'}]\n",
     "revision exact must be true or false"),
    ("    format: letter\n    default: 'a'\n    revisions: [{name: 'a'}]\n",
     "default revision 'a' is not written in its format letter"),
])
def test_malformed_revision_blocks_are_named(tmp_path, revision, msg):
    _board(tmp_path, revision)
    with pytest.raises(BoardError) as e:
        hwm.resolve_target(hwm.find_board("b", [tmp_path]), hwm.parse_target("b"))
    assert msg in e.value.message and e.value.file.endswith("board.yml")


def test_a_custom_revision_format_is_used_as_given_and_said(tmp_path):
    _board(tmp_path, "    format: custom\n", files=("b.dts", "b_rev_x.overlay"))
    rt = hwm.resolve_target(hwm.find_board("b", [tmp_path]), hwm.parse_target("b@rev.x"))
    assert rt.revision == "rev.x" and [o.name for o in rt.revision_overlays] == ["b_rev_x.overlay"]
    assert rt.warnings == ("revision format custom: the board's revision.cmake, which smh-boot "
                           "does not run, would check revision 'rev.x'; it is used as given",)


def test_both_spellings_of_a_revision_overlay_are_refused(tmp_path):
    _board(tmp_path, "    format: letter\n    default: A\n    revisions: [{name: A}]\n",
           files=("b.dts", "b_A.overlay", "b_s_A.overlay"))
    with pytest.raises(BoardError) as e:
        hwm.resolve_target(hwm.find_board("b", [tmp_path]), hwm.parse_target("b"))
    assert e.value.message == ("conflicting file names: both b_s_A.overlay and b_A.overlay "
                               "(revision overlay)")
    assert e.value.hint == "keep one naming style; Zephyr recommends b_s_A.overlay"
