"""Fuzzing board YAML files: generated and mutated boards, loaded and (some) booted.

Property: ``load_board`` gives a Board or one BoardError naming the YAML file; ``boot()`` of
a loadable board gives a System or one SmhError; never another exception.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from smh_boot.fuzz import generate_board, generate_devicetree, mutate, run_board
from smh_boot.fuzz.harness import Outcome

from .fuzzprofile import fuzz_settings


def run(rng, *, boot: bool, edits: int) -> Outcome:
    with tempfile.TemporaryDirectory(prefix="smh-fuzz-") as d:
        folder = Path(d)
        clean = None if not boot else rng.random() < 0.8
        case = generate_devicetree(rng, mutations=not boot, clean=clean)
        case.write(folder)
        text = generate_board(rng, case.dts, case.overlays, clean=clean)
        if edits:
            text = mutate(rng, text, edits)
        y = folder / "board.yaml"
        y.write_text(text, encoding="utf-8", errors="surrogateescape")
        out = run_board(y, boot=boot, strict=rng.random() < 0.5, timeout=20)
        if out.kind == "error" and out.step == "load_board":
            assert str(y) in out.message, out.message  # the error names the YAML file
        assert not out.failed, f"{out.describe()}\nboard:\n{text}\ndevicetree:\n{case.all_text()}"
        return out


@fuzz_settings("board")
@given(rng=st.randoms(use_true_random=False), edits=st.sampled_from((0, 0, 1, 2, 3)))
def test_generated_and_mutated_boards_load_or_fail_with_one_board_error(rng, edits):
    run(rng, boot=False, edits=edits)


@fuzz_settings("board_boot")
@given(rng=st.randoms(use_true_random=False))
def test_generated_boards_boot_or_fail_with_one_smh_error(rng):
    run(rng, boot=True, edits=0)


SMALL_HEAPS_ON_64_BIT = """name: fz
vendor: v
soc: s
cpu: c
arch: arm64
isa: armv8-a
ptr_size: 8
devicetree:
  dts: board.dts
heap:
  heap_mode: small
"""


def test_small_heap_mode_on_a_64_bit_board_is_a_located_error(tmp_path):
    # found by the boot fuzzer (RB-6): heap_mode small exists only for 32-bit targets
    (tmp_path / "board.dts").write_text("/dts-v1/;\n/ { };\n")
    y = tmp_path / "board.yaml"
    y.write_text(SMALL_HEAPS_ON_64_BIT)
    out = run_board(y, boot=True)
    assert out.kind == "error", out.describe()


def test_truncated_board_error_points_inside_the_file(tmp_path):
    # RB-9: a YAML syntax error at the end of a cut-off file must point at a line it has
    (tmp_path / "board.dts").write_text("/dts-v1/;\n/ { };\n")
    text = SMALL_HEAPS_ON_64_BIT.replace("heap:\n  heap_mode: small\n", "smh_policy:\n  - {mask: 0x10, value: 0x10, attr")
    y = tmp_path / "board.yaml"
    y.write_text(text)
    out = run_board(y)
    assert out.kind == "error", out.describe()
