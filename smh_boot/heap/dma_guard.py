"""The pool's watch over DMA transfers (STRICT): no transfer uses a freed buffer.

A DMA engine with this guard (``DmaEngine(memsys, guard=pool.dma_guard)``; every boot installs
it) tells the pool when a transfer starts, moves a piece and ends:

* **start**: a source or destination given as a buffer *handle* (a driver's ``Buffer`` or
  ``BufferView``) whose block was freed is refused (:class:`DmaUseAfterFree`, naming the
  handle and the block that lives there now); otherwise the live blocks the transfer reads and
  writes are *held* until it ends.
* **a held block's free or realloc** is refused at that call (the driver's bug in Zephyr
  terms: the device would go on using memory the pool may hand to someone else), naming the
  transfer.  A transfer that completed or was stopped holds nothing.
* **every step** checks that each held block is still the allocation the transfer started
  with (a free that went round the pool, e.g. through a ``SysHeap`` or a saved bound method,
  is caught at the transfer's next piece, naming the block that lives there now; a handle's
  block is held like any other).

Handles are duck-typed (this layer knows nothing of drivers): an object with an int ``addr``
and a ``freed`` flag, or with a ``buffer`` that has them (a view), and optionally ``name``
and ``owner``.  Transfers are duck-typed on the DMA engine's ``DmaTransfer`` fields.  Below
STRICT the guard does nothing, as Zephyr has no such check.
"""

from __future__ import annotations

from typing import Any

from ..errors import DmaUseAfterFree
from . import introspect as _introspect
from .config import Hardening

_GONE = object()


def transfer_text(t: Any) -> str:
    """``DMA channel N of device X (transfer #k)``: the DMA writer, as the heap reports name it."""
    return f"DMA channel {t.channel} of device {t.device} (transfer #{t.id})"


def _progress(t: Any) -> str:
    moved = t.written if t.dst is not None else t.read
    return f"{moved} of {t.size} bytes moved"


def _owner_text(owner: Any) -> str:
    return "no owner tag" if owner is None else f"owner {owner!r}"


def _handle_buffer(handle: Any) -> Any:
    """The buffer behind a handle (a view's ``buffer``, else the handle itself)."""
    inner = getattr(handle, "buffer", None)
    return inner if inner is not None and hasattr(inner, "addr") else handle


def handle_freed(handle: Any) -> bool:
    """True when the buffer behind ``handle`` says it was freed."""
    return bool(getattr(_handle_buffer(handle), "freed", False))


def _handle_text(handle: Any) -> tuple[str, str | None]:
    """(``buffer 'rx' (view 'payload') at 0x.. (owner 'dev:rx')``, the buffer's name)."""
    buf = _handle_buffer(handle)
    name = getattr(buf, "name", None)
    text = f"buffer {name!r}" if name is not None else "a buffer handle"
    if buf is not handle and getattr(handle, "name", None) is not None:
        text += f" (view {handle.name!r})"
    text += f" at {buf.addr:#x}"
    owner = getattr(buf, "owner", None)
    if owner is not None:
        text += f" ({_owner_text(owner)})"
    return text, name


class PoolDmaGuard:
    """The :class:`~smh_boot.memory.dma.DmaGuard` of one SharedMultiHeap (``pool.dma_guard``).

    ``held``: transfer -> the blocks it holds, as ``(block start, role, owner tag, live
    table)``."""

    def __init__(self, pool: Any):
        self.pool = pool
        self.held: dict[Any, list[tuple[int, str, Any, dict]]] = {}

    def _strict(self) -> bool:
        return self.pool.config.hardening >= Hardening.STRICT

    # ---------------------------------------------------------------- DmaGuard protocol
    def start(self, t: Any) -> None:
        """Refuse a transfer through a freed handle; hold the live blocks it reads and writes."""
        if not self._strict():
            return
        for role, handle in (("source", t.src_buffer), ("destination", t.dst_buffer)):
            if handle is not None and handle_freed(handle):
                raise self._through_freed_handle(t, role, handle)
        pool = self.pool
        held = []
        for role, addr in (("source", t.src), ("destination", t.dst)):
            if addr is None:
                continue
            blk = pool.block_at(addr)
            if blk is None:
                continue  # free memory, metadata, outside every heap: write_check's business
            live = pool.heaps[blk.heap_index].sys_heap.live
            held.append((blk.addr, role, blk.owner, live))
        if held:
            self.held[t] = held
            for p, *_ in held:
                pool._hold(p, t)

    def step(self, t: Any) -> None:
        """Before a piece moves: every held block (a handle's too) is still the allocation the
        transfer began with (a free that went round the pool's check)."""
        for p, role, owner, live in self.held.get(t, ()):
            if live.get(p, _GONE) is not owner:
                raise self._freed_in_flight(t, role, p, owner)

    def end(self, t: Any) -> None:
        """The transfer completed, was stopped or was refused: it holds nothing any more."""
        for p, *_ in self.held.pop(t, ()):
            self.pool._release(p, t)

    # ---------------------------------------------------------------- reports
    def _now(self, addr: int) -> tuple[int | None, Any, str]:
        blk = self.pool.block_at(addr)
        if blk is None:
            return None, None, "no live block holds that address now (free heap memory?)"
        heap = self.pool.heaps[blk.heap_index].sys_heap
        return blk.addr, blk.owner, f"{_introspect.describe_block(heap, blk.addr)} lives there now"

    def _through_freed_handle(self, t: Any, role: str, handle: Any) -> DmaUseAfterFree:
        text, name = _handle_text(handle)
        buf = _handle_buffer(handle)
        now_block, now_owner, now = self._now(handle.addr)
        verb = f"write {t.size} byte(s) into" if role == "destination" else f"read {t.size} byte(s) from"
        err = DmaUseAfterFree(
            f"DMA refused: {transfer_text(t)} would {verb} {text} through its handle, but that "
            f"buffer was freed; {now}: a buffer handle used after free (keep the buffer until the "
            "device is done with it, or allocate a new one for this transfer)"
        )
        return _fill(err, t, check="dma-handle", block=buf.addr,
                     owner=getattr(buf, "owner", None), buffer=name, now_block=now_block,
                     now_owner=now_owner, offset=handle.addr - buf.addr, where=handle.addr)

    def _freed_in_flight(self, t: Any, role: str, p: int, owner: Any) -> DmaUseAfterFree:
        now_block, now_owner, now = self._now(p)
        err = DmaUseAfterFree(
            f"DMA stopped: {transfer_text(t)} ({_progress(t)}) still uses block {p:#x} "
            f"({_owner_text(owner)}) as its {role}, but the block was freed while the transfer "
            f"was in flight (the free went round the pool's check); {now}: stop the transfer "
            "(dma_stop) or let it complete before freeing its buffer"
        )
        return _fill(err, t, check="dma-step", block=p, owner=owner, now_block=now_block,
                     now_owner=now_owner, where=p)


def freed_under_dma(pool: Any, op: str, ptr: int, holders: list[Any]) -> DmaUseAfterFree:
    """The report of a free/realloc (``op``) of block ``ptr`` that transfers in flight hold."""
    t = holders[0]
    heap = pool.heap_for(ptr).sys_heap  # a held block lies in a heap of the pool
    block = _introspect.describe_block(heap, ptr)
    guard = pool.dma_guard
    role = next((r for p, r, _o, _l in guard.held.get(t, ()) if p == ptr), "buffer")
    others = f" (and {len(holders) - 1} other transfer(s))" if len(holders) > 1 else ""
    err = DmaUseAfterFree(
        f"{op}({ptr:#x}) refused: {block} is the {role} of {transfer_text(t)}{others}, still in "
        f"flight ({_progress(t)}): the device would go on using memory the pool may hand to "
        "someone else; stop the transfer (dma_stop) or let it complete before freeing its buffer"
    )
    return _fill(err, t, check=f"dma-{op}", block=ptr, owner=heap.owner_of(ptr), where=ptr)


def _fill(err: DmaUseAfterFree, t: Any, **kw: Any) -> DmaUseAfterFree:
    err.kind = "dma-use-after-free"
    err.device, err.channel, err.transfer = t.device, t.channel, t.id
    err.writer = transfer_text(t)
    for k, v in kw.items():
        setattr(err, k, v)
    return err
