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
  trace then ends with the operation that fails, and ``terminated`` says how;
* every allocation op carries the block's ``owner`` (e.g. ``"eth0:tx-buf0"``) when the caller
  gave one: an extra field the golden format's readers ignore, shown by ``smh-boot fit``;
* :meth:`TraceRecorder.to_trace` writes the ``results`` the system really produced (``rc``,
  ``region``, heap geometry, ``[region, offset]``, ``usable``, runtime ``stats``) and the
  ``final_state``, so ``smh-boot replay --check`` compares a replay with what the system did
  (``sd`` digests are not recorded: computing one per op would slow every recorded test).

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


def _owned(op: dict[str, Any], kwargs: dict[str, Any]) -> dict[str, Any]:
    owner = kwargs.get("owner")
    if owner is not None:
        op["owner"] = str(owner)
    return op


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
        # (op index, what, value, extra): what is "ret" (a pointer or None; extra = usable),
        # "region" (extra = the PoolHeap) or None; stats after the op, when the pool keeps
        # runtime stats.  Kept raw on the hot path; :attr:`returns` / :meth:`results` turn
        # pointers into [region, offset] on demand.
        self._rets: list[tuple[int, str | None, Any, Any]] = []
        self._stats: dict[int, list[Any]] = {}
        cfg = getattr(pool, "config", None)
        self._with_stats = bool(getattr(cfg, "runtime_stats", False))

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
        for i, what, value, _extra in rets:
            r: dict[str, Any] = {"i": i}
            if what == "ret":
                r["ret"] = self._where(value)
            elif what == "region":
                r["region"] = value
            out.append(r)
        return out

    def results(self) -> list[dict[str, Any]]:
        """The golden ``results`` of the recorded ops, as the system produced them (no ``sd``)."""
        with self._lock:
            rets = list(self._rets)
            stats = dict(self._stats)
        out = []
        for i, what, value, extra in rets:
            r: dict[str, Any] = {"i": i}
            if what == "ret":
                r["ret"] = self._where(value)
                if value is not None and extra is not None:
                    r["usable"] = extra
            elif what == "region":
                r["rc"] = 0
                r["region"] = value
                heap = getattr(extra, "sys_heap", None)
                if heap is not None:
                    r["end_chunk"], r["big"], r["chunk0"] = heap.end_chunk, int(heap.big), heap.chunk0
            elif self.ops[i]["op"] == "init_pool":
                r["rc"] = 0
            if i in stats:
                r["stats"] = stats[i]
            out.append(r)
        return out

    # ------------------------------------------------------------------ recorded operations
    def pool_init(self, *args: Any, **kwargs: Any) -> Any:
        """``shared_multi_heap_pool_init()``."""
        with self._lock:
            self._begin({"op": "init_pool"})
            out = self._call(self._pool.pool_init, *args, **kwargs)
            self._done(None, None)
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
            self._done("region", len(self._regions) - 1, out)
            return out

    def alloc(self, attr: Any, size: int, **kwargs: Any) -> int | None:
        """``shared_multi_heap_alloc(attr, size)``."""
        with self._lock:
            self._next_tag += 1
            tag = f"p{self._next_tag}"
            self._begin(_owned({"op": "alloc", "attr": _attr_int(attr), "size": size, "tag": tag}, kwargs))
            out = self._call(self._pool.alloc, attr, size, **kwargs)
            return self._allocated(out, tag)

    def aligned_alloc(self, attr: Any, align: int, size: int, **kwargs: Any) -> int | None:
        """``shared_multi_heap_aligned_alloc(attr, align, size)``."""
        with self._lock:
            self._next_tag += 1
            tag = f"p{self._next_tag}"
            self._begin(_owned({"op": "aligned_alloc", "attr": _attr_int(attr), "align": align,
                                "size": size, "tag": tag}, kwargs))
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
            self._begin(_owned({"op": "realloc", "attr": _attr_int(attr), "tag": old, "size": size,
                                "newtag": new}, kwargs))
            out = self._call(self._pool.realloc, attr, ptr, size, **kwargs)
            if out is not None:
                if old_start is not None:
                    self._tags.pop(old_start, None)
                self._tags[out] = new
            elif size == 0 and old_start is not None and _attr_int(attr) < _MAX_ATTR:
                self._tags.pop(old_start, None)  # realloc(p, 0) frees p
            self._done("ret", out, self._usable(out))
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
            self._done(None, None)
            return out

    # ------------------------------------------------------------------ output
    def to_trace(self, name: str = "recorded", description: str = "",
                 generator: dict[str, Any] | None = None) -> dict[str, Any]:
        """The recorded history as a golden-format trace dict, with the ``results`` the system
        produced and (unless the run was terminated) the heaps' ``final_state``."""
        results = self.results()
        with self._lock:
            ops = [dict(o) for o in self.ops]
            terminated = dict(self.terminated) if self.terminated else None
            final_state = None
            if terminated is None:
                final_state = self._final_state()
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
            "results": results,
            "final_state": final_state,
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
        self._done("ret", out, self._usable(out))
        return out

    def _done(self, what: str | None, value: Any, extra: Any = None) -> None:
        i = len(self.ops) - 1
        self._rets.append((i, what, value, extra))
        if self._with_stats:
            self._stats[i] = self._stats_now()

    def _usable(self, ptr: int | None) -> int | None:
        if ptr is None:
            return None
        heap_for = getattr(self._pool, "heap_for", None)
        rec = heap_for(ptr) if heap_for is not None else None
        return None if rec is None else rec.sys_heap.usable_size(ptr)

    def _heaps_by_region(self) -> list[Any]:
        """Region index -> the PoolHeap added for it (None for a failed add); rebuilt only
        when a region was added since the last call (stats are taken after every op)."""
        cached = getattr(self, "_heap_list", None)
        if cached is None or len(cached) != len(self._regions) or (self._regions and cached[-1] is None
                                                                     and self._regions[-1] is not None):
            by_addr = {(h.region.addr, h.region.size): h for h in getattr(self._pool, "heaps", [])}
            cached = self._heap_list = [None if r is None else by_addr.get(r) for r in self._regions]
        return cached

    def _stats_now(self) -> list[Any]:
        out: list[Any] = []
        for h in self._heaps_by_region():
            if h is None:
                out.append(None)
            else:
                st = h.sys_heap.runtime_stats_get()
                out.append([st.free_bytes, st.allocated_bytes, st.max_allocated_bytes])
        return out

    def _final_state(self) -> list[dict[str, Any]] | None:
        try:
            return [h.sys_heap.dump(k) for k, h in enumerate(self._heaps_by_region()) if h is not None]
        except Exception:  # a heap a driver corrupted: no final state to compare with
            return None

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
