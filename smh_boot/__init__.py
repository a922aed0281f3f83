"""smh-boot: a devicetree-driven platform boot emulator for Zephyr-style firmware.

Layers (lower never imports higher): ``heap`` and ``memory`` -> ``devicetree`` -> ``validate``
-> ``board``/``boot`` -> ``drivers`` -> ``pytest_plugin``/``cli``.
"""

from __future__ import annotations

from .errors import (
    BoardError,
    BusFault,
    CoherencyError,
    DevicetreeError,
    HeapError,
    InferenceWarning,
    InputError,
    LayoutError,
    SmhError,
)

__version__ = "0.1.0"

__all__ = [
    "BoardError",
    "BusFault",
    "CoherencyError",
    "DevicetreeError",
    "HeapError",
    "InferenceWarning",
    "InputError",
    "LayoutError",
    "SmhError",
    "boot",
]


def boot(*args, **kwargs):
    """Boot a board; see :func:`smh_boot.bootstage.boot` (imported lazily, it pulls in devicetree)."""
    from .bootstage import boot as _boot

    return _boot(*args, **kwargs)
