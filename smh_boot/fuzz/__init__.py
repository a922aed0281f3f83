"""Robustness tooling: grammar-aware input generators, mutators and a harness that checks that
smh-boot fails safe (one located :class:`~smh_boot.errors.SmhError`, never a traceback, a hang
or a memory blow-up) on hostile or broken inputs.

Every generator takes a ``random.Random``-like object (``random``, ``randint``, ``choice``,
``shuffle``), so the same seed always gives the same input: the tests draw it from hypothesis
(``st.randoms()``, shrinkable), ``bench/fuzz_long.py`` from plain seeds.

Modules: :mod:`.dts_gen` (devicetree sources, includes and overlays), :mod:`.board_gen`
(board YAML), :mod:`.trace_gen` (golden-format heap traces), :mod:`.mutate` (token-aware
mutation of any of them), :mod:`.harness` (run an input through the public entry points and
classify the outcome), :mod:`.guard` (use-after-free detection for drivers at STRICT level).
This package sits at the top of the layering (it drives the CLI and ``boot()``); nothing in
smh-boot imports it.
"""

from __future__ import annotations

from .board_gen import generate_board
from .dts_gen import DtsCase, generate_devicetree
from .harness import Outcome, run_board, run_cli, run_devicetree, run_trace, time_limit
from .mutate import mutate
from .trace_gen import generate_trace, trace_text

__all__ = [
    "DtsCase",
    "Outcome",
    "generate_board",
    "generate_devicetree",
    "generate_trace",
    "mutate",
    "run_board",
    "run_cli",
    "run_devicetree",
    "run_trace",
    "time_limit",
    "trace_text",
]
