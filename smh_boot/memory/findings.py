"""What the coherency checker reports: the kinds of finding, their hints and the report
(re-exported by :mod:`~smh_boot.memory.coherency`, which raises them as
:class:`~smh_boot.memory.coherency.CoherencyViolation`)."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from .events import MemEvent
from .records import BufferInfo


class CoherencyKind(enum.Enum):
    """The bug classes (value: one-line description)."""

    STALE_TX_DATA = "device read memory while the CPU's data was still only in the cache"
    STALE_RX_DATA = "CPU read data a device wrote without invalidating the cache first"
    INVALIDATE_BEFORE_COMPLETION = "cache invalidated before the transfer completed, not after"
    DIRTY_EVICTION_DURING_DMA = "dirty cache line over a buffer a device is writing"
    TX_BUFFER_WRITTEN_DURING_DMA = "CPU wrote a buffer a device is still reading"
    PARTIAL_LINE_INVALIDATE = "partial-line invalidate discards a neighbour's dirty data"
    INVALIDATE_DISCARDED_DIRTY = "invalidate discarded CPU writes that were never flushed"
    UNPADDED_DMA_BUFFER = "DMA buffer shares a cache line with another allocation"
    CACHEABLE_BUFFER_FOR_DMA = "cacheable buffer given to a device that needs non-cacheable memory"


#: What to do about each kind (printed as the report's hint).
HINTS: dict[CoherencyKind, str] = {
    CoherencyKind.STALE_TX_DATA: "call sys_cache_data_flush_range() on the buffer after the CPU "
    "writes it and before the device reads it",
    CoherencyKind.STALE_RX_DATA: "call sys_cache_data_invd_range() on the buffer after the "
    "transfer completes and before the CPU reads it",
    CoherencyKind.INVALIDATE_BEFORE_COMPLETION: "move (or repeat) sys_cache_data_invd_range() "
    "to after the transfer completes: the core may refill the line while the device writes",
    CoherencyKind.DIRTY_EVICTION_DURING_DMA: "flush (or flush-and-invalidate) the buffer before "
    "starting the transfer, and do not write it until the transfer completes",
    CoherencyKind.TX_BUFFER_WRITTEN_DURING_DMA: "do not write a TX buffer until its transfer "
    "completes: wait for the DMA callback, or write the next data into another buffer",
    CoherencyKind.PARTIAL_LINE_INVALIDATE: "align DMA buffers to the cache line and pad their "
    "size to a whole number of lines, so nothing else shares their lines",
    CoherencyKind.INVALIDATE_DISCARDED_DIRTY: "call sys_cache_data_flush_range() (or "
    "sys_cache_data_flush_and_invd_range()) where CPU writes must reach memory; invalidate "
    "only lines whose cached data may be dropped",
    CoherencyKind.UNPADDED_DMA_BUFFER: "round the allocation size up to a multiple of the cache "
    "line (and align it to the line) so no other allocation shares its lines",
    CoherencyKind.CACHEABLE_BUFFER_FOR_DMA: "allocate the buffer from non-cacheable memory "
    "(shared_multi_heap_alloc(SMH_REG_ATTR_NON_CACHEABLE, ...))",
}


@dataclass(frozen=True)
class CoherencyReport:
    """One finding: ``kind``; ``device`` (the bus master involved, or for a CPU-side finding
    the driver doing the maintenance); ``actor`` (who made the access that revealed it, from
    ``acting_as``); ``transfer`` (text, or None for direct bus-master accesses and pure
    CPU-side findings); ``buffer``; the cache line (``line_addr``, ``line_state`` as the cache
    holds it once the offending access is done); ``events``, the retained history of that line,
    oldest first; ``message``, ``hint`` and ``victim`` (whose data is lost, when that is someone
    else than the buffer's owner: an allocation and the CPU code that wrote it)."""

    kind: CoherencyKind
    device: str | None
    actor: str | None
    transfer: str | None
    buffer: BufferInfo
    line_addr: int
    line_state: str
    events: tuple[MemEvent, ...]
    message: str
    hint: str
    victim: str | None = None

    def __str__(self) -> str:
        out = [f"coherency error {self.kind.name}: {self.message}"]
        out.append(f"  device:     {self.device or 'none named (CPU code outside any acting_as block)'}")
        if self.actor:
            out.append(f"  by:         {self.actor}")
        if self.transfer:
            out.append(f"  transfer:   {self.transfer}")
        out.append(f"  buffer:     {self.buffer}")
        if self.victim:
            out.append(f"  victim:     {self.victim}")
        out.append(f"  cache line: {self.line_addr:#x} ({self.line_state})")
        out.append("  events on this line, oldest first:")
        out += [f"    {e}" for e in self.events] or ["    (none recorded)"]
        out.append(f"  hint: {self.hint}")
        return "\n".join(out)
