"""Zero false positives on the README's driver example: its correct form (with the flush) runs
clean under the stress modes on 200 seeds, and moves the right bytes on each; the form without
the flush is caught on every one of them.  (The README's cache-section examples are deliberately
buggy one-liners: tests/memory/test_readme_cache_example.py checks each reports its kind.)"""

from __future__ import annotations

import contextlib
import io
import zlib

import pytest
from drvrig import arm
from test_drv_readme_example import _blocks, _broken

from smh_boot.drivers import default_registry
from smh_boot.memory import CoherencyKind, CoherencyViolation

SEEDS = range(200)
# The example registers its driver in the process registry, as the README test's run does too.
pytestmark = pytest.mark.filterwarnings("ignore::smh_boot.bootstage.driver.DriverReplacedWarning")
BOOT_LINE = 'system = boot("stm32h747i_disco_m7", overlays=["acme-crc.overlay"], seed=1, stress=True)'


def _example(code: str, tmp_path, monkeypatch) -> dict:
    """Run the example's definitions (driver class and its registration), not its boot."""
    assert BOOT_LINE in code, "the README example's boot line changed: update this test"
    (tmp_path / "acme-crc.overlay").write_text(_blocks("dts")[0])
    monkeypatch.chdir(tmp_path)
    ns: dict = {"__name__": "readme_example_seeds"}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(code.split(BOOT_LINE)[0], "readme_example.py", "exec"), ns)
    return ns


def _system(ns: dict, seed: int):
    reg = default_registry().copy()
    reg.register(ns["Crc32Engine"])
    return ns["boot"]("stm32h747i_disco_m7", overlays=["acme-crc.overlay"], seed=seed, stress=True, drivers=reg)


def _crc_each_seed(ns: dict):
    """One boot, then each seed on a clean cache with a fresh checker and stressor (drvrig.arm,
    as the shipped drivers' 200-seed sweep does); the first seeds also through a boot of their own."""
    data = b"123456789" * 20
    for seed in (0, 1, 2):
        yield seed, lambda s=seed: _system(ns, s).device("crc").driver.crc32(data)
    system = _system(ns, 0)
    drv = system.device("crc").driver
    for seed in SEEDS:
        def run(s=seed):
            arm(system, s)
            return drv.crc32(data)
        yield seed, run


def test_correct_example_is_clean_on_200_seeds(tmp_path, monkeypatch) -> None:
    ns = _example(_blocks("python")[0], tmp_path, monkeypatch)
    want = zlib.crc32(b"123456789" * 20)
    for seed, run in _crc_each_seed(ns):
        assert run() == want, f"seed {seed}"


def test_example_without_flush_is_caught_on_200_seeds(tmp_path, monkeypatch) -> None:
    ns = _example(_broken(_blocks("python")[0]), tmp_path, monkeypatch)
    for seed, run in _crc_each_seed(ns):
        with pytest.raises(CoherencyViolation) as e:
            run()
        assert e.value.kind is CoherencyKind.STALE_TX_DATA, f"seed {seed}"
