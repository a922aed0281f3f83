"""Zephyr's errno numbering (minimal libc; same as newlib/picolibc).

Golden traces record the *host's* (Linux) numbers; compare by name, never by number.
"""

from __future__ import annotations

ENOENT = 2
ENOMEM = 12
EFAULT = 14
EINVAL = 22
ENOSPC = 28
ENOSYS = 88
ENOBUFS = 105
EALREADY = 120
ENOTSUP = 134

#: name -> Zephyr number
BY_NAME: dict[str, int] = {
    "ENOENT": ENOENT,
    "ENOMEM": ENOMEM,
    "EFAULT": EFAULT,
    "EINVAL": EINVAL,
    "ENOSPC": ENOSPC,
    "ENOSYS": ENOSYS,
    "ENOBUFS": ENOBUFS,
    "EALREADY": EALREADY,
    "ENOTSUP": ENOTSUP,
}

#: Zephyr number -> name
BY_NUMBER: dict[int, str] = {v: k for k, v in BY_NAME.items()}

#: Linux (host) numbers, as found in the golden traces' ``rc`` fields.
LINUX: dict[str, int] = {
    "ENOENT": 2,
    "ENOMEM": 12,
    "EFAULT": 14,
    "EINVAL": 22,
    "ENOSPC": 28,
    "ENOSYS": 38,
    "ENOBUFS": 105,
    "EALREADY": 114,
    "ENOTSUP": 95,
}


def name_of(number: int) -> str:
    """Name of a Zephyr errno number (sign ignored); ``"E?<n>"`` when unknown."""
    return BY_NUMBER.get(abs(number), f"E?{abs(number)}")
