"""Generation of golden-format heap traces (``zephyr-shared-multi-heap-golden/1``).

Ops follow the format's grammar (``init_pool``, ``add``, ``alloc``, ``aligned_alloc``,
``realloc``, ``free``, ``alias``, ``free_raw``) with values that exercise the heap's checks:
regions from tiny to 2^32 bytes, attributes out of range, too many heaps, sizes of 0 and of
2^64, alignments with several bits set, unknown and freed tags (double frees, frees of
foreign and interior pointers).  Some traces have no ``init_pool`` or add heaps after it.
``results``/``final_state`` are omitted: the harness replays and, with ``--check``, compares
against an empty expectation, which must report a difference, not crash.
"""

from __future__ import annotations

import json
from typing import Any

from ..heap.trace import FORMAT

_SIZES = (0, 1, 7, 8, 12, 16, 24, 64, 100, 256, 1000, 4096, 65536, 1 << 20, (1 << 32) - 1, 1 << 40, 1 << 64)
_ALIGNS = (0, 1, 2, 3, 4, 8, 12, 16, 24, 64, 96, 256, 4096, 1 << 20, 6, 7)
_REGION_SIZES = (0, 16, 64, 256, 512, 1024, 4096, 8192, 65536, 1 << 20, 1 << 24, 1 << 32)


def generate_trace(rng: Any, *, max_ops: int = 40) -> dict[str, Any]:
    """A random trace document (deterministic for a given rng state)."""
    r = rng
    ptr = r.choice((4, 8))
    stats = r.random() < 0.5
    doc: dict[str, Any] = {
        "format": FORMAT,
        "name": "fuzz",
        "variant": {"name": f"p{ptr}_{'stats' if stats else 'nostats'}", "ptr_size": ptr, "runtime_stats": stats},
        "config": {"CONFIG_SYS_HEAP_ALLOC_LOOPS": r.choice((1, 3, 8)),
                   "CONFIG_SYS_HEAP_HARDENING_LEVEL": r.choice((0, 1, 2, 3, 4))},
    }
    ops: list[dict[str, Any]] = []
    tags: list[str] = []
    if r.random() < 0.9:
        ops.append({"op": "init_pool"})
    nregions = 0
    for _ in range(r.randint(0, 3) if r.random() < 0.1 else r.randint(1, 4)):
        ops.append({"op": "add", "attr": r.choice((0, 0, 1, 2, 3, 7)), "base_mod": r.choice((0, 4, 12, 100, 4095)),
                    "size": r.choice(_REGION_SIZES)})
        nregions += 1
    for i in range(r.randint(0, max_ops)):
        k = r.randint(0, 9)
        tag = f"t{i}"
        old = r.choice(tags) if tags and r.random() < 0.9 else r.choice(("nope", None))
        if k <= 3:
            ops.append({"op": "alloc", "attr": r.choice((0, 0, 1, 2, 5)), "size": r.choice(_SIZES), "tag": tag})
            tags.append(tag)
        elif k == 4:
            ops.append({"op": "aligned_alloc", "attr": r.choice((0, 1, 2)), "align": r.choice(_ALIGNS),
                        "size": r.choice(_SIZES), "tag": tag})
            tags.append(tag)
        elif k == 5:
            ops.append({"op": "realloc", "attr": r.choice((0, 1, 2)), "tag": old, "size": r.choice(_SIZES),
                        "newtag": tag if r.random() < 0.8 else None})
            tags.append(tag)
        elif k <= 7:
            ops.append({"op": "free", "tag": old})  # a freed tag again: double free
        elif k == 8:
            ops.append({"op": "alias", "tag": old, "newtag": tag})
            tags.append(tag)
        else:
            ops.append({"op": "free_raw", "region": r.randint(0, nregions + 1),
                        "offset": r.choice((0, 4, 8, 12, 13, 64, 4096, 1 << 33))})
    doc["ops"] = ops
    doc["n_ops"] = len(ops)
    return doc


def trace_text(doc: Any) -> str:
    """The golden files' layout: header keys, then one op per line (for op line numbers)."""
    if not isinstance(doc, dict) or not isinstance(doc.get("ops"), list):
        return json.dumps(doc)
    head = {k: v for k, v in doc.items() if k != "ops"}
    body = ",\n".join("  " + json.dumps(op) for op in doc["ops"])
    text = json.dumps(head)[:-1]
    return text + (", " if head else "") + '"ops": [\n' + body + "\n]}\n"
