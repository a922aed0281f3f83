"""The plugin takes every target the commands take: ``--smh-build-dir`` (what ``west build``
wrote), Zephyr board targets with ``--smh-zephyr-base``/``--smh-board-root``/``--smh-module``/
``--smh-shield``/``--smh-app``, plain ``.dts`` files, and the ``--smh-arch``... overrides, as
options and ini settings; what cannot be inferred is in the header and is an
``InferenceWarning`` of each test that boots it.

The runs happen in a copy of the Zephyr-shaped fixture tree (tests/zephyr/data): a west
workspace (``zephyrproject/``), an out-of-tree board root (``vendor_boards/``), an application
(``app/``) and two build directories (``builds/``)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from smh_boot.board import default_board

DATA = Path(__file__).resolve().parents[1] / "zephyr" / "data"
DEFAULT = default_board().name
H747 = "stm32h747i_disco/stm32h747xx/m7"

NOCPU = """/dts-v1/;
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


@pytest.fixture
def workspace(pytester, monkeypatch):
    """pytester's folder holding the fixture workspace; no ZEPHYR_BASE from outside."""
    monkeypatch.delenv("ZEPHYR_BASE", raising=False)
    monkeypatch.delenv("SMH_BOOT_BOARD_ROOT", raising=False)
    for item in ("zephyrproject", "vendor_boards", "app", "app64", "builds"):
        shutil.copytree(DATA / item, pytester.path / item, symlinks=True)
    return pytester.path


def _ids(result, name):
    """Parametrisation ids of test ``name`` in a ``-v`` listing."""
    import re

    return [m[1] for line in result.outlines
            for m in [re.search(rf"::{name}\[(.*?)\](?: |$)", line)] if m]


BUILD_TESTS = """
import pytest
from smh_boot.pytest_plugin import _settings

def test_board(smh_system, smh_board):
    assert smh_system.board.origin == "build" and smh_board.origin == "build"
    assert smh_system.regions and smh_system.warnings == ()

@pytest.mark.smh_board("stm32h747i_disco/stm32h747xx/m7")
def test_pinned_to_the_target(smh_system):
    # a pin to a board target runs on the build of that target
    assert [r.name for r in smh_system.regions] == ["SRAM1", "SRAM2", "SRAM3", "SRAM4", "SDRAM2"]
    assert smh_system.device("mac").ready

@pytest.mark.smh_board("qemu_cortex_m3")
def test_pinned_elsewhere(smh_system):
    pass

def test_resolved_once(request, smh_board):
    s = _settings(request.config)
    before = s.resolver().resolutions
    s.resolve(s.selected_boards()[0])
    assert s.resolver().resolutions == before == len(s.selected_boards())
"""


def test_build_directories_from_the_option(workspace, pytester, run):
    pytester.makepyfile(test_app=BUILD_TESTS)
    r = run("--smh-build-dir", "builds/h747_m7", "--smh-build-dir", "builds/qemu_a53", "-v", "-rs")
    r.assert_outcomes(passed=2 + 1 + 2, skipped=1)
    assert _ids(r, "test_board") == [H747, "qemu_cortex_a53"]
    assert _ids(r, "test_pinned_to_the_target") == [H747]
    r.stdout.fnmatch_lines([
        f"smh-boot: boards {H747}, qemu_cortex_a53; seed 0; stress off",
        f"smh-boot: {H747}: build directory builds/h747_m7: cortex-m7 (arm, armv7e-m), 32-bit "
        "pointers, d-cache 16 KiB 4-way, 32 B lines",
        "smh-boot: qemu_cortex_a53: build directory builds/qemu_a53: cortex-a53 (arm64, armv8-a), "
        "64-bit pointers, d-cache 32 KiB 4-way, 64 B lines",
        "smh-boot:   inferred: devicetree zephyr.dts.pre (line markers give the original sources)",
        "*pinned to qemu_cortex_m3; not among the selected boards*",
    ])


def test_build_directories_from_the_ini_file(workspace, pytester, run):
    pytester.makeini("[pytest]\nsmh_build_dirs = builds/qemu_a53\n")
    pytester.mkdir("tests")
    pytester.makepyfile(**{"tests/test_app": """
        def test_board(smh_system):
            assert smh_system.board.name == "qemu_cortex_a53" and smh_system.board.ptr_size == 8
            assert smh_system.board.heap.hardening == "moderate"   # from the build's .config
    """})
    r = run("-v")
    r.assert_outcomes(passed=1)
    assert _ids(r, "test_board") == ["qemu_cortex_a53"]
    # from another folder, the ini setting still means the ini file's builds/
    r = pytester.runpytest("-p", "no:hypothesispytest", "-p", "no:benchmark", "-q",
                           str(pytester.path / "tests"), "--rootdir", str(pytester.path))
    r.assert_outcomes(passed=1)


def test_overlays_on_a_build_go_on_top_of_its_zephyr_dts(workspace, pytester, run):
    pytester.path.joinpath("extra.overlay").write_text(
        '/ { soc { extra: memory@44000000 { compatible = "zephyr,memory-region", "mmio-sram"; '
        'reg = <0x0 0x44000000 0x0 0x1000>; zephyr,memory-region = "EXTRA"; '
        'zephyr,memory-attr = <0x100000>; }; }; };\n')
    pytester.makepyfile(test_app="""
        import pytest

        @pytest.mark.smh_overlay("extra.overlay")
        def test_extra(smh_boot_factory):
            s = smh_boot_factory(strict=False)
            assert [r.name for r in s.regions] == ["RES0", "RES1", "EXTRA"]
            assert any(l.startswith("inferred: overlays extra.overlay applied on top of the "
                                    "build's final zephyr.dts") for l in s.log)
            plain = smh_boot_factory(overlays=())
            assert [r.name for r in plain.regions] == ["RES0", "RES1"]
    """)
    run("--smh-build-dir", "builds/qemu_a53").assert_outcomes(passed=1)


ZEPHYR_TESTS = """
import pytest

def test_board(request, smh_system):
    # a name typed with a Zephyr tree given means the tree's board, as for the commands;
    # the default board and the boards of `all` stay smh-boot's own
    typed = request.config.getoption("smh_board")
    entry = request.node.callspec.params["smh_board"]
    assert smh_system.board.origin == ("zephyr" if entry in typed else "yaml")

@pytest.mark.smh_board("stm32h747i_disco/stm32h747xx/m7")
@pytest.mark.smh_overlay("app/app.overlay")
def test_app_overlay(smh_system):
    # the overlay reaches the resolver, as --overlay does: after the board's own files
    assert [o.name for o in smh_system.board.overlay_paths] == ["app.overlay"]
    assert "SRAM4" in [r.name for r in smh_system.regions]

@pytest.mark.smh_board("nrf5340dk@0.1.5/nrf5340/cpuapp/psram")
def test_extension_and_revision(smh_system):
    assert smh_system.board.name == "nrf5340dk@0.1.0/nrf5340/cpuapp/psram"
    assert smh_system.region("PSRAM").size == 4 << 20

@pytest.mark.smh_board("acme_sensor_dk@B")
def test_letter_revision(smh_system):
    assert smh_system.region("DMA_RAM").size == 32 << 10
"""


def test_zephyr_targets_from_ini_settings(workspace, pytester, run):
    pytester.makeini("[pytest]\nsmh_zephyr_base = zephyrproject/zephyr\n"
                     "smh_modules = zephyrproject/modules/hal/stm32\n"
                     "smh_board_roots = vendor_boards\n")
    pytester.makepyfile(test_app=ZEPHYR_TESTS)
    r = run("-v")  # pinned tests run on their pins; the others on the (shipped) default board
    r.assert_outcomes(passed=4)
    assert _ids(r, "test_board") == [DEFAULT]
    assert _ids(r, "test_extension_and_revision") == ["nrf5340dk@0.1.5/nrf5340/cpuapp/psram"]
    r = run("--smh-board", "qemu_cortex_a53", "-v", "-k", "test_board")
    r.assert_outcomes(passed=1)
    r.stdout.fnmatch_lines(["smh-boot: qemu_cortex_a53: Zephyr board target, "
                            "zephyrproject/zephyr/boards/qemu/cortex_a53/board.yml: *"])
    r = run("--smh-board", "all", "-q", "-k", "test_board")  # `all`: smh-boot's shipped boards
    r.assert_outcomes(passed=6)


def test_shields_and_overrides_from_options(workspace, pytester, run):
    pytester.makepyfile(test_app="""
        def test_board(smh_system):
            b = smh_system.board
            assert b.heap.runtime_stats and b.mem_attr.enabled          # the shield's .conf
            assert smh_system.region("PSRAM").size == 4 << 20           # its board overlay
            assert smh_system.cache is not None and smh_system.cache.line_size == 32  # --smh-dcache
    """)
    r = run("--smh-board", "nrf5340dk/nrf5340/cpuapp", "--smh-zephyr-base", "zephyrproject/zephyr",
            "--smh-shield", "fixture_psram", "--smh-dcache", "32:16384:4", "-v")
    r.assert_outcomes(passed=1)
    r.stdout.fnmatch_lines(["smh-boot:   inferred: cache from --dcache",
                            "smh-boot:   inferred: heap (runtime stats on, * from "
                            "nrf5340dk_nrf5340_cpuapp_defconfig + fixture_psram.conf + "
                            "nrf5340dk_nrf5340_cpuapp.conf"])


def test_what_cannot_be_inferred_is_said_in_the_header_and_by_each_test(workspace, pytester, run):
    pytester.path.joinpath("nocpu.dts").write_text(NOCPU)
    pytester.makepyfile(test_app="""
        def test_strict(smh_system):
            pass

        def test_lenient(request, smh_boot_factory):
            s = smh_boot_factory(strict=False)
            assert bool(s.warnings) == (request.config.getoption("smh_arch") is None)
            assert s.warnings == s.board.warnings
    """)
    r = run("--smh-board", "nocpu.dts")
    r.assert_outcomes(passed=1, errors=1, warnings=1)
    r.stdout.fnmatch_lines([
        "smh-boot: nocpu: devicetree nocpu.dts: unknown (unknown, unknown), 32-bit pointers, "
        "no data cache",
        "smh-boot:   warning: cannot infer the architecture *; pass --smh-arch",
        "InputError: *nocpu.dts: error: refusing to go on with what smh-boot had to guess "
        "(strict=True):",
        "  hint: pass the options named above (or their ini settings), or boot with "
        "smh_boot_factory(..., strict=False) to go on with the warnings",
        "  reproduce: pytest 'test_app.py::test_strict[[]nocpu[]]' --smh-seed 0 --smh-board nocpu.dts",
        "*test_app.py:4: InferenceWarning: nocpu: cannot infer the architecture *; pass --smh-arch",
    ])
    assert "Traceback" not in r.stdout.str()
    r = run("--smh-board", "nocpu.dts", "-W", "error::smh_boot.InferenceWarning", "-k", "lenient")
    r.assert_outcomes(failed=1)
    r.stdout.fnmatch_lines(["InferenceWarning (an error in this run): nocpu: cannot infer the "
                            "architecture *"])
    assert "Traceback" not in r.stdout.str() and "nodes.py" not in r.stdout.str()
    # naming the architecture settles it: no warning, and the strict boot goes on
    r = run("--smh-board", "nocpu.dts", "--smh-arch", "arm", "--smh-isa", "armv7-m")
    r.assert_outcomes(passed=2)
    assert "warning" not in r.stdout.str().lower()


def test_a_failure_on_a_build_says_how_to_select_it_again(workspace, pytester, run):
    pytester.makepyfile(test_app="""
        def test_fails(smh_system):
            assert smh_system.board.name == "something else"
    """)
    r = run("--smh-build-dir", "builds/qemu_a53")
    r.assert_outcomes(failed=1)
    line = "  reproduce: pytest 'test_app.py::test_fails[qemu_cortex_a53]' --smh-seed 0 " \
           "--smh-build-dir builds/qemu_a53"
    assert line in r.outlines
    again = r.outlines[r.outlines.index(line)].split("pytest ", 1)[1].split()
    rerun = run(again[0].strip("'"), *again[1:])
    rerun.assert_outcomes(failed=1)  # the same test, on the same board


@pytest.mark.parametrize("args, ini, message", [
    (["--smh-board", "nrf5340dk/nrf5340/cpuapp"], "",
     "*--smh-board: unknown board 'nrf5340dk/nrf5340/cpuapp'; known boards: *"),
    (["--smh-board", "nrf5340dk/nrf5340/cpuapp"], "",
     "*for a Zephyr board target pass --smh-zephyr-base (or set ZEPHYR_BASE)"),
    (["--smh-board", "nrf5340dk/nrf5340/cpuapp2", "--smh-zephyr-base", "zephyrproject/zephyr"], "",
     "*--smh-board: */zephyrproject/zephyr/boards/nordic/nrf5340dk/board.yml: error: board "
     "'nrf5340dk' has no target with qualifiers 'nrf5340/cpuapp2'*"),
    (["--smh-board", "acme_radio_dk@3", "--smh-board-root", "vendor_boards"], "",
     "*--smh-board: */vendor_boards/boards/acme/acme_dk/board.yml: error: board 'acme_radio_dk' "
     "has no revision '3', and board.yml says revision exact: true*"),
    (["--smh-build-dir", "nowhere"], "", "*--smh-build-dir / smh_build_dirs: no such folder *nowhere*"),
    (["--smh-build-dir", "app"], "", "*--smh-build-dir: *app: error: *"),
    (["--smh-zephyr-base", "nowhere"], "",
     "*--smh-zephyr-base / smh_zephyr_base: no such folder *nowhere*"),
    ([], "smh_zephyr_base = nowhere", "*--smh-zephyr-base / smh_zephyr_base: no such folder *nowhere*"),
    ([], "smh_board_roots = nowhere", "*--smh-board-root / smh_board_roots: no such folder *nowhere*"),
    (["--smh-arch", "sparc"], "", "*--smh-arch / smh_arch: unknown architecture 'sparc'; one of arm*"),
    (["--smh-ptr-size", "3"], "", "*--smh-ptr-size / smh_ptr_size: '3' is not a pointer size*"),
    (["--smh-dcache", "33:100:3"], "", "*--smh-dcache / smh_dcache: error: --smh-dcache '33:100:3'*"),
    (["--smh-board", "qemu_cortex_m3", "--smh-ptr-size", "8"], "",
     "*--smh-board: *pointer size 8 contradicts arch arm of board 'qemu_cortex_m3' (--smh-ptr-size)*"),
    (["--smh-board", "qemu_cortex_a53", "--smh-zephyr-base", "zephyrproject/zephyr",
      "--smh-shield", "nope"], "", "*--smh-board: *no shield 'nope'; shields: fixture_psram*"),
])
def test_usage_errors(workspace, pytester, run, args, ini, message):
    pytester.makeini(f"[pytest]\n{ini}\n")
    pytester.makepyfile(test_a="def test_x(smh_board): pass\n")
    r = run(*args)
    assert r.ret == pytest.ExitCode.USAGE_ERROR
    r.stderr.fnmatch_lines([message])
    assert "Traceback" not in r.stderr.str()


def test_pins_to_paths_and_targets(workspace, pytester, run):
    pytester.mkdir("tests")
    pytester.makepyfile(**{"tests/test_pins": """
        import pytest

        @pytest.mark.smh_board("../builds/qemu_a53")        # relative to this file
        def test_build(smh_system):
            assert smh_system.board.origin == "build"

        @pytest.mark.smh_board("nrf5340dk/nrf5340/cpuapp/ns")
        def test_target(smh_system):
            assert smh_system.board.cpu == "cortex-m33"

        @pytest.mark.smh_board("nrf5340dk/nrf5340/cpuapp/nope")
        def test_broken_target(smh_system):
            pass
    """})
    r = run("--smh-zephyr-base", "zephyrproject/zephyr", "-v")
    r.assert_outcomes(passed=2, errors=1)
    assert _ids(r, "test_build") == ["qemu_cortex_a53"]
    r.stdout.fnmatch_lines(["BoardError: */zephyrproject/zephyr/boards/nordic/nrf5340dk/board.yml: "
                            "error: board 'nrf5340dk' has no target with qualifiers "
                            "'nrf5340/cpuapp/nope'*"])
    # a bare name that is no board anywhere is an error of the test at collection
    pytester.makepyfile(**{"tests/test_pins": """
        import pytest

        @pytest.mark.smh_board("nrf5340")
        def test_x(smh_board):
            pass
    """})
    r = run("--smh-zephyr-base", "zephyrproject/zephyr")
    r.assert_outcomes(errors=1)
    r.stdout.fnmatch_lines(["*test_pins.py::test_x: @pytest.mark.smh_board: no Zephyr board "
                            "'nrf5340' (looked for board.yml below *)",
                            "*hint: did you mean nrf5340dk? *"])
    assert "During handling" not in r.stdout.str()


def test_xdist_workers_agree_on_builds_and_targets(workspace, pytester):
    pytester.path.joinpath("tag.overlay").write_text('/ { smh-test-tag = "x"; };\n')
    pytester.makepyfile(test_app="""
        import pytest

        @pytest.mark.parametrize("n", range(3))
        def test_board(smh_system, n):
            assert smh_system.board.origin in ("build", "zephyr")
            assert "smh-test-tag" in smh_system.devicetree.get("/").props
    """)
    r = pytester.runpytest_subprocess(
        "-p", "no:hypothesispytest", "-p", "no:benchmark", "-n", "2",
        "--smh-build-dir", "builds/h747_m7", "--smh-board", "qemu_cortex_a53",
        "--smh-zephyr-base", "zephyrproject/zephyr", "--smh-overlay", "tag.overlay")
    r.assert_outcomes(passed=6)


def _westbuild():
    """tests/zephyr/westbuild.py (what `west build` leaves behind, without a toolchain)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("westbuild", DATA.parent / "westbuild.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_a_warning_that_is_no_guess_is_said_but_does_not_stop_a_strict_boot(workspace, pytester,
                                                                             run, monkeypatch):
    wb = _westbuild()
    config = wb.H747_CONFIG.replace("CONFIG_SHARED_MULTI_HEAP=y",
                                    "# CONFIG_SHARED_MULTI_HEAP is not set")
    monkeypatch.chdir(workspace)
    wb.make_build(workspace / "build", H747, "zephyrproject/zephyr", ("app/app.overlay",),
                  ("zephyrproject/modules/hal/stm32",), config)
    pytester.makepyfile(test_app="""
        def test_boots(smh_system):
            assert smh_system.warnings[0].startswith("CONFIG_SHARED_MULTI_HEAP is not set")
    """)
    r = run("--smh-build-dir", "build")
    r.assert_outcomes(passed=1, warnings=1)
    r.stdout.fnmatch_lines([
        f"smh-boot: {H747}: build directory build: *",
        "smh-boot:   warning: CONFIG_SHARED_MULTI_HEAP is not set in zephyr/.config: this firmware "
        "has no shared multi-heap; smh-boot builds the pool anyway to show what it would do",
        f"*InferenceWarning: {H747}: CONFIG_SHARED_MULTI_HEAP is not set in zephyr/.config*",
    ])
