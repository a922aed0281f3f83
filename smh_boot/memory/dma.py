"""DMA engine model: channels whose transfers start and complete as separate events.

A transfer is described by what it reads and writes in memory:

=====================  ===========  ===========  =========================================
direction              ``src``      ``dst``      what happens
=====================  ===========  ===========  =========================================
memory-to-peripheral   address      None         the device reads ``size`` bytes at *start*
                                                 (``transfer.result``)
peripheral-to-memory   None         address      the device writes ``data`` (``size`` bytes)
                                                 to memory by *completion*
memory-to-memory       address      address      reads ``src`` at start, writes ``dst`` by
                                                 completion
=====================  ===========  ===========  =========================================

Writes to memory happen progressively: :meth:`DmaEngine.advance` lets the device write the
next bytes (a UART filling its RX buffer a few bytes at a time), and
:meth:`DmaEngine.complete` writes whatever is left.  Between :meth:`DmaEngine.start` and
:meth:`DmaEngine.complete` the buffer belongs to the device; the CPU touching it in that
window is what the coherency checker looks at.  Every access goes through the memory
system's bus-master view, so it never sees the cache.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Callable

from ..errors import SmhError
from .system import MemorySystem


#: ``write_check(addr, size, *, writer)``: raises to refuse a bus-master write.
WriteCheck = Callable[..., None]


def _writer(t: DmaTransfer) -> str:
    return f"DMA channel {t.channel} of device {t.device} (transfer #{t.id})"


class DmaError(SmhError, ValueError):
    """A DMA request that no engine would accept (bad channel, busy channel, missing buffer,
    wrong data length, transfer already completed)."""

    errno_name = "EINVAL"


class DmaDirection(enum.Enum):
    """What a transfer moves (Zephyr's ``enum dma_channel_direction`` names)."""

    MEMORY_TO_PERIPHERAL = "memory-to-peripheral"
    PERIPHERAL_TO_MEMORY = "peripheral-to-memory"
    MEMORY_TO_MEMORY = "memory-to-memory"


@dataclass(eq=False)
class DmaTransfer:
    """One transfer.  ``result`` holds the bytes read from ``src`` (None when nothing is read);
    ``written`` counts the bytes already written to ``dst``; ``done`` turns True at completion."""

    id: int
    channel: int
    device: str
    direction: DmaDirection
    src: int | None
    dst: int | None
    size: int
    data: bytes | None = field(default=None, repr=False)
    result: bytes | None = field(default=None, repr=False)
    written: int = 0
    done: bool = False
    requires_noncacheable: bool = False

    @property
    def writes_memory(self) -> bool:
        """True when the transfer writes to memory (peripheral- or memory-to-memory)."""
        return self.dst is not None

    def __str__(self) -> str:
        parts = [f"transfer #{self.id} ({self.direction.value}, channel {self.channel}, {self.device}"]
        if self.src is not None:
            parts.append(f"src {self.src:#x}")
        if self.dst is not None:
            parts.append(f"dst {self.dst:#x}")
        return ", ".join(parts) + f", {self.size} bytes)"


class DmaEngine:
    """A DMA controller with ``channels`` channels on top of ``memsys``.

    Attribute ``active``: channel -> transfer in flight."""

    def __init__(self, memsys: MemorySystem, channels: int = 8, *, write_check: WriteCheck | None = None):
        if channels < 1:
            raise DmaError(f"a DMA engine needs at least one channel, not {channels}")
        self.memsys = memsys
        self.channels = channels
        self.active: dict[int, DmaTransfer] = {}
        self._next_id = 1
        #: Called as ``write_check(addr, size, writer=...)`` before a transfer writes memory
        #: (at start for its whole destination, then before every piece :meth:`advance`
        #: writes); it raises to refuse the write.  The boot stage installs the heap's
        #: ``SharedMultiHeap.check_dma_write`` here (this layer knows nothing of heaps).
        self.write_check = write_check

    def start(
        self,
        channel: int,
        *,
        device: str,
        src: int | None = None,
        dst: int | None = None,
        size: int,
        data: bytes | bytearray | None = None,
        requires_noncacheable: bool = False,
    ) -> DmaTransfer:
        """Start a transfer on a free ``channel``; returns it.

        Give ``src`` (memory-to-peripheral), ``dst`` with ``data`` (peripheral-to-memory) or
        both (memory-to-memory).  ``requires_noncacheable`` declares that the device needs
        non-cacheable buffers.  Raises :class:`DmaError` on a malformed request and
        :class:`~smh_boot.errors.CoherencyError` when the checker objects (the transfer
        is then not started)."""
        direction = self._validate(channel, src, dst, size, data)
        t = DmaTransfer(
            self._next_id, channel, device, direction, src, dst, size,
            data=bytes(data) if data is not None else None,
            requires_noncacheable=requires_noncacheable,
        )
        self._next_id += 1  # a refused transfer keeps its number, so histories stay unambiguous
        if dst is not None and self.write_check is not None:
            self.write_check(dst, size, writer=_writer(t))
        self.memsys._dma_started(t)
        if src is not None:
            try:
                t.result = self.memsys._dma_read(src, size, device, t)
            except BaseException:
                self.memsys._dma_ended(t, "abort")  # refused: the checker must forget it
                raise
            if direction is DmaDirection.MEMORY_TO_MEMORY:
                t.data = t.result
        self.active[channel] = t
        self.memsys._dma_window(t)
        return t

    def _validate(
        self, channel: int, src: int | None, dst: int | None, size: int, data: bytes | bytearray | None
    ) -> DmaDirection:
        if not 0 <= channel < self.channels:
            raise DmaError(f"DMA channel {channel} does not exist (0..{self.channels - 1})")
        if channel in self.active:
            raise DmaError(f"DMA channel {channel} is busy with {self.active[channel]}; complete it first")
        if size <= 0:
            raise DmaError(f"DMA transfer size {size} must be positive")
        if src is None and dst is None:
            raise DmaError("a DMA transfer needs src (memory-to-peripheral), dst, or both")
        if dst is not None and src is None:
            if data is None or len(data) != size:
                got = "no data" if data is None else f"{len(data)} bytes of data"
                raise DmaError(f"peripheral-to-memory transfer of {size} bytes got {got}")
            return DmaDirection.PERIPHERAL_TO_MEMORY
        if data is not None:
            raise DmaError("data is only for peripheral-to-memory transfers (the device's bytes)")
        return DmaDirection.MEMORY_TO_PERIPHERAL if dst is None else DmaDirection.MEMORY_TO_MEMORY

    def _check_active(self, transfer: DmaTransfer) -> None:
        if transfer.done or self.active.get(transfer.channel) is not transfer:
            raise DmaError(f"{transfer} is not in flight on this engine")

    def advance(self, transfer: DmaTransfer, nbytes: int) -> int:
        """Let the device write its next ``nbytes`` (clipped to what is left) to ``dst``;
        returns how many bytes were written.  A no-op for memory-to-peripheral transfers."""
        self._check_active(transfer)
        if transfer.dst is None or transfer.data is None:
            return 0
        n = max(0, min(nbytes, transfer.size - transfer.written))
        if n:
            off = transfer.written
            if self.write_check is not None:  # the buffer may have been freed meanwhile
                self.write_check(transfer.dst + off, n, writer=_writer(transfer))
            self.memsys._dma_write(transfer.dst + off, transfer.data[off : off + n], transfer.device, transfer)
            transfer.written += n
        return n

    def complete(self, transfer: DmaTransfer) -> DmaTransfer:
        """Finish ``transfer``: the device writes what is left, the channel becomes free.
        Returns the transfer (``done`` is then True)."""
        self._check_active(transfer)
        self.advance(transfer, transfer.size)
        transfer.done = True
        del self.active[transfer.channel]
        self.memsys._dma_ended(transfer, "complete")
        # Evictions right after the device wrote are the ones that clobber its data.
        self.memsys._dma_window(transfer)
        return transfer

    def abort(self, transfer: DmaTransfer) -> DmaTransfer:
        """Stop ``transfer`` where it is (Zephyr's ``dma_stop()``): bytes not yet written by
        :meth:`advance` never reach memory; the channel becomes free.  Returns the transfer."""
        self._check_active(transfer)
        transfer.done = True
        del self.active[transfer.channel]
        self.memsys._dma_ended(transfer, "abort")
        return transfer
