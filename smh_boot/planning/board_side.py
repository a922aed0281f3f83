"""Where capacity planning meets a booted board: its heap regions, its own workload (the
drivers' allocations at boot, recorded), and the devicetree overlay that applies new sizes."""

from __future__ import annotations

from typing import Any

from ..heap.region import SmhAttr
from .workload import PlanRegion, Workload, workload_from_doc


def plan_regions(system: Any) -> list[PlanRegion]:
    """The regions the boot turned into heaps, in the order it added them to the pool."""
    out = []
    for info in sorted((r for r in system.regions if r.heap_index is not None),
                       key=lambda r: r.heap_index):
        rec = info.record
        labels = tuple(getattr(rec, "labels", ()) or ())
        attr = SmhAttr[info.attr]
        out.append(PlanRegion(info.name, info.path, int(attr), info.attr, info.addr, info.size, labels))
    return out


def dt_attrs(system: Any) -> dict[str, int | None]:
    """Devicetree attribute bits per region path (they decide the MPU size rules)."""
    return {r.path: r.dt_attr for r in system.regions}


def record_boot(boot: Any, board: Any, **kwargs: Any) -> tuple[Any, dict[str, Any]]:
    """Boot ``board`` with a trace recorder on the pool; returns (system, trace document)."""
    from ..testing.trace_recorder import TraceRecorder

    holder: list[Any] = []

    def hook(pool: Any) -> Any:
        rec = TraceRecorder(pool)
        holder.append(rec)
        return rec

    system = boot(board, pool_hook=hook, **kwargs)
    name = getattr(system.board, "name", "board")
    doc = holder[0].to_trace(name=f"{name}-boot", description=f"the allocations of {name}'s drivers at boot")
    return system, doc


def boot_workload(system: Any, doc: dict[str, Any]) -> Workload:
    """The recorded boot as a workload on the board's regions."""
    return workload_from_doc(doc, plan_regions(system), f"<boot of {getattr(system.board, 'name', 'board')}>")


def _ref(node: Any) -> str:
    labels = getattr(node, "labels", None) or []
    return f"&{labels[0]}" if labels else f"&{{{node.path}}}"


def overlay_text(system: Any, sizes: dict[str, int], comment: str = "") -> str:
    """A devicetree overlay that gives each region (by node path) its new size: the first
    ``reg`` entry's size cells change, its address and every other entry stay as written."""
    dt = system.devicetree
    lines = ["/*", " * Region sizes suggested by `smh-boot fit`" + (f": {comment}" if comment else "."),
             " * Apply with --overlay (smh-boot) or add to your application's overlay (Zephyr).",
             " */", ""]
    for path, size in sizes.items():
        node = dt.get(path)
        if node is None:
            continue
        cells = dt.nums_prop(node, "reg") or []
        ac, sc = dt.cells(node)
        if sc == 0 or len(cells) < ac + sc:
            continue
        new = list(cells)
        for j in range(sc):
            new[ac + j] = (size >> (32 * (sc - 1 - j))) & 0xFFFFFFFF
        text = " ".join(f"0x{c:x}" for c in new)
        lines += [f"{_ref(node)} {{", f"\treg = <{text}>;", "};", ""]
    return "\n".join(lines)

