"""Fuzzing the devicetree front end: generated and mutated sources, includes and overlays.

Property: ``load_devicetree`` + ``find_regions`` + ``map_to_smh`` + ``validate_devicetree``
either work or end in one located SmhError; never another exception, never a hang.
"""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smh_boot.fuzz import DtsCase, generate_devicetree, mutate, run_devicetree
from smh_boot.resources import dts_dir

from .fuzzprofile import fuzz_settings


def check(case: DtsCase) -> str:
    with tempfile.TemporaryDirectory(prefix="smh-fuzz-") as d:
        out = run_devicetree(case, Path(d), timeout=5)
    assert not out.failed, f"{out.describe()}\ninput:\n{case.all_text()}"
    return out.kind


@fuzz_settings("dts_parse")
@given(rng=st.randoms(use_true_random=False))
def test_generated_devicetrees_fail_safe(rng):
    check(generate_devicetree(rng))


SHIPPED = sorted((dts_dir() / "boards").glob("*.dts")) + sorted((dts_dir() / "overlays").rglob("*.overlay"))


@fuzz_settings("dts_shipped_mutants")
@given(rng=st.randoms(use_true_random=False), which=st.sampled_from(SHIPPED), edits=st.integers(1, 4))
def test_mutated_shipped_devicetrees_fail_safe(rng, which, edits):
    text = mutate(rng, which.read_text(), edits)
    if which.suffix == ".overlay":
        # an overlay on the board it was written for (the upstream ones target qemu_cortex_m3)
        board = (dts_dir() / "boards" / "qemu_cortex_m3.dts").read_text()
        case = DtsCase({"board.dts": board, "o.overlay": text}, overlays=("o.overlay",))
    else:
        case = DtsCase({"board.dts": text})
    check(case)


def test_the_generator_reaches_every_outcome_kind_it_should():
    # A fuzzer that only produced syntax errors would test nothing past the parser: over a
    # fixed set of seeds, some inputs must load and scan cleanly and some must be refused.
    kinds = [check(generate_devicetree(random.Random(s))) for s in range(60)]
    assert kinds.count("ok") >= 5
    assert kinds.count("error") >= 20


# Inputs the fuzzer found that escaped as other exceptions (see /work/notes/robustness_bugs.md).
REGRESSIONS = {
    "root-reg-wrong-length": "/dts-v1/;\n/ { #address-cells = <1>; #size-cells = <1>; reg = <0x1000>; "
    "zephyr,memory-attr = <0>; };\n",
    "delete-root": "/dts-v1/;\n/ { };\n/delete-node/ &{/};\n",
    "delete-label-twice": "/dts-v1/;\n/ { l0: sram@0 { }; };\n/delete-node/ &l0;\n/delete-node/ &l0;\n",
    "reg-of-16-cells-in-a-2-2-parent": "/dts-v1/;\n/ { #address-cells = <2>; #size-cells = <2>;\n"
    "m: sram@0 { reg = <0 0 0 1 0 0 0 1 0 0 0 1 0 0 0 1 0>; zephyr,memory-attr = <1>; }; };\n",
    "phandle-to-nothing": "/dts-v1/;\n/ { sram@0 { reg = <0 1>; memory-region = <0x1234>; }; };\n",
}


@pytest.mark.parametrize("name", sorted(REGRESSIONS))
def test_regressions_fail_safe(name):
    kind = check(DtsCase({"board.dts": REGRESSIONS[name]}))
    assert kind in ("ok", "error")
