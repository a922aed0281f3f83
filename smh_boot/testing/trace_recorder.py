"""Record what a booted system does to its shared multi-heap, as a replayable golden trace.

:class:`TraceRecorder` is a proxy around a ``SharedMultiHeap``.  Install it through
``boot(pool_hook=...)`` and it sees the pool from ``pool_init()`` on: every region the platform
stage adds and every allocation a driver or a test makes.  :meth:`TraceRecorder.to_trace` turns
that history into the golden trace format (``zephyr-shared-multi-heap-golden/1``), so that
``smh-boot replay`` (or Zephyr's own heap, through the C oracle) can run the same sequence again.

Translation rules (the golden format describes regions by placement, not address):

* a region becomes ``{"op": "add", "attr", "base_mod": addr % 4096, "size"}``: the replay
  places it in its own buffer at the same offset modulo 4096, which keeps every chunk boundary
  and therefore every result relative to the region base;
* pointers become tags (``p1``, ``p2``...); a freed pointer that is not the start of a live
  tagged block but lies in a region (an interior pointer) is recorded as ``free_raw`` with its
  region index and offset, exactly what the C harness would free; a pointer outside every
  region is recorded as a free of the unknown tag ``foreign_0x...`` (replayed as
  ``free(NULL)``: the format has no way to name such an address);
* an operation that raised (double free, corruption, bad alignment) is still recorded: the
  trace then ends with the operation that fails, and ``terminated`` says how.

Only the pool is recorded; direct ``SysHeap`` use and ``mem_attr_heap`` are not SMH operations.
"""

from __future__ import annotations

import threading
from typing import Any

from ..heap.config import HeapConfig
from ..heap.region import SMH_REG_ATTR_NUM as _MAX_ATTR
from ..heap.trace import FORMAT, config_block


def _attr_int(attr: Any) -> Any:
    """The SMH attribute as the C enum value (ints and IntEnums pass through)."""
    try:
        return int(attr)
    except (TypeError, ValueError):
        return attr


class TraceRecorder:
    """A recording proxy around a ``SharedMultiHeap``; use it as ``boot(pool_hook=TraceRecorder)``.

    Every attribute that is not a recorded operation (``heaps``, ``blocks()``, ``block_at()``,
    ``config``...) is forwarded to the wrapped pool, so the rest of the system cannot tell the
    difference.  Recording is serialised with its own lock so that concurrent callers (threads)
    produce one consistent order, the order in which the pool executed the calls.
    """

    def __init__(self, pool: Any):
        self._pool = pool
        self._lock = threading.Lock()
        self.ops: list[dict[str, Any]] = []  #: the recorded ops, golden format
        self.terminated: dict[str, Any] | None = None
        self._regions: list[tuple[int, int] | None] = []  # index -> (base, size), None if failed
        self._tags: dict[int, str] = {}  # live block start -> tag
        self._next_tag = 0
        # (op index, what, value): what is "ret" (a pointer or None), "region" or None.  Kept
        # raw on the hot path; :attr:`returns` turns pointers into [region, offset] on demand.
        self._rets: list[tuple[int, str | None, Any]] = []

    # ------------------------------------------------------------------ proxying
    def __getattr__(self, name: str) -> Any:
        # Only called for names not found on the recorder itself.
        return getattr(self._pool, name)

    @property
    def wrapped(self) -> Any:
        """The real pool."""
        return self._pool

    @property
    def returns(self) -> list[dict[str, Any]]:
        """What each recorded op returned: ``{"i"}`` plus ``"region"`` for an add and ``"ret"``
        (``[region, offset]`` or None) for an allocation, as the golden results have them."""
        with self._lock:
            rets = list(self._rets)
        out = []
        for i, what, value in rets:
            r: dict[str, Any] = {"i": i}
            if what == "ret":
                r["ret"] = self._where(value)
            elif what == "region":
                r["region"] = value
            out.append(r)
        return out

    # ------------------------------------------------------------------ recorded operations
    def pool_init(self, *args: Any, **kwargs: Any) -> Any:
        """``shared_multi_heap_pool_init()``."""
        with self._lock:
            self._begin({"op": "init_pool"})
            out = self._call(self._pool.pool_init, *args, **kwargs)
            self._rets.append((len(self.ops) - 1, None, None))
            return out

    def add(self, region: Any, user_data: Any = None, **kwargs: Any) -> Any:
        """``shared_multi_heap_add(region, user_data)``."""
        addr, size = int(region.addr), int(region.size)
        with self._lock:
            self._begin({"op": "add", "attr": _attr_int(region.attr), "base_mod": addr % 4096,
                         "size": size})
            self._regions.append(None)  # a failed add still uses up an index (golden rule)
            out = self._call(self._pool.add, region, user_data, **kwargs)
            self._regions[-1] = (addr, size)
            self._rets.append((len(self.ops) - 1, "region", len(self._regions) - 1))
            return out

    def alloc(self, attr: Any, size: int, **kwargs: Any) -> int | None:
        """``shared_multi_heap_alloc(attr, size)``."""
        with self._lock:
            self._next_tag += 1
            tag = f"p{self._next_tag}"
            self._begin({"op": "alloc", "attr": _attr_int(attr), "size": size, "tag": tag})
            out = self._call(self._pool.alloc, attr, size, **kwargs)
            return self._allocated(out, tag)

    def aligned_alloc(self, attr: Any, align: int, size: int, **kwargs: Any) -> int | None:
        """``shared_multi_heap_aligned_alloc(attr, align, size)``."""
        with self._lock:
            self._next_tag += 1
            tag = f"p{self._next_tag}"
            self._begin({"op": "aligned_alloc", "attr": _attr_int(attr), "align": align,
                         "size": size, "tag": tag})
            out = self._call(self._pool.aligned_alloc, attr, align, size, **kwargs)
            return self._allocated(out, tag)

    def realloc(self, attr: Any, ptr: int | None, size: int, **kwargs: Any) -> int | None:
        """``shared_multi_heap_realloc(attr, ptr, size)`` (always with a fresh ``newtag``)."""
        with self._lock:
            self._next_tag += 1
            new = f"p{self._next_tag}"
            old_start = ptr
            if ptr is not None and ptr not in self._tags:
                # The golden format names realloc's pointer by tag only; an interior pointer is
                # recorded as its block's tag (the block Zephyr resolves it to).
                old_start = self._containing_start(ptr)
            old = None if old_start is None else self._tags.get(old_start)
            self._begin({"op": "realloc", "attr": _attr_int(attr), "tag": old, "size": size,
                         "newtag": new})
            out = self._call(self._pool.realloc, attr, ptr, size, **kwargs)
            if out is not None:
                if old_start is not None:
                    self._tags.pop(old_start, None)
                self._tags[out] = new
            elif size == 0 and old_start is not None and _attr_int(attr) < _MAX_ATTR:
                self._tags.pop(old_start, None)  # realloc(p, 0) frees p
            self._rets.append((len(self.ops) - 1, "ret", out))
            return out

    def free(self, ptr: int | None, **kwargs: Any) -> Any:
        """``shared_multi_heap_free(ptr)``."""
        with self._lock:
            tags = self._tags
            victim = None  # start of the tagged block this free releases
            if ptr is None:
                op: dict[str, Any] = {"op": "free", "tag": None}
            elif ptr in tags:
                victim = ptr
                op = {"op": "free", "tag": tags[ptr]}
            else:
                victim = self._containing_start(ptr)
                where = self._where(ptr)
                if where is not None:
                    # Interior pointer: the C harness frees region base + offset.
                    op = {"op": "free_raw", "region": where[0], "offset": where[1]}
                else:
                    # Outside every region: the format cannot place it; an unknown tag
                    # replays as free(NULL), and the name keeps the address for a reader.
                    op = {"op": "free", "tag": f"foreign_{ptr:#x}"}
            self._begin(op)
            out = self._call(self._pool.free, ptr, **kwargs)
            if victim is not None:
                tags.pop(victim, None)
            self._rets.append((len(self.ops) - 1, None, None))
            return out

    # ------------------------------------------------------------------ output
    def to_trace(self, name: str = "recorded", description: str = "",
                 generator: dict[str, Any] | None = None) -> dict[str, Any]:
        """The recorded history as a golden-format trace dict (``results`` are left to the
        replay: it recomputes them, so they are not duplicated here)."""
        with self._lock:
            ops = [dict(o) for o in self.ops]
            terminated = dict(self.terminated) if self.terminated else None
        cfg = getattr(self._pool, "config", None) or HeapConfig()
        return {
            "format": FORMAT,
            "name": name,
            "description": description or "allocation trace recorded by smh-boot",
            "generator": {"kind": "recorded", **(generator or {})},
            **config_block(cfg),
            "terminated": terminated,
            "n_ops": len(ops),
            "ops": ops,
        }

    # ------------------------------------------------------------------ internals
    # Callers hold self._lock: recording and calling are one step, so threads cannot
    # interleave between the op and its effect.
    def _begin(self, op: dict[str, Any]) -> None:
        self.ops.append(op)

    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as e:
            self._terminate(e)
            raise

    def _allocated(self, out: int | None, tag: str) -> int | None:
        if out is not None:
            self._tags[out] = tag
        self._rets.append((len(self.ops) - 1, "ret", out))
        return out

    def _terminate(self, e: Exception) -> None:
        outcome = getattr(e, "c_outcome", None)
        self.terminated = {
            "kind": outcome if outcome in ("assert", "panic") else "error",
            "op": len(self.ops) - 1,
            "message": str(e),
            "error": type(e).__name__,
        }

    def _containing_start(self, ptr: int) -> int | None:
        """Start of the live block containing ``ptr`` (None when the pool knows no such block)."""
        block_at = getattr(self._pool, "block_at", None)
        blk = block_at(ptr) if block_at is not None else None
        return None if blk is None else blk.addr

    def _where(self, ptr: int | None) -> list[int] | None:
        """``[region index, offset]`` of a pointer, None for NULL or outside every region."""
        if ptr is None:
            return None
        for k, r in enumerate(self._regions):
            if r is not None and r[0] <= ptr < r[0] + r[1]:
                return [k, ptr - r[0]]
        return None
