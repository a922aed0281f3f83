"""Number formatting shared by every renderer (fixed, so outputs diff cleanly)."""

from __future__ import annotations

from ..units import human_size  # noqa: F401  (the one size formatter, re-exported)


def hex_width(address_bits: int) -> int:
    """Hex digits needed for an address of ``address_bits`` bits."""
    return max(1, (address_bits + 3) // 4)


def hex_addr(addr: int, address_bits: int = 32) -> str:
    """``0x24000000``; above 8 digits grouped by 8 (``0x00000001_00000000``) so long
    addresses stay readable.  Zero-padded to the width of the address space."""
    digits = f"{addr:0{hex_width(address_bits)}x}"
    if len(digits) > 8:
        groups = []
        while digits:
            groups.append(digits[-8:])
            digits = digits[:-8]
        digits = "_".join(reversed(groups))
    return "0x" + digits


def percent(ratio: float) -> str:
    """``0.25`` -> ``25.0%``."""
    return f"{100 * ratio:.1f}%"
