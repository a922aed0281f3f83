"""The booted system: everything a user, a test or the CLI looks at after ``boot()``."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any

from .device import Device
from .dmas import DEFAULT_CHANNELS, DmaController


@dataclass
class HeapRegionInfo:
    """One SMH heap the platform stage added (or tried to add)."""

    name: str  #: zephyr,memory-region name, else the node name
    path: str
    addr: int
    size: int
    attr: str | None  #: SMH attribute name, None when unmapped
    dt_attr: int | None
    decoded: str  #: decoded zephyr,memory-attr bits
    heap_index: int | None = None  #: index in pool.heaps (None when not added)
    error: str | None = None  #: why it is not a heap
    record: Any = field(default=None, repr=False)  #: the devicetree RegionRecord

    @property
    def end(self) -> int:
        """One past the last byte."""
        return self.addr + self.size


@dataclass(eq=False)
class System:
    """A booted board.

    Attributes: ``board`` (Board), ``devicetree`` (Devicetree), ``regions`` (every
    ``zephyr,memory-attr`` region as :class:`HeapRegionInfo`, devicetree order), ``pool`` (the
    initialised SharedMultiHeap), ``mem_attr`` (MemAttr table), ``mem_attr_heap`` (MemAttrHeap or
    None), ``memory`` (AddressSpace), ``memsys`` (MemorySystem: CPU view, DMA view, cache),
    ``cache`` (DataCache or None), ``dma`` (the default DmaEngine; :meth:`dma_controller` gives
    the engine of a DMA controller node), ``devices`` (by node name, path and
    label), ``log`` (boot log lines), ``diagnostics`` (validator findings), ``seed``,
    ``warnings`` (what the target's inference could not settle, see ``board.warnings``).
    """

    board: Any
    devicetree: Any
    regions: list[HeapRegionInfo]
    pool: Any
    mem_attr: Any
    mem_attr_heap: Any
    memory: Any
    memsys: Any
    cache: Any
    dma: Any
    device_list: list[Device]
    log: list[str]
    diagnostics: list[Any]
    seed: int = 0
    unbound: list[str] = field(default_factory=list)  #: paths of status-okay nodes no driver takes
    #: the same nodes as dicts: path, name, compatible, kind (device/memory/cpu/bus/board), reason
    unbound_nodes: list[dict] = field(default_factory=list)
    booted: bool = False  #: set once boot() has finished
    _dma_controllers: dict[str, DmaController] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._index: dict[str, Device] = {}
        for d in self.device_list:
            for key in (d.name, d.path, *d.labels):
                self._index.setdefault(key, d)
        heaps = sorted((r for r in self.regions if r.heap_index is not None), key=lambda r: r.addr)
        self._heap_bases = [r.addr for r in heaps]
        self._heap_regions = heaps

    def __repr__(self) -> str:  # short: pytest prints it beside every failing test's arguments
        name = getattr(self.board, "name", self.board)
        return f"<System {name} seed {self.seed}: {len(self.device_list)} device(s)>"

    # ------------------------------------------------------------------ lookups
    @property
    def devices(self) -> dict[str, Device]:
        """Devices by node name, path and label."""
        return dict(self._index)

    def device(self, key: str) -> Device:
        """A device by node name, path or label (KeyError listing the known names)."""
        try:
            return self._index[key]
        except KeyError:
            known = ", ".join(d.name for d in self.device_list) or "none"
            raise KeyError(f"no device {key!r} (devices: {known})") from None

    def region(self, name: str) -> HeapRegionInfo:
        """A heap region by zephyr,memory-region name, node name or path."""
        for r in self.regions:
            if name in (r.name, r.path, r.path.rsplit("/", 1)[-1]):
                return r
        raise KeyError(f"no region {name!r}")

    def region_name_at(self, addr: int) -> str | None:
        """Name of the heap region holding ``addr`` (None outside every heap region)."""
        i = bisect.bisect_right(self._heap_bases, addr) - 1
        if i >= 0 and addr < self._heap_regions[i].end:
            return self._heap_regions[i].name
        return None

    def dma_controller(self, path: str) -> DmaController:
        """The engine of the DMA controller node at ``path`` (created on first use, with the
        node's ``dma-channels``, else 8 channels)."""
        eng = self._dma_controllers.get(path)
        if eng is None:
            node = self.devicetree.get(path)
            n = self.devicetree.int_prop(node, "dma-channels", None) if node is not None else None
            eng = DmaController(self.memsys, n or DEFAULT_CHANNELS, path, self.dma)
            # Whatever the boot stage installed on the default engine (the heap's check of
            # DMA writes into free blocks, its guard against freed buffers under DMA) guards
            # every controller's transfers too.
            for hook in ("write_check", "guard"):
                if hasattr(self.dma, hook):
                    setattr(eng, hook, getattr(self.dma, hook))
            self._dma_controllers[path] = eng
        return eng

    @property
    def coherency_errors(self) -> list[Any]:
        """The CoherencyErrors devices' ``init()`` raised, in init order (their devices are
        not ready; each error's ``.report`` is the full coherency report)."""
        from ..errors import CoherencyError

        return [d.init_exception for d in self.device_list
                if isinstance(d.init_exception, CoherencyError)]

    @property
    def warnings(self) -> tuple[str, ...]:
        """What smh-boot could not infer about this target or had to choose (each names the
        flag or keyword to pass); empty for a board file, which states everything."""
        return tuple(getattr(self.board, "warnings", ()) or ())

    @property
    def ready(self) -> bool:
        """True when every device initialised."""
        return all(d.ready for d in self.device_list)

    @property
    def log_text(self) -> str:
        """The boot log as one string."""
        return "\n".join(self.log) + "\n"
