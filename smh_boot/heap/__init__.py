"""Zephyr's heap stack, byte-exact: ``sys_heap``, ``sys_multi_heap``, ``shared_multi_heap``,
``mem_attr`` and ``mem_attr_heap`` (one module per layer; this package knows nothing of
devicetree).  Addresses are ints, NULL is None; C error codes become exceptions."""

from __future__ import annotations

from ..errors import (
    DmaUseAfterFree,
    DoubleFree,
    HeapCorruption,
    HeapError,
    InvalidAlignment,
    InvalidAttribute,
    InvalidFree,
    PoolAlreadyInitialised,
    RegionTooSmall,
    TooManyHeaps,
)
from .config import Hardening, HeapConfig
from .layout import Geometry, geometry
from .mem_attr import MemAttr
from .mem_attr_heap import MemAttrHeap
from .multi_heap import MAX_MULTI_HEAPS, MultiHeap, MultiHeapRecord
from .region import SMH_REG_ATTR_NUM, MemAttrRegion, SharedMultiHeapRegion, SmhAttr
from .shared_multi_heap import MAX_HEAPS_PER_ATTR, PoolHeap, SharedMultiHeap
from .stats import Block, HeapStats
from .sys_heap import SysHeap

__all__ = [
    "MAX_HEAPS_PER_ATTR",
    "MAX_MULTI_HEAPS",
    "SMH_REG_ATTR_NUM",
    "Block",
    "DmaUseAfterFree",
    "DoubleFree",
    "Geometry",
    "Hardening",
    "HeapConfig",
    "HeapCorruption",
    "HeapError",
    "HeapStats",
    "InvalidAlignment",
    "InvalidAttribute",
    "InvalidFree",
    "MemAttr",
    "MemAttrHeap",
    "MemAttrRegion",
    "MultiHeap",
    "MultiHeapRecord",
    "PoolAlreadyInitialised",
    "PoolHeap",
    "RegionTooSmall",
    "SharedMultiHeap",
    "SharedMultiHeapRegion",
    "SmhAttr",
    "SysHeap",
    "geometry",
]
