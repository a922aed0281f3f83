"""Every heap test runs on both heap cores: the pure-Python reference and the compiled core.

The ``heap_core`` fixture is autouse and parametrised, so each test id carries ``[python]`` or
``[c]``.  Heaps created inside the test use that core (in-process through
:func:`smh_boot.heap.compiled.use_core`, in subprocesses through ``SMH_BOOT_HEAP_CORE``).  The
``[c]`` runs are skipped where the compiled core is not built, unless ``SMH_BOOT_HEAP_CORE=c``
demands it (CI's main run), which turns a missing build into a failure.
"""

from __future__ import annotations

import os

import pytest

from smh_boot.heap import compiled


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "both_cores: the test compares the two heap cores itself (runs once, as [c])"
    )


@pytest.fixture(params=["python", "c"], autouse=True)
def heap_core(request, monkeypatch):
    core = request.param
    if core == "python" and request.node.get_closest_marker("both_cores"):
        pytest.skip("compares both heap cores itself: runs once, as [c]")
    if core == "c" and not compiled.compiled_available():
        if os.environ.get(compiled.CORE_ENV, "").strip().lower() == "c":
            pytest.fail(f"{compiled.CORE_ENV}=c but the compiled heap core is not built")
        pytest.skip("the compiled heap core is not built")
    monkeypatch.setenv(compiled.CORE_ENV, core)
    with compiled.use_core(core):
        yield core
