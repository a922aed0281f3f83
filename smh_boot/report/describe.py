"""Short texts about bands, allocations and findings, shared by every renderer."""

from __future__ import annotations

from .fmt import hex_addr, human_size
from .model import Allocation, Band, MapFinding


def span(addr: int, size: int, bits: int) -> str:
    """``0x24000000-0x2407ffff`` (inclusive last byte), or just the address for size 0."""
    if size == 0:
        return hex_addr(addr, bits)
    return f"{hex_addr(addr, bits)}-{hex_addr(addr + size - 1, bits)}"


def attr_word(b: Band) -> str:
    """The band's SMH attribute, else why it has none: ``unmapped attribute`` (it carries
    ``zephyr,memory-attr`` bits and was refused for them), ``no SMH attribute`` (bits, but no
    heap memory: flash, MMIO...) or ``no attribute``."""
    if b.attr:
        return b.attr
    if b.attr_bits:
        return "unmapped attribute" if b.refused else "no SMH attribute"
    return "no attribute"


def band_traits(b: Band) -> str:
    """``region · non-cacheable · DMA`` - kind, attribute, DMA capability."""
    parts = [b.kind, attr_word(b)]
    if b.dma:
        parts.append("DMA")
    if b.kernel_ram:
        parts.append("kernel RAM")
    return " · ".join(parts)


def band_tip(b: Band, bits: int) -> str:
    """Multi-line hover text of a band."""
    lines = [
        f"{b.name} ({b.kind})" + (f", node {b.node}" if b.node and b.node != b.name else ""),
        f"address: {span(b.addr, b.size, bits)}",
        f"size: {human_size(b.size)} ({b.size:#x})",
        f"attribute: {attr_word(b) if b.attr_bits else b.attr or 'none'}; DMA: {'yes' if b.dma else 'no'}",
    ]
    if b.attr_bits:
        lines.append(f"attr bits: {b.attr_bits}")
    if b.kernel_ram:
        lines.append("the kernel's RAM (chosen zephyr,sram)")
    if b.refused:
        lines.append(f"refused by the boot: {b.refused}")
    if b.location:
        lines.append(f"defined at: {b.location}")
    if b.parent:
        lines.append(f"inside: {b.parent}")
    if b.heap is not None:
        h = b.heap
        lines.append(
            f"heap: used {human_size(h.used_bytes)}, free {human_size(h.free_bytes)}, "
            f"largest free {human_size(h.largest_free)}"
        )
    return "\n".join(lines)


def alloc_label(a: Allocation, bits: int) -> str:
    """``uart0 · 1 KiB @ 0x24000100``."""
    return f"{a.owner or '(no owner)'} · {human_size(a.size)} @ {hex_addr(a.addr, bits)}"


def alloc_tip(a: Allocation, band: Band, bits: int) -> str:
    """Multi-line hover text of an allocation."""
    return "\n".join(
        [
            f"allocation by {a.owner or '(no owner)'}",
            f"address: {span(a.addr, a.size, bits)}",
            f"size: {human_size(a.size)} ({a.size} bytes)",
            f"region: {band.name} ({attr_word(band)})",
            *([f"attr bits: {band.attr_bits}"] if band.attr_bits else []),
        ]
    )


def finding_title(f: MapFinding, bits: int) -> str:
    """``OVERLAP 0x..-0x.. (4 KiB)`` (no range for findings without an address)."""
    head = f.kind.upper()
    if f.addr is None:
        return head
    return f"{head} {span(f.addr, f.size, bits)} ({human_size(f.size)})"


def finding_line(f: MapFinding, bits: int) -> str:
    """One full line: title, rule and message."""
    rule = f" [{f.rule}]" if f.rule else ""
    return f"{finding_title(f, bits)}{rule}: {f.message}"


def finding_where(f: MapFinding) -> str:
    """``at /soc/memory@3003c000 · app.overlay:10:3`` (empty when neither is known)."""
    parts = [p for p in (f.node, f.location) if p]
    return ("at " + " · ".join(parts)) if parts else ""
