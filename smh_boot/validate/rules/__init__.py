"""The rule families.  Importing this package registers every rule, in the order of the
issue's table (the order ``--list-rules`` and SARIF use)."""

from __future__ import annotations

from . import attributes, geometry, heaps, mpu, references, reserved  # noqa: F401  (registration)
from .base import REGISTRY, Context, Finding, Rule

#: the published order of the rules
ORDER = (
    "region-overlap",
    "region-outside-memory",
    "region-beyond-address-space",
    "region-overlaps-kernel-ram",
    "region-zero-size",
    "unit-address-mismatch",
    "heap-unit-address-mismatch",
    "reg-and-size",
    "no-map-and-reusable",
    "duplicate-region-name",
    "region-name-without-compatible",
    "attr-unknown-bits",
    "attr-conflict",
    "attr-arm-mpu-type-missing",
    "attr-arch-mismatch",
    "attr-deprecated-encoding",
    "attr-unmapped",
    "heap-region-too-small",
    "heap-region-misaligned",
    "too-many-heaps",
    "mpu-region-constraints",
    "memory-region-dangling",
    "memory-region-not-dma-capable",
)

if set(ORDER) != set(REGISTRY):  # a family added a rule without publishing its place
    raise RuntimeError(f"rule order out of step: {sorted(set(ORDER) ^ set(REGISTRY))}")

#: rule ID -> Rule, in published order
RULES: dict[str, Rule] = {rid: REGISTRY[rid] for rid in ORDER}

__all__ = ["RULES", "Context", "Finding", "Rule"]
