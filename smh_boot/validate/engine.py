"""Runs the selected rules over a :class:`~smh_boot.validate.model.Layout`."""

from __future__ import annotations

from .diagnostic import Diagnostic
from .model import Layout
from .options import ValidationOptions
from .rules import RULES, Context, Rule


def effective_severity(rule: Rule, options: ValidationOptions) -> str | None:
    """The severity ``rule`` reports with under ``options``, or None when it does not run.

    Order: ``disabled`` wins over ``enabled``; a rule that is off by default runs only when
    enabled; ``severities`` overrides the default (``"off"`` stops it); ``werror`` turns
    warnings into errors (info stays info)."""
    if rule.id in options.disabled:
        return None
    if not rule.default_enabled and rule.id not in options.enabled:
        return None
    sev = options.severities.get(rule.id, rule.severity)
    if sev == "off":
        return None
    if options.werror and sev == "warning":
        sev = "error"
    return sev


def validate_layout(layout: Layout, options: ValidationOptions | None = None) -> list[Diagnostic]:
    """All findings of the selected rules on ``layout``, sorted by source position."""
    options = options or ValidationOptions()
    options.check(RULES)
    ctx = Context(layout, options)
    out: list[Diagnostic] = []
    for rule in RULES.values():
        sev = effective_severity(rule, options)
        if sev is None:
            continue
        for f in rule.check(ctx):
            out.append(Diagnostic(rule.id, sev, f.message, f.location, f.node, list(f.related)))
    out.sort(key=Diagnostic.sort_key)
    return out


def count_by_severity(diags: list[Diagnostic]) -> dict[str, int]:
    """``{"error": n, "warning": n, "info": n}``."""
    counts = {"error": 0, "warning": 0, "info": 0}
    for d in diags:
        counts[d.severity] = counts.get(d.severity, 0) + 1
    return counts
