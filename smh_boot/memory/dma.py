"""DMA engine model: channels whose transfers start and complete as separate events.

A transfer is described by what it reads and writes in memory:

=====================  ===========  ===========  =========================================
direction              ``src``      ``dst``      what happens
=====================  ===========  ===========  =========================================
memory-to-peripheral   address      None         the device reads ``size`` bytes of ``src``
                                                 by *completion* (``transfer.result``)
peripheral-to-memory   None         address      the device writes ``data`` (``size`` bytes)
                                                 to memory by *completion*
memory-to-memory       address      address      reads ``src`` and writes ``dst``, piece by
                                                 piece, by completion
=====================  ===========  ===========  =========================================

Both directions are progressive: :meth:`DmaEngine.advance` lets the device move its next
bytes (a UART filling its RX buffer a few bytes at a time, or a display controller fetching the
next lines of a frame), and :meth:`DmaEngine.complete` moves whatever is left.  Between
:meth:`DmaEngine.start` and :meth:`DmaEngine.complete` the buffers belong to the device: a CPU
write to a TX buffer in that window changes what the device sends, a CPU write to an RX buffer
races with the device; the coherency checker reports both.  Every access goes through the
memory system's bus-master view, so it never sees the cache.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Protocol

from ..errors import SmhError
from .records import DmaDirection, DmaTransfer

if TYPE_CHECKING:
    from .system import MemorySystem


#: ``write_check(addr, size, *, writer)``: raises to refuse a bus-master write; returns True
#: when it verified the write lies inside one live buffer (then the write log never blames it).
WriteCheck = Callable[..., None]


class DmaGuard(Protocol):
    """What a layer above may watch of a transfer's life (the boot stage installs the SMH
    pool's guard, which knows which buffers are freed; this layer knows nothing of heaps):
    ``start(transfer)`` before anything moves (it raises to refuse the transfer), ``step(
    transfer)`` before every piece :meth:`DmaEngine.advance` moves, ``end(transfer)`` once the
    transfer completed, was aborted or was refused after ``start`` accepted it."""

    def start(self, transfer: DmaTransfer) -> None: ...

    def step(self, transfer: DmaTransfer) -> None: ...

    def end(self, transfer: DmaTransfer) -> None: ...


def _address(value: Any, role: str) -> tuple[Any, int | None]:
    """``(handle, address)`` of a ``src``/``dst`` argument: a plain address, None, or a buffer
    handle (anything with an int ``addr``, e.g. a driver's ``Buffer`` or ``BufferView``)."""
    if value is None or type(value) is int:
        return None, value
    if isinstance(value, int) and not isinstance(value, bool):
        return None, int(value)
    addr = getattr(value, "addr", None)
    if isinstance(addr, int) and not isinstance(addr, bool):
        return value, addr
    raise DmaError(f"DMA {role} must be an address or a buffer handle (with an int addr), "
                   f"not {type(value).__name__} {value!r}")


def _writer(t: DmaTransfer) -> str:
    return f"DMA channel {t.channel} of device {t.device} (transfer #{t.id})"


class DmaError(SmhError, ValueError):
    """A DMA request that no engine would accept (bad channel, busy channel, missing buffer,
    wrong data length, transfer already completed)."""

    errno_name = "EINVAL"


class DmaEngine:
    """A DMA controller with ``channels`` channels on top of ``memsys``.

    Attribute ``active``: channel -> transfer in flight."""

    def __init__(self, memsys: MemorySystem, channels: int = 8, *, write_check: WriteCheck | None = None,
                 guard: DmaGuard | None = None):
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
        #: A :class:`DmaGuard` told of every transfer's start, steps and end (the boot stage
        #: installs the pool's ``dma_guard``: freed buffers under DMA); None: no guard.
        self.guard = guard

    def start(
        self,
        channel: int,
        *,
        device: str,
        src: Any = None,
        dst: Any = None,
        size: int,
        data: bytes | bytearray | None = None,
        requires_noncacheable: bool = False,
    ) -> DmaTransfer:
        """Start a transfer on a free ``channel``; returns it.  Nothing moves yet: the device
        reads and writes memory in :meth:`advance` and :meth:`complete`.

        Give ``src`` (memory-to-peripheral), ``dst`` with ``data`` (peripheral-to-memory) or
        both (memory-to-memory): addresses, or buffer handles (anything with an int ``addr``,
        such as a driver's ``Buffer`` or ``BufferView``), which the transfer keeps
        (``src_buffer``, ``dst_buffer``) for the guard to check.  ``requires_noncacheable``
        declares that the device needs non-cacheable buffers.  Raises :class:`DmaError` on a
        malformed request, what the guard or ``write_check`` raise, and
        :class:`~smh_boot.errors.CoherencyError` when the checker objects (the transfer is
        then not started)."""
        src_buffer, src = _address(src, "src")
        dst_buffer, dst = _address(dst, "dst")
        direction = self._validate(channel, src, dst, size, data)
        t = DmaTransfer(
            self._next_id, channel, device, direction, src, dst, size,
            data=bytes(data) if data is not None else None,
            requires_noncacheable=requires_noncacheable,
            src_buffer=src_buffer, dst_buffer=dst_buffer,
        )
        self._next_id += 1  # a refused transfer keeps its number, so histories stay unambiguous
        guard = self.guard
        if guard is not None:
            guard.start(t)
        try:
            if dst is not None and self.write_check is not None:
                self.write_check(dst, size, writer=_writer(t))
            self.memsys._dma_started(t)
        except BaseException:
            if guard is not None:
                guard.end(t)
            raise
        if src is not None:
            t._took(b"")
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
        """Let the device move its next ``nbytes`` (clipped to what is left): read them from
        ``src`` (appended to ``transfer.result``), write them to ``dst``, or both; returns how
        many bytes moved."""
        self._check_active(transfer)
        done = transfer.written if transfer.src is None else transfer.read
        n = max(0, min(nbytes, transfer.size - done))
        if not n:
            return 0
        if self.guard is not None:  # a buffer may have been freed meanwhile
            self.guard.step(transfer)
        m, dev = self.memsys, transfer.device
        if transfer.src is not None:
            piece = m._dma_read(transfer.src + done, n, dev, transfer)
            transfer._took(piece)
        elif transfer.data is not None:
            piece = transfer.data[done : done + n]
        if transfer.dst is not None:
            verified = False
            if self.write_check is not None:  # the buffer may have been freed meanwhile
                verified = bool(self.write_check(transfer.dst + transfer.written, n, writer=_writer(transfer)))
            m._dma_write(transfer.dst + transfer.written, piece, dev, transfer, verified)
            transfer.written += n
        return n

    def complete(self, transfer: DmaTransfer) -> DmaTransfer:
        """Finish ``transfer``: the device moves what is left, the channel becomes free.
        Returns the transfer (``done`` is then True)."""
        self._check_active(transfer)
        self.advance(transfer, transfer.size)
        transfer.done = True
        del self.active[transfer.channel]
        if self.guard is not None:
            self.guard.end(transfer)
        self.memsys._dma_ended(transfer, "complete")
        # Evictions right after the device wrote are the ones that clobber its data.
        self.memsys._dma_window(transfer)
        return transfer

    def abort(self, transfer: DmaTransfer) -> DmaTransfer:
        """Stop ``transfer`` where it is (Zephyr's ``dma_stop()``): bytes not yet moved by
        :meth:`advance` are never read or written; the channel becomes free.  Returns the transfer."""
        self._check_active(transfer)
        transfer.done = True
        del self.active[transfer.channel]
        if self.guard is not None:
            self.guard.end(transfer)
        self.memsys._dma_ended(transfer, "abort")
        return transfer
