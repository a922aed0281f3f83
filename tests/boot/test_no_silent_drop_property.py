"""Property: whatever heap regions a devicetree has, and wherever they sit (top level, nested,
/reserved-memory), the boot never drops one without a word.

For random layouts on qemu_cortex_m3's SRAM, booted with ``strict=False``:
* every region the policy maps is either a heap in the pool or a ``heap-refused`` error;
* the heaps in the pool are pairwise disjoint;
* two heap regions that share a byte give a ``region-overlap`` error naming both;
* with ``strict=True`` such a layout does not boot."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import smh_boot
from smh_boot.errors import LayoutError

BASE = 0x20004000
SPAN = 0x4000  # the top 16 KiB of qemu_cortex_m3's 64 KiB SRAM
PLACES = ("top", "reserved", "nested")

region = st.tuples(
    st.integers(0, SPAN // 0x100 - 1),  # start, 256-byte steps
    st.integers(1, 16),  # size in 256-byte steps
    st.sampled_from(PLACES),
    st.booleans(),  # cacheable
)


def _overlay(regions) -> str:
    top, reserved = [], []
    for k, (start, size, place, cacheable) in enumerate(regions):
        addr = BASE + start * 0x100
        size = min(size * 0x100, BASE + SPAN - addr)
        attr = "0x00100000" if cacheable else "0x00200000"
        node = (f'r{k}: memory@{addr:x} {{\n\tcompatible = "zephyr,memory-region";\n'
                f'\treg = <{addr:#x} {size:#x}>;\n\tzephyr,memory-region = "R{k}";\n'
                f"\tzephyr,memory-attr = <{attr}>;\n}};\n")
        (reserved if place == "reserved" else top).append((place, node))
    out = ["&sram0 {\n\treg = <0x20000000 0x4000>;\n};\n/ {\n"]
    # "nested" regions go inside one container node that is itself a plain SRAM bank
    out.append(f'bank: sram@{BASE:x} {{\n\tcompatible = "mmio-sram";\n\treg = <{BASE:#x} {SPAN:#x}>;\n'
               "\t#address-cells = <1>;\n\t#size-cells = <1>;\n\tranges;\n")
    out += [n for p, n in top if p == "nested"]
    out.append("};\n")
    out += [n for p, n in top if p == "top"]
    out.append("reserved-memory {\n\t#address-cells = <1>;\n\t#size-cells = <1>;\n\tranges;\n")
    out += [n for _, n in reserved]
    out.append("};\n};\n")
    return "".join(out)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(region, min_size=1, max_size=6))
def test_no_heap_region_is_dropped_silently(tmp_path_factory, regions):
    ovl = Path(tmp_path_factory.mktemp("ovl")) / "r.overlay"
    ovl.write_text(_overlay(regions))
    system = smh_boot.boot("qemu_cortex_m3", overlays=[ovl], drivers=False, strict=False)
    mapped = [r for r in system.regions if r.attr is not None]
    added = [r for r in mapped if r.heap_index is not None]
    refused = {d.node for d in system.diagnostics if d.rule == "heap-refused"}
    assert {r.path for r in mapped if r.heap_index is None} == refused
    for i, a in enumerate(added):
        for b in added[i + 1:]:
            assert a.end <= b.addr or b.end <= a.addr, (a.name, b.name)
    overlaps = [d for d in system.diagnostics if d.rule == "region-overlap" and d.severity == "error"]
    clashing = False
    for i, a in enumerate(mapped):
        for b in mapped[i + 1:]:
            if a.addr < b.end and b.addr < a.end:
                clashing = True
                assert any({d.node, *(r.node for r in d.related)} >= {a.path, b.path}
                           for d in overlaps), (a.path, b.path)
    if clashing or refused:
        with pytest.raises(LayoutError):
            smh_boot.boot("qemu_cortex_m3", overlays=[ovl], drivers=False)
