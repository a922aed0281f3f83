"""The plugin is tested the way users meet it: pytest runs in a scratch folder (pytester)."""

import pytest

pytest_plugins = ["pytester"]


@pytest.fixture
def run(pytester):
    """``pytester.runpytest`` in-process, without hypothesis's plugin (it costs ~1 s per run
    and plays no part in these tests)."""

    def run(*args):
        return pytester.runpytest("-p", "no:hypothesispytest", *args)

    return run
