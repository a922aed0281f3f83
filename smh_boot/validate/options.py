"""What a validation run knows about the board and which rules it runs (plain data, so a board
definition can fill it in)."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import InputError
from .diagnostic import SEVERITIES
from .heapsize import HEAP_MODES

#: accepted by ``severities``/``--severity``: a severity, or "off" (same as disabling)
LEVELS = (*SEVERITIES, "off")


@dataclass(frozen=True)
class ValidationOptions:
    """Board facts and rule selection for :func:`~smh_boot.validate.validate_devicetree`.

    ``arch``: ``"arm"``, ``"arm64"``, ``"riscv"``, ``"xtensa"``, ``"x86"``, ``"posix"`` or None
    (architecture-specific rules are then skipped); ``isa``: e.g. ``"armv7e-m"``,
    ``"armv8-m.main"`` (chooses the MPU rule on arm); ``ptr_size``: 4 or 8;
    ``runtime_stats``: CONFIG_SYS_HEAP_RUNTIME_STATS; ``smh_policy``: a
    ``MappingPolicy`` or None for the architecture's default; ``disabled``/``enabled``: rule
    IDs to switch off / on (``enabled`` also turns on rules that are off by default);
    ``severities``: rule ID -> ``"error"|"warning"|"info"|"off"``; ``werror``: report
    warnings as errors; ``dma_compatibles``: device compatibles whose drivers do DMA;
    ``heap_mode``: ``"auto"``, ``"small"`` (SYS_HEAP_SMALL_ONLY) or ``"big"`` (BIG_ONLY)."""

    arch: str | None = None
    ptr_size: int = 4
    runtime_stats: bool = False
    smh_policy: Any = None
    disabled: tuple[str, ...] = ()
    enabled: tuple[str, ...] = ()
    severities: Mapping[str, str] = field(default_factory=dict)
    werror: bool = False
    isa: str | None = None
    dma_compatibles: tuple[str, ...] = ()
    heap_mode: str = "auto"

    def check(self, known_rules: Mapping[str, Any]) -> None:
        """Raise InputError (with a did-you-mean hint) for unknown rule IDs or levels and a
        pointer size other than 4 or 8."""
        if self.ptr_size not in (4, 8):
            raise InputError(f"pointer size must be 4 or 8, not {self.ptr_size!r}")
        if self.heap_mode not in HEAP_MODES:
            raise InputError(f"heap mode must be one of {', '.join(HEAP_MODES)}, not {self.heap_mode!r}")
        names = [*self.disabled, *self.enabled, *self.severities]
        for name in names:
            if name not in known_rules:
                close = difflib.get_close_matches(name, list(known_rules), n=1)
                raise InputError(
                    f"unknown rule {name!r}",
                    hint=f"did you mean {close[0]!r}?" if close else "smh-boot validate --list-rules shows them",
                )
        for name, level in self.severities.items():
            if level not in LEVELS:
                raise InputError(
                    f"unknown severity {level!r} for rule {name!r}",
                    hint=f"use one of {', '.join(LEVELS)}",
                )
