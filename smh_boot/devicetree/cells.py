"""Cell arithmetic: splitting ``reg``/``ranges`` into numbers and translating addresses.

dtlib only hands out flat lists of 32-bit cells; the cell counts come from the parent's
``#address-cells``/``#size-cells`` (defaults 2 and 1, as in dtlib/edtlib and the DT spec).
"""

from __future__ import annotations

from collections.abc import Sequence

DEFAULT_ADDRESS_CELLS = 2
DEFAULT_SIZE_CELLS = 1


def join_cells(cells: Sequence[int]) -> int:
    """Big-endian 32-bit cells -> one number (``<0x1 0x0>`` -> 0x100000000)."""
    value = 0
    for c in cells:
        value = (value << 32) | c
    return value


def split_entries(cells: Sequence[int], widths: Sequence[int]) -> list[tuple[int, ...]]:
    """Split ``cells`` into entries of ``widths`` cells each (one number per width).

    Raises ValueError when the length is not a multiple of ``sum(widths)``."""
    step = sum(widths)
    if step == 0:
        if cells:
            raise ValueError("no cells expected")
        return []
    if len(cells) % step:
        raise ValueError(f"{len(cells)} cells is not a multiple of {step}")
    entries = []
    for i in range(0, len(cells), step):
        values, j = [], i
        for w in widths:
            values.append(join_cells(cells[j : j + w]))
            j += w
        entries.append(tuple(values))
    return entries


def translate(addr: int, ranges: Sequence[tuple[int, int, int]]) -> int | None:
    """Child address -> parent address through ``ranges`` entries (child, parent, length);
    None when no entry covers ``addr``."""
    for child, parent, length in ranges:
        if child <= addr < child + length:
            return parent + addr - child
    return None
