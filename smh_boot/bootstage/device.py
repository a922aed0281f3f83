"""Devices: the handle a driver gets, and what the boot log reports about it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import SmhError
from ..heap.region import SmhAttr
from .levels import InitLevel

if TYPE_CHECKING:  # pragma: no cover
    from .driver import Driver
    from .system import System


class DeviceInitError(SmhError):
    """Raised by a driver's ``init()`` to mark its device not ready with a reason."""


@dataclass
class Buffer:
    """A buffer a device obtained from the pool (reported in the boot log and the JSON report)."""

    name: str
    addr: int
    size: int
    attr: str  #: SMH attribute name the driver asked for (CACHEABLE, NON_CACHEABLE, EXTERNAL)
    region: str | None  #: zephyr,memory-region name (or node name) of the heap it came from
    align: int = 0

    @property
    def end(self) -> int:
        """One past the last byte."""
        return self.addr + self.size

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {
            "name": self.name,
            "addr": self.addr,
            "size": self.size,
            "attr": self.attr,
            "region": self.region,
            "align": self.align,
        }


@dataclass(eq=False)
class Device:
    """A devicetree node bound to a simulated driver.

    Drivers use this handle for everything: typed node properties (:attr:`props`, :meth:`prop`),
    ``reg`` (:attr:`reg`), ``memory-region`` targets (:attr:`memory_regions`), the SMH pool
    (:attr:`pool`, :meth:`alloc`), the CPU view (:attr:`cpu`), the DMA engine (:attr:`dma`),
    cache maintenance (:attr:`cache`, the Zephyr ``sys_cache_*`` functions) and the boot log
    (:meth:`log`).
    """

    name: str  #: node full name, e.g. "ethernet@40028000"
    path: str
    labels: tuple[str, ...]
    compatible: str  #: the compatible the driver was bound through
    level: InitLevel
    priority: int
    props: dict[str, Any]  #: typed node properties (int, list[int], str, list[str], bool, bytes)
    reg: list[Any]  #: [Reg(addr, size)] in CPU addresses
    memory_regions: list[Any]  #: RegionRecord targets of memory-region / memory-regions
    depends_on: list[str] = field(default_factory=list)  #: paths of devices it depends on
    driver: "Driver | None" = None
    system: "System | None" = field(default=None, repr=False)
    ready: bool = False
    init_error: str | None = None
    buffers: list[Buffer] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)

    # -------------------------------------------------------------- conveniences
    @property
    def label(self) -> str | None:
        """The first label, or None."""
        return self.labels[0] if self.labels else None

    def prop(self, name: str, default: Any = None) -> Any:
        """A node property, or ``default`` when absent."""
        return self.props.get(name, default)

    @property
    def pool(self):
        """The system's SharedMultiHeap."""
        return self.system.pool

    @property
    def memsys(self):
        """The system's MemorySystem (CPU view, DMA view, cache maintenance)."""
        return self.system.memsys

    @property
    def cpu(self):
        """The CPU's view of memory (through the data cache for cacheable memory)."""
        return self.system.memsys.cpu

    @property
    def dma(self):
        """The system's DMA engine."""
        return self.system.dma

    @property
    def cache(self):
        """Cache maintenance: ``device.cache.sys_cache_data_flush_range(addr, size)`` etc."""
        return self.system.memsys

    def log(self, message: str) -> None:
        """Add a line to the boot log under this device."""
        self.messages.append(message)
        # During boot the device's line (with its messages under it) is written once init
        # returns; afterwards messages go straight to the system log.
        if self.system is not None and self.system.booted:
            self.system.log.append(f"    {self.name}: {message}")

    def alloc(
        self,
        name: str,
        attr: SmhAttr | int | str,
        size: int,
        *,
        align: int = 0,
    ) -> Buffer:
        """Ask the SMH pool for a buffer owned by this device; DeviceInitError when it does not fit.

        The buffer is recorded (boot log, memory map) and tagged with its owner so heap and
        coherency reports can name it."""
        a = _smh_attr(attr)
        owner = f"{self.name}:{name}"
        if align:
            addr = self.pool.aligned_alloc(a, align, size, owner=owner)
        else:
            addr = self.pool.alloc(a, size, owner=owner)
        if addr is None:
            raise DeviceInitError(
                f"no {a.name} memory for '{name}' ({size} bytes"
                + (f", align {align}" if align else "")
                + ")"
            )
        buf = Buffer(name, addr, size, a.name, self.system.region_name_at(addr), align)
        self.buffers.append(buf)
        return buf

    def free(self, buf: Buffer) -> None:
        """Return a buffer obtained with :meth:`alloc` to the pool."""
        self.pool.free(buf.addr)
        self.buffers = [b for b in self.buffers if b is not buf]

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {
            "name": self.name,
            "path": self.path,
            "labels": list(self.labels),
            "compatible": self.compatible,
            "driver": type(self.driver).__name__ if self.driver else None,
            "level": self.level.name,
            "priority": self.priority,
            "ready": self.ready,
            "error": self.init_error,
            "depends_on": list(self.depends_on),
            "buffers": [b.to_dict() for b in self.buffers],
        }


def _smh_attr(attr: SmhAttr | int | str) -> SmhAttr:
    if isinstance(attr, str):
        try:
            return SmhAttr[attr.upper().replace("-", "_")]
        except KeyError:
            raise DeviceInitError(f"unknown SMH attribute {attr!r}") from None
    return SmhAttr(attr)
