"""pytest plugin for driver integration tests (registered through the ``pytest11`` entry point).

Filled in by the plugin work (issue 7); kept importable so pytest can load the entry point.
"""
