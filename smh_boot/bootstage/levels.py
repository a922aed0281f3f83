"""Zephyr's init levels (``SYS_INIT`` / ``DEVICE_DT_DEFINE`` levels), in boot order."""

from __future__ import annotations

import enum


class InitLevel(enum.IntEnum):
    """Init levels in the order Zephyr runs them."""

    EARLY = 0
    PRE_KERNEL_1 = 1
    PRE_KERNEL_2 = 2
    POST_KERNEL = 3
    APPLICATION = 4

    @classmethod
    def parse(cls, value: "InitLevel | str | int") -> "InitLevel":
        """Accept an InitLevel, its name (any case) or its number."""
        if isinstance(value, InitLevel):
            return value
        if isinstance(value, int):
            return cls(value)
        try:
            return cls[str(value).strip().upper()]
        except KeyError:
            names = ", ".join(m.name for m in cls)
            raise ValueError(f"unknown init level {value!r} (expected one of {names})") from None
