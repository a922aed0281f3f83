"""pytest --smh-record: one golden-format trace per test, grouped per board, for `smh-boot fit`."""

import json

from smh_boot.cli import main


def test_fit_reads_traces_recorded_by_the_plugin(pytester, run):
    pytester.makepyfile(test_x="""
        from smh_boot.heap import SmhAttr

        def test_alloc(smh_pool):
            p = smh_pool.alloc(SmhAttr.NON_CACHEABLE, 3000, owner="me:buf")
            assert p is not None
    """)
    r = run("--smh-record", "rec", "--smh-board", "stm32h747i_disco_m7")
    r.assert_outcomes(passed=1)
    folder = pytester.path / "rec" / "stm32h747i_disco_m7"
    files = sorted(p.name for p in folder.glob("*.json"))
    assert "index.json" in files and len(files) == 2
    doc = json.loads(next(p for p in folder.glob("*.json") if p.name != "index.json").read_text())
    assert doc["ops"][-1]["owner"] == "me:buf" and doc["results"][-1]["ret"] is not None
    assert main(["fit", "stm32h747i_disco_m7", "--trace", str(folder), "--json"]) == 0


def test_record_names_never_collide_and_never_follow_links(tmp_path):
    from smh_boot.testing.record_dir import record_traces, trace_file_name

    assert trace_file_name("t.py::test[a/b]") != trace_file_name("t.py::test[a_b]")
    assert trace_file_name("t.py::x", 0) != trace_file_name("t.py::x", 1)
    target = tmp_path / "elsewhere"
    target.mkdir()
    (tmp_path / "rec").mkdir()
    (tmp_path / "rec" / "b").symlink_to(target, target_is_directory=True)

    class Rec:
        board = "b"
        seed = 0
        recorder = None

    assert record_traces(tmp_path / "rec", "t.py::x", [Rec()]) == []  # nothing recorded: nothing written
    import pytest as _pytest
    from smh_boot.heap import HeapConfig, SharedMultiHeap
    from smh_boot.testing import TraceRecorder

    Rec.recorder = TraceRecorder(SharedMultiHeap(None, HeapConfig()))
    with _pytest.raises(OSError, match="symbolic link"):
        record_traces(tmp_path / "rec", "t.py::x", [Rec()])
    assert list(target.iterdir()) == []


def test_fit_runs_a_pytest_selection_and_sizes_for_it(pytester, monkeypatch, capsys):
    pytester.makepyfile(test_y="""
        from smh_boot.heap import SmhAttr

        def test_big(smh_pool):
            assert smh_pool.alloc(SmhAttr.CACHEABLE, 20000, owner="app:big") is not None
    """)
    monkeypatch.chdir(pytester.path)
    assert main(["fit", "stm32h747i_disco_m7", "--pytest", "test_y.py -p no:xdist", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["workloads"]) == 1 and "test_big" in out["workloads"][0]["name"]
    sram1 = next(r for r in out["regions"] if r["name"] == "SRAM1")
    assert sram1["peak_bytes"] > 20000 and sram1["minimum"] == 65536  # 14 KiB of drivers + 20 KB
    assert main(["fit", "stm32h747i_disco_m7", "--pytest", "test_missing.py"]) == 2


def test_fit_runs_a_pytest_selection_on_a_build_or_a_board_target(pytester, monkeypatch, capsys):
    """fit --pytest hands the plugin the same target (a build, a Zephyr target with its module
    and overlay) and reads the traces of that board's folder."""
    import shutil
    from pathlib import Path

    data = Path(__file__).resolve().parents[1] / "zephyr" / "data"
    for item in ("zephyrproject", "builds", "app"):
        shutil.copytree(data / item, pytester.path / item)
    monkeypatch.delenv("ZEPHYR_BASE", raising=False)
    pytester.makepyfile(test_y="""
        from smh_boot.heap import SmhAttr

        def test_big(smh_system, smh_pool):
            assert smh_pool.alloc(SmhAttr.CACHEABLE, 20000, owner="app:big") is not None
            assert [r.name for r in smh_system.regions][3] == "SRAM4"   # the app's overlay
    """)
    monkeypatch.chdir(pytester.path)
    for argv in (["--build-dir", "builds/h747_m7"],
                 ["stm32h747i_disco/stm32h747xx/m7", "--zephyr-base", "zephyrproject/zephyr",
                  "--module", "zephyrproject/modules/hal/stm32", "--overlay", "app/app.overlay"]):
        assert main(["fit", *argv, "--pytest", "test_y.py -p no:xdist", "--json"]) == 0, argv
        out = json.loads(capsys.readouterr().out)
        assert len(out["workloads"]) == 1 and "test_big" in out["workloads"][0]["name"], argv
        sram1 = next(r for r in out["regions"] if r["name"] == "SRAM1")
        assert sram1["peak_bytes"] > 20000, argv
