"""Helpers behind the pytest plugin (:mod:`smh_boot.pytest_plugin`), usable on their own.

* :class:`TraceRecorder`: a pool proxy for ``boot(pool_hook=TraceRecorder)`` that records the
  allocation history as a golden-format trace (``smh-boot replay`` runs it again);
* :class:`DevicetreeCache`: loaded devicetrees cached per process by content hash;
* :class:`BootRecord`, :func:`write_artifacts`, :func:`failure_summary`: failure reports;
* :mod:`.selection`: which boards and seeds a test runs on;
* :mod:`.targets`: board entries (names, Zephyr targets, ``.dts``, build directories) resolved
  by the commands' resolver with the session's ``--smh-zephyr-base``... options.
"""

from .artifacts import BootRecord, failure_summary, write_artifacts
from .dt_cache import DevicetreeCache
from .trace_recorder import TraceRecorder

__all__ = ["BootRecord", "DevicetreeCache", "TraceRecorder", "failure_summary", "write_artifacts"]
