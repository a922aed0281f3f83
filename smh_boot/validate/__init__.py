"""Layout validation: a rule engine that checks a devicetree's memory layout as a whole.

Public API (the boot stage and the CLI use these names)::

    from smh_boot.validate import validate_devicetree, Diagnostic, RULES, ValidationOptions
    diags = validate_devicetree(dt, options=ValidationOptions(arch="arm", ptr_size=4))
    for d in diags:
        print(d)          # path:line:col: severity: node: message [rule]

Layers: :mod:`.model` (the validator's own input model) <- :mod:`.adapter` (Devicetree ->
model) and :mod:`.rules` (one module per rule family) <- :mod:`.engine` <- :mod:`.report`
(text, JSON, SARIF).
"""

from __future__ import annotations

from typing import Any

from .diagnostic import SEVERITIES, Diagnostic, Related
from .engine import count_by_severity, effective_severity, validate_layout
from .model import Layout, LayoutNode, RegionRef
from .options import ValidationOptions
from .rules import RULES, Rule


def validate_devicetree(
    dt: Any, options: ValidationOptions | None = None, *, scan: Any = None
) -> list[Diagnostic]:
    """Validate a loaded :class:`~smh_boot.devicetree.Devicetree`; findings in source order.

    ``scan``: the caller's ``find_regions(dt, arch=options.arch)`` result, to save scanning
    the tree twice (the boot stage has it anyway).  Raises InputError for unknown rule names in ``options`` and DevicetreeError when the tree
    itself cannot be read (a ``reg`` of the wrong length)."""
    from .adapter import layout_from_devicetree

    options = options or ValidationOptions()
    options.check(RULES)
    return validate_layout(layout_from_devicetree(dt, options, scan), options)


__all__ = [
    "RULES",
    "SEVERITIES",
    "Diagnostic",
    "Layout",
    "LayoutNode",
    "RegionRef",
    "Related",
    "Rule",
    "ValidationOptions",
    "count_by_severity",
    "effective_severity",
    "validate_devicetree",
    "validate_layout",
]
