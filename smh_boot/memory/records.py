"""Plain records the memory system takes from, and gives to, the layers above.

The memory system knows nothing of heaps or devicetrees: the boot stage tells it who owns an
address through an ``owner_lookup(addr) -> AllocationInfo | None`` callable (built from the
SMH pool's ``block_at(addr)``), and reports name buffers with :class:`BufferInfo`.
"""

from __future__ import annotations

from dataclasses import dataclass


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
