"""Options, markers, ids and fixtures of the pytest plugin, through pytester runs.

Each pytester run costs a pytest start-up, so one scratch module holds several scenarios and
one run checks them together."""

from __future__ import annotations

import pytest

from smh_boot.board import default_board, list_boards

DEFAULT = default_board().name
ALL = sorted(b.name for b in list_boards())

SELECTION = """
import pytest

def test_board(smh_board):
    assert smh_board.name

@pytest.mark.smh_board("qemu_cortex_m3", "mps2_an521")
def test_pinned(smh_board):
    assert smh_board.name in ("qemu_cortex_m3", "mps2_an521")

@pytest.mark.smh_stress(seeds=3)
def test_stress(smh_system, smh_seed):
    assert smh_system.seed == smh_seed
    assert smh_system.memsys.stressor is not None or smh_system.cache is None

def test_plain(smh_system, smh_seed):
    assert smh_system.seed == smh_seed
    assert (smh_system.memsys.stressor is not None) == (STRESS and smh_system.cache is not None)

@pytest.mark.parametrize("smh_board", ["mine"])
def test_user_parametrised(smh_board):
    assert smh_board == "mine"

def test_untouched():
    pass
"""


def _ids(result, name):
    """Parametrisation ids of test ``name`` in a ``--collect-only -q`` listing."""
    return [line.split("[", 1)[1].rsplit("]", 1)[0]
            for line in result.outlines if f"::{name}[" in line]


@pytest.fixture
def selection(pytester):
    pytester.makepyfile(test_a=SELECTION.replace("STRESS", "False"))


def test_default_selection(selection, run):
    r = run("--collect-only", "-q")
    assert _ids(r, "test_board") == [DEFAULT]
    assert _ids(r, "test_pinned") == ["qemu_cortex_m3", "mps2_an521"]  # pinned boards run
    assert _ids(r, "test_stress") == [f"{DEFAULT}-seed0", f"{DEFAULT}-seed1", f"{DEFAULT}-seed2"]
    assert _ids(r, "test_plain") == [DEFAULT]
    assert _ids(r, "test_user_parametrised") == ["mine"]
    assert "test_a.py::test_untouched" in r.outlines
    r = run("-rs")
    r.assert_outcomes(passed=1 + 2 + 3 + 1 + 1 + 1)
    assert "smh-boot:" not in r.stdout.str()  # no header when nothing was asked for


def test_all_boards(selection, run):
    r = run("--smh-board", "all", "--collect-only", "-q")
    assert _ids(r, "test_board") == ALL
    assert _ids(r, "test_pinned") == ["qemu_cortex_m3", "mps2_an521"]  # all pins run
    assert _ids(r, "test_stress") == [f"{b}-seed{s}" for b in ALL for s in range(3)]
    assert _ids(r, "test_user_parametrised") == ["mine"]


def test_explicit_boards_and_seed(selection, run):
    r = run("--smh-board", "qemu_cortex_m3,qemu_cortex_a53", "--smh-board", "qemu_cortex_m3",
            "--smh-seed", "6", "--collect-only", "-q")
    assert _ids(r, "test_board") == ["qemu_cortex_m3", "qemu_cortex_a53"]
    assert _ids(r, "test_pinned") == ["qemu_cortex_m3"]  # the pinned boards that are selected
    assert _ids(r, "test_stress") == ["qemu_cortex_m3-seed6", "qemu_cortex_a53-seed6"]
    r = run("--smh-board", "qemu_cortex_m3", "--smh-seed", "6", "-k", "untouched")
    r.stdout.fnmatch_lines(["smh-boot: boards qemu_cortex_m3; seed 6; stress off"])


def test_pinned_test_outside_the_selection_is_skipped_with_the_reason(selection, run):
    r = run("--smh-board", "qemu_cortex_a53", "-rs", "-k", "pinned")
    r.assert_outcomes(skipped=1)
    r.stdout.fnmatch_lines(["*pinned to qemu_cortex_m3, mps2_an521; not among the selected "
                            "boards (qemu_cortex_a53)*"])


def test_stress_option_turns_stress_on_everywhere(pytester, run):
    pytester.makepyfile(test_a=SELECTION.replace("STRESS", "True"))
    r = run("--smh-stress", "-k", "plain or stress")
    r.assert_outcomes(passed=4)
    r.stdout.fnmatch_lines(["smh-boot: boards default board; seed 0; stress on"])


def test_ini_settings(pytester, run):
    pytester.makeini("[pytest]\nsmh_boards = qemu_cortex_m3 mps2_an521\nsmh_seed = 0x10\n"
                     "smh_stress = true\n")
    pytester.makepyfile(test_a="""
        def test_board(smh_board, smh_seed, smh_system):
            assert smh_seed == 16 and smh_system.seed == 16
    """)
    r = run("-v")
    r.assert_outcomes(passed=2)
    r.stdout.fnmatch_lines(["smh-boot: boards qemu_cortex_m3, mps2_an521; seed 16; stress on",
                            "*test_board?qemu_cortex_m3? PASSED*", "*test_board?mps2_an521? PASSED*"])
    run("--smh-board", "qemu_cortex_a53", "-q").assert_outcomes(passed=1)  # the option wins


@pytest.mark.parametrize("args,ini,message", [
    (["--smh-board", "stm32h7"], "",
     "*--smh-board: unknown board 'stm32h7'; known boards: *stm32h747i_disco_m7*"),
    ([], "smh_seed = many", "*smh_seed = 'many'*expected an integer*"),
    (["--smh-overlay", "gone.overlay"], "", "*smh-boot overlay not found: *gone.overlay*"),
])
def test_usage_errors(pytester, run, args, ini, message):
    pytester.makeini(f"[pytest]\n{ini}\n")
    pytester.makepyfile(test_a="def test_x(smh_board): pass\n")
    r = run(*args)
    assert r.ret == pytest.ExitCode.USAGE_ERROR
    r.stderr.fnmatch_lines([message])


def test_marker_errors_name_the_test(pytester, run):
    pytester.makepyfile(
        test_pin="""
            import pytest

            @pytest.mark.smh_board("no_such_board")
            def test_board(smh_board):
                pass
        """,
        test_stress="""
            import pytest

            @pytest.mark.smh_stress(seeds=2)
            def test_x(smh_board):
                pass
        """,
        test_count="""
            import pytest

            @pytest.mark.smh_stress(seeds=0)
            def test_y(smh_system):
                pass
        """,
        test_overlay="""
            import pytest

            @pytest.mark.smh_overlay("nope.overlay")
            def test_z(smh_system):
                pass

            @pytest.mark.smh_overlay()
            def test_empty(smh_system):
                pass
        """,
    )
    r = run("--continue-on-collection-errors")
    r.assert_outcomes(errors=5)
    r.stdout.fnmatch_lines_random([
        "*test_pin.py::test_board: @pytest.mark.smh_board: unknown board 'no_such_board'*",
        "*test_stress.py::test_x: @pytest.mark.smh_stress needs a booted system*",
        "*test_count.py::test_y: @pytest.mark.smh_stress: seeds must be an integer >= 1, not 0*",
        "*@pytest.mark.smh_overlay: no such file *nope.overlay (paths are relative to the test "
        "file's folder)*",
        "*@pytest.mark.smh_overlay() needs at least one path*",
    ])


def test_fixtures_give_the_parts_of_one_fresh_system(pytester, run):
    pytester.makepyfile(test_a="""
        from smh_boot.heap import SmhAttr

        SEEN = []

        def test_parts(smh_system, smh_pool, smh_memsys, smh_cache, smh_dma, smh_board):
            assert smh_pool is smh_system.pool and smh_memsys is smh_system.memsys
            assert smh_cache is smh_system.cache and smh_dma is smh_system.dma
            assert smh_system.board.name == smh_board.name
            assert smh_memsys.checker is not None          # coherency bugs raise

        def test_fresh_1(smh_system, smh_pool):
            SEEN.append((smh_system, len(smh_pool.blocks())))   # the drivers' buffers
            assert smh_pool.alloc(SmhAttr.CACHEABLE, 64, owner="test") is not None

        def test_fresh_2(smh_system, smh_pool):
            assert SEEN and SEEN[0][0] is not smh_system
            assert len(smh_pool.blocks()) == SEEN[0][1]    # nothing leaked from test_fresh_1

        def test_factory(smh_boot_factory, smh_seed):
            a = smh_boot_factory("qemu_cortex_m3")
            b = smh_boot_factory("DEFAULT", seed=42, stress=True)
            c = smh_boot_factory()
            assert a.board.name == "qemu_cortex_m3" and a.seed == smh_seed == 3
            assert b.seed == 42 and b.memsys.stressor is not None
            assert c.board.name == "DEFAULT" and c.memsys.stressor is None
            assert a is not c and a.pool is not b.pool
    """.replace("DEFAULT", DEFAULT))
    run("--smh-seed", "3").assert_outcomes(passed=4)


def test_overlays_from_option_marker_and_factory(pytester, run):
    pytester.mkdir("ovl")
    pytester.path.joinpath("ovl", "tag.overlay").write_text('/ { smh-test-tag = "marker"; };\n')
    pytester.path.joinpath("global.overlay").write_text('/ { smh-test-global = "option"; };\n')
    pytester.makepyfile(test_a="""
        import pytest

        pytestmark = pytest.mark.smh_overlay("ovl/tag.overlay")

        def root(system):
            return system.devicetree.get("/").props

        def test_marker(smh_system, smh_overlays):
            assert [p.name for p in smh_overlays] == ["global.overlay", "tag.overlay"]
            assert "smh-test-tag" in root(smh_system) and "smh-test-global" in root(smh_system)

        def test_factory_replaces(smh_boot_factory):
            s = smh_boot_factory(overlays=["ovl/tag.overlay"])
            assert "smh-test-tag" in root(s) and "smh-test-global" not in root(s)
            assert "smh-test-global" not in root(smh_boot_factory(overlays=()))
    """)
    r = run("--smh-overlay", "global.overlay")
    r.assert_outcomes(passed=2)
    r.stdout.fnmatch_lines(["smh-boot: boards default board; seed 0; stress off; overlays *global.overlay"])


def test_pin_to_a_board_yaml_of_the_project(pytester, run):
    """A project's own board (YAML + devicetree) is pinned by path and runs under 'all'."""
    pytester.path.joinpath("boards").mkdir()
    pytester.path.joinpath("boards", "tiny.dts").write_text(
        "/dts-v1/;\n/ { #address-cells = <1>; #size-cells = <1>; chosen { }; };\n")
    pytester.path.joinpath("boards", "tiny.yaml").write_text(
        "name: tiny\nvendor: me\nsoc: x\ncpu: cortex-m3\narch: arm\nisa: armv7-m\nptr_size: 4\n"
        "default: false\ndevicetree:\n  dts: tiny.dts\ncache: null\ndrivers: []\n"
        "description: my board\n")
    pytester.mkdir("sub")
    pytester.makepyfile(**{"sub/test_a": """
        import pytest

        @pytest.mark.smh_board("../boards/tiny.yaml")  # relative to this file
        def test_tiny(smh_system):
            assert smh_system.board.name == "tiny"
    """})
    r = run("--smh-board", "all", "-v")
    r.assert_outcomes(passed=1)
    r.stdout.fnmatch_lines(["*test_tiny?tiny? PASSED*"])
    run("--smh-board", "qemu_cortex_m3").assert_outcomes(skipped=1)
