"""Plain records the memory system takes from, and gives to, the layers above, and passes
between its own parts (a :class:`DmaTransfer` goes from the DMA engine to the memory system,
the coherency checker and the stress modes, none of which import each other's modules for it).

The memory system knows nothing of heaps or devicetrees: the boot stage tells it who owns an
address through an ``owner_lookup(addr) -> AllocationInfo | None`` callable (built from the
SMH pool's ``block_at(addr)``), and reports name buffers with :class:`BufferInfo`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class AllocationInfo:
    """A live allocation: usable bytes ``[addr, addr+size)``, the ``region`` it came from (a
    name such as ``"sram_nocache"``, or None) and its ``owner`` (driver/device name or None)."""

    addr: int
    size: int
    region: str | None = None
    owner: str | None = None

    @property
    def end(self) -> int:
        """One past the last usable byte."""
        return self.addr + self.size

    def __str__(self) -> str:
        text = f"[{self.addr:#x}, {self.end:#x}) ({self.size} bytes)"
        if self.owner:
            text += f" owned by {self.owner}"
        if self.region:
            text += f" from {self.region}"
        return text


@dataclass(frozen=True, slots=True)
class BufferInfo:
    """The buffer a coherency report is about: ``[addr, addr+size)``, the mapping (``region``)
    holding it and, when known, the owning ``allocation``."""

    addr: int
    size: int
    region: str | None
    allocation: AllocationInfo | None

    def __str__(self) -> str:
        text = f"[{self.addr:#x}, {self.addr + self.size:#x}) ({self.size} bytes)"
        if self.region:
            text += f" in {self.region}"
        if self.allocation is not None:
            text += f"; allocation {self.allocation}"
        return text


class DmaDirection(enum.Enum):
    """What a transfer moves (Zephyr's ``enum dma_channel_direction`` names)."""

    MEMORY_TO_PERIPHERAL = "memory-to-peripheral"
    PERIPHERAL_TO_MEMORY = "peripheral-to-memory"
    MEMORY_TO_MEMORY = "memory-to-memory"


@dataclass(eq=False)
class DmaTransfer:
    """One transfer.  ``result`` holds the bytes read from ``src`` so far (None when nothing
    is read; all ``size`` bytes once the transfer completed); ``data`` the bytes a
    peripheral-to-memory transfer writes; ``read`` counts the bytes already read from ``src``,
    ``written`` those already written to ``dst``; ``done`` turns True at completion or abort;
    ``src_buffer`` / ``dst_buffer`` the handles the addresses came from (None for plain ints)."""

    id: int
    channel: int
    device: str
    direction: DmaDirection
    src: int | None
    dst: int | None
    size: int
    data: bytes | None = field(default=None, repr=False)
    read: int = 0
    written: int = 0
    done: bool = False
    requires_noncacheable: bool = False
    #: the buffer handles ``src`` / ``dst`` were given as (any object with an ``addr``, e.g. a
    #: driver's ``Buffer``), None for a plain address; the layers above check them
    src_buffer: object = field(default=None, repr=False)
    dst_buffer: object = field(default=None, repr=False)
    #: pieces read so far, joined on demand (a scan-out row by row stays linear)
    _got: list[bytes] | None = field(default=None, repr=False)

    @property
    def result(self) -> bytes | None:
        """The bytes read from ``src`` so far (None when the transfer reads nothing)."""
        got = self._got
        if got is None:
            return None
        if len(got) != 1:
            got[:] = [b"".join(got)]
        return got[0]

    def _took(self, piece: bytes) -> None:
        """Append ``piece``, just read from ``src`` (the DMA engine's bookkeeping)."""
        if self._got is None:
            self._got = []
        self._got.append(piece)
        self.read += len(piece)

    @property
    def writes_memory(self) -> bool:
        """True when the transfer writes to memory (peripheral- or memory-to-memory)."""
        return self.dst is not None

    @property
    def reads_memory(self) -> bool:
        """True when the transfer reads memory (memory-to-peripheral or memory-to-memory)."""
        return self.src is not None

    def __str__(self) -> str:
        parts = [f"transfer #{self.id} ({self.direction.value}, channel {self.channel}, {self.device}"]
        if self.src is not None:
            parts.append(f"src {self.src:#x}")
        if self.dst is not None:
            parts.append(f"dst {self.dst:#x}")
        return ", ".join(parts) + f", {self.size} bytes)"
