"""Golden-trace replay: run a ``zephyr-shared-multi-heap-golden/1`` file through
:class:`~smh_boot.heap.shared_multi_heap.SharedMultiHeap` and compare with what Zephyr's C
code recorded.

A trace is a list of ops on one pool (``init_pool``, ``add``, ``alloc``, ``aligned_alloc``,
``realloc``, ``free`` and the harness-only ``alias`` / ``free_raw``) with one result per op
(return code, ``[region, offset]`` of a returned pointer, usable size, per-region runtime
stats, and ``sd``, an FNV-1a digest of every heap's buckets and chunk walk).  Regions are
placed like the C harness does (4096-aligned slots in one buffer, ``base_mod`` into the slot)
so that the alignment of every address is the one C saw.  Exceptions map back to the C
outcome: ``c_outcome == "rc"`` gives a negative (Linux-numbered) ``rc``; ``"assert"`` and
``"panic"`` end the run, as ``__ASSERT`` / ``k_panic()`` did.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import errno as _errno
from ..errors import HeapError, SmhError, TraceError
from .config import Hardening, HeapConfig
from .introspect import FNV_OFFSET, digest_words, fnv1a
from .region import SMH_REG_ATTR_NUM, SharedMultiHeapRegion
from .shared_multi_heap import SharedMultiHeap

FORMAT = "zephyr-shared-multi-heap-golden/1"
#: The golden folder's index.json (lists the traces; not a trace itself).
INDEX_FORMAT = "zephyr-shared-multi-heap-golden-index/1"

#: Where the harness buffer starts in the emulated address space (4096-aligned, < 4 GiB).
BUFFER_BASE = 0x1000_0000
#: Gap the C harness leaves after each region before rounding up to the next 4 KiB slot.
REGION_GAP = 64
SLOT_ALIGN = 4096

#: op name -> required fields and their kinds ("int", "tag" = string or null).
OP_FIELDS: dict[str, dict[str, str]] = {
    "init_pool": {},
    "add": {"attr": "int", "base_mod": "int", "size": "int"},
    "alloc": {"attr": "int", "size": "int", "tag": "tag"},
    "aligned_alloc": {"attr": "int", "align": "int", "size": "int", "tag": "tag"},
    "realloc": {"attr": "int", "tag": "tag", "size": "int"},
    "free": {"tag": "tag"},
    "alias": {"tag": "tag", "newtag": "tag"},
    "free_raw": {"region": "int", "offset": "int"},
}


@dataclass
class Trace:
    """A loaded trace: the parsed document, where it came from, and each op's line."""

    doc: dict[str, Any]
    path: str
    op_lines: list[int | None]

    @property
    def name(self) -> str:
        """Trace name (file stem when the document has none)."""
        return str(self.doc.get("name") or Path(self.path).stem)

    @property
    def ops(self) -> list[dict[str, Any]]:
        """The ops to run."""
        return self.doc["ops"]

    def line_of(self, i: int) -> int | None:
        """Source line of op ``i`` (when the file has one op per line)."""
        return self.op_lines[i] if 0 <= i < len(self.op_lines) else None


@dataclass(frozen=True)
class Difference:
    """First place a replay disagrees with the recorded trace."""

    where: str  # "op", "terminated" or "final_state"
    index: int | None
    field: str
    expected: Any
    actual: Any
    op: dict[str, Any] | None = None
    line: int | None = None

    def describe(self, path: str = "") -> str:
        """Human-readable report of the difference."""
        loc = f"{path}:{self.line}: " if path and self.line else (f"{path}: " if path else "")
        if self.where == "op":
            head = f"{loc}op {self.index} {json.dumps(self.op, separators=(',', ':'))}: field '{self.field}'"
        elif self.where == "final_state":
            head = f"{loc}final_state {self.field}"
        else:
            head = f"{loc}termination {self.field}"
        return f"{head}\n  expected: {json.dumps(self.expected)}\n  actual:   {json.dumps(self.actual)}"


# ---------------------------------------------------------------------- loading


def is_index(path: str | Path) -> bool:
    """True for a golden folder's ``index.json`` (so ``golden/*.json`` can be replayed)."""
    try:
        with open(path, encoding="utf-8") as f:
            head = f.read(200)
    except (OSError, UnicodeDecodeError):
        return False
    return INDEX_FORMAT in head


def load_trace(path: str | Path) -> Trace:
    """Read and check a trace file; raises TraceError naming the file and line."""
    p = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise TraceError(f"cannot read trace: {e}", p, hint="pass a golden-format .json file") from e
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        line, col = e.lineno, e.colno
        lines = text.splitlines()
        if line > max(len(lines), 1):  # at the end of input, after a final newline:
            line = max(len(lines), 1)  # point at the end of the last line
            col = len(lines[-1]) + 1 if lines else 1
        raise TraceError(f"not valid JSON: {e.msg}", p, line, col) from e
    except ValueError as e:  # Python's 4300-digit cap on int(str)
        line, col = _long_number_at(text)
        raise TraceError(f"a number with more than {MAX_NUMBER_DIGITS} digits", p, line, col,
                         hint="trace values are addresses and sizes: at most 20 digits") from e
    except RecursionError as e:
        raise TraceError("JSON nested too deeply to read (a trace nests 4 levels)", p, 1,
                         hint="check the file is a golden-format trace") from e
    return parse_trace(doc, p, text)


#: Longest integer Python converts from text by default (sys.get_int_max_str_digits()).
MAX_NUMBER_DIGITS = 4300


def _long_number_at(text: str) -> tuple[int | None, int | None]:
    # (line, column) of the first run of digits too long to convert (error path only).
    import re

    m = re.search(r"\d{%d}" % (MAX_NUMBER_DIGITS + 1), text)
    if m is None:
        return None, None
    line = text.count("\n", 0, m.start()) + 1
    return line, m.start() - (text.rfind("\n", 0, m.start()) + 1) + 1


def parse_trace(doc: Any, path: str = "<trace>", text: str | None = None) -> Trace:
    """Check a parsed trace document (``text``, if given, supplies op line numbers)."""
    if not isinstance(doc, dict):
        raise TraceError("a trace must be a JSON object", path, 1, hint=f"expected format {FORMAT}")
    fmt = doc.get("format")
    if fmt is not None and fmt != FORMAT:
        raise TraceError(f"unknown trace format {fmt!r}", path, 1, hint=f"expected {FORMAT}")
    ops = doc.get("ops")
    if not isinstance(ops, list):
        raise TraceError("the trace has no 'ops' list", path, 1, hint="every trace lists its ops under \"ops\"")
    op_lines: list[int | None] = [None] * len(ops)
    if text is not None:
        found = [n + 1 for n, line in enumerate(text.splitlines()) if line.lstrip().startswith('{"op"')]
        if len(found) == len(ops):
            op_lines = list(found)
    trace = Trace(doc, path, op_lines)
    variant = doc.get("variant")
    if not isinstance(variant, dict) or variant.get("ptr_size") not in (4, 8):
        raise TraceError(
            "the trace's 'variant' must give ptr_size 4 or 8", path, 1,
            hint='e.g. "variant": {"name": "p4_nostats", "ptr_size": 4, "runtime_stats": false}',
        )
    if not isinstance(variant.get("runtime_stats", False), bool):
        raise TraceError("variant.runtime_stats must be true or false", path, 1)
    if not isinstance(doc.get("config", {}), dict):
        raise TraceError("'config' must be an object of Kconfig values", path, 1)
    for key in ("results", "final_state"):
        value = doc.get(key)
        if value is None:
            continue
        if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
            raise TraceError(f"'{key}' must be a list of objects", path, 1)
    if not isinstance(doc.get("terminated"), (dict, type(None))):
        raise TraceError("'terminated' must be null or an object", path, 1)
    for i, op in enumerate(ops):
        _check_op(trace, i, op)
    return trace


def _check_op(trace: Trace, i: int, op: Any) -> None:
    line = trace.line_of(i)
    if not isinstance(op, dict) or op.get("op") not in OP_FIELDS:
        name = op.get("op") if isinstance(op, dict) else type(op).__name__
        raise TraceError(
            f"op {i}: unknown op {name!r}", trace.path, line,
            hint=f"known ops: {', '.join(OP_FIELDS)}",
        )
    for field, kind in OP_FIELDS[op["op"]].items():
        if field not in op:
            raise TraceError(f"op {i} ({op['op']}): missing field '{field}'", trace.path, line)
        v = op[field]
        ok = (isinstance(v, int) and not isinstance(v, bool) and v >= 0) if kind == "int" else (
            v is None or isinstance(v, str)
        )
        if not ok:
            want = "a non-negative integer" if kind == "int" else "a string or null"
            raise TraceError(f"op {i} ({op['op']}): field '{field}' must be {want}, not {v!r}", trace.path, line)
    if op["op"] == "add" and op["base_mod"] >= SLOT_ALIGN:
        raise TraceError(f"op {i}: base_mod must be below {SLOT_ALIGN}", trace.path, line)
    if op["op"] == "realloc" and not (op.get("newtag") is None or isinstance(op["newtag"], str)):
        raise TraceError(f"op {i} (realloc): 'newtag' must be a string or null", trace.path, line)


def config_block(config: HeapConfig) -> dict[str, Any]:
    """The ``variant`` and ``config`` entries a trace recorded under ``config`` carries (the
    inverse of :func:`config_for`)."""
    stats = bool(config.runtime_stats)
    return {
        "variant": {
            "name": f"p{config.ptr_size}_{'stats' if stats else 'nostats'}",
            "ptr_size": config.ptr_size,
            "runtime_stats": stats,
        },
        "config": {
            "MAX_MULTI_HEAPS": 8,
            "MAX_SHARED_MULTI_HEAP_ATTR": SMH_REG_ATTR_NUM,
            "CONFIG_SYS_HEAP_ALLOC_LOOPS": config.alloc_loops,
            "CONFIG_SYS_HEAP_RUNTIME_STATS": stats,
            "CONFIG_SYS_HEAP_HARDENING_LEVEL": int(config.hardening),
            "heap_mode": config.heap_mode,
        },
    }


def config_for(trace: Trace) -> HeapConfig:
    """The heap configuration a trace was recorded with (variant + config block)."""
    doc = trace.doc
    cfg = doc.get("config") or {}
    variant = doc["variant"]
    try:
        return HeapConfig(
            ptr_size=variant["ptr_size"],
            runtime_stats=bool(variant.get("runtime_stats", False)),
            alloc_loops=int(cfg.get("CONFIG_SYS_HEAP_ALLOC_LOOPS", 3)),
            heap_mode=str(cfg.get("heap_mode", "auto")),  # smh-boot's own key (recorded traces)
            hardening=Hardening(int(cfg.get("CONFIG_SYS_HEAP_HARDENING_LEVEL", Hardening.MODERATE))),
        )
    except (ValueError, TypeError, OverflowError) as e:  # OverflowError: JSON's 1e400 is inf
        raise TraceError(f"unusable trace configuration: {e}", trace.path, 1,
                         hint="ptr_size is 4 or 8; CONFIG_SYS_HEAP_* values are small integers") from e


# ---------------------------------------------------------------------- replay


class _Run:
    """State of one replay: the pool, region placement, tags."""

    def __init__(self, config: HeapConfig):
        self.config = config
        self.pool = SharedMultiHeap(None, config)
        self.cursor = 0
        #: per region index: (base address, size, heap or None when the add failed)
        self.regions: list[tuple[int, int, Any]] = []
        #: tag -> live pointer (a tag not in the map is NULL)
        self.tags: dict[str, int] = {}
        #: region index -> (hash in, digest words, hash out) of the last digest
        self.digest_cache: dict[int, tuple[int, bytes, int]] = {}

    def place(self, base_mod: int, size: int) -> int:
        slot = (self.cursor + SLOT_ALIGN - 1) // SLOT_ALIGN * SLOT_ALIGN
        base = slot + base_mod
        self.cursor = base + size + REGION_GAP
        return BUFFER_BASE + base

    def locate(self, ptr: int) -> list[int]:
        for k, (base, size, heap) in enumerate(self.regions):
            if heap is not None and base <= ptr < base + size:
                return [k, ptr - base]
        for k, (base, size, _h) in enumerate(self.regions):
            if base <= ptr < base + size:
                return [k, ptr - base]
        return [-1, ptr - BUFFER_BASE]

    def digest(self) -> str:
        # Most ops touch one heap: reuse a heap's FNV step when its words and the incoming
        # hash are what they were last time (the byte-wise FNV loop is the replay's cost).
        h = FNV_OFFSET
        cache = self.digest_cache
        for k, (_b, _s, heap) in enumerate(self.regions):
            if heap is None:
                continue
            words = digest_words(heap, k).tobytes()
            hit = cache.get(k)
            if hit is not None and hit[0] == h and hit[1] == words:
                h = hit[2]
            else:
                out = fnv1a(words, h)
                cache[k] = (h, words, out)
                h = out
        return f"{h:016x}"

    def stats(self) -> list[Any]:
        out: list[Any] = []
        for _b, _s, heap in self.regions:
            if heap is None:
                out.append(None)
            else:
                st = heap.stats()
                out.append([st.free_bytes, st.allocated_bytes, st.max_allocated_bytes])
        return out

    def ptr(self, tag: str | None) -> int | None:
        return None if tag is None else self.tags.get(tag)

    def set(self, tag: str, p: int | None) -> None:
        """Tag ``p``; a NULL tag is forgotten (a tag the run does not hold reads as NULL, so
        the map holds live pointers only: a long trace tags millions of blocks over time)."""
        if p is None:
            self.tags.pop(tag, None)
        else:
            self.tags[tag] = p

    def forget(self, tag: str) -> None:
        """The tag's block is gone (freed, or moved to another tag): it reads as NULL."""
        self.tags.pop(tag, None)

    def run(self, i: int, op: dict[str, Any], res: dict[str, Any]) -> None:
        kind = op["op"]
        pool = self.pool
        if kind == "init_pool":
            try:
                pool.pool_init()
                res["rc"] = 0
            except HeapError as e:
                res["rc"] = _rc(e)
        elif kind == "add":
            k = len(self.regions)
            base = self.place(op["base_mod"], op["size"])
            self.regions.append((base, op["size"], None))
            res["region"] = k
            try:
                rec = pool.add(SharedMultiHeapRegion(op["attr"], base, op["size"]))
            except HeapError as e:
                res["rc"] = _rc(e)
                return
            heap = rec.sys_heap
            self.regions[k] = (base, op["size"], heap)
            res["rc"] = 0
            res["end_chunk"] = heap.end_chunk
            res["big"] = int(heap.big)
            res["chunk0"] = heap.chunk0
        elif kind in ("alloc", "aligned_alloc"):
            if kind == "alloc":
                p = pool.alloc(op["attr"], op["size"])
            else:
                p = pool.aligned_alloc(op["attr"], op["align"], op["size"])
            if op["tag"] is not None:
                self.set(op["tag"], p)
            self._ret(res, p)
        elif kind == "realloc":
            tag, newtag = op["tag"], op.get("newtag")
            out = newtag if newtag is not None else tag
            old = self.ptr(tag)
            p = pool.realloc(op["attr"], old, op["size"])
            if p is not None:
                if newtag is not None and tag is not None:
                    self.forget(tag)
                if out is not None:
                    self.tags[out] = p
            elif op["size"] == 0 and op["attr"] < SMH_REG_ATTR_NUM and old is not None:
                for t in (tag, out):
                    if t is not None:
                        self.forget(t)
            elif newtag is not None:
                self.forget(newtag)
            self._ret(res, p)
        elif kind == "free":
            pool.free(self.ptr(op["tag"]))
            if op["tag"] is not None:
                self.forget(op["tag"])
        elif kind == "alias":
            if op["newtag"] is not None:
                self.set(op["newtag"], self.ptr(op["tag"]))
        elif kind == "free_raw":
            k = op["region"]
            if k >= len(self.regions):
                raise TraceError(f"op {i} (free_raw): region {k} has not been added")
            pool.free(self.regions[k][0] + op["offset"])

    def _ret(self, res: dict[str, Any], p: int | None) -> None:
        if p is None:
            res["ret"] = None
            return
        res["ret"] = self.locate(p)
        k = res["ret"][0]
        heap = self.regions[k][2] if k >= 0 else None
        res["usable"] = heap.usable_size(p) if heap is not None else None


def _rc(e: HeapError) -> int:
    if e.c_outcome != "rc":
        raise e
    return -_errno.LINUX.get(e.errno_name or "EINVAL", 22)


#: ``digests`` choices of :func:`replay`.
DIGEST_MODES = ("recorded", "all", "none")


class Replayer:
    """One replay, op by op, keeping nothing per op: :meth:`step` runs op ``i`` and returns
    its result (None once an assert/panic outcome ended the run, see :attr:`terminated`);
    :meth:`final_state` dumps the heaps at the end.  :func:`replay` collects the results of a
    loaded trace; :mod:`.trace_stream` runs a trace file through it without holding the
    trace, so memory stays bounded by the heaps' state, whatever the trace's length."""

    def __init__(self, config: HeapConfig, path: str = "<trace>", digests: str = "recorded"):
        if digests not in DIGEST_MODES:
            raise ValueError(f"digests must be one of {', '.join(DIGEST_MODES)}, not {digests!r}")
        self.config = config
        self.path = path
        self.digests = digests
        self.run = _Run(config)
        #: the termination record once an assert/panic outcome ended the run, else None
        self.terminated: dict[str, Any] | None = None
        #: results returned so far
        self.count = 0

    def step(self, i: int, op: dict[str, Any], line: int | None = None,
             recorded_sd: bool = False) -> dict[str, Any] | None:
        """Run op ``i`` (``line``: its source line, for errors); the result, or None when the
        op ended the run.  ``recorded_sd``: the recorded result has a digest (with digests
        ``"recorded"``, the only ops after which one is computed)."""
        if self.terminated is not None:
            raise RuntimeError("the replay has terminated")
        run = self.run
        res: dict[str, Any] = {"i": i}
        try:
            run.run(i, op, res)
        except TraceError as e:
            raise TraceError(e.message, self.path, line, hint=e.hint) from e
        except SmhError as e:
            partial = {"i": i}
            if "region" in res:
                partial["region"] = res["region"]
            self.terminated = {
                "kind": "assert" if getattr(e, "c_outcome", None) == "assert" else "panic",
                "op": i,
                "message": getattr(e, "zephyr_message", str(e)),
                "partial_result": partial,
                "error": f"{type(e).__name__}: {e}",
            }
            return None
        if self.config.runtime_stats:
            res["stats"] = run.stats()
        if self.digests == "all" or (self.digests == "recorded" and recorded_sd):
            res["sd"] = run.digest()
        self.count += 1
        return res

    def final_state(self) -> list[dict[str, Any]] | None:
        """Every heap's dump (one walk), or None when the run terminated."""
        if self.terminated is not None:
            return None
        return [heap.dump(k) for k, (_b, _s, heap) in enumerate(self.run.regions) if heap is not None]


def replay(trace: Trace, config: HeapConfig | None = None, digests: str = "recorded") -> dict[str, Any]:
    """Run the trace's ops; returns a golden-format document with the replay's results,
    ``terminated`` (when an assert/panic outcome ended it) and ``final_state``.

    ``digests`` says after which ops the ``sd`` state digest is computed.  A digest walks
    every chunk of every heap, so computing it after every op costs O(ops x live blocks)
    (a 10,000-op trace with 10,000 live blocks took 56 s): ``"recorded"`` (the default)
    computes it only after the ops whose recorded result has one, which is all a comparison
    needs; ``"all"`` after every op (to record a new golden file); ``"none"`` never.  The
    final state is always dumped (one walk).

    The document holds every result (and the trace its ops): for a trace of millions of ops
    use :func:`smh_boot.heap.trace_stream.replay_file`, which keeps neither."""
    cfg = config or config_for(trace)
    rep = Replayer(cfg, trace.path, digests)
    results: list[dict[str, Any]] = []
    recorded = trace.doc.get("results") if digests == "recorded" else None
    if not isinstance(recorded, list):
        recorded = []
    n_recorded = len(recorded)
    for i, op in enumerate(trace.ops):
        res = rep.step(i, op, trace.line_of(i), i < n_recorded and "sd" in recorded[i])
        if res is None:
            break
        results.append(res)
    doc = trace.doc
    return {
        "format": FORMAT,
        "name": trace.name,
        "description": doc.get("description", ""),
        "variant": doc["variant"],
        "config": doc.get("config", {}),
        "terminated": rep.terminated,
        "n_ops": len(trace.ops),
        "ops": trace.ops,
        "results": results,
        "final_state": rep.final_state(),
    }


# ---------------------------------------------------------------------- comparison


def is_recorded(doc: dict[str, Any]) -> bool:
    """A trace recorded by smh-boot (generator kind ``"recorded"``) holds what the system
    observed, without per-op digests: only the fields it recorded are compared."""
    return (doc.get("generator") or {}).get("kind") == "recorded"


def compare_result(i: int, e: dict[str, Any] | None, a: dict[str, Any] | None,
                   op: dict[str, Any] | None, line: int | None,
                   recorded: bool = False) -> Difference | None:
    """The difference between the recorded result ``e`` of op ``i`` and the replayed ``a``
    (either None when that side has no result ``i``), or None."""
    if e is None or a is None:
        return Difference("op", i, "result", e, a, op, line)
    for key in list(e) + ([] if recorded else [k for k in a if k not in e]):
        if e.get(key, "<absent>") != a.get(key, "<absent>"):
            return Difference("op", i, key, e.get(key), a.get(key), op, line)
    return None


def compare_end(exp: dict[str, Any], terminated: dict[str, Any] | None,
                final_state: list[dict[str, Any]] | None) -> Difference | None:
    """The first difference in how the run ended: the recorded ``terminated`` and
    ``final_state`` of ``exp`` (a trace document's header, with its ``final_state``) against
    the replay's."""
    et, at = exp.get("terminated"), terminated
    if (et is None) != (at is None):
        return Difference("terminated", None, "", et, at and {k: v for k, v in at.items() if k != "error"})
    if et is not None:
        for key in ("kind", "op", "message", "partial_result"):
            if et.get(key) != at.get(key):
                return Difference("terminated", et.get("op"), key, et.get(key), at.get(key))
    ef, af = exp.get("final_state"), final_state
    if "final_state" in exp and ef != af:
        if ef is None or af is None or len(ef) != len(af):
            return Difference("final_state", None, "(regions)", ef, af)
        for e_reg, a_reg in zip(ef, af):
            for key in e_reg:
                if e_reg[key] != a_reg.get(key):
                    ev, av = e_reg[key], a_reg.get(key)
                    if key == "chunks" and isinstance(av, list):
                        for ec, ac in zip(ev, av):
                            if ec != ac:
                                ev, av = ec, ac
                                break
                    return Difference("final_state", None, f"region {e_reg.get('region')} {key}", ev, av)
    return None


def no_results_error(path: str) -> TraceError:
    """``--check`` of a trace that records no results."""
    return TraceError(
        "the trace records no results to compare with", path, 1,
        hint="--check needs a golden file with 'results'; replay it without --check",
    )


def compare(trace: Trace, actual: dict[str, Any]) -> Difference | None:
    """First difference between the recorded trace and a replay, or None."""
    exp = trace.doc
    if "results" not in exp:
        raise no_results_error(trace.path)
    exp_results = exp.get("results") or []
    act_results = actual["results"]
    recorded = is_recorded(exp)
    for i in range(max(len(exp_results), len(act_results))):
        e = exp_results[i] if i < len(exp_results) else None
        a = act_results[i] if i < len(act_results) else None
        op = trace.ops[i] if i < len(trace.ops) else None
        d = compare_result(i, e, a, op, trace.line_of(i), recorded)
        if d is not None:
            return d
    return compare_end(exp, actual.get("terminated"), actual.get("final_state"))


def format_results(replayed: dict[str, Any]) -> str:
    """The results, one compact JSON object per line (the golden file's layout), then the
    termination or the final state."""
    lines = [json.dumps(r, separators=(",", ":")) for r in replayed["results"]]
    if replayed["terminated"] is not None:
        t = {k: v for k, v in replayed["terminated"].items() if k != "error"}
        lines.append(json.dumps({"terminated": t}, separators=(",", ":")))
    else:
        lines.append(json.dumps({"final_state": replayed["final_state"]}, separators=(",", ":")))
    return "\n".join(lines)


def dumps_trace(doc: dict[str, Any]) -> str:
    """A trace document as text in the golden files' layout: the header keys, then one op per
    line and one result per line (so every op has a line number, and diffs stay readable)."""
    rest = {k: v for k, v in doc.items() if k not in ("ops", "results", "final_state")}
    parts = [json.dumps(rest, indent=1)[:-2]]
    ops = doc.get("ops") or []
    parts.append(',\n "ops": [\n' + ",\n".join("  " + json.dumps(op) for op in ops) + "\n ]")
    if "results" in doc:
        res = doc["results"] or []
        parts.append(',\n "results": [\n' + ",\n".join("  " + json.dumps(r, separators=(",", ":")) for r in res) + "\n ]")
    if "final_state" in doc:
        parts.append(',\n "final_state": ' + json.dumps(doc["final_state"], separators=(",", ":")))
    return "".join(parts) + "\n}\n"
