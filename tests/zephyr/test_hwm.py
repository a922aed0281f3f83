"""Hardware model v2: board targets, board.yml/soc.yml discovery, the files a target uses."""

import pytest

from smh_boot.errors import BoardError
from smh_boot.zephyr import hwm

from .conftest import ZBASE


@pytest.mark.parametrize("text, board, rev, quals", [
    ("qemu_cortex_a53", "qemu_cortex_a53", None, ()),
    ("stm32h747i_disco/stm32h747xx/m7", "stm32h747i_disco", None, ("stm32h747xx", "m7")),
    ("nrf5340dk@0.1.0/nrf5340/cpuapp/ns", "nrf5340dk", "0.1.0", ("nrf5340", "cpuapp", "ns")),
    ("nrf5340dk//cpuapp", "nrf5340dk", None, ("", "cpuapp")),
])
def test_parse_target(text, board, rev, quals):
    t = hwm.parse_target(text)
    assert (t.board, t.revision, t.qualifiers) == (board, rev, quals)


@pytest.mark.parametrize("bad", ["", "a/b/c/d/e", "bo ard", "board/", "board@/soc", "a//"])
def test_malformed_targets(bad):
    with pytest.raises(BoardError, match="not a board target"):
        hwm.parse_target(bad)


def _resolve(text):
    t = hwm.parse_target(text)
    return hwm.resolve_target(hwm.find_board(t.board, [ZBASE]), t)


def test_cpucluster_and_variant_targets():
    b = hwm.find_board("nrf5340dk", [ZBASE])
    assert b.soc_clusters == {"nrf5340": ["cpuapp", "cpunet"]}
    assert b.target_names() == ["nrf5340dk/nrf5340/cpuapp", "nrf5340dk/nrf5340/cpuapp/ns",
                                "nrf5340dk/nrf5340/cpunet"]
    r = _resolve("nrf5340dk/nrf5340/cpuapp/ns")
    assert r.dts.name == "nrf5340dk_nrf5340_cpuapp_ns.dts"
    assert r.twister_yaml.name == "nrf5340dk_nrf5340_cpuapp_ns.yaml"
    assert r.cpucluster == "cpuapp" and r.revision == "0.2.0" and r.revision_overlays == ()
    # the board's only SoC may be left out
    assert _resolve("nrf5340dk//cpuapp").dts.name == "nrf5340dk_nrf5340_cpuapp.dts"


def test_revision_overlay_and_short_names():
    r = _resolve("nrf5340dk@0.1.0/nrf5340/cpuapp")
    assert [o.name for o in r.revision_overlays] == ["nrf5340dk_nrf5340_cpuapp_0_1_0.overlay"]
    a53 = _resolve("qemu_cortex_a53")  # single SoC, no clusters: <board>.dts
    assert a53.dts.name == "qemu_cortex_a53.dts" and a53.defconfig.name == "qemu_cortex_a53_defconfig"
    smp = _resolve("qemu_cortex_a53/qemu_cortex_a53/smp")
    assert smp.dts.name == "qemu_cortex_a53_qemu_cortex_a53_smp.dts"


def test_unknown_board_suggests_close_names():
    with pytest.raises(BoardError) as e:
        hwm.find_board("stm32h747i_disc", [ZBASE])
    assert "no Zephyr board 'stm32h747i_disc'" in e.value.message
    assert "did you mean stm32h747i_disco" in e.value.hint


@pytest.mark.parametrize("target, msg", [
    ("stm32h747i_disco", "has no target with qualifiers '(none)'"),      # cluster required
    ("stm32h747i_disco/stm32h747xx/m3", "has no target with qualifiers 'stm32h747xx/m3'"),
    ("stm32h747i_disco/stm32h743xx", "valid targets: stm32h747i_disco/stm32h747xx/m7, "
                                     "stm32h747i_disco/stm32h747xx/m4"),
    ("nrf5340dk@0.0.1/nrf5340/cpuapp", "has no revision '0.0.1' nor any below it; revisions: 0.1.0, 0.2.0"),
    ("qemu_cortex_a53@2", "has no revisions"),
    ("nrf5340dk/nrf5340/cpunet", "has no devicetree: expected nrf5340dk_nrf5340_cpunet.dts"),
])
def test_target_errors(target, msg):
    with pytest.raises(BoardError) as e:
        _resolve(target)
    assert msg in e.value.message


def test_broken_board_yml(tmp_path):
    d = tmp_path / "boards" / "acme" / "b1"
    d.mkdir(parents=True)
    (d / "board.yml").write_text("board:\n  name: b1\n  socs: [\n")
    with pytest.raises(BoardError) as e:
        hwm.find_board("b1", [tmp_path])
    assert e.value.file.endswith("board.yml") and "YAML syntax error" in e.value.message
    (d / "board.yml").write_text("name: b1\n")
    with pytest.raises(BoardError, match="expected a 'board:' or 'boards:' key"):
        hwm.find_board("b1", [tmp_path])


def test_a_board_yml_listing_several_boards(tmp_path):
    d = tmp_path / "boards" / "qemu" / "x86"
    d.mkdir(parents=True)
    (d / "board.yml").write_text("boards:\n  - name: qemu_x86\n    socs: [{name: atom, variants: [{name: nommu}]}]\n"
                                 "  - name: qemu_x86_64\n    socs: [{name: atom}]\n")
    (tmp_path / "soc" / "intel").mkdir(parents=True)
    (tmp_path / "soc" / "intel" / "soc.yml").write_text("series:\n  - name: x\n    socs: [{name: atom}]\n")
    b = hwm.find_board("qemu_x86", [tmp_path])
    assert b.target_names() == ["qemu_x86/atom", "qemu_x86/atom/nommu"]
    assert hwm.find_board("qemu_x86_64", [tmp_path]).dir == d


@pytest.mark.parametrize("rel, text, msg", [
    ("soc/st/stm32/soc.yml", "family: 5\n", "'family' must be a list of mappings"),
    ("soc/st/stm32/soc.yml", "family:\n  - series: 7\n", "'series' must be a list of mappings"),
    ("soc/st/stm32/soc.yml", "- 1\n", "expected a mapping with family:, series: or socs:"),
    ("boards/st/stm32h747i_disco/board.yml",
     "board:\n  name: stm32h747i_disco\n  socs:\n    - name: stm32h747xx\n      variants: 3\n",
     "'variants' must be a list of mappings"),
    ("boards/st/stm32h747i_disco/board.yml",
     "board:\n  name: stm32h747i_disco\n  revision: 5\n  socs:\n    - name: stm32h747xx\n",
     "'revision' must be a mapping"),
    ("boards/st/stm32h747i_disco/board.yml",
     "board:\n  name: stm32h747i_disco\n  revision:\n    revisions: 5\n  socs:\n    - name: stm32h747xx\n",
     "'revisions' must be a list of mappings"),
    ("boards/st/stm32h747i_disco/board.yml", "boards: 5\n", "'boards' must be a list of boards"),
    ("boards/st/stm32h747i_disco/board.yml", "board:\n  name: stm32h747i_disco\n  socs: [x]\n",
     "'socs' must be a list of mappings"),
])
def test_malformed_board_and_soc_files_are_named(tmp_path, rel, text, msg):
    import shutil

    z = tmp_path / "z"
    shutil.copytree(ZBASE, z)
    (z / rel).write_text(text)
    with pytest.raises(BoardError) as e:
        _ = hwm.resolve_target(hwm.find_board("stm32h747i_disco", [z]),
                               hwm.parse_target("stm32h747i_disco/stm32h747xx/m7"))
    assert msg in e.value.message and e.value.file.endswith(rel.split("/")[-1])
