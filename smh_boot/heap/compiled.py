"""Which heap core runs: the compiled one (``smh_boot.heap._core``) or the pure-Python reference.

``pip install`` builds ``_core`` (a CPython C extension, ``smh_boot/heap/_core.c``) where a C
compiler exists; without one the install still works and every heap runs on the pure-Python
closures of :mod:`.sys_heap`, which are the reference for the compiled core.  Both give the same
addresses, NULLs, statistics, header bytes and typed errors (the compiled core hands every call
the reference would refuse to the reference itself, so the errors are the reference's own).

The environment variable ``SMH_BOOT_HEAP_CORE`` picks the core when a heap is created:

* unset or ``auto``: the compiled core when it is built, else pure Python;
* ``python``: pure Python, even when the compiled core is built;
* ``c``: the compiled core, and an error when it is not built.

:func:`use_core` does the same for a block of code (tests run the heap suite on both cores).
:func:`core_status` is what ``smh-boot --version`` and the boot report print.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

from ..errors import HeapError

#: Environment variable that picks the heap core.
CORE_ENV = "SMH_BOOT_HEAP_CORE"
CORE_CHOICES = ("auto", "python", "c")

#: The interface version this Python code expects of ``_core`` (``CORE_ABI`` in _core.c).
CORE_ABI = 4

try:
    from . import _core  # type: ignore[attr-defined]

    _IMPORT_ERROR: str | None = None
    if getattr(_core, "ABI", None) != CORE_ABI:  # a stale build left in a source tree
        _IMPORT_ERROR = (
            f"{_core.__file__} was built from another revision (interface {getattr(_core, 'ABI', '?')}, "
            f"this code needs {CORE_ABI}); rebuild it"
        )
        _core = None
except ImportError as e:  # built without a compiler, or the build failed
    _core = None
    _IMPORT_ERROR = str(e)
    if "partially initialized module" in _IMPORT_ERROR:  # Python's words for "no such file"
        _IMPORT_ERROR = f"no compiled extension _core in {os.path.dirname(__file__)}"

_override: str | None = None


def compiled_available() -> bool:
    """True when the compiled core is built and importable."""
    return _core is not None


def requested_core() -> str:
    """``auto``, ``python`` or ``c``: :func:`use_core`'s choice, else ``SMH_BOOT_HEAP_CORE``."""
    if _override is not None:
        return _override
    want = os.environ.get(CORE_ENV, "auto").strip().lower() or "auto"
    if want not in CORE_CHOICES:
        raise HeapError(
            f"{CORE_ENV}={os.environ.get(CORE_ENV)!r} is not a heap core: use one of "
            f"{', '.join(CORE_CHOICES)} (or leave it unset)"
        )
    return want


def active_core() -> str:
    """``"c"`` or ``"python"``: the core a heap created now gets."""
    want = requested_core()
    if want == "python":
        return "python"
    if _core is None:
        if want == "c":
            raise HeapError(
                f"{CORE_ENV}=c asks for the compiled heap core, but it is not built "
                f"({_IMPORT_ERROR}); reinstall smh-boot where a C compiler exists "
                f"(pip install --force-reinstall --no-deps .) or unset {CORE_ENV}"
            )
        return "python"
    return "c"


def core_status() -> str:
    """One line for ``--version`` and reports, e.g. ``c (compiled, smh_boot/heap/_core...so)``."""
    try:
        core = active_core()
    except HeapError as e:
        return f"error: {e}"
    if core == "c":
        return f"c (compiled: {os.path.basename(_core.__file__)})"
    if requested_core() == "python":
        why = "forced by use_core()" if _override is not None else f"forced by {CORE_ENV}=python"
    else:
        why = "the compiled core is not built"
    return f"python ({why})"


@contextlib.contextmanager
def use_core(name: str) -> Iterator[None]:
    """Heaps created inside the block use core ``name`` (``auto``, ``python`` or ``c``)."""
    global _override
    if name not in CORE_CHOICES:
        raise ValueError(f"heap core must be one of {', '.join(CORE_CHOICES)}, not {name!r}")
    old, _override = _override, name
    try:
        active_core()  # refuse "c" up front when it is not built
        yield
    finally:
        _override = old


def pool_core(pool: Any) -> str:
    """``"c"`` or ``"python"``: the core the heaps of ``pool`` (a SharedMultiHeap) run on
    (``"mixed"`` if they differ; with no heap yet, the core a new heap would get)."""
    cores = {getattr(rec.sys_heap, "core", "python") for rec in pool.heaps}
    if len(cores) > 1:
        return "mixed"
    if cores:
        return cores.pop()
    try:
        return active_core()
    except HeapError:
        return "python"


def new_lock() -> Any:
    """The pool lock: the compiled core's Lock (same API as threading.Lock, and the compiled
    dispatch takes it without a Python call), or threading.Lock on the pure-Python core."""
    if active_core() == "c":
        return _core.Lock()
    import threading

    return threading.Lock()


def attach_heap(heap: Any, reference: dict[str, Any]) -> None:
    """Install the compiled operations on ``heap`` (a SysHeap) when the compiled core is
    active; ``reference`` holds its pure-Python operations, which stay the fallback.

    Sets ``heap.core`` to ``"c"`` or ``"python"``."""
    heap.reference_ops = reference
    heap.core = "python"
    heap._core = None
    if active_core() != "c":
        return
    g = heap.geometry
    cfg = heap.config
    core = _core.HeapCore(
        heap._raw,
        g.base - g.addr,
        g.big,
        g.end_chunk,
        g.chunk0,
        g.nb,
        g.buckets_offset,
        g.stats_offset,
        cfg.ptr_size,
        cfg.alloc_loops,
        int(cfg.hardening),
        g.addr,
        g.base,
        heap.live,
        tuple(
            reference[k]
            for k in ("alloc", "aligned_alloc", "free", "realloc", "aligned_realloc", "usable_size",
                      "corrupt", "wild")
        ),
    )
    heap._core = core
    heap.core = "c"
    heap.alloc = core.alloc
    heap.aligned_alloc = core.aligned_alloc
    heap.free = core.free
    heap.realloc = core.realloc
    heap.aligned_realloc = core.aligned_realloc
    heap.usable_size = core.usable_size


def attach_pool(
    pool: Any, heaps_by_attr: list[list[Any]], mheap: Any, ready: bool
) -> None:
    """Install the compiled alloc / aligned_alloc / realloc / free dispatch on ``pool`` (a
    SharedMultiHeap whose Python operations are already installed) when every heap it can
    reach runs on the compiled core with its operations untouched, and the pool lock is the
    compiled Lock.  Otherwise the pure-Python dispatch stays."""
    if _core is None or not isinstance(pool.lock, _core.Lock):
        return

    def core_of(heap: Any) -> Any:
        c = getattr(heap, "_core", None)
        if c is None or heap.alloc != c.alloc or heap.aligned_alloc != c.aligned_alloc:
            return None
        return c

    by_attr = []
    for hs in heaps_by_attr:
        cores = tuple(core_of(h) for h in hs)
        if None in cores:
            return
        by_attr.append(cores)
    free_cores = []
    for f in mheap.frees:
        c = getattr(f, "__self__", None)
        if not isinstance(c, _core.HeapCore) or f != c.free:
            return
        free_cores.append(c)
    sysheaps = tuple(r.heap for r in mheap.heaps) if mheap.frees else ()
    if len(sysheaps) != len(free_cores):
        return
    pc = _core.PoolCore(
        pool.lock, ready, tuple(by_attr), tuple(mheap.bases), tuple(free_cores), sysheaps,
        mheap.realloc_move, (pool.alloc, pool.aligned_alloc, pool.free, pool.realloc),
    )
    pool._pool_core = pc
    pool.alloc = pc.alloc
    pool.aligned_alloc = pc.aligned_alloc
    pool.free = pc.free
    pool.realloc = pc.realloc
