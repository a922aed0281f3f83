"""Where regions lie: overlaps, containment in memory, the kernel's RAM, empty and
mislabelled ``reg`` entries."""

from __future__ import annotations

import bisect
from collections.abc import Iterator

from ..diagnostic import Related
from ..model import LayoutNode, is_ancestor
from ..overlap import overlap_groups
from .base import Context, Finding, hexrange, human, rule


def _where(n: LayoutNode):
    return n.reg_location or n.location


def _is_memory(ctx: Context, n: LayoutNode) -> bool:
    return n.is_memory or n.path == ctx.layout.sram


#: overlaps checked one by one per region; beyond it they are counted (hostile layouts with
#: thousands of regions at one address would otherwise produce millions of findings)
OVERLAPS_LISTED = 32


@rule(
    "region-overlap",
    "error",
    "two memory regions share addresses",
    """
Two memory regions (reserved-memory children, zephyr,memory-region nodes, nodes carrying
zephyr,memory-attr) cover some of the same addresses.

Why it matters: each region is handed out as if it were its own memory. Zephyr's linker
turns every zephyr,memory-region into a MEMORY entry and does not check that they are
disjoint (zephyr#96459), and shared_multi_heap_add() does not look at addresses at all, so two
heaps (or a heap and a linker section) silently hand out the same bytes. Linux only compares
neighbouring reserved regions; this rule compares every pair (sweep line, O(n log n + k)).

Not reported: a node and its own descendants, and a region lying wholly inside a node that
describes memory (mmio-sram, device_type = "memory", the chosen zephyr,sram) - that is a
carve-out, not a conflict (region-overlaps-kernel-ram covers heaps inside the kernel's RAM).
A region overlapping more than 32 others gets one more finding that counts the rest.

Fix: move or shrink one of the two regions; the message gives the shared range.
""",
)
def check_overlap(ctx: Context) -> Iterator[Finding]:
    nodes: list[LayoutNode] = []
    spans: list[tuple[int, int]] = []
    order = {}
    for n in ctx.regions:
        order[n.path] = len(order)
        for addr, size in n.regs:
            if size > 0:
                nodes.append(n)
                spans.append((addr, addr + size))
    seen: set[tuple[str, str]] = set()
    for j, earlier, count in overlap_groups(spans, OVERLAPS_LISTED):
        for i in earlier:
            f = _overlap_finding(ctx, nodes, spans, order, seen, i, j)
            if f is not None:
                yield f
        if count > len(earlier):
            b = nodes[j]
            yield Finding(
                _where(b), b.path,
                f"region {hexrange(spans[j][0], spans[j][1] - spans[j][0])} overlaps "
                f"{count - len(earlier)} more regions than the {len(earlier)} checked one by one",
            )


def _overlap_finding(ctx, nodes, spans, order, seen, i: int, j: int) -> Finding | None:
    a, b = nodes[i], nodes[j]
    if a is b:
        return None
    (sa, ea), (sb, eb) = spans[i], spans[j]
    # Two heaps over the same bytes corrupt each other wherever they sit (nested, in
    # /reserved-memory, inside a memory node): never a carve-out.
    both_heaps = a.is_heap and b.is_heap
    if not both_heaps:
        if is_ancestor(a.path, b.path) or is_ancestor(b.path, a.path):
            return None
        # A region wholly inside a node that describes memory is carved from it.
        if sa <= sb and eb <= ea and _is_memory(ctx, a) and not _is_memory(ctx, b):
            return None
        if sb <= sa and ea <= eb and _is_memory(ctx, b) and not _is_memory(ctx, a):
            return None
    # Report at the node defined later in the devicetree, with a note at the other.
    first, second = (a, b) if order[a.path] <= order[b.path] else (b, a)
    key = (first.path, second.path)
    if key in seen:
        return None
    seen.add(key)
    lo, hi = max(sa, sb), min(ea, eb)
    fs, ss = (spans[i], spans[j]) if first is a else (spans[j], spans[i])
    what = "heap region" if both_heaps else "region"
    why = ": both are heaps, the boot adds only the first" if both_heaps else ""
    return Finding(
        _where(second),
        second.path,
        f"{what} {hexrange(ss[0], ss[1] - ss[0])} overlaps {first.name} "
        f"{hexrange(fs[0], fs[1] - fs[0])} on {hexrange(lo, hi - lo)} ({human(hi - lo)}){why}",
        (Related(_where(first), first.path, f"the other {what} is defined here"),),
    )


def _merged(spans: list[tuple[int, int]]) -> tuple[list[int], list[int]]:
    """Union of ``[start, end)`` spans as sorted, disjoint starts/ends (touching spans merge:
    a region may run across two adjacent SRAM banks)."""
    starts: list[int] = []
    ends: list[int] = []
    for s, e in sorted(spans):
        if starts and s <= ends[-1]:
            ends[-1] = max(ends[-1], e)
        else:
            starts.append(s)
            ends.append(e)
    return starts, ends


def _declares_memory(ctx: Context, n: LayoutNode) -> bool:
    """The node describes memory itself rather than carving a region out of memory: a memory
    node, the chosen zephyr,sram, or a zephyr,memory-region node outside /reserved-memory that
    is not nested in a memory node (a TCM, an SRAM bank)."""
    if n.in_reserved_memory:
        return False  # carved out of memory by definition, whatever its compatible says
    if _is_memory(ctx, n):
        return True
    if not n.is_linker_region:
        return False
    parent = ctx.layout.get(n.parent)
    return not (parent is not None and _is_memory(ctx, parent))


@rule(
    "region-outside-memory",
    "warning",
    "a region is not inside any memory the devicetree describes",
    """
A region carved out of memory (a reserved-memory child - even one marked mmio-sram -, a node
nested in a memory node, a node that only carries zephyr,memory-attr) is not contained in any status-okay memory the
devicetree describes: device_type = "memory" nodes, mmio-sram nodes (including
zephyr,memory-region + mmio-sram carve-outs), the chosen zephyr,sram, or its parent memory
node. Adjacent memories count as one span, so a region may straddle two contiguous banks.

Why it matters: the region's addresses are backed by nothing the board declares - usually a
typo in the address or size, or an SRAM bank that is disabled or was shrunk by an overlay.
On hardware the first access faults (or silently aliases other memory).

Nodes that declare memory themselves (mmio-sram, device_type = "memory", a top-level
zephyr,memory-region such as a TCM) are not checked.

Fix: correct the region's reg, or add/enable the memory node that backs it.
""",
)
def check_outside_memory(ctx: Context) -> Iterator[Finding]:
    # Reserved-memory children back nothing themselves (and must not contain themselves).
    spans = [(a, a + s) for m in ctx.memories if not m.in_reserved_memory for a, s in m.regs if s > 0]
    starts, ends = _merged(spans)
    for n in ctx.regions:
        if _declares_memory(ctx, n):
            continue
        for addr, size in n.regs:
            if size <= 0:
                continue
            k = bisect.bisect_right(starts, addr) - 1
            if k >= 0 and addr + size <= ends[k]:
                continue
            if k >= 0 and addr < ends[k]:
                how = f"runs {human(addr + size - ends[k])} past the memory ending at {ends[k]:#x}"
            else:
                how = "lies in no memory node"
            yield Finding(_where(n), n.path, f"region {hexrange(addr, size)} {how}")
            break


@rule(
    "region-beyond-address-space",
    "error",
    "a memory or region runs past the end of the CPU's address space",
    """
A memory node or region ends beyond the last address the CPU can reach: 4 GiB on a 32-bit
target (ptr_size 4), 2^64 on a 64-bit one. Usually a typo in the address or the size, or a
64-bit reg written for a 32-bit board.

Why it matters: the addresses wrap (or do not exist); Zephyr's linker and MPU/MMU setup
cannot describe the region, and sys_heap_init() would compute its end from a wrapped pointer.

Fix: correct the reg address or size so that address + size <= 2^(8 * pointer size).
""",
)
def check_beyond_address_space(ctx: Context) -> Iterator[Finding]:
    limit = 1 << (8 * ctx.options.ptr_size)
    seen: set[str] = set()
    for n in [*ctx.memories, *ctx.regions]:
        if n.path in seen:
            continue
        seen.add(n.path)
        for addr, size in n.regs:
            if size > 0 and addr + size > limit:
                yield Finding(
                    _where(n), n.path,
                    f"{hexrange(addr, size)} ends past the {8 * ctx.options.ptr_size}-bit "
                    f"address space (last address {limit - 1:#x})",
                )
                break


@rule(
    "region-overlaps-kernel-ram",
    "warning",
    "a heap region lies in the kernel's RAM (chosen zephyr,sram)",
    """
A region that becomes a heap (the SMH policy maps it to an attribute, or it has software
allocation bits for mem_attr_heap) overlaps the memory chosen as zephyr,sram.

Why it matters: the kernel owns zephyr,sram. The linker places .data, .bss, .noinit, stacks
and the system heap there, and on MMU systems (arm64) the rest of it is the page-frame pool
k_mem_map() hands out. A shared-multi-heap heap on the same bytes is overwritten by - or
overwrites - kernel data, with no error at build or boot time. Upstream test overlays shrink
sram0 (e.g. &sram0 { reg = <0x20000000 DT_SIZE_K(32)>; }) exactly to avoid this.

Default severity is warning because a small image may never reach the region (Zephyr's own
shared_multi_heap test on qemu_cortex_a53 places its regions 32 MiB into the 128 MiB RAM);
raise it with --severity region-overlaps-kernel-ram=error for production layouts.

Fix: shrink the zephyr,sram node with an overlay, or move the region to memory the kernel
does not use.
""",
)
def check_kernel_ram(ctx: Context) -> Iterator[Finding]:
    sram = ctx.layout.get(ctx.layout.sram)
    if sram is None or not sram.regs:
        return
    for n in ctx.heaps:
        for addr, size in n.regs[:1]:
            for sa, ss in sram.regs:
                lo, hi = max(addr, sa), min(addr + size, sa + ss)
                if hi > lo and n is not sram:
                    yield Finding(
                        _where(n),
                        n.path,
                        f"heap region {hexrange(addr, size)} overlaps the kernel RAM "
                        f"{sram.name} {hexrange(sa, ss)} (chosen zephyr,sram) on "
                        f"{hexrange(lo, hi - lo)}",
                        (Related(_where(sram), sram.path, "the kernel RAM (chosen zephyr,sram) is defined here"),),
                    )
                    break
                if n is sram:
                    yield Finding(
                        _where(n), n.path, "the chosen zephyr,sram itself is a heap region: the kernel and "
                        "the heap share all of it"
                    )
                    break


@rule(
    "region-zero-size",
    "error",
    "a region or memory node has a reg entry of size 0",
    """
A memory region or memory node has a reg entry whose size is 0.

Why it matters: an empty region cannot hold anything. As a heap, sys_heap_init() asserts
("heap size is too small"); as a zephyr,memory-region it produces an empty linker region that
any section placed there overflows; as a memory node it backs nothing. It is nearly always a
wrong #size-cells, a missing size cell, or a size macro that expanded to 0.

Fix: give the region its real size (check the parent's #address-cells/#size-cells).
""",
)
def check_zero_size(ctx: Context) -> Iterator[Finding]:
    for n in ctx.layout.nodes:
        if not n.regs or not (n.is_region or n.is_memory):
            continue
        for k, (addr, size) in enumerate(n.regs):
            if size == 0:
                entry = f"reg entry {k}" if len(n.regs) > 1 else "reg"
                yield Finding(_where(n), n.path, f"{entry} at {addr:#x} has size 0")


def _parse_unit_addr(text: str) -> int | None:
    try:
        return int(text, 16)
    except ValueError:  # "0,1000" (multi-cell buses) or a name that is not a number
        return None


@rule(
    "unit-address-mismatch",
    "warning",
    "a node's unit address differs from its first reg address",
    """
The unit address in a node name (the part after '@') is not the first address of its reg
property. The unit address is compared with the address as written (in the parent's address
space) and, for nodes behind a 'ranges' translation, also with the CPU address.

Why it matters: tools and people read the node name (memory@20001000) and trust it. When the
name and reg disagree, one of them was not updated after a move - often reg, so the region is
not where everyone thinks. Zephyr's edtlib only logs this; the mem_attr table even exposes
the node name to C code (mem_attr_get_region_index_by_name()).

Fix: make the unit address and the first reg address agree.
""",
)
def check_unit_address(ctx: Context) -> Iterator[Finding]:
    for n in ctx.layout.nodes:
        if not n.is_heap:  # heaps: heap-unit-address-mismatch (an error)
            f = _unit_mismatch(n, "")
            if f is not None:
                yield f


def _unit_mismatch(n: LayoutNode, consequence: str) -> Finding | None:
    if not n.unit_addr or not n.regs or n.raw_first_addr is None:
        return None
    unit = _parse_unit_addr(n.unit_addr)
    if unit is None or unit in (n.raw_first_addr, n.regs[0][0]):
        return None
    # the name's own line, not an overlay's '&label {' that reopened the node
    name_at = n.name_location or n.location
    hint = ""
    if n.unit_addr.lower().lstrip("0") == str(n.raw_first_addr):
        # memory@20180000 with reg = <20180000 ...>: the hex address typed without 0x
        hint = f"; reg {n.raw_first_addr} is the unit address written in decimal: write 0x{n.unit_addr}"
    return Finding(
        _where(n),
        n.path,
        f"unit address {n.unit_addr} does not match the first reg address "
        f"{n.raw_first_addr:#x}{consequence}{hint}",
        (Related(name_at, n.path, f"node name {n.name} is written here"),)
        if n.reg_location is not None and name_at is not None and name_at != n.reg_location else (),
    )


@rule(
    "heap-unit-address-mismatch",
    "error",
    "a heap region's unit address differs from its first reg address",
    """
A region that becomes a heap (the SMH policy maps it, or it has software allocation bits)
has a unit address (memory@20180000) that is not the first address of its reg. The same
mismatch on any other node is the warning unit-address-mismatch; on a heap it is an error.

Why it matters: the heap is created at the reg address, and the reg address is the one that
is usually wrong. A real upstream overlay wrote reg = <20180000 ...> (decimal) under
memory@20180000: the heap lands at 0x0133ec20, in whatever lies there. A node that declares
memory itself (mmio-sram, a zephyr,memory-region node) is not checked against any other
memory, so nothing else catches it; the boot would format heap headers into foreign memory.

Fix: make the reg address and the unit address agree (usually: add the missing 0x).
""",
)
def check_heap_unit_address(ctx: Context) -> Iterator[Finding]:
    for n in ctx.heaps:
        f = _unit_mismatch(n, ": the heap would be created at the reg address")
        if f is not None:
            yield f
