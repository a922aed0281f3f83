"""Realistic broken layouts (modelled on i.MX RT, STM32H7, nRF5340 and ESP32-S3 boards):
each reports exactly the rules its ``// expect:`` markers name, at those lines."""

from __future__ import annotations

import pytest

from .layouts import DATA, expected, found

CORPUS = sorted((DATA / "corpus").glob("*.dts"))


def test_corpus_is_there():
    names = " ".join(p.name for p in CORPUS)
    for board in ("imxrt", "stm32h7", "nrf", "esp32"):
        assert board in names


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_layout_reports_the_right_rules_at_the_right_lines(path):
    want = expected(path)
    assert want
    got, diags = found(path)
    assert got == want, "\n".join(str(d) for d in diags)
