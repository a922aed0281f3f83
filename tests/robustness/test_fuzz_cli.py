"""The CLI on generated inputs: ``smh_boot.cli.main([...])`` returns 0, 1 or 2 and never
raises; exit status 2 comes with one message on stderr, never a traceback."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smh_boot.fuzz import generate_board, generate_devicetree, generate_trace, mutate, run_cli, trace_text

from .fuzzprofile import fuzz_settings

COMMANDS = ("validate", "regions", "boot", "boot-stress", "map", "replay")


@fuzz_settings("cli")
@given(rng=st.randoms(use_true_random=False), cmd=st.sampled_from(COMMANDS))
def test_cli_on_generated_inputs_exits_0_1_or_2_with_one_message(rng, cmd):
    with tempfile.TemporaryDirectory(prefix="smh-fuzz-") as d:
        folder = Path(d)
        clean = rng.random() < 0.7
        case = generate_devicetree(rng, clean=clean, mutations=not clean)
        case.write(folder)
        y = folder / "board.yaml"
        y.write_text(generate_board(rng, case.dts, case.overlays, clean=clean))
        t = folder / "trace.json"
        t.write_text(mutate(rng, trace_text(generate_trace(rng)), 1) if not clean else trace_text(generate_trace(rng)))
        args = {
            "validate": ["validate", str(folder / case.dts), "--arch", "arm", "--format", "json"],
            "regions": ["regions", str(folder / case.dts), "--json"],
            "boot": ["boot", str(y), "--json"],
            "boot-stress": ["boot", str(y), "--no-strict", "--stress", "--seed", "3"],
            "map": ["map", str(y), "--format", "text"],
            "replay": ["replay", str(t)],
        }[cmd]
        out, stdout, stderr = run_cli(args)
        assert not out.failed, f"{out.describe()}\nstdout:\n{stdout[-2000:]}\nstderr:\n{stderr[-2000:]}"
        if out.kind == "error":
            assert stderr.strip(), "exit status 2 without a message"


@pytest.mark.parametrize("args", [
    ["validate", "/no/such/board.dts"],
    ["regions", "/no/such/board.dts"],
    ["boot", "/no/such/board.yaml"],
    ["replay", "/no/such/trace.json"],
    ["map", "no_such_board"],
])
def test_cli_missing_inputs_are_one_message_and_exit_2(args):
    out, _stdout, stderr = run_cli(args)
    assert out.kind == "error", out.describe()
    assert "/no/such" in stderr or "no_such_board" in stderr, stderr
    assert stderr.count("error:") == 1
