"""smh_boot.testing.targets: how the plugin names, identifies and resolves board entries."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from smh_boot.testing.dt_cache import DevicetreeCache
from smh_boot.testing.targets import (
    TargetOptions,
    TargetResolver,
    board_id,
    error_text,
    plugin_words,
    same_board,
)

DATA = Path(__file__).resolve().parents[1] / "zephyr" / "data"


@pytest.fixture
def data(tmp_path, monkeypatch):
    monkeypatch.delenv("ZEPHYR_BASE", raising=False)
    monkeypatch.delenv("SMH_BOOT_BOARD_ROOT", raising=False)
    for item in ("zephyrproject", "builds", "app", "app64"):
        shutil.copytree(DATA / item, tmp_path / item)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_commands_flags_read_as_the_plugins_options():
    assert plugin_words("... (pass --arch); or --dcache none, --zephyr-base Z") == \
        "... (pass --smh-arch); or --smh-dcache none, --smh-zephyr-base Z"
    assert plugin_words("use --build-dir DIR") == "use --smh-build-dir DIR"
    # not inside words or other options, nor already translated
    assert plugin_words("--smh-arch, x--arch, --architecture") == "--smh-arch, x--arch, --architecture"


def test_an_error_without_a_file_loses_its_own_error_prefix():
    from smh_boot.errors import BoardError

    assert error_text(BoardError("unknown board 'x'", hint="pass --zephyr-base")) == \
        "unknown board 'x'\n  hint: pass --smh-zephyr-base"
    assert error_text(BoardError("bad", "b.yml", 3)) == "b.yml:3: error: bad"


def test_board_ids(data):
    assert board_id("qemu_cortex_m3") == "qemu_cortex_m3"
    assert board_id("nrf5340dk@0.1.0/nrf5340/cpuapp") == "nrf5340dk@0.1.0/nrf5340/cpuapp"
    assert board_id("my/boards/tiny.yaml") == "tiny" and board_id("/x/plain.dts") == "plain"
    assert board_id(str(data / "builds" / "h747_m7")) == "stm32h747i_disco/stm32h747xx/m7"
    broken = data / "broken"
    (broken / "zephyr").mkdir(parents=True)
    (broken / "zephyr" / ".config").write_text("not kconfig\n")
    assert board_id(str(broken)) == "broken"  # the resolver reports it when it is used
    assert same_board("stm32h747i_disco/stm32h747xx/m7", str(data / "builds" / "h747_m7"))
    assert not same_board("qemu_cortex_m3", str(data / "builds" / "h747_m7"))


def test_resolutions_are_reused_until_a_file_they_read_changes(data):
    r = TargetResolver(TargetOptions(zephyr_base=str(data / "zephyrproject" / "zephyr")))
    a = r.resolve("qemu_cortex_a53")
    assert r.resolve("qemu_cortex_a53") is a and r.resolutions == 1
    assert r.resolve("qemu_cortex_a53", (str(data / "app64" / "app.overlay"),)) is not a
    assert r.resolutions == 2
    defconfig = a.config.sources[0]
    assert defconfig.name == "qemu_cortex_a53_defconfig"
    defconfig.write_text(defconfig.read_text() + "CONFIG_SYS_HEAP_RUNTIME_STATS=y\n")
    b = r.resolve("qemu_cortex_a53")
    assert b is not a and r.resolutions == 3 and b.board.heap.runtime_stats
    # a build directory: its .config is watched too
    build = str(data / "builds" / "qemu_a53")
    c = r.resolve(build)
    cfg = data / "builds" / "qemu_a53" / "zephyr" / ".config"
    st = cfg.stat()
    os.utime(cfg, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert r.resolve(build) is not c


def test_the_default_board_and_all_are_smh_boots_own_even_with_a_tree(data):
    opts = TargetOptions(zephyr_base=str(data / "zephyrproject" / "zephyr"))
    r = TargetResolver(opts)
    assert r.resolve("qemu_cortex_a53").board.origin == "zephyr"
    assert r.resolve("qemu_cortex_a53", shipped=True).board.origin == "yaml"
    assert opts.command_line() == ["--smh-zephyr-base", "zephyrproject/zephyr"]


def test_a_seeded_tree_is_served_for_the_same_contents(data):
    cache = DevicetreeCache()
    dts = data / "zephyrproject" / "zephyr" / "boards" / "qemu" / "cortex_a53" / "qemu_cortex_a53.dts"
    tree = object()
    cache.seed(dts, (), (), tree)
    assert cache.load(dts) is tree and cache.hits == 1
    dts.write_text(dts.read_text() + "\n/ { };\n")  # other contents: loaded for real
    assert cache.load(dts, include_dirs=[data / "zephyrproject" / "zephyr" / "dts"]) is not tree
