"""Every rule has a minimal .dts that triggers it and one that does not
(``tests/data/layouts/rules/RULE.bad*.dts`` / ``RULE.good*.dts``)."""

from __future__ import annotations

import pytest

from smh_boot.validate import RULES

from .layouts import DATA, expected, found

RULE_DIR = DATA / "rules"
BAD = sorted(RULE_DIR.glob("*.bad*.dts"))
GOOD = sorted(RULE_DIR.glob("*.good*.dts"))


def _rule_of(path):
    return path.name.split(".")[0]


def test_every_rule_has_both_files():
    for rid in RULES:
        assert (RULE_DIR / f"{rid}.bad.dts").is_file(), f"no triggering .dts for {rid}"
        assert (RULE_DIR / f"{rid}.good.dts").is_file(), f"no clean .dts for {rid}"


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.name)
def test_bad_file_reports_its_rule_at_the_marked_lines(path):
    want = expected(path)
    assert want, f"{path.name} marks no expected finding"
    assert _rule_of(path) in {rule for rule, _ in want}
    got, diags = found(path)
    assert got == want, "\n".join(str(d) for d in diags)


@pytest.mark.parametrize("path", GOOD, ids=lambda p: p.name)
def test_good_file_is_clean(path):
    got, diags = found(path)
    assert not got, "\n".join(str(d) for d in diags)
