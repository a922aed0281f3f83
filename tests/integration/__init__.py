"""Driver integration tests: examples of the pytest plugin that double as its documentation."""

# Load the shipped drivers through their entry point before a test module imports one of their
# modules directly: with the registry as of c8aba4d, importing e.g. smh_boot.drivers.display
# first in a process re-enters the module through the entry point (circular import).
import smh_boot.drivers.shipped  # noqa: F401
