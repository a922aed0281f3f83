"""cpp runs under a time limit and an output-size limit (include bombs, hung preprocessors)."""

from __future__ import annotations

import os
import time

import pytest

from smh_boot.devicetree import load_devicetree
from smh_boot.errors import DevicetreeError
from smhdt_helpers import needs_cpp


def test_a_hung_preprocessor_is_stopped_with_a_clear_error(tmp_path, monkeypatch):
    fake = tmp_path / "slowcpp"
    fake.write_text("#!/bin/sh\nsleep 30\n")
    fake.chmod(0o755)
    dts = tmp_path / "b.dts"
    dts.write_text("/dts-v1/;\n/ { };\n")
    monkeypatch.setenv("SMH_BOOT_CPP_TIMEOUT", "0.3")
    t = time.monotonic()
    with pytest.raises(DevicetreeError) as e:
        load_devicetree(dts, cpp=str(fake))
    assert time.monotonic() - t < 10
    assert "did not finish in 0.3 s" in str(e.value) and "SMH_BOOT_CPP_TIMEOUT" in str(e.value)


@needs_cpp
def test_include_bomb_is_stopped_by_output_size(tmp_path, monkeypatch):
    from smh_boot.devicetree import guards

    monkeypatch.setattr(guards, "MAX_SOURCE_BYTES", 1 << 20)  # keep the test quick
    (tmp_path / "board.dts").write_text('/dts-v1/;\n#include "inc0.dtsi"\n/ { };\n')
    (tmp_path / "inc0.dtsi").write_text('#include "board.dts"\n#include "board.dts"\n/ { };\n')
    with pytest.raises(DevicetreeError) as e:
        load_devicetree(tmp_path / "board.dts")
    assert "the preprocessed devicetree is at least" in str(e.value)
    assert "include bomb" in str(e.value)
    assert os.path.exists(tmp_path / "board.dts")
