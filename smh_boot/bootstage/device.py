"""Devices: the handle a driver gets, its buffers, and what the boot log reports about it.

This module is the bottom of the driver model: it imports neither the driver registry nor the
system (a device reaches its system through ``device.system`` at run time).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

from ..errors import DmaUseAfterFree, DoubleFree, SmhError
from ..heap.config import Hardening
from ..heap.region import SmhAttr
from .dmas import DmaChannel, DmaController, DmaSpecError, DmaSpecs, decode_dmas
from .levels import InitLevel

#: Alignment of DMA buffers on a board without a data cache: a word.
WORD = 4


class DeviceInitError(SmhError):
    """Raised by a driver's ``init()`` to mark its device not ready with a reason."""


def round_up(n: int, align: int) -> int:
    """``n`` rounded up to a multiple of ``align`` (``align`` >= 1)."""
    return -(-n // align) * align


_GONE = object()


@dataclass
class Buffer:
    """A buffer a device obtained from the pool (reported in the boot log and the JSON report).

    ``addr``, ``size`` (as allocated: padded for DMA buffers), ``end``, ``name`` (owner tag
    ``device:name`` in heap and coherency reports), ``attr``, ``region``, ``align``, ``owner``
    (the owner tag the pool keeps for it), ``freed``.  :meth:`view` and :meth:`split` cut it
    into named parts (a header and a payload).  A Buffer or a view can be given to DMA in
    place of its address (``DmaBlockConfig(dest_address=buf)``, ``dma.start(dst=buf)``): at
    STRICT a transfer through a freed buffer is then refused at its start."""

    name: str
    addr: int
    size: int
    attr: str  #: SMH attribute name the driver asked for (CACHEABLE, NON_CACHEABLE, EXTERNAL)
    region: str | None  #: zephyr,memory-region name (or node name) of the heap it came from
    align: int = 0
    #: the owner tag the pool keeps for this allocation (``device:name``; one object per
    #: allocation, so a later block at the same address is told apart)
    owner: Any = field(default=None, compare=False)
    _live: dict | None = field(default=None, init=False, repr=False, compare=False)
    _freed: bool = field(default=False, init=False, repr=False, compare=False)

    @property
    def freed(self) -> bool:
        """True once the buffer was freed: by ``device.free(buf)``, or (STRICT, where the pool
        keeps a table of live blocks) by any free or realloc of its block through the pool,
        even when the pool has since given the address to another allocation."""
        if self._freed:
            return True
        live = self._live
        return live is not None and live.get(self.addr, _GONE) is not self.owner

    def _track(self, live: dict | None) -> None:
        """Follow the pool's live-block table (STRICT) to tell when this block is freed."""
        self._live = live

    @property
    def end(self) -> int:
        """One past the last byte."""
        return self.addr + self.size

    def view(self, offset: int, size: int | None = None, name: str | None = None) -> "BufferView":
        """The part ``[offset, offset+size)`` of this buffer (``size`` None: to the end).
        ValueError when it does not lie inside the buffer."""
        if size is None:
            size = self.size - offset
        if offset < 0 or size < 0 or offset + size > self.size:
            raise ValueError(f"view [{offset}, {offset + size}) does not fit in buffer "
                             f"'{self.name}' of {self.size} bytes")
        return BufferView(self, offset, size, name or f"{self.name}+{offset}")

    def split(self, *sizes: int, names: tuple[str, ...] = ()) -> tuple["BufferView", ...]:
        """Consecutive views of the given sizes, then one for the rest: ``header, payload =
        buf.split(8)``.  ``names`` names them in order (default ``header``, ``payload`` for a
        two-way split, else ``name+offset``)."""
        if not names and len(sizes) == 1:
            names = ("header", "payload")
        out, pos = [], 0
        for i, n in enumerate((*sizes, None)):
            v = self.view(pos, n, names[i] if i < len(names) else None)
            out.append(v)
            pos += v.size
        return tuple(out)

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


@dataclass(frozen=True)
class BufferView:
    """A named part of a :class:`Buffer`: ``buffer``, ``offset``, ``size``, ``name``, and the
    CPU addresses ``addr`` / ``end`` to hand to ``cpu``, cache maintenance and DMA.
    ``line_aligned(line)`` says whether it starts and ends on cache-line boundaries (a part a
    device writes must, or its invalidate touches its neighbour)."""

    buffer: Buffer = field(repr=False)
    offset: int
    size: int
    name: str

    @property
    def addr(self) -> int:
        """Address of the first byte."""
        return self.buffer.addr + self.offset

    @property
    def end(self) -> int:
        """One past the last byte."""
        return self.addr + self.size

    def line_aligned(self, line: int) -> bool:
        """True when ``addr`` and ``end`` are multiples of ``line`` (always for ``line`` 0)."""
        return not line or (self.addr % line == 0 and self.end % line == 0)


@dataclass(eq=False)
class Device:
    """A devicetree node bound to a simulated driver.

    Drivers use this handle for everything: typed node properties (:attr:`props`, :meth:`prop`),
    ``reg`` (:attr:`reg`), ``memory-region`` targets (:attr:`memory_regions`), the SMH pool
    (:meth:`alloc`, :meth:`aligned_alloc`, :meth:`dma_alloc`, :meth:`region_alloc`), the CPU
    view (:attr:`cpu`), cache maintenance (:attr:`memsys`, Zephyr's ``sys_cache_*``), DMA
    (:attr:`dmas`, :meth:`dma_channel`) and the boot log (:meth:`log`).
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
    driver: Any = None  #: the Driver instance (None until init runs)
    system: Any = field(default=None, repr=False)  #: the System this device belongs to
    ready: bool = False
    init_error: str | None = None
    #: the exception init() raised (None when it returned); kept for a CoherencyError's report
    init_exception: BaseException | None = field(default=None, repr=False)
    buffers: list[Buffer] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    _dmas: DmaSpecs | None = field(default=None, init=False, repr=False)
    _channels: dict[Any, DmaChannel] = field(default_factory=dict, init=False, repr=False)

    def __repr__(self) -> str:  # short: pytest prints it beside failing driver frames
        state = "ready" if self.ready else f"not ready: {self.init_error}" if self.init_error else "not initialised"
        return f"<Device {self.name} ({self.compatible}) {state}>"

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
        """The system's MemorySystem: ``line_size``, ``is_cacheable``, ``acting_as``, the
        ``sys_cache_data_*`` maintenance calls, ``dma`` (bus-master accesses),
        ``require_noncacheable``."""
        return self.system.memsys

    @property
    def cpu(self):
        """The CPU's view of memory (through the data cache for cacheable memory)."""
        return self.system.memsys.cpu

    @property
    def dma(self):
        """The system's default DMA engine (channels no devicetree names)."""
        return self.system.dma

    @property
    def cache(self):
        """Deprecated: the memory system, for ``device.cache.sys_cache_*``; use
        :attr:`memsys` (``cache`` names the data-cache model everywhere else)."""
        warnings.warn(
            "device.cache is deprecated: cache maintenance is device.memsys.sys_cache_*() "
            "(system.cache and the smh_cache fixture are the DataCache model)",
            DeprecationWarning, stacklevel=2,
        )
        return self.system.memsys

    def log(self, message: str) -> None:
        """Add a line to the boot log under this device."""
        self.messages.append(message)
        # During boot the device's line (with its messages under it) is written once init
        # returns; afterwards messages go straight to the system log.
        if self.system is not None and self.system.booted:
            self.system.log.append(f"    {self.name}: {message}")

    # -------------------------------------------------------------- memory
    def alloc(self, attr: SmhAttr | int | str, size: int, *args: Any, name: str | None = None,
              align: int | None = None) -> Buffer:
        """``shared_multi_heap_alloc(attr, size)`` for this device: a :class:`Buffer` owned by
        it (boot log, memory map, reports name it ``device:name``).  DeviceInitError when it
        does not fit.  (The old order ``alloc(name, attr, size, align=)`` still works, with a
        DeprecationWarning.)"""
        if args or align is not None:
            if not (len(args) == 1 and isinstance(attr, str) and name is None):
                raise TypeError("alloc(attr, size, *, name=None); for an alignment use "
                                "aligned_alloc(attr, align, size, name=...)")
            warnings.warn("device.alloc(name, attr, size, align=) is deprecated: use "
                          "alloc(attr, size, name=...) or aligned_alloc(attr, align, size, "
                          "name=...), Zephyr's argument order", DeprecationWarning, stacklevel=2)
            return self._alloc(size, 0 if align is None else align, args[0], attr)  # type: ignore[arg-type]
        return self._alloc(attr, 0, size, name)

    def aligned_alloc(self, attr: SmhAttr | int | str, align: int, size: int, *,
                      name: str | None = None) -> Buffer:
        """``shared_multi_heap_aligned_alloc(attr, align, size)`` for this device (see
        :meth:`alloc`)."""
        return self._alloc(attr, align, size, name)

    def dma_alloc(self, attr: SmhAttr | int | str, size: int, *, name: str | None = None) -> Buffer:
        """A buffer a device may DMA into: aligned to the cache line and padded to whole lines
        (``__aligned(CONFIG_DCACHE_LINE_SIZE)`` plus ``ROUND_UP``), so no other allocation
        shares a line with it; a word without a data cache.  The Buffer has the padded size."""
        return self.dma_aligned_alloc(attr, 0, size, name=name)

    def dma_aligned_alloc(self, attr: SmhAttr | int | str, align: int, size: int, *,
                          name: str | None = None) -> Buffer:
        """:meth:`dma_alloc` aligned to ``max(align, cache line)``."""
        line = self.memsys.line_size or WORD
        return self._alloc(attr, max(align, line), round_up(size, line), name)

    def region_alloc(self, default_attr: SmhAttr | int | str, size: int, *,
                     name: str | None = None, align: int = 0, index: int = 0) -> Buffer:
        """A DMA buffer (:meth:`dma_aligned_alloc`) with the SMH attribute of the node's
        ``memory-region`` target ``index`` when it has one, else ``default_attr``.

        ``shared_multi_heap_alloc`` cannot name a heap, so the block may come from an earlier
        heap of the same attribute: the boot log then says so under the device."""
        info = self.memory_region(index)
        attr = SmhAttr[info.attr] if info is not None else default_attr
        buf = self.dma_aligned_alloc(attr, align, size, name=name)
        if info is not None and not (info.addr <= buf.addr and buf.end <= info.end):
            self.log(f"note: '{buf.name}' came from {buf.region}, not memory-region {info.name} "
                     f"(the pool gives the first {_smh_attr(attr).name} heap that fits)")
        return buf

    def memory_region(self, index: int = 0) -> Any:
        """The boot stage's HeapRegionInfo of ``memory-region`` target ``index`` (None when the
        node has no such phandle); DeviceInitError when the target is not an SMH heap."""
        if index >= len(self.memory_regions):
            return None
        target = self.memory_regions[index]
        path = getattr(target, "path", target)
        for info in self.system.regions:
            if info.path == path:
                if info.attr is None or info.heap_index is None:
                    raise DeviceInitError(
                        f"memory-region {info.name} is not an SMH heap ({info.error or 'unmapped'}); "
                        "give it a zephyr,memory-attr that maps to CACHEABLE, NON_CACHEABLE or EXTERNAL"
                    )
                return info
        raise DeviceInitError(
            f"memory-region target {path} has no zephyr,memory-attr; point memory-region at a "
            "zephyr,memory-region node that carries one"
        )

    def _alloc(self, attr: SmhAttr | int | str, align: int, size: int, name: str | None) -> Buffer:
        a = _smh_attr(attr)
        name = name or f"buf{len(self.buffers)}"
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
        buf = Buffer(name, addr, size, a.name, self.system.region_name_at(addr), align, owner)
        rec = self.pool.heap_for(addr)
        if rec is not None:
            buf._track(rec.sys_heap.live)
        self.buffers.append(buf)
        return buf

    def free(self, buf: Buffer) -> None:
        """``shared_multi_heap_free()`` of a buffer from one of the alloc calls.  At STRICT a
        buffer freed already is refused (``DoubleFree``; its address may belong to another
        allocation now), and so is one a DMA transfer in flight still uses
        (``DmaUseAfterFree``, naming the transfer)."""
        if buf.freed and self.pool.config.hardening >= Hardening.STRICT:
            raise self._freed_twice(buf)
        try:
            self.pool.free(buf.addr)
        except DmaUseAfterFree as e:
            if e.buffer is None:
                e.buffer = buf.name
            raise
        buf._freed = True
        self.buffers = [b for b in self.buffers if b is not buf]

    def _freed_twice(self, buf: Buffer) -> DoubleFree:
        blk = self.pool.block_at(buf.addr)
        if blk is None:
            now = "no live block holds that address now"
        else:
            now = (f"block {blk.addr:#x} (owner {blk.owner!r}, {blk.usable} usable bytes) lives "
                   "there now, and freeing it would free that block instead")
        err = DoubleFree(
            f"{self.name}: free of buffer {buf.name!r} at {buf.addr:#x} (owner {buf.owner!r}) "
            f"refused: it was freed already; {now} (a buffer handle used after free)"
        )
        err.check, err.block, err.owner, err.where = "device-free", buf.addr, buf.owner, buf.addr
        return err

    # -------------------------------------------------------------- DMA
    @property
    def dmas(self) -> DmaSpecs:
        """The node's ``dmas``, decoded: ``device.dmas["tx"].controller`` is the controller's
        Device (``DT_DMAS_CTLR_BY_NAME``), ``.cell("channel")`` a specifier cell
        (``DT_DMAS_CELL_BY_NAME``).  Empty without ``dmas``; DeviceInitError when it does not
        decode."""
        if self._dmas is None:
            try:
                self._dmas = decode_dmas(self.system, self.path)
            except DmaSpecError as e:
                raise DeviceInitError(str(e)) from None
        return self._dmas

    def dma_channel(self, name: str | int) -> DmaChannel:
        """The channel of ``dmas[name]`` on the controller the devicetree names: its
        ``channel`` cell, else a free channel of that controller (``dma_request_channel``).
        The same name gives the same :class:`DmaChannel`."""
        try:
            spec = self.dmas[name]
        except (KeyError, IndexError) as e:
            raise DeviceInitError(str(e).strip("'\"")) from None
        ch = self._channels.get(spec.index)  # by name or by index: one channel per entry
        if ch is None:
            engine: DmaController = self.system.dma_controller(spec.controller_path)
            number = spec.channel
            if number is None:
                number = engine.request_channel()
            elif not 0 <= number < engine.channels:
                raise DeviceInitError(
                    f"dmas '{spec.name}': channel {number} does not exist on {spec.controller_path} "
                    f"({engine.channels} channels; set dma-channels on the controller)")
            else:
                engine.claimed.add(number)
            ch = self._channels[spec.index] = DmaChannel(self, spec, engine, number)
        return ch

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
