"""Rule selection and severities, and the checks on ValidationOptions."""

from __future__ import annotations

import pytest

from smh_boot.errors import InputError
from smh_boot.validate import RULES, ValidationOptions, effective_severity


def sev(rid, **kw):
    return effective_severity(RULES[rid], ValidationOptions(**kw))


def test_defaults():
    assert sev("region-overlap") == "error"
    assert sev("region-outside-memory") == "warning"
    assert sev("attr-unmapped") is None  # off by default


def test_disable_wins_over_enable():
    assert sev("region-overlap", disabled=("region-overlap",), enabled=("region-overlap",)) is None
    assert sev("attr-unmapped", enabled=("attr-unmapped",)) == "info"


def test_severity_then_werror():
    assert sev("region-overlap", severities={"region-overlap": "warning"}) == "warning"
    assert sev("region-overlap", severities={"region-overlap": "warning"}, werror=True) == "error"
    assert sev("region-outside-memory", werror=True) == "error"
    assert sev("attr-unmapped", enabled=("attr-unmapped",), werror=True) == "info"
    assert sev("region-overlap", severities={"region-overlap": "off"}) is None


@pytest.mark.parametrize("kw,text", [
    ({"ptr_size": 3}, "pointer size must be 4 or 8"),
    ({"heap_mode": "tiny"}, "heap mode must be one of auto, small, big"),
    ({"disabled": ("nope",)}, "unknown rule 'nope'"),
    ({"enabled": ("attr-unmaped",)}, "did you mean 'attr-unmapped'"),
    ({"severities": {"region-overlap": "fatal"}}, "unknown severity 'fatal'"),
])
def test_bad_options_raise_input_error(kw, text):
    with pytest.raises(InputError) as e:
        ValidationOptions(**kw).check(RULES)
    assert text in str(e.value)


def test_rules_are_complete_and_documented():
    assert len(RULES) == 23
    for r in RULES.values():
        assert r.severity in ("error", "warning", "info")
        assert r.summary and "\n" not in r.summary
        assert "Fix" in r.explanation or r.id in ("attr-unmapped", "attr-deprecated-encoding")
