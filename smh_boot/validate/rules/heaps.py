"""Rules on regions that become ``sys_heap`` heaps: size, alignment, how many."""

from __future__ import annotations

from collections.abc import Iterator

from ...heap.region import SmhAttr
from ..diagnostic import Related
from ..heapsize import heap_fit, min_heap_size
from .base import Context, Finding, rule

#: MAX_MULTI_HEAPS (include/zephyr/sys/multi_heap.h): per SMH attribute and in total
MAX_MULTI_HEAPS = 8


def _where(n):
    return n.reg_location or n.location


def _config(ctx: Context) -> str:
    o = ctx.options
    mode = "" if o.heap_mode == "auto" else f", {o.heap_mode.upper()}_ONLY heaps"
    return f"{8 * o.ptr_size}-bit pointers, runtime stats {'on' if o.runtime_stats else 'off'}{mode}"


@rule(
    "heap-region-too-small",
    "error",
    "a heap region is smaller than the smallest heap sys_heap_init accepts",
    """
A region that becomes a heap (mapped by the SMH policy, or with software allocation bits for
mem_attr_heap) is too small for sys_heap_init(). The minimum depends on the pointer size
(--ptr-size), CONFIG_SYS_HEAP_RUNTIME_STATS (--runtime-stats), the heap mode (--heap-mode:
AUTO, SMALL_ONLY, BIG_ONLY) and the base address modulo 8:
sys_heap_init() reserves a 4- or 8-byte footer, rounds both ends to 8 bytes, and needs the
chunk-0 header (struct z_heap plus the bucket array) and one free chunk. For an 8-aligned base
the minimum is 44 bytes (32-bit), 52 (32-bit with stats), 56 (64-bit), 80 (64-bit with stats);
a misaligned base needs up to 7 bytes more.

Why it matters: sys_heap_init() __ASSERTs "heap size is too small" (a kernel panic with
CONFIG_ASSERT=y, garbage without). For a few bytes on a misaligned base the size arithmetic
even wraps around and no assert fires at all: the heap claims gigabytes it does not own. A heap
above 16 GiB (or 256 KiB with SYS_HEAP_SMALL_ONLY) asserts "heap size is too big".

Fix: make the region at least the minimum the message gives (in practice much bigger: the
smallest heap holds one 4-byte block).
""",
)
def check_too_small(ctx: Context) -> Iterator[Finding]:
    o = ctx.options
    for n in ctx.heaps:
        addr, size = n.regs[0]
        if size <= 0:
            continue  # region-zero-size
        fit = heap_fit(addr, size, o.ptr_size, o.runtime_stats, o.heap_mode)
        if fit.ok:
            continue
        if fit.reason == "heap size is too big":
            most = "0x7fff chunks with SYS_HEAP_SMALL_ONLY" if o.heap_mode == "small" else "0x7fffffff chunks"
            msg = f"heap region of {size:#x} bytes is too big for sys_heap_init (more than {most})"
        else:
            need = min_heap_size(o.ptr_size, o.runtime_stats, addr % 8, o.heap_mode)
            msg = (
                f"heap region of {size} bytes at {addr:#x} is smaller than the smallest heap "
                f"sys_heap_init accepts: {need} bytes ({_config(ctx)}, base {addr % 8} past an "
                "8-byte boundary)"
            )
            if fit.bogus:
                msg += "; the size arithmetic wraps around, so no assert fires and the heap is garbage"
            else:
                msg += "; it asserts \"heap size is too small\""
        yield Finding(_where(n), n.path, msg)


@rule(
    "heap-region-misaligned",
    "warning",
    "a heap region's base is not 8-byte aligned",
    """
The base address of a heap region is not a multiple of 8 (sys_heap's chunk unit).

Why it matters: sys_heap_init() rounds the base up to 8 bytes and the end down, so up to 7
bytes at each end are lost and the heap is smaller than the region says; the heap's internal
base (which sys_multi_heap sorts and looks pointers up by) is not the region address any more.
On 32-bit a tiny misaligned region can even make the size arithmetic wrap (see
heap-region-too-small). A misaligned carve-out is almost always an address typo.

Fix: align the region base (and size) to at least 8 bytes - in practice to the cache line or
MPU granule.
""",
)
def check_misaligned(ctx: Context) -> Iterator[Finding]:
    for n in ctx.heaps:
        addr, size = n.regs[0]
        if addr % 8:
            lost = (-addr) % 8
            yield Finding(
                _where(n), n.path,
                f"heap region base {addr:#x} is not 8-byte aligned: sys_heap starts the heap at "
                f"{addr + lost:#x} and {lost} byte(s) of the region are lost",
            )


def _attr_name(a: int) -> str:
    return SmhAttr(a).name if 0 <= a < len(SmhAttr) else str(a)


@rule(
    "too-many-heaps",
    "error",
    "more than 8 heaps for one SMH attribute, in total, or for mem_attr_heap",
    """
Zephyr's multi-heap holds at most MAX_MULTI_HEAPS = 8 heaps (a plain #define, no Kconfig):
  - shared_multi_heap_add() keeps 8 heap slots per SMH attribute: the 9th region of one
    attribute gets -ENOMEM and is left out;
  - the underlying sys_multi_heap has 8 slots in total: a 9th heap across all attributes
    (say 5 cacheable + 4 non-cacheable) passes the per-attribute check and then trips
    __ASSERT in sys_multi_heap_add_heap() (memory corruption with asserts off);
  - mem_attr_heap_pool_init() creates at most 8 heaps from regions with software
    allocation bits; the 9th makes it return -ENOMEM.

Heaps are counted in devicetree order, the order the platform code adds them. Each limit is
reported once, at the first region past it, with the number of regions it leaves out.

Fix: merge adjacent regions of the same attribute, or drop zephyr,memory-attr from regions
that need not be heaps.
""",
)
def check_too_many(ctx: Context) -> Iterator[Finding]:
    per_attr: dict[int, list] = {}
    over: dict[int, list] = {}
    total: list = []
    for n in ctx.heaps:
        if n.smh_attr is None:
            continue
        same = per_attr.setdefault(n.smh_attr, [])
        if len(same) >= MAX_MULTI_HEAPS:
            over.setdefault(n.smh_attr, []).append(n)
            continue
        same.append(n)
        total.append(n)
    for attr, skipped in over.items():
        more = f" (and {len(skipped) - 1} more after it)" if len(skipped) > 1 else ""
        yield _past_limit(
            skipped[0], per_attr[attr][0], f"first {_attr_name(attr)} heap",
            f"9th region for SMH attribute {_attr_name(attr)}: shared_multi_heap_add() returns "
            f"-ENOMEM (at most {MAX_MULTI_HEAPS} per attribute) and the region is not used{more}",
        )
    if len(total) > MAX_MULTI_HEAPS:
        yield _past_limit(
            total[MAX_MULTI_HEAPS], total[0], "first heap of the pool",
            f"9th shared-multi-heap heap in total ({len(total)} accepted by the per-attribute "
            f"check): sys_multi_heap holds {MAX_MULTI_HEAPS}, so sys_multi_heap_add_heap() asserts",
        )
    sw = [n for n in ctx.heaps if n.has_sw_alloc]
    if len(sw) > MAX_MULTI_HEAPS:
        yield _past_limit(
            sw[MAX_MULTI_HEAPS], sw[0], "first mem_attr_heap region",
            f"{len(sw)} regions with software allocation bits: mem_attr_heap_pool_init() creates "
            f"{MAX_MULTI_HEAPS} heaps and returns -ENOMEM at this one",
        )


def _past_limit(n, first, note: str, message: str) -> Finding:
    """The finding at the first heap past a limit, with a note at the first heap counted."""
    return Finding(_where(n), n.path, message, (Related(_where(first), first.path, note),))
