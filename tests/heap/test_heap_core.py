"""The compiled heap core against the pure-Python reference, operation by operation.

Hypothesis writes random programs (allocations of every kind, realloc in place and moved,
frees of live, stale and wild pointers, negative sizes, bad alignments, owner tags, and
overruns that write through the address space into the next chunk header) and runs each on
a heap of each core under the same configuration.  Every result must be identical: the same
address or None, or the same exception type, message and Zephyr message; and at the end the
same region bytes (headers, stale links and data alike), the same live-block table and owners.
The same is done through the shared multi-heap pool, whose dispatch the compiled core also
implements.  Then the core selection itself: the environment variable, use_core, --version.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smh_boot.errors import HeapError
from smh_boot.heap import Hardening, HeapConfig, SharedMultiHeap, SharedMultiHeapRegion, SysHeap
from smh_boot.heap import compiled

pytestmark = [
    pytest.mark.both_cores,
    pytest.mark.skipif(not compiled.compiled_available(), reason="the compiled heap core is not built"),
]

ADDR = 0x2000_0000
SIZES = st.one_of(st.integers(-3, 40), st.integers(1, 120), st.integers(41, 700), st.integers(701, 5000),
                  st.sampled_from([1 << 20, 1 << 40, 1 << 62, 1 << 70]))
ALIGNS = st.sampled_from([0, 1, 2, 4, 8, 16, 32, 64, 128, 512, 3, 12, 24, 36, 68, 136, 7, 96, -8, 16.0])
OWNERS = st.sampled_from([None, "dma", "uart", 7])
SLOT = st.integers(0, 15)

HEAP_OPS = st.one_of(
    st.tuples(st.just("alloc"), SIZES, OWNERS),
    st.tuples(st.just("aligned"), ALIGNS, SIZES, OWNERS),
    st.tuples(st.just("realloc"), SLOT, SIZES, OWNERS),
    st.tuples(st.just("aligned_realloc"), SLOT, ALIGNS, SIZES, OWNERS),
    st.tuples(st.just("free"), SLOT),
    st.tuples(st.just("free_raw"), st.integers(-64, 1 << 16)),
    st.tuples(st.just("usable"), SLOT),
    st.tuples(st.just("overrun"), SLOT, st.integers(1, 24), st.integers(0, 255)),
    st.tuples(st.just("odd_call"), st.sampled_from(["kw", "float", "bool", "none"])),
    # fragmentation: n blocks, every other one freed, then a request of another size (this
    # is what makes the bounded bucket search rotate its head)
    st.tuples(st.just("burst"), st.integers(2, 9), st.integers(1, 300), st.integers(1, 300)),
)


def outcome(fn, *args, **kw):
    """The value, or the exception's type, message and Zephyr message."""
    try:
        return ("ok", fn(*args, **kw))
    except Exception as e:  # noqa: BLE001 - every exception is part of the behaviour compared
        return ("raise", type(e).__name__, str(e), getattr(e, "zephyr_message", None))


class Runner:
    """One heap (or pool) and the pointers the program has seen (the slot table)."""

    def __init__(self, target):
        self.t = target
        self.slots: list = [None] * 16
        self.n = 0

    def ptr(self, slot):
        return self.slots[slot]

    def keep(self, r):
        if r[0] == "ok" and isinstance(r[1], int):
            self.n += 1
            self.slots[self.n % 16] = r[1]
        return r


def heap_step(run: Runner, heap: SysHeap, op: tuple):
    kind = op[0]
    if kind == "alloc":
        return run.keep(outcome(heap.alloc, op[1], op[2]))
    if kind == "aligned":
        return run.keep(outcome(heap.aligned_alloc, op[1], op[2], owner=op[3]))
    if kind == "realloc":
        return run.keep(outcome(heap.realloc, run.ptr(op[1]), op[2], op[3]))
    if kind == "aligned_realloc":
        return run.keep(outcome(heap.aligned_realloc, run.ptr(op[1]), op[2], op[3], op[4]))
    if kind == "free":
        return outcome(heap.free, run.ptr(op[1]))
    if kind == "free_raw":
        return outcome(heap.free, heap.addr + op[1])
    if kind == "usable":
        p = run.ptr(op[1])
        return outcome(heap.usable_size, p if p is not None else heap.addr)
    if kind == "overrun":
        # The driver bug the heap must survive: bytes written past the block's usable end,
        # through the address space, over the next chunk's header.
        p = run.ptr(op[1])
        if p is None:
            return ("skip",)
        r = outcome(heap.usable_size, p)
        if r[0] != "ok" or not 0 <= r[1] < 1 << 20:
            return r
        end = min(p + r[1] + op[2], heap.addr + heap.size)
        start = min(p + r[1], end)
        if end <= start:
            return ("skip",)
        return (outcome(heap.write, start, bytes([op[3]]) * (end - start)), start, end)
    if kind == "burst":
        ps = [outcome(heap.alloc, op[2]) for _ in range(op[1])]
        fs = [outcome(heap.free, r[1]) for r in ps[::2] if r[0] == "ok"]
        return (ps, fs, run.keep(outcome(heap.alloc, op[3])))
    if kind == "odd_call":
        how = op[1]
        if how == "kw":
            return run.keep(outcome(heap.alloc, nbytes=24, owner="kw"))
        if how == "float":
            return outcome(heap.alloc, 8.0)
        if how == "bool":
            return run.keep(outcome(heap.alloc, True))
        return outcome(heap.free, None)
    raise AssertionError(op)


def heap_config(ptr, stats, level, mode, loops):
    return HeapConfig(ptr_size=ptr, runtime_stats=stats, hardening=level, heap_mode=mode,
                      alloc_loops=loops)


@settings(max_examples=100, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(
    ptr=st.sampled_from([4, 8]),
    stats=st.booleans(),
    level=st.sampled_from(list(Hardening)),
    mode=st.sampled_from(["auto", "big"]),
    loops=st.integers(1, 3),
    size=st.sampled_from([256, 1000, 3000, 12000, 270000]),
    base_mod=st.integers(0, 7),
    program=st.lists(HEAP_OPS, min_size=30, max_size=150),
)
def test_sys_heap_cores_agree(ptr, stats, level, mode, loops, size, base_mod, program):
    cfg = heap_config(ptr, stats, level, mode, loops)
    heaps = {}
    for core in ("python", "c"):
        with compiled.use_core(core):
            heaps[core] = SysHeap(None, ADDR + base_mod, size, cfg)
    assert heaps["python"].core == "python" and heaps["c"].core == "c"
    runs = {k: Runner(h) for k, h in heaps.items()}
    for i, op in enumerate(program):
        got = {k: heap_step(runs[k], heaps[k], op) for k in heaps}
        assert got["c"] == got["python"], f"step {i} {op}"
    hp, hc = heaps["python"], heaps["c"]
    assert hc.read(hc.addr, hc.size) == hp.read(hp.addr, hp.size)
    assert hc.live == hp.live


POOL_OPS = st.one_of(
    st.tuples(st.just("alloc"), st.integers(-1, 3), SIZES, OWNERS),
    st.tuples(st.just("aligned"), st.integers(-1, 3), ALIGNS, SIZES, OWNERS),
    st.tuples(st.just("realloc"), st.integers(-1, 3), SLOT, SIZES, OWNERS),
    st.tuples(st.just("free"), SLOT),
    st.tuples(st.just("free_raw"), st.integers(-0x1000, 0x30000)),
    st.tuples(st.just("overrun"), SLOT, st.integers(1, 24), st.integers(0, 255)),
)

REGIONS = [(0, 0x2000_0000, 6000), (0, 0x2001_0000, 20000), (1, 0x2003_0000, 9000)]


def pool_step(run: Runner, pool: SharedMultiHeap, op: tuple):
    kind = op[0]
    if kind == "alloc":
        return run.keep(outcome(pool.alloc, op[1], op[2], owner=op[3]))
    if kind == "aligned":
        return run.keep(outcome(pool.aligned_alloc, op[1], op[2], op[3], owner=op[4]))
    if kind == "realloc":
        return run.keep(outcome(pool.realloc, op[1], run.ptr(op[2]), op[3], owner=op[4]))
    if kind == "free":
        return outcome(pool.free, run.ptr(op[1]))
    if kind == "free_raw":
        return outcome(pool.free, 0x2000_0000 + op[1])
    if kind == "overrun":
        p = run.ptr(op[1])
        rec = pool.heap_for(p) if p is not None else None
        if rec is None:
            return ("skip",)
        return heap_step(run, rec.sys_heap, op)
    raise AssertionError(op)


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(
    ptr=st.sampled_from([4, 8]),
    stats=st.booleans(),
    level=st.sampled_from(list(Hardening)),
    nregions=st.integers(1, 3),
    init_first=st.sampled_from([True, True, True, False]),
    program=st.lists(POOL_OPS, min_size=20, max_size=100),
)
def test_pool_cores_agree(ptr, stats, level, nregions, init_first, program):
    cfg = HeapConfig(ptr_size=ptr, runtime_stats=stats, hardening=level)
    pools = {}
    for core in ("python", "c"):
        with compiled.use_core(core):
            pool = SharedMultiHeap(None, cfg)
            if init_first:
                pool.pool_init()
            for attr, addr, size in REGIONS[:nregions]:
                pool.add(SharedMultiHeapRegion(attr, addr, size))
            pools[core] = pool
    assert "_pool_core" in vars(pools["c"])  # the compiled dispatch runs the pool
    assert "_pool_core" not in vars(pools["python"])
    runs = {k: Runner(p) for k, p in pools.items()}
    for i, op in enumerate(program):
        got = {k: pool_step(runs[k], pools[k], op) for k in pools}
        assert got["c"] == got["python"], f"step {i} {op}"
    for rp, rc in zip(pools["python"].heaps, pools["c"].heaps):
        hp, hc = rp.sys_heap, rc.sys_heap
        assert hc.read(hc.addr, hc.size) == hp.read(hp.addr, hp.size)
        assert hc.live == hp.live


def test_pool_lock_is_shared_by_the_compiled_dispatch():
    """The compiled dispatch takes the same lock Python code takes (``with pool.lock``)."""
    import threading

    with compiled.use_core("c"):
        pool = SharedMultiHeap(None, HeapConfig())
        pool.pool_init()
        pool.add(SharedMultiHeapRegion(0, 0x2000_0000, 4096))
    done = []
    with pool.lock:
        t = threading.Thread(target=lambda: done.append(pool.alloc(0, 64)))
        t.start()
        t.join(0.3)
        assert t.is_alive() and not done  # blocked on the lock held here
    t.join(5)
    assert done and done[0] is not None
    assert pool.lock.acquire(blocking=False) and pool.lock.locked()
    assert not pool.lock.acquire(timeout=0.01)
    pool.lock.release()
    with pytest.raises(RuntimeError, match="release unlocked lock"):
        pool.lock.release()


def test_env_var_picks_the_core(monkeypatch):
    monkeypatch.setattr(compiled, "_override", None)  # the suite's fixture pins a core
    monkeypatch.setenv(compiled.CORE_ENV, "python")
    assert SysHeap(None, ADDR, 1024).core == "python"
    assert "forced by SMH_BOOT_HEAP_CORE=python" in compiled.core_status()
    monkeypatch.setenv(compiled.CORE_ENV, "c")
    assert SysHeap(None, ADDR, 1024).core == "c"
    monkeypatch.setenv(compiled.CORE_ENV, "auto")
    assert SysHeap(None, ADDR, 1024).core == "c"
    assert compiled.core_status().startswith("c (compiled")
    monkeypatch.setenv(compiled.CORE_ENV, "fortran")
    with pytest.raises(HeapError, match="SMH_BOOT_HEAP_CORE='fortran' is not a heap core"):
        SysHeap(None, ADDR, 1024)


def test_use_core_rejects_unknown_names():
    with pytest.raises(ValueError, match="heap core must be one of"):
        with compiled.use_core("rust"):
            pass


def test_version_names_the_active_core():
    env = {"SMH_BOOT_HEAP_CORE": "python"}
    out = subprocess.run([sys.executable, "-I", "-m", "smh_boot", "--version"], capture_output=True,
                         text=True, env={**_base_env(), **env}, check=True).stdout
    assert "heap core: python (forced by SMH_BOOT_HEAP_CORE=python)" in out
    out = subprocess.run([sys.executable, "-I", "-m", "smh_boot", "--version"], capture_output=True,
                         text=True, env=_base_env(), check=True).stdout
    assert "heap core: c (compiled" in out


def _base_env():
    import os

    return {k: v for k, v in os.environ.items() if k != compiled.CORE_ENV}


def test_readme_core_console_block():
    """The README's console block about the two cores is what the commands print (the
    extension's file name depends on the platform: compared up to ``_core.``)."""
    import re
    import shlex

    from heap_helpers import ROOT

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("**Two cores, one behaviour.**"):text.index("**Replaying traces.**")]
    block = re.search(r"```console\n(.*?)```", section, re.S).group(1)
    cmds = re.split(r"^\$ ", block, flags=re.M)[1:]
    assert len(cmds) == 2
    for cmd in cmds:
        line, *expected = cmd.strip().splitlines()
        words = shlex.split(line)
        env = _base_env()
        while "=" in words[0]:
            k, v = words.pop(0).split("=", 1)
            env[k] = v
        assert words[0] == "smh-boot"
        got = subprocess.run([sys.executable, "-I", "-m", "smh_boot", *words[1:]], capture_output=True,
                             text=True, env=env, check=True).stdout.splitlines()
        assert len(got) == len(expected)
        for g, e in zip(got, expected):
            if "(compiled: _core." in e:
                e = e[: e.index("_core.") + len("_core.")]
                g = g[: len(e)]
            assert g == e


def _load_compiled_with(fake_core, monkeypatch):
    """A private copy of smh_boot.heap.compiled that finds ``fake_core`` as its _core."""
    import importlib.util

    import smh_boot.heap as pkg

    monkeypatch.setitem(sys.modules, "smh_boot.heap._core", fake_core)  # None: ImportError
    if fake_core is None:
        monkeypatch.delattr(pkg, "_core", raising=False)
    else:
        monkeypatch.setattr(pkg, "_core", fake_core, raising=False)
    spec = importlib.util.spec_from_file_location("smh_boot.heap._compiled_probe", compiled.__file__)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_a_stale_build_is_refused(monkeypatch):
    """An extension built from another revision (a different interface version) is not used."""
    import types

    fake = types.ModuleType("smh_boot.heap._core")
    fake.ABI = compiled.CORE_ABI - 1
    fake.__file__ = "/somewhere/_core.so"
    probe = _load_compiled_with(fake, monkeypatch)
    assert not probe.compiled_available()
    assert "was built from another revision" in probe._IMPORT_ERROR
    monkeypatch.setenv(compiled.CORE_ENV, "auto")
    assert probe.active_core() == "python"
    assert probe.core_status() == "python (the compiled core is not built)"


def test_forcing_a_missing_compiled_core_is_an_error(monkeypatch):
    probe = _load_compiled_with(None, monkeypatch)
    monkeypatch.setenv(compiled.CORE_ENV, "c")
    with pytest.raises(HeapError, match=r"SMH_BOOT_HEAP_CORE=c asks for the compiled heap core, but it is not built"):
        probe.active_core()
    assert probe.core_status().startswith("error: SMH_BOOT_HEAP_CORE=c asks")
    with pytest.raises(HeapError, match="not built"):
        with probe.use_core("c"):
            pass
    monkeypatch.setenv(compiled.CORE_ENV, "python")
    assert probe.new_lock().__class__.__module__ == "_thread"
