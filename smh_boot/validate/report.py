"""Rendering findings: GCC-style text, JSON (schema ``smh-boot-validate/1``) and SARIF 2.1.0.

JSON schema (``smh-boot-validate/1``)::

    {
      "schema": "smh-boot-validate/1",
      "inputs": ["board.dts", "app.overlay"],       # the files validated
      "summary": {"error": 1, "warning": 0, "info": 0},
      "diagnostics": [
        {
          "rule": "region-overlap",                  # stable rule ID
          "severity": "error",                       # after --severity/--werror
          "message": "region [...] overlaps ...",
          "file": "board.dts", "line": 12, "column": 3,   # null when unknown
          "node": "/reserved-memory/memory@20001000",
          "related": [{"file": ..., "line": ..., "column": ..., "node": ..., "message": ...}]
        }
      ]
    }

Diagnostics are in source order (file, line, column).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from importlib import metadata
from typing import Any

from ..resources import display_name
from .diagnostic import Diagnostic, format_location
from .engine import count_by_severity
from .rules import RULES

JSON_SCHEMA = "smh-boot-validate/1"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def _loc(loc: Any) -> dict[str, Any]:
    if loc is None:
        return {"file": None, "line": None, "column": None}
    return {
        "file": str(loc.file) if getattr(loc, "file", None) else None,
        "line": getattr(loc, "line", None),
        "column": getattr(loc, "column", None),
    }


def summary_line(diags: Sequence[Diagnostic]) -> str:
    """``2 errors, 1 warning`` / ``no findings``."""
    c = count_by_severity(list(diags))
    parts = []
    for sev in ("error", "warning", "info"):
        if c[sev]:
            parts.append(f"{c[sev]} {sev}{'s' if c[sev] != 1 and sev != 'info' else ''}")
    return ", ".join(parts) if parts else "no findings"


def render_text(diags: Iterable[Diagnostic]) -> str:
    """One GCC-style line per finding, each followed by its ``note:`` lines."""
    lines: list[str] = []
    for d in diags:
        lines.append(str(d))
        lines.extend(d.notes())
    return "\n".join(lines) + ("\n" if lines else "")


def to_json_dict(diags: Sequence[Diagnostic], inputs: Sequence[str] = ()) -> dict[str, Any]:
    """The ``smh-boot-validate/1`` document as a dict."""
    return {
        "schema": JSON_SCHEMA,
        "inputs": [display_name(p) for p in inputs],
        "summary": count_by_severity(list(diags)),
        "diagnostics": [
            {
                "rule": d.rule,
                "severity": d.severity,
                "message": d.message,
                **_loc(d.location),
                "node": d.node,
                "related": [{**_loc(r.location), "node": r.node, "message": r.message} for r in d.related],
            }
            for d in diags
        ],
    }


def render_json(diags: Sequence[Diagnostic], inputs: Sequence[str] = ()) -> str:
    """:func:`to_json_dict` as indented JSON text."""
    return json.dumps(to_json_dict(diags, inputs), indent=2) + "\n"


def _version() -> str:
    try:
        return metadata.version("smh-boot")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0"


def _physical(loc: Any) -> dict[str, Any] | None:
    if loc is None or not getattr(loc, "file", None):
        return None
    region: dict[str, int] = {}
    if getattr(loc, "line", None):
        region["startLine"] = loc.line
        if getattr(loc, "column", None):
            region["startColumn"] = loc.column
    out: dict[str, Any] = {"artifactLocation": {"uri": str(loc.file).replace("\\", "/")}}
    if region:
        out["region"] = region
    return out


def _sarif_location(loc: Any, node: str | None, message: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    phys = _physical(loc)
    if phys:
        out["physicalLocation"] = phys
    if node:
        out["logicalLocations"] = [{"fullyQualifiedName": node, "kind": "object"}]
    if message:
        out["message"] = {"text": message}
    return out


def to_sarif_dict(diags: Sequence[Diagnostic], inputs: Sequence[str] = ()) -> dict[str, Any]:
    """A SARIF 2.1.0 log with one run: every rule as a reportingDescriptor, every finding as a
    result (``info`` maps to SARIF ``note``), related places as ``relatedLocations``."""
    index = {rid: k for k, rid in enumerate(RULES)}
    rules = [
        {
            "id": r.id,
            "name": "".join(p.capitalize() for p in r.id.split("-")),
            "shortDescription": {"text": r.summary},
            "fullDescription": {"text": r.explanation},
            "help": {"text": r.explanation},
            "defaultConfiguration": {"level": _SARIF_LEVEL[r.severity], "enabled": r.default_enabled},
        }
        for r in RULES.values()
    ]
    results = []
    for d in diags:
        res: dict[str, Any] = {
            "ruleId": d.rule,
            "ruleIndex": index[d.rule],
            "level": _SARIF_LEVEL[d.severity],
            "message": {"text": d.message},
            "locations": [_sarif_location(d.location, d.node)],
        }
        if d.related:
            res["relatedLocations"] = [
                {"id": k + 1, **_sarif_location(r.location, r.node, r.message)}
                for k, r in enumerate(d.related)
            ]
        results.append(res)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "smh-boot",
                        "version": _version(),
                        "informationUri": "https://github.com/smh-boot/smh-boot",
                        "rules": rules,
                    }
                },
                "artifacts": [{"location": {"uri": str(p).replace("\\", "/")}} for p in inputs],
                "results": results,
            }
        ],
    }


def render_sarif(diags: Sequence[Diagnostic], inputs: Sequence[str] = ()) -> str:
    """:func:`to_sarif_dict` as indented JSON text."""
    return json.dumps(to_sarif_dict(diags, inputs), indent=2) + "\n"


RENDERERS = {"text": None, "json": render_json, "sarif": render_sarif}


def render(diags: Sequence[Diagnostic], fmt: str = "text", inputs: Sequence[str] = ()) -> str:
    """Render in ``fmt`` (``text``, ``json`` or ``sarif``)."""
    if fmt == "text":
        return render_text(diags)
    if fmt not in RENDERERS:
        raise ValueError(f"unknown format {fmt!r}")
    return RENDERERS[fmt](diags, inputs)


def explain(rule_id: str) -> str:
    """What ``--explain RULE`` prints: ID, default severity, summary and the long text."""
    r = RULES[rule_id]
    state = "" if r.default_enabled else ", off by default (--enable to run it)"
    return f"{r.id} (default severity: {r.severity}{state})\n  {r.summary}\n\n{r.explanation}\n"


def list_rules() -> str:
    """One line per rule: ID, default severity, summary."""
    width = max(len(r) for r in RULES)
    lines = []
    for r in RULES.values():
        off = " (off by default)" if not r.default_enabled else ""
        lines.append(f"{r.id:<{width}}  {r.severity:<7}  {r.summary}{off}")
    return "\n".join(lines) + "\n"


__all__ = [
    "JSON_SCHEMA",
    "explain",
    "format_location",
    "list_rules",
    "render",
    "render_json",
    "render_sarif",
    "render_text",
    "summary_line",
    "to_json_dict",
    "to_sarif_dict",
]
