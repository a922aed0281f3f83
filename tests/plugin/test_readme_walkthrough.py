"""The README's "Writing driver integration tests" walkthrough, followed as a new user would.

The project files are taken verbatim from the README section (every code block whose first line
is ``# file: PATH`` or ``/* file: PATH */``), written into an empty folder, and run with pytest:
the tests pass; after the README's edit that breaks the driver, the failure report carries the
coherency report, the seed, the reproduce line and an artifact folder with replayable files;
and the same project runs under pytest-xdist across every board.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from smh_boot.heap.trace import load_trace, replay

README = Path(__file__).resolve().parents[2] / "README.md"
FILE_RE = re.compile(r"^(?:#|/\*)\s*file:\s*(\S+?)\s*(?:\*/)?$")


def readme_files() -> dict[str, str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("<!-- section:pytest -->", 1)[1].split("<!-- /section:pytest -->", 1)[0]
    files = {}
    for block in re.findall(r"```[a-z]*\n(.*?)```", section, flags=re.S):
        first, _, rest = block.partition("\n")
        m = FILE_RE.match(first.strip())
        if m:
            files[m.group(1)] = rest
    return files


@pytest.fixture
def project(pytester):
    files = readme_files()
    assert {"pyproject.toml", "conftest.py", "acme_drivers/sensor.py", "tests/acme.overlay",
            "tests/test_sensor.py"} <= set(files)
    for name, body in files.items():
        path = pytester.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="utf-8")
    return pytester.path


def test_the_walkthrough_passes(project, run):
    r = run("-v")
    r.assert_outcomes(passed=7)  # as the README says
    r.stdout.fnmatch_lines(["*test_samples_arrive_intact?stm32h747i_disco_m7-seed3? PASSED*"])


def test_a_misbehaving_driver_gives_a_clear_failure_with_artifacts(project, run):
    sensor = project / "acme_drivers" / "sensor.py"
    lines = sensor.read_text().splitlines(keepends=True)
    sensor.write_text("".join(ln for ln in lines if "sys_cache_data_invd_range" not in ln))

    r = run("-k", "samples")
    r.assert_outcomes(failed=5)  # every stress seed catches it
    out = r.stdout.str()
    node = "tests/test_sensor.py::test_samples_arrive_intact[stm32h747i_disco_m7-seed2]"
    r.stdout.fnmatch_lines([
        "*CoherencyViolation: coherency error STALE_RX_DATA*sensor@40030000*",
        "*hint: call sys_cache_data_invd_range()*",
        "*smh-boot: stm32h747i_disco_m7, seed 2*",
        "board stm32h747i_disco_m7, seed 2, stress on, overlays *acme.overlay",
        f"  reproduce: pytest '{node}' --smh-seed 2 --smh-stress",
        "coherency error STALE_RX_DATA: the full report is in the error above and in failure.txt",
        "boot log (last 15 of * lines):",
        "*[[]POST_KERNEL 90] sensor@40030000 (acme,sim-sensor) SimSensor: ok",
        "artifacts: *build/smh-artifacts/tests_test_sensor.py_test_samples_arrive_intact"
        "[[]stm32h747i_disco_m7-seed2[]]",
    ])
    folder = Path(re.search(r"artifacts: (.*seed2\])", out).group(1))
    assert folder.is_relative_to(project / "build" / "smh-artifacts")
    assert sorted(p.name for p in folder.iterdir()) == [
        "alloc-trace.json", "boot-report.json", "boot.log", "failure.txt"]
    assert "SimSensor: ok" in (folder / "boot.log").read_text()
    report = json.loads((folder / "boot-report.json").read_text())
    assert "sensor@40030000:samples" in [a["owner"] for a in report["allocations"]]
    assert "STALE_RX_DATA" in (folder / "failure.txt").read_text()
    trace = load_trace(folder / "alloc-trace.json")
    assert replay(trace)["terminated"] is None

    # the printed command reproduces exactly that seed
    r = run(node, "--smh-seed", "2", "--smh-stress")
    r.assert_outcomes(failed=1)
    r.stdout.fnmatch_lines(["*smh-boot: stm32h747i_disco_m7, seed 2*"])


def test_the_project_runs_across_boards_in_parallel(project, pytester):
    (project / "tests" / "test_boards.py").write_text(
        "def test_boots(smh_system):\n    assert smh_system.board.name\n")
    r = pytester.runpytest_subprocess("-p", "no:hypothesispytest", "-p", "no:benchmark",
                                      "--smh-board", "all", "-n", "2")
    r.assert_outcomes(passed=7 + 6)  # the pinned walkthrough + one test per shipped board
