"""DMA the way a Zephyr driver sees it: ``dmas`` decoded by name, channels of the controller
the devicetree names, ``struct dma_config`` with a completion callback.

* :class:`DmaSpec` is one entry of a node's ``dmas`` phandle-array: the controller
  (``DT_DMAS_CTLR_BY_NAME``) and its specifier cells, by position and by the names the
  controller's binding gives them (``DT_DMAS_CELL_BY_NAME``).
* :class:`DmaController` is the engine of one DMA controller node (``dma-channels`` channels,
  8 when the node does not say), created on first use; every controller numbers its
  transfers in the one sequence of the system, so coherency histories stay unambiguous.
* :class:`DmaChannel` is a channel of that controller held by one device, with Zephyr's calls:
  ``config(DmaConfig)`` (``dma_config()``), ``start()`` (``dma_start()``), ``stop()``
  (``dma_stop()``), plus what the simulated hardware does on its own: ``advance(n)`` (the
  peripheral moves the next ``n`` bytes) and ``complete()`` (the rest, then the callback).

This module knows nothing of :class:`~smh_boot.bootstage.device.Device` beyond its ``name``
and ``path`` and the system it belongs to (no import: device.py imports this module).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable, Iterator

from ..errors import SmhError
from ..memory.dma import DmaDirection, DmaEngine, DmaError, DmaTransfer

#: Zephyr's ``DMA_STATUS_COMPLETE``: the status a callback gets when the transfer is done.
DMA_STATUS_COMPLETE = 0
#: Zephyr's ``DMA_STATUS_BLOCK``: a block of a chain (or of a cyclic transfer) is done.
DMA_STATUS_BLOCK = 1
#: Channels of a controller node without ``dma-channels``.
DEFAULT_CHANNELS = 8

DmaCallback = Callable[[Any, Any, int, int], None]


class DmaSpecError(SmhError, ValueError):
    """A ``dmas`` / ``dma-names`` property that does not decode (the message names the node)."""

    errno_name = "EINVAL"


@dataclass(frozen=True)
class DmaSpec:
    """One entry of ``dmas``: ``name`` (from ``dma-names``, None without it), ``index``,
    ``controller`` (the :class:`Device` bound to the controller node, None when no driver
    takes it), ``controller_path``, ``cells`` (the specifier, in order) and ``cell_names``
    (from the controller's binding ``dma-cells:``, else ``cell0``, ``cell1``...)."""

    name: str | None
    index: int
    controller: Any = field(repr=False)
    controller_path: str
    cells: tuple[int, ...]
    cell_names: tuple[str, ...]

    def cell(self, name: str, default: int | None = None) -> int | None:
        """A specifier cell by name (``DT_DMAS_CELL_BY_NAME(node, tx, channel)`` is
        ``device.dmas["tx"].cell("channel")``); ``default`` when the binding has no such cell."""
        try:
            return self.cells[self.cell_names.index(name)]
        except ValueError:
            return default

    @property
    def channel(self) -> int | None:
        """The ``channel`` cell, or None when the controller's cells have none (then
        :meth:`Device.dma_channel` asks the controller for a free channel)."""
        return self.cell("channel")


class DmaSpecs:
    """A node's ``dmas``, in order, by ``dma-names`` name or by index: ``dmas["tx"]``,
    ``dmas[0]``, ``"rx" in dmas``, ``len(dmas)``, iteration, ``names``."""

    def __init__(self, specs: list[DmaSpec], node: str):
        self._specs = specs
        self._node = node

    def __getitem__(self, key: str | int) -> DmaSpec:
        if isinstance(key, int):
            return self._specs[key]
        for s in self._specs:
            if s.name == key:
                return s
        names = ", ".join(repr(n) for n in self.names) or "none (no dma-names)"
        raise KeyError(f"{self._node} has no dmas entry named {key!r} (dma-names: {names})")

    def get(self, key: str | int, default: Any = None) -> DmaSpec | Any:
        """``dmas[key]``, or ``default`` when there is no such entry."""
        try:
            return self[key]
        except (KeyError, IndexError):
            return default

    def __contains__(self, key: object) -> bool:
        return any(s.name == key for s in self._specs)

    def __iter__(self) -> Iterator[DmaSpec]:
        return iter(self._specs)

    def __len__(self) -> int:
        return len(self._specs)

    @property
    def names(self) -> list[str]:
        """The ``dma-names``, in order (empty without the property)."""
        return [s.name for s in self._specs if s.name is not None]

    def __repr__(self) -> str:
        return f"DmaSpecs({self._specs!r})"


def decode_dmas(system: Any, path: str) -> DmaSpecs:
    """Decode the ``dmas`` (and ``dma-names``) of node ``path`` in ``system``'s devicetree:
    each phandle's controller node gives its ``#dma-cells``.  Raises :class:`DmaSpecError`
    located at the property (file:line)."""
    dt = system.devicetree
    node = dt.get(path)
    if node is None or "dmas" not in node.props:
        return DmaSpecs([], path)
    prop = node.props["dmas"]
    form = "write dmas = <&controller cell ...>, ...; with the controller's #dma-cells cells"

    def fail(message: str, at: Any = prop, hint: str = form) -> DmaSpecError:
        try:
            located = str(dt.error(at, f"{path}: {message}", hint))
        except Exception:  # noqa: BLE001 - no location for this value: the message alone
            located = f"{path}: {message} ({hint})"
        return DmaSpecError(located)

    raw = prop.value
    if len(raw) % 4:
        raise fail("dmas must be a list of 32-bit cells")
    cells = [int.from_bytes(raw[i : i + 4], "big") for i in range(0, len(raw), 4)]
    try:
        names = dt.strings_prop(node, "dma-names") if "dma-names" in node.props else []
    except SmhError as e:
        raise DmaSpecError(f"{path}: {e}") from e
    specs: list[DmaSpec] = []
    pos = 0
    while pos < len(cells):
        ctrl = dt.phandle_node(cells[pos])
        if ctrl is None:
            raise fail(f"dmas entry {len(specs)} does not start with a phandle "
                       f"(cell {pos} is {cells[pos]:#x})")
        n = dt.int_prop(ctrl, "#dma-cells", None)
        if n is None:
            raise fail(f"dmas controller {ctrl.path} has no #dma-cells",
                       hint="point dmas at a DMA controller node (one with #dma-cells)")
        spec = tuple(cells[pos + 1 : pos + 1 + n])
        if len(spec) != n:
            raise fail(f"dmas entry {len(specs)} has {len(spec)} cell(s) after &{ctrl.name}, "
                       f"whose #dma-cells is {n}")
        specs.append(DmaSpec(
            name=None, index=len(specs), controller=_device_at(system, ctrl.path),
            controller_path=ctrl.path, cells=spec,
            cell_names=_cell_names(system, ctrl, n),
        ))
        pos += 1 + n
    if names:
        if len(names) != len(specs):
            raise fail(f"dma-names has {len(names)} name(s) for {len(specs)} dmas entries",
                       at=node.props["dma-names"], hint="give one name per dmas entry")
        specs = [DmaSpec(nm, s.index, s.controller, s.controller_path, s.cells, s.cell_names)
                 for nm, s in zip(names, specs)]
    return DmaSpecs(specs, path)


def dmas_controllers(dt: Any, node: Any) -> list[Any]:
    """The controller nodes a node's ``dmas`` names, in order, as far as the property decodes
    (the boot stage's dependency list; :func:`decode_dmas` reports what does not decode)."""
    prop = node.props.get("dmas")
    if prop is None or len(prop.value) % 4:
        return []
    raw = prop.value
    cells = [int.from_bytes(raw[i : i + 4], "big") for i in range(0, len(raw), 4)]
    out, pos = [], 0
    while pos < len(cells):
        ctrl = dt.phandle_node(cells[pos])
        if ctrl is None:
            break
        try:  # a target without #dma-cells counts as a bare phandle (decode_dmas refuses it)
            n = dt.int_prop(ctrl, "#dma-cells", 0) or 0
        except SmhError:
            n = 0
        if all(c.path != ctrl.path for c in out):
            out.append(ctrl)
        pos += 1 + n
    return out


def _device_at(system: Any, path: str) -> Any:
    for d in system.device_list:
        if d.path == path:
            return d
    return None


def _cell_names(system: Any, ctrl: Any, n: int) -> tuple[str, ...]:
    """Names of a controller's specifier cells: its driver's ``dma_cells`` (a tuple, or a
    dict by compatible), else the shipped binding's ``dma-cells:``, else ``cell0``..."""
    dev = _device_at(system, ctrl.path)
    declared = getattr(getattr(dev, "driver", None), "dma_cells", None)
    if isinstance(declared, dict):
        declared = declared.get(dev.compatible)
    if not declared:
        for compat in system.devicetree.compatibles(ctrl):
            declared = _binding_cells().get(compat)
            if declared:
                break
    names = tuple(declared or ())[:n]
    return names + tuple(f"cell{i}" for i in range(len(names), n))


@lru_cache(maxsize=1)
def _binding_cells() -> dict[str, tuple[str, ...]]:
    """``compatible -> dma-cells`` of the shipped bindings."""
    import yaml

    from ..resources import dts_dir

    out: dict[str, tuple[str, ...]] = {}
    for f in sorted((dts_dir() / "bindings").rglob("*.yaml")):
        try:
            doc = yaml.safe_load(f.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError):
            continue
        if isinstance(doc, dict) and doc.get("compatible") and doc.get("dma-cells"):
            out[str(doc["compatible"])] = tuple(str(c) for c in doc["dma-cells"])
    return out


class DmaController(DmaEngine):
    """The engine of one DMA controller node: ``path``, ``channels`` (its ``dma-channels``)
    and :meth:`request_channel` (Zephyr's ``dma_request_channel()``).  Transfer numbers come
    from the system's sequence (``numbering``, the system's default engine)."""

    def __init__(self, memsys: Any, channels: int, path: str, numbering: DmaEngine):
        self._numbering = numbering
        self.path = path
        self.claimed: set[int] = set()
        super().__init__(memsys, channels)

    @property  # type: ignore[override]
    def _next_id(self) -> int:
        return self._numbering._next_id

    @_next_id.setter
    def _next_id(self, value: int) -> None:
        if "path" in self.__dict__:  # DmaEngine.__init__'s "= 1" must not reset the sequence
            self._numbering._next_id = value

    def request_channel(self) -> int:
        """The lowest channel no device holds; DmaError when all are taken."""
        for ch in range(self.channels):
            if ch not in self.claimed:
                self.claimed.add(ch)
                return ch
        raise DmaError(f"DMA controller {self.path}: all {self.channels} channels are taken")


@dataclass
class DmaBlockConfig:
    """Zephyr's ``struct dma_block_config``: ``source_address``, ``dest_address``,
    ``block_size`` in bytes, ``next_block`` (a chain runs block after block).  For a
    memory-to-peripheral block ``dest_address`` is the peripheral's register (not memory, not
    written); for peripheral-to-memory ``source_address`` is.

    A memory end may be a ``Buffer`` or ``BufferView`` instead of an address: the transfer
    then keeps the handle, and at STRICT a start through a handle whose buffer was freed is
    refused (``DmaUseAfterFree``), even when the pool has reused the memory."""

    source_address: Any = 0  #: an address, or a Buffer / BufferView
    dest_address: Any = 0  #: an address, or a Buffer / BufferView
    block_size: int = 0
    next_block: "DmaBlockConfig | None" = None


@dataclass
class DmaConfig:
    """Zephyr's ``struct dma_config`` (the fields the model uses): ``channel_direction``
    (:class:`~smh_boot.memory.DmaDirection`), ``head_block`` (:class:`DmaBlockConfig`),
    ``dma_callback(dev, user_data, channel, status)`` called when the last block completes
    (``dev`` is the controller's Device, or None when no driver is bound to it; ``status``
    0 = ``DMA_STATUS_COMPLETE``) and, with ``complete_callback_en``, after every other block
    (``DMA_STATUS_BLOCK``), ``user_data``, ``cyclic`` (after the last block the chain starts
    again from the head: a ring, ping-pong buffers), ``dma_slot``, ``source_data_size`` /
    ``dest_data_size`` (bytes per beat; a block must be a multiple of them).
    ``requires_noncacheable`` is smh-boot's: the device needs its buffers non-cacheable
    (checked at start, ``CACHEABLE_BUFFER_FOR_DMA``)."""

    channel_direction: DmaDirection
    head_block: DmaBlockConfig
    dma_callback: DmaCallback | None = None
    user_data: Any = None
    complete_callback_en: bool = False
    cyclic: bool = False
    dma_slot: int = 0
    source_data_size: int = 1
    dest_data_size: int = 1
    requires_noncacheable: bool = False

    @property
    def blocks(self) -> list[DmaBlockConfig]:
        """The block chain, head first."""
        out, b = [], self.head_block
        while b is not None:
            if any(x is b for x in out):
                raise DmaError("dma_config: the next_block chain loops")
            out.append(b)
            b = b.next_block
        return out

    @property
    def block_count(self) -> int:
        """Number of blocks in the chain."""
        return len(self.blocks)


class DmaChannel:
    """One channel of the controller a device's ``dmas`` entry names, held by that device.

    ``controller`` (Device or None), ``engine`` (:class:`DmaController`), ``channel`` (number),
    ``spec`` (:class:`DmaSpec`), ``transfer`` (the block in flight, or None), ``block_index``
    (its place in the chain; inside a callback, the block that just completed), ``received`` (what the peripheral read from memory since
    :meth:`start`: TX bytes)."""

    def __init__(self, device: Any, spec: DmaSpec, engine: DmaController, channel: int):
        self.device = device
        self.spec = spec
        self.engine = engine
        self.channel = channel
        self.controller = spec.controller
        self.transfer: DmaTransfer | None = None
        self.block_index = 0
        self.received = b""
        self._cfg: DmaConfig | None = None
        self._blocks: list[DmaBlockConfig] = []
        self._data: list[bytes | None] = []

    def __repr__(self) -> str:
        return (f"DmaChannel({self.device.name} {self.spec.name or self.spec.index!r}: "
                f"{self.spec.controller_path} channel {self.channel})")

    @property
    def busy(self) -> bool:
        """True between :meth:`start` and completion or :meth:`stop`."""
        return self.transfer is not None

    def config(self, cfg: DmaConfig) -> None:
        """``dma_config()``: check and keep ``cfg`` for the next :meth:`start`.  DmaError for a
        busy channel, a block of size 0, a size that is not a multiple of the data size, or a
        direction the model does not know."""
        if self.busy:
            raise DmaError(f"{self!r} is busy; dma_stop() it or let it complete before dma_config()")
        if not isinstance(cfg.channel_direction, DmaDirection):
            raise DmaError(f"dma_config: channel_direction must be a DmaDirection, not "
                           f"{cfg.channel_direction!r}")
        beat = max(cfg.source_data_size, cfg.dest_data_size, 1)
        for i, b in enumerate(cfg.blocks):
            if b.block_size <= 0 or b.block_size % beat:
                raise DmaError(f"dma_config: block {i} has block_size {b.block_size}; it must be "
                               f"a positive multiple of the {beat}-byte data size")
        self._cfg = cfg

    @property
    def _p2m(self) -> bool:
        return self._cfg is not None and self._cfg.channel_direction is DmaDirection.PERIPHERAL_TO_MEMORY

    def start(self, data: bytes | bytearray | None = None) -> DmaTransfer:
        """``dma_start()``: start the first configured block.  ``data`` is what the peripheral
        sends for a peripheral-to-memory configuration (as many bytes as all blocks together;
        a cyclic transfer's later passes get theirs from :meth:`complete_block`).  Returns the
        first block's transfer; CoherencyError when the checker objects."""
        cfg = self._cfg
        if cfg is None:
            raise DmaError(f"{self!r}: dma_start() before dma_config()")
        if self.busy:
            raise DmaError(f"{self!r} is already running")
        blocks = cfg.blocks
        total = sum(b.block_size for b in blocks)
        if self._p2m and (data is None or len(data) != total):
            got = "no data" if data is None else f"{len(data)} bytes"
            raise DmaError(f"{self!r}: a peripheral-to-memory start needs the peripheral's "
                           f"{total} bytes, got {got}")
        if not self._p2m and data is not None:
            raise DmaError(f"{self!r}: data is only for peripheral-to-memory transfers")
        self._blocks = blocks
        self._data, pos = [], 0
        for b in blocks:
            self._data.append(bytes(data[pos : pos + b.block_size]) if data is not None else None)
            pos += b.block_size
        self.received = b""
        return self._start_block(0)

    def _start_block(self, index: int) -> DmaTransfer:
        assert self._cfg is not None
        block, data = self._blocks[index], self._data[index]
        d = self._cfg.channel_direction
        src = block.source_address if d is not DmaDirection.PERIPHERAL_TO_MEMORY else None
        dst = block.dest_address if d is not DmaDirection.MEMORY_TO_PERIPHERAL else None
        t = self.engine.start(self.channel, device=self.device.name, src=src, dst=dst,
                              size=block.block_size, data=data,
                              requires_noncacheable=self._cfg.requires_noncacheable)
        self.transfer, self.block_index = t, index
        return t

    def _took(self, t: DmaTransfer) -> None:
        """Memory-to-peripheral: the bytes the peripheral read from memory (the memory model
        reads them as the transfer progresses, so a CPU write in flight is seen) join
        :attr:`received` when the block ends."""
        if t.result is not None and self._cfg is not None \
                and self._cfg.channel_direction is DmaDirection.MEMORY_TO_PERIPHERAL:
            self.received += t.result

    def advance(self, nbytes: int) -> int:
        """The peripheral writes its next ``nbytes`` of the block in flight (see
        :meth:`DmaEngine.advance`); returns how many it wrote."""
        if self.transfer is None:
            raise DmaError(f"{self!r} is not running")
        return self.engine.advance(self.transfer, nbytes)

    def complete_block(self, data: bytes | bytearray | None = None) -> DmaTransfer | None:
        """The hardware finishes the block in flight and moves on, as a block-done interrupt
        would: with ``complete_callback_en`` the callback gets ``DMA_STATUS_BLOCK``, then the
        next block starts (after the last one, the head again when ``cyclic``).  ``data`` is the
        peripheral's bytes for that next block when it starts a new pass of a cyclic
        peripheral-to-memory transfer.  Returns the new block's transfer, or None when the last
        block is done (then the callback gets ``DMA_STATUS_COMPLETE``)."""
        cfg, t = self._cfg, self.transfer
        if t is None or cfg is None:
            raise DmaError(f"{self!r} is not running")
        nxt = self.block_index + 1
        if nxt >= len(self._blocks) and cfg.cyclic:
            nxt = 0
            if self._p2m:
                if data is None or len(data) != self._blocks[0].block_size:
                    got = "no data" if data is None else f"{len(data)} bytes"
                    raise DmaError(f"{self!r}: the next pass of a cyclic peripheral-to-memory "
                                   f"transfer needs the peripheral's {self._blocks[0].block_size} "
                                   f"bytes for block 0, got {got}")
                self._data = [bytes(data), *([None] * (len(self._blocks) - 1))]
        elif cfg.cyclic and self._p2m and nxt > 0 and self._data[nxt] is None:
            if data is None or len(data) != self._blocks[nxt].block_size:
                raise DmaError(f"{self!r}: block {nxt} of this pass needs the peripheral's "
                               f"{self._blocks[nxt].block_size} bytes")
            self._data[nxt] = bytes(data)
        elif data is not None:
            raise DmaError(f"{self!r}: data is only for the next pass of a cyclic "
                           "peripheral-to-memory transfer")
        self.engine.complete(t)
        self._took(t)
        self.transfer = None
        if nxt >= len(self._blocks):
            if cfg.dma_callback is not None:
                cfg.dma_callback(self.controller, cfg.user_data, self.channel, DMA_STATUS_COMPLETE)
            return None
        if cfg.complete_callback_en and cfg.dma_callback is not None:
            cfg.dma_callback(self.controller, cfg.user_data, self.channel, DMA_STATUS_BLOCK)
        return self._start_block(nxt)

    def complete(self) -> bytes:
        """The hardware finishes every remaining block (see :meth:`complete_block`), ending
        with ``dma_callback(controller, user_data, channel, DMA_STATUS_COMPLETE)``.  Returns
        :attr:`received` (what a memory-to-peripheral run sent; ``b""`` otherwise).  A cyclic
        transfer never completes: DmaError (use :meth:`complete_block` and :meth:`stop`)."""
        if self.transfer is None:
            raise DmaError(f"{self!r} is not running")
        assert self._cfg is not None
        if self._cfg.cyclic:
            raise DmaError(f"{self!r}: a cyclic transfer never completes; call complete_block() "
                           "per block and stop() to end it")
        while self.complete_block() is not None:
            pass
        return self.received

    def stop(self) -> None:
        """``dma_stop()``: abort the block in flight (bytes not yet written never reach memory)
        and drop the rest; no callback.  A no-op on an idle channel, as in Zephyr."""
        if self.transfer is not None:
            self.engine.abort(self.transfer)
            self._took(self.transfer)  # what the peripheral read before the abort
        self.transfer = None
