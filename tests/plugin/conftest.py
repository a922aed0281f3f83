"""The plugin is tested the way users meet it: pytest runs in a scratch folder (pytester)."""

import pytest

# Import the stack once, before any in-process pytester run: pytester restores sys.modules
# after each run, and a module re-imported afterwards would not match objects the first import
# left behind (PyYAML's C extension keeps the first yaml.nodes classes, for one).  It also
# keeps each run fast.
import smh_boot.board  # noqa: F401,E402
import smh_boot.bootstage  # noqa: F401,E402
import smh_boot.drivers.shipped  # noqa: F401,E402


def pytest_configure(config):
    # ``pytest_plugins = ["pytester"]`` is only allowed in the rootdir's conftest; registering
    # the plugin here has the same effect for this folder (its options get their defaults).
    if not config.pluginmanager.hasplugin("pytester"):
        config.pluginmanager.import_plugin("pytester")


@pytest.fixture
def run(pytester):
    """``pytester.runpytest`` in-process, without third-party plugins that play no part here:
    hypothesis's costs ~1 s per run, pytest-benchmark warns under xdist workers."""

    def run(*args):
        return pytester.runpytest("-p", "no:hypothesispytest", "-p", "no:benchmark", *args)

    return run
