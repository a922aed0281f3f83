"""Fuzzing with issue 14's hostile families (``smh_boot.fuzz.hostile``): device files as
include targets, /incbin/ amplification, huge integers, odd path characters, hostile trace
and board text, and artifact ids.  Same property as the other fuzz tests (works, or one
located SmhError; never a crash, a hang or a value dumped into a diagnostic), plus the
artifact writer's (every id its own folder, nothing written through a symlink)."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from smh_boot.fuzz import generate_board, generate_devicetree, generate_trace, run_devicetree, trace_text
from smh_boot.fuzz.harness import classify, run_artifacts, run_board, run_trace
from smh_boot.fuzz.hostile import artifact_ids, hostile_board_text, hostile_devicetree, hostile_trace_text

from .fuzzprofile import fuzz_settings


@fuzz_settings("dts_hostile")
@given(rng=st.randoms(use_true_random=False))
def test_hostile_devicetrees_fail_safe(rng):
    case = generate_devicetree(rng, hostile=1.0)
    with tempfile.TemporaryDirectory(prefix="smh-fuzz-") as d:
        out = run_devicetree(case, Path(d), timeout=20)
    assert not out.failed, f"{out.describe()}\nnotes: {case.notes}\ninput:\n{case.all_text()[:4000]}"


@fuzz_settings("trace_hostile")
@given(rng=st.randoms(use_true_random=False))
def test_hostile_traces_fail_safe(rng):
    text = hostile_trace_text(rng, trace_text(generate_trace(rng)))
    with tempfile.TemporaryDirectory(prefix="smh-fuzz-") as d:
        p = Path(d) / "t.json"
        p.write_text(text)
        out = run_trace(p, timeout=10)
    assert not out.failed, out.describe()


@fuzz_settings("board_hostile")
@given(rng=st.randoms(use_true_random=False))
def test_hostile_boards_fail_safe(rng):
    with tempfile.TemporaryDirectory(prefix="smh-fuzz-") as d:
        case = generate_devicetree(rng, clean=True)
        case.write(Path(d))
        y = Path(d) / "board.yaml"
        y.write_text(hostile_board_text(rng, generate_board(rng, case.dts, case.overlays, clean=True)))
        out = run_board(y, boot=True, timeout=20)
    assert not out.failed, f"{out.describe()}\n{y.name}"


@fuzz_settings("artifact_ids")
@given(rng=st.randoms(use_true_random=False), plant=st.booleans())
def test_artifact_ids_never_collide_or_follow_symlinks(rng, plant):
    ids = artifact_ids(rng)
    with tempfile.TemporaryDirectory(prefix="smh-fuzz-") as d:
        out = run_artifacts(ids, Path(d), plant_symlink=plant)
    assert not out.failed, f"{out.describe()}\nids: {ids!r}"


def test_every_hostile_family_is_generated():
    notes = set()
    for s in range(200):
        case = generate_devicetree(random.Random(s), hostile=1.0)
        notes.update(n for n in case.notes if n.startswith("hostile: "))
    assert notes == {"hostile: device", "hostile: incbin", "hostile: integer", "hostile: path"}


def test_the_harness_calls_a_dumped_value_a_leak_and_a_missing_file_unlocated(tmp_path):
    from smh_boot.errors import DevicetreeError

    leak = DevicetreeError("'reg' must be numbers; not: reg = [ " + "41 " * 100 + "];",
                           file=str(tmp_path / "x.dts"))
    assert classify(leak, "load").kind == "leak"
    short = DevicetreeError("not: reg = [ 41 42 ... (4000 bytes in all) ]", file=str(tmp_path))
    assert classify(short, "load").kind == "error"
    ghost = DevicetreeError("boom", file=str(tmp_path / 'we\\"ird.dts'), line=3)
    assert classify(ghost, "load").kind == "unlocated"
