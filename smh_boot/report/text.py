"""Render a :class:`~.model.MemoryMap` as aligned plain-text tables (terminals, CI logs)."""

from __future__ import annotations

from collections.abc import Sequence

from .describe import span
from .fmt import hex_addr, human_size, percent
from .model import Band, MemoryMap


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[int] = ()) -> list[str]:
    """Lines of an aligned table: a header, a rule, then ``rows``; columns whose index is in
    ``right`` are right-aligned (numbers), the others left-aligned.  Trailing blanks are cut."""
    widths = [len(h) for h in headers]
    for row in rows:
        if len(row) != len(headers):
            raise ValueError(f"table row has {len(row)} cells, expected {len(headers)}: {row!r}")
        widths = [max(w, len(c)) for w, c in zip(widths, row)]

    def line(cells: Sequence[str]) -> str:
        parts = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))]
        return "  ".join(parts).rstrip()

    return [line(headers), "  ".join("-" * w for w in widths), *(line(r) for r in rows)]


def _bands(mm: MemoryMap) -> list[str]:
    bits = mm.address_bits
    rows = [
        [
            "  " * mm.depth(b) + b.name,
            b.kind,
            hex_addr(b.addr, bits),
            hex_addr(b.end - 1, bits) if b.size else "-",
            human_size(b.size),
            b.attr or "-",
            "yes" if b.dma else "no",
            b.attr_bits or "-",
            b.node or "-",
            _note(b),
        ]
        for b in mm.bands
    ]
    head = ["band", "kind", "start", "last", "size", "attr", "DMA", "attr bits", "node", "note"]
    return table(head, rows, right=(4,))


def _note(b: Band) -> str:
    notes = []
    if b.kernel_ram:
        notes.append("kernel RAM (zephyr,sram)")
    if b.refused:
        notes.append(f"refused: {b.refused}")
    return "; ".join(notes) or "-"


def _allocations(mm: MemoryMap) -> list[str]:
    bits = mm.address_bits
    rows = [
        [a.region, a.owner or "(no owner)", hex_addr(a.addr, bits), str(a.size), human_size(a.size)]
        for a in mm.allocations
    ]
    return table(["region", "owner", "address", "bytes", "size"], rows, right=(3, 4))


def _heaps(mm: MemoryMap) -> list[str]:
    rows, hist = [], []
    for b in mm.bands:
        h = b.heap
        if h is None:
            continue
        rows.append([
            b.name, "big" if h.big else "small", str(h.used_bytes), str(h.used_chunks),
            str(h.free_bytes), str(h.free_chunks), str(h.largest_free),
            percent(h.fragmentation), str(h.overhead_bytes), str(h.undersized),
        ])
        for k in h.buckets:
            if k.count:
                hist.append([b.name, str(k.index), f"{k.min_units}-{k.max_units}", str(k.count),
                             str(k.usable_bytes)])
    head = ["heap", "format", "used B", "blocks", "free B", "free chunks", "largest free B",
            "fragmentation", "overhead B", "undersized"]
    out = table(head, rows, right=tuple(range(2, 10)))
    out += ["", "Free chunks per bucket", ""]
    out += table(["heap", "bucket", "units", "chunks", "usable B"], hist, right=(1, 2, 3, 4))
    return out


def _findings(mm: MemoryMap) -> list[str]:
    bits = mm.address_bits
    rows = [
        [str(n), f.kind, f.rule or "-", "-" if f.addr is None else span(f.addr, f.size, bits),
         f.message, " ".join(p for p in (f.node, f.location) if p) or "-"]
        for n, f in enumerate(mm.findings, 1)
    ]
    return table(["#", "kind", "rule", "range", "message", "at"], rows, right=(0,))


def render_text(mm: MemoryMap) -> str:
    """The map as text: bands (indented by nesting), allocations, heap reports with their
    bucket histograms, and findings, each an aligned table.  Sections with no rows are left
    out; the output ends with a newline."""
    out = [mm.title, f"{mm.address_bits}-bit address space", ""]
    sections = [("Bands", mm.bands, _bands), ("Allocations", mm.allocations, _allocations),
                ("Heaps", [b for b in mm.bands if b.heap], _heaps),
                ("Findings", mm.findings, _findings)]
    for name, items, fn in sections:
        if items:
            out += [name, "", *fn(mm), ""]
    return "\n".join(out).rstrip("\n") + "\n"
