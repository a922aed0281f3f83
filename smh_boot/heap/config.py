"""Build-time options of the heap stack: the Kconfig symbols that change its behaviour.

A :class:`HeapConfig` is the Python counterpart of a Zephyr build configuration.  Every field
changes either the chunk layout (``ptr_size``, ``runtime_stats``, ``heap_mode``) or the
allocation decisions (``alloc_loops``), so a heap replays a C trace only under the
configuration the trace was recorded with.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Hardening(enum.IntEnum):
    """``CONFIG_SYS_HEAP_HARDENING`` levels, plus smh-boot's own ``STRICT``.

    * ``NONE``: no checks on free; a double free silently corrupts the heap, as in C.  The
      emulator still refuses pointers whose chunk lies outside the heap (it cannot follow C
      into memory it does not model) and raises :class:`~smh_boot.errors.HeapCorruption`.
    * ``BASIC``: free checks the used bit ("double free?") and ``left(right(c)) == c``
      ("buffer overflow?").
    * ``MODERATE``: also ``right(left(c)) == c``.  Zephyr's default with ``CONFIG_ASSERT=y``;
      the golden traces were recorded at this level.
    * ``FULL``: Zephyr adds per-block trailer canaries here, which changes the chunk layout.
      smh-boot keeps Zephyr's default layout, so FULL runs the MODERATE checks and also
      applies them to the pointer given to ``realloc``.
    * ``STRICT`` (the default for users): FULL, plus every pointer passed to free/realloc must
      be the start of a live block of the pool (else :class:`~smh_boot.errors.InvalidFree`),
      every live block carries an owner tag, and a damaged neighbour header is reported with
      the block, its owner and the offset that was written.
    """

    NONE = 0
    BASIC = 1
    MODERATE = 2
    FULL = 3
    STRICT = 4


#: Accepted values of :attr:`HeapConfig.heap_mode`.
HEAP_MODES = ("auto", "small", "big")


@dataclass(frozen=True)
class HeapConfig:
    """One heap build configuration.

    ``ptr_size``: 4 (32-bit target) or 8 (64-bit; every heap is big).
    ``runtime_stats``: ``CONFIG_SYS_HEAP_RUNTIME_STATS`` (enlarges ``struct z_heap``, so it
    moves every address).  ``alloc_loops``: ``CONFIG_SYS_HEAP_ALLOC_LOOPS``.
    ``heap_mode``: ``"auto"`` (``SYS_HEAP_AUTO``), ``"small"`` (``SMALL_ONLY``, 32-bit only)
    or ``"big"`` (``BIG_ONLY``).  ``hardening``: see :class:`Hardening`.
    """

    ptr_size: int = 4
    runtime_stats: bool = False
    alloc_loops: int = 3
    heap_mode: str = "auto"
    hardening: Hardening = Hardening.STRICT

    def __post_init__(self) -> None:
        if self.ptr_size not in (4, 8):
            raise ValueError(f"HeapConfig.ptr_size must be 4 or 8, not {self.ptr_size!r}")
        if self.heap_mode not in HEAP_MODES:
            raise ValueError(
                f"HeapConfig.heap_mode must be one of {', '.join(HEAP_MODES)}, not {self.heap_mode!r}"
            )
        if self.heap_mode == "small" and self.ptr_size == 8:
            # Kconfig offers the SMALL_ONLY choice on 32-bit targets only.
            raise ValueError("HeapConfig.heap_mode 'small' exists only for ptr_size 4")
        if not isinstance(self.alloc_loops, int) or self.alloc_loops < 1:
            raise ValueError(f"HeapConfig.alloc_loops must be an int >= 1, not {self.alloc_loops!r}")
        # Accept plain ints (e.g. from a board file) but store the enum.
        object.__setattr__(self, "hardening", Hardening(self.hardening))
