"""map_from_system(): a booted system (here a stand-in with the same attributes) -> MemoryMap."""

from __future__ import annotations

from types import SimpleNamespace as NS

from smh_boot.errors import DevicetreeError
from smh_boot.report import render
from smh_boot.report.from_system import map_from_system
from smh_boot.report.svg import render_svg


def _node(name, path, parent="soc"):
    return NS(name=name, path=path, parent=NS(name=parent))


class _Dt:
    def __init__(self, nodes):
        self.nodes = nodes

    def memory_nodes(self):
        return [n for n, _ in self.nodes]

    def reg(self, node):
        regs = dict((n.path, r) for n, r in self.nodes)[node.path]
        if regs is None:
            raise DevicetreeError("bad reg", "board.dts", 12)
        return [NS(addr=a, size=s) for a, s in regs]


def _system():
    heap = NS(chunks=lambda: [(0, 6, True), (6, 20, True), (26, 229, False)], hdr=4, big=False,
              end_chunk=255, chunk0=6, size=2048)
    dt = _Dt([
        (_node("memory@20000000", "/memory@20000000"), [(0x20000000, 0x10000)]),
        (_node("sram@30000000", "/soc/sram@30000000"), [(0x30000000, 0x800)]),
        (_node("twice@40000000", "/twice@40000000"), [(0x40000000, 0x100), (0x40001000, 0x100)]),
        (_node("broken@0", "/broken@0"), None),
        (_node("ipc@2000b800", "/reserved-memory/ipc@2000b800", "reserved-memory"),
         [(0x2000b800, 0x1000)]),
    ])
    regions = [
        NS(name="SRAM_NC", path="/soc/sram@30000000", addr=0x30000000, size=0x800,
           attr="NON_CACHEABLE", decoded="RAM | NOCACHE | DMA", heap_index=0,
           record=NS(decoded=NS(dma=True), no_map=False)),
        NS(name="dma", path="/soc/dma@20004000", addr=0x20004000, size=0x8000, attr=None,
           decoded="", heap_index=None, record=None),
    ]
    blocks = [NS(addr=0x30000000 + 8 * 6 + 4, size=150, owner="eth0"),
              NS(addr=0x50000000, size=8, owner=None)]
    diags = [
        NS(rule="region-overlap", severity="error", message="dma overlaps ipc",
           node="/soc/dma@20004000", related=[NS(node="/reserved-memory/ipc@2000b800")]),
        NS(rule="attr-missing", severity="warning", message="no attribute", node="/soc/dma@20004000",
           related=[]),
    ]

    def region_name_at(addr):
        return "SRAM_NC" if 0x30000000 <= addr < 0x30000800 else None

    return NS(board=NS(name="fake_board"), devicetree=dt, regions=regions,
              pool=NS(heaps=[NS(sys_heap=heap)], blocks=lambda: blocks),
              region_name_at=region_name_at, memory=NS(addr_bits=32), diagnostics=diags)


def test_bands_from_memory_nodes_and_regions():
    mm = map_from_system(_system())
    assert mm.title == "fake_board memory map"
    names = [b.name for b in mm.bands]
    # the SMH region node is drawn once (as the region); bad reg nodes are left out
    assert names == ["memory@20000000", "dma", "ipc@2000b800", "SRAM_NC",
                     "twice@40000000[0]", "twice@40000000[1]"]
    nc = mm.band("SRAM_NC")
    assert (nc.kind, nc.attr, nc.dma, nc.attr_bits) == ("region", "non-cacheable", True,
                                                       "RAM | NOCACHE | DMA")
    assert nc.heap is not None and nc.heap.used_bytes == 8 * 20 - 4
    assert mm.band("ipc@2000b800").kind == "reserved"
    assert mm.band("dma").parent == "memory@20000000"
    assert mm.band("ipc@2000b800").parent == "memory@20000000"
    assert mm.band("memory@20000000").parent is None


def test_allocations_and_findings_from_the_system():
    mm = map_from_system(_system(), title="T")
    assert mm.title == "T"
    assert [(a.owner, a.region, a.size) for a in mm.allocations] == [("eth0", "SRAM_NC", 150)]
    overlap, other = mm.findings
    assert (overlap.kind, overlap.addr, overlap.size, overlap.rule) == (
        "overlap", 0x2000b800, 0x800, "region-overlap")
    assert (other.kind, other.addr, other.rule) == ("warning", None, "attr-missing")


def test_duplicate_names_fall_back_to_paths():
    s = _system()
    s.regions[1].name = "SRAM_NC"
    names = {b.name for b in map_from_system(s).bands}
    assert {"/soc/sram@30000000", "/soc/dma@20004000"} <= names


def test_a_system_renders_in_every_format():
    s = _system()
    assert "SRAM_NC" in render_svg(map_from_system(s))
    assert "eth0" in render(map_from_system(s), "text")


def test_a_region_without_a_heap_is_marked_refused_with_the_boots_reason():
    s = _system()
    s.regions[1].error = "not mapped to an SMH attribute"
    assert map_from_system(s).band("dma").refused is None  # no SMH attribute: not a heap
    s.regions[1].attr = "CACHEABLE"
    s.regions[1].error = "heap region too small"
    mm = map_from_system(s)
    assert mm.band("dma").refused == "heap region too small"
    assert mm.band("SRAM_NC").refused is None
    assert [(r.name, r.addr, r.reason) for r in mm.refused] == [
        ("dma", 0x20004000, "heap region too small")]
    assert mm.to_dict()["refused"][0]["addr_hex"] == "0x20004000"
    s.regions[1].refused = "refused: overlaps heap X"  # a boot that names the field itself
    assert map_from_system(s).band("dma").refused == "refused: overlaps heap X"


def test_findings_keep_their_node_and_location():
    s = _system()
    s.diagnostics[1].location = NS(file="app.overlay", line=7, column=3)
    warning = [f for f in map_from_system(s).findings if f.rule == "attr-missing"][0]
    assert (warning.node, warning.location) == ("/soc/dma@20004000", "app.overlay:7:3")
