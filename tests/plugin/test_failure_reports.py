"""Failure reports through pytester: what a failing test prints and leaves on disk."""

from __future__ import annotations

import re
from pathlib import Path

FAILING = """
import pytest
from smh_boot.heap import SmhAttr

def test_assertion(smh_system, smh_pool):
    smh_pool.alloc(SmhAttr.CACHEABLE, 100, owner="test:mine")
    assert smh_system.ready is False, "the driver did not come up"

def test_double_free(smh_system, smh_pool):
    p = smh_pool.alloc(SmhAttr.CACHEABLE, 100)
    smh_pool.free(p)
    smh_pool.free(p)

@pytest.mark.smh_overlay("broken.overlay")
def test_boot_fails(smh_system):
    pass

def test_two_boots(smh_boot_factory):
    smh_boot_factory("qemu_cortex_m3")
    smh_boot_factory("mps2_an521", seed=5)
    assert False

def test_passes(smh_system):
    pass

@pytest.mark.xfail(reason="known")
def test_xfails(smh_system):
    assert False
"""


def _folders(text: str) -> dict[str, Path]:
    return {m.group(2): Path(m.group(1))
            for m in re.finditer(r"artifacts: (\S*_(test_\w+)(?:\[[^\]]*\])?)$", text, re.M)}


def test_failure_sections_and_artifacts(pytester, run):
    pytester.makepyfile(test_a=FAILING)
    pytester.path.joinpath("broken.overlay").write_text("/ { oops = <1 2; };\n")
    r = run("--smh-artifacts", "out", "-rA", "--junitxml", "report.xml")
    r.assert_outcomes(passed=1, failed=3, errors=1, xfailed=1)
    text = r.stdout.str()
    folders = _folders(text)
    assert sorted(folders) == ["test_assertion", "test_boot_fails", "test_double_free", "test_two_boots"]
    for f in folders.values():
        assert f.parent == pytester.path / "out"

    # a plain assertion: seed, reproduce line, log tail, and the four files
    assert sorted(p.name for p in folders["test_assertion"].iterdir()) == [
        "alloc-trace.json", "boot-report.json", "boot.log", "failure.txt"]
    assert '"owner": "test:mine"' in (folders["test_assertion"] / "boot-report.json").read_text()
    r.stdout.fnmatch_lines(["*smh-boot: stm32h747i_disco_m7, seed 0*",
                            "  reproduce: pytest 'test_a.py::test_assertion[[]stm32h747i_disco_m7]' --smh-seed 0",
                            "boot log (last 15 of * lines):"])

    # a heap error: the report names the Zephyr outcome
    r.stdout.fnmatch_lines(["heap error * (EFAULT; in Zephyr: k_panic()):"])
    trace = (folders["test_double_free"] / "alloc-trace.json").read_text()
    assert '"terminated": {' in trace and '"kind": "panic"' in trace

    # a boot that fails: an error at setup, reported with its location and no traceback
    r.stdout.fnmatch_lines(["*ERROR at setup of test_boot_fails*",
                            "DevicetreeError: *broken.overlay:1:*",
                            "*boot failed: DevicetreeError: *broken.overlay:1:*"])
    setup_error = text.split("ERROR at setup of test_boot_fails")[1].split("smh-boot:")[0]
    assert "stage.py" not in setup_error and "Traceback" not in setup_error
    assert (folders["test_boot_fails"] / "boot-error.txt").exists()

    # two boots: both reported, files numbered
    r.stdout.fnmatch_lines(["boot 1/2: board qemu_cortex_m3, seed 0, stress off",
                            "boot 2/2: board mps2_an521, seed 5, stress off"])
    assert {"boot.log", "boot-2.log", "alloc-trace-2.json"} <= {
        p.name for p in folders["test_two_boots"].iterdir()}

    # CI systems find the folder in the JUnit report
    xml = (pytester.path / "report.xml").read_text()
    assert f'<property name="smh_artifacts" value="{folders["test_assertion"]}" />' in xml

    # passing and expected failures leave nothing behind
    assert not any("test_passes" in p.name or "test_xfails" in p.name
                   for p in (pytester.path / "out").iterdir())


def test_failure_reports_under_xdist(pytester):
    pytester.makepyfile(test_a="""
        def test_fails(smh_system):
            assert not smh_system.ready
    """)
    r = pytester.runpytest_subprocess("-p", "no:hypothesispytest", "-p", "no:benchmark",
                                      "-n", "2", "--smh-board", "qemu_cortex_m3,mps2_an521")
    r.assert_outcomes(failed=2)
    text = r.stdout.str()
    assert set(_folders(text)) == {"test_fails"} and len(re.findall("artifacts: ", text)) == 2
    for name in ("qemu_cortex_m3", "mps2_an521"):
        folder = pytester.path / "smh-artifacts" / f"test_a.py_test_fails[{name}]"
        assert (folder / "boot.log").read_text().startswith(f"*** smh-boot")


def test_a_broken_board_file_is_a_located_error(pytester, run):
    pytester.path.joinpath("bad.yaml").write_text("name: bad\nptr_size: [4\n")
    pytester.makepyfile(test_a="""
        import pytest

        @pytest.mark.smh_board("bad.yaml")
        def test_x(smh_system):
            pass
    """)
    r = run()
    r.assert_outcomes(errors=1)
    r.stdout.fnmatch_lines(["BoardError: *bad.yaml:*: error: *"])
    assert "Traceback" not in r.stdout.str()
