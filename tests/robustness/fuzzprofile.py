"""Fuzzing budgets: a small one for every run, a long one with ``SMH_FUZZ_PROFILE=long``.

The normal run keeps the whole robustness suite well under a minute on two workers; the long
profile (``SMH_FUZZ_PROFILE=long pytest -n 2 tests/robustness``) generates at least 100,000
devicetrees and 10,000 traces.  CI runs are derandomized (the same examples every time);
long runs explore new ones.  Failures print the generated input, which reproduces them.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings

PROFILE = os.environ.get("SMH_FUZZ_PROFILE", "ci")
LONG = PROFILE == "long"

#: examples per test: (normal run, long profile)
BUDGETS = {
    "dts_parse": (120, 100_000),
    "dts_shipped_mutants": (40, 10_000),
    "dts_boot": (15, 2_000),
    "board": (80, 10_000),
    "board_boot": (10, 1_000),
    "trace": (120, 10_000),
    "trace_mutants": (60, 5_000),
    "golden_mutants": (20, 2_000),
    "cli": (12, 1_000),
    "dts_hostile": (30, 10_000),
    "trace_hostile": (30, 2_000),
    "board_hostile": (20, 1_000),
    "artifact_ids": (60, 5_000),
}


def fuzz_settings(name: str):
    """hypothesis settings for the fuzz test ``name`` (see BUDGETS)."""
    n = BUDGETS[name][1 if LONG else 0]
    return settings(
        max_examples=n,
        deadline=None,
        derandomize=not LONG,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                               HealthCheck.data_too_large, HealthCheck.filter_too_much],
        print_blob=True,
        # No shrinking: a failing input may be a hang (each try costs the full time limit),
        # and the assertion message already prints the whole generated input.
        phases=[Phase.explicit, Phase.reuse, Phase.generate],
    )
