"""Resource limits that users can change through the environment, read and validated in one
place.

smh-boot runs on inputs nobody vetted (pull requests in CI), so every stage that could grow
without bound has a limit (see the README's "Robustness" section for the whole contract).
The ones a user may need to raise are read from environment variables here; a value that is
not a finite number in the allowed range is refused with :class:`EnvironmentValueError` (an
:class:`~smh_boot.errors.SmhError`) naming the variable, instead of being ignored or silently
disabling the limit (``SMH_BOOT_CPP_TIMEOUT=nan`` used to turn the time limit off).

This module is at the bottom of the layering: it imports nothing but :mod:`.errors`.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from .errors import SmhError


class EnvironmentValueError(SmhError):
    """An ``SMH_BOOT_*`` environment variable holds a value smh-boot cannot use."""

    errno_name = "EINVAL"

    def __init__(self, name: str, value: str, why: str, hint: str):
        self.name, self.value, self.hint = name, value, hint
        shown = value if len(value) <= 40 else value[:40] + "..."
        super().__init__(f"environment variable {name}={shown!r}: {why}\n  hint: {hint}")


@dataclass(frozen=True)
class Limit:
    """One limit: its variable, default, range, unit (for messages) and what it bounds."""

    env: str
    default: float
    minimum: float
    maximum: float
    unit: str
    what: str
    integer: bool = False

    def value(self, environ: os._Environ[str] | dict[str, str] | None = None) -> float:
        """The limit in force: the environment variable when set (validated), else the
        default.  An empty variable counts as unset."""
        env = os.environ if environ is None else environ
        raw = env.get(self.env)
        if raw is None or not raw.strip():
            return self.default
        hint = (f"set {self.env} to a number from {self.minimum:g} to {self.maximum:g} "
                f"({self.unit}), or unset it for the default of {self.default:g}")
        try:
            v = float(raw.strip()) if not self.integer else float(int(raw.strip(), 0))
        except (ValueError, OverflowError):
            raise EnvironmentValueError(self.env, raw, f"not a{'n integer' if self.integer else ' number'}",
                                        hint) from None
        if not math.isfinite(v):
            raise EnvironmentValueError(self.env, raw, "must be a finite number; a limit cannot "
                                        "be switched off", hint)
        if not self.minimum <= v <= self.maximum:
            raise EnvironmentValueError(self.env, raw, f"out of range for {self.what}", hint)
        return v


#: Time the C preprocessor may run (seconds).
CPP_TIMEOUT = Limit("SMH_BOOT_CPP_TIMEOUT", 30.0, 0.1, 3600.0, "seconds",
                    "the C preprocessor's time limit")
#: Address space of the C preprocessor (MiB; its RLIMIT_AS).
CPP_MEMORY_MB = Limit("SMH_BOOT_CPP_MEMORY_MB", 1024, 64, 65536, "MiB",
                      "the C preprocessor's memory limit", integer=True)
#: All ``/incbin/`` data of one devicetree load together (MiB).
INCBIN_MB = Limit("SMH_BOOT_INCBIN_MB", 64, 0, 4096, "MiB",
                  "the /incbin/ budget of one devicetree", integer=True)

#: Every limit read from the environment (the README's table lists the same).
ENV_LIMITS = (CPP_TIMEOUT, CPP_MEMORY_MB, INCBIN_MB)

