"""Emulated memory: the address space, and on top of it the data cache, the CPU and
bus-master views (:class:`MemorySystem`), the DMA engine, the stress modes and the coherency
checker.  Nothing here knows about heaps, devicetrees or drivers."""

from .address_space import AddressSpace, MappedRegion
from .cache import CacheConfigError, CacheLine, CacheStats, DataCache
from .coherency import CoherencyChecker, CoherencyKind, CoherencyReport, CoherencyViolation
from .dma import DmaDirection, DmaEngine, DmaError, DmaGuard, DmaTransfer
from .events import EventLog, MemEvent
from .records import AllocationInfo, BufferInfo
from .stress import StressConfig, Stressor
from .system import CpuView, DmaView, MemorySystem
from .writelog import WriteLog, WriteRecord

__all__ = [
    "AddressSpace",
    "AllocationInfo",
    "BufferInfo",
    "CacheConfigError",
    "CacheLine",
    "CacheStats",
    "CoherencyChecker",
    "CoherencyKind",
    "CoherencyReport",
    "CoherencyViolation",
    "CpuView",
    "DataCache",
    "DmaDirection",
    "DmaEngine",
    "DmaError",
    "DmaGuard",
    "DmaTransfer",
    "DmaView",
    "EventLog",
    "MappedRegion",
    "MemEvent",
    "MemorySystem",
    "StressConfig",
    "Stressor",
    "WriteLog",
    "WriteRecord",
]
