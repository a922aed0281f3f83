"""Loading a devicetree leaves no file descriptor open behind it (cpp's stderr pipe was one).

Each load runs cpp with a pipe for its stderr; a pipe nobody closes is a descriptor per load
(a long fuzz run or a test session loads thousands) and a ``ResourceWarning`` when the
garbage collector finds it.  Checked two ways, so neither a lucky collection nor a changed
warning filter hides a leak: the process's open descriptors are counted, and the warnings
the collector raises are recorded.
"""

from __future__ import annotations

import gc
import os
import warnings

import pytest

from smh_boot.devicetree import load_devicetree
from smh_boot.errors import DevicetreeError
from smhdt_helpers import REPO_DTS, needs_cpp

pytestmark = needs_cpp

BOARD = REPO_DTS / "boards" / "qemu_cortex_m3.dts"


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _resource_warnings(fn) -> list[str]:
    """Run ``fn`` and collect; the ResourceWarnings raised meanwhile, as text."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        fn()
        gc.collect()
    return [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]


def _load_ok() -> None:
    assert load_devicetree(BOARD).get("/") is not None


def _load_cpp_error(tmp_path) -> None:
    # cpp fails (a missing include): its stderr is read for the message, then closed.
    bad = tmp_path / "bad.dts"
    bad.write_text('/dts-v1/;\n#include "no-such-file.dtsi"\n/ { };\n')
    with pytest.raises(DevicetreeError, match="cannot find include file"):
        load_devicetree(bad)


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc/self/fd")
def test_loads_leave_no_descriptor_open(tmp_path):
    _load_ok()  # warm up: imports and caches open what they keep
    gc.collect()
    before = _open_fds()
    for _ in range(5):
        _load_ok()
        _load_cpp_error(tmp_path)
    gc.collect()
    assert _open_fds() == before  # a leak is 1 per load: 10 here


def test_a_successful_load_raises_no_resource_warning():
    assert _resource_warnings(_load_ok) == []


def test_a_failed_cpp_run_raises_no_resource_warning(tmp_path):
    assert _resource_warnings(lambda: _load_cpp_error(tmp_path)) == []


def test_a_stopped_cpp_raises_no_resource_warning(tmp_path, monkeypatch):
    # The watchdog path: cpp is killed for running too long, its pipe still closed.
    fake = tmp_path / "slowcpp"
    fake.write_text("#!/bin/sh\nsleep 30\n")
    fake.chmod(0o755)
    dts = tmp_path / "b.dts"
    dts.write_text("/dts-v1/;\n/ { };\n")
    monkeypatch.setenv("SMH_BOOT_CPP_TIMEOUT", "0.2")

    def stopped():
        with pytest.raises(DevicetreeError, match="did not finish"):
            load_devicetree(dts, cpp=str(fake))

    assert _resource_warnings(stopped) == []


def test_the_checks_see_a_leak(tmp_path):
    # The helpers above must be able to fail: an unclosed file is seen by both.
    before = _open_fds()
    leaked = []

    def leak():
        leaked.append(open(BOARD, "rb"))  # noqa: SIM115 - the leak under test
        assert _open_fds() == before + 1
        leaked.clear()  # dropped unclosed: the collector warns

    assert any("unclosed file" in w for w in _resource_warnings(leak))
    assert _open_fds() == before
