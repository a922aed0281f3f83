"""Plain records the heap stack takes from the layers above (it never sees devicetree objects).

Mirrors ``include/zephyr/multi_heap/shared_multi_heap.h``: ``enum shared_multi_heap_attr``
and ``struct shared_multi_heap_region``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class SmhAttr(enum.IntEnum):
    """``enum shared_multi_heap_attr`` (3-attribute version)."""

    CACHEABLE = 0  #: SMH_REG_ATTR_CACHEABLE
    NON_CACHEABLE = 1  #: SMH_REG_ATTR_NON_CACHEABLE
    EXTERNAL = 2  #: SMH_REG_ATTR_EXTERNAL (ESP32 PSRAM)


#: ``SMH_REG_ATTR_NUM`` == ``MAX_SHARED_MULTI_HEAP_ATTR``
SMH_REG_ATTR_NUM = 3


@dataclass(frozen=True)
class SharedMultiHeapRegion:
    """``struct shared_multi_heap_region``: ``attr`` (int, may be out of range on purpose),
    ``addr`` (start address), ``size`` (bytes)."""

    attr: int
    addr: int
    size: int


@dataclass(frozen=True)
class MemAttrRegion:
    """``struct mem_attr_region_t``: one entry of the mem_attr table (devicetree order).

    ``name`` is the node's full name (``"memory@20000000"``), ``attr`` the raw 32-bit
    ``zephyr,memory-attr`` value."""

    name: str
    addr: int
    size: int
    attr: int
