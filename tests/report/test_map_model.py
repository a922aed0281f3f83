"""MemoryMap records: validation, ordering, nesting and JSON form."""

from __future__ import annotations

import json

import pytest

from smh_boot.report import Allocation, Band, MapFinding, MemoryMap, memory_map


def test_records_are_sorted_whatever_the_input_order(h7):
    shuffled = MemoryMap(h7.title, 32, list(reversed(h7.bands)), list(reversed(h7.allocations)),
                         list(reversed(h7.findings)))
    assert shuffled == h7
    addrs = [b.addr for b in h7.bands]
    assert addrs == sorted(addrs)
    # the enclosing band comes first at a shared address
    assert [b.name for b in h7.bands if b.addr == 0x30000000] == ["sram1", "sram1-nocache"]


def test_depth_and_allocation_lookup(h7):
    assert h7.depth(h7.band("axisram")) == 0
    assert h7.depth(h7.band("axisram-heap")) == 1
    assert {a.owner for a in h7.allocations_in("sram1-nocache")} == {"eth0", "uart4", "spi1"}
    assert h7.owners() == ("audio", "display", "eth0", "jpeg", "ltdc", "sdmmc", "spi1",
                           "uart4", "usb")


def test_unowned_allocations_sort_last_among_owners():
    mm = memory_map("m", [Band("r", 0, 4096)], [Allocation(8, 8, None, "r"),
                                                Allocation(64, 8, "a", "r")])
    assert mm.owners() == ("a", None)


def test_to_dict_round_trips_through_json(h7, broken):
    for mm in (h7, broken):
        d = json.loads(json.dumps(mm.to_dict()))
        assert [b["name"] for b in d["bands"]] == [b.name for b in mm.bands]
        assert len(d["allocations"]) == len(mm.allocations)
        assert [f["kind"] for f in d["findings"]] == [f.kind for f in mm.findings]
    assert json.loads(json.dumps(broken.to_dict()))["findings"][2]["addr"] is None
    assert json.loads(json.dumps(h7.to_dict()))["bands"][2]["heap"]["used_chunks"] == 4


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Band("", 0, 1), "name must not be empty"),
        (lambda: Band("a", -1, 1), "address must be an int >= 0"),
        (lambda: Band("a", 0, -4), "size must be an int >= 0"),
        (lambda: Band("a", 0, 1, kind="ram"), "kind 'ram' is not one of"),
        (lambda: Band("a", 0, 1, attr="uncached"), "attr 'uncached' is not one of"),
        (lambda: Allocation(-8, 1, "x", "r"), "address must be an int >= 0"),
        (lambda: MapFinding("gap", 0, -1, "m"), "size must be an int >= 0"),
        (lambda: MemoryMap("m", 0), "address_bits must be 1..64"),
        (lambda: MemoryMap("m", 32, (Band("a", 0, 1), Band("a", 8, 1))), "two bands are named 'a'"),
        (lambda: MemoryMap("m", 32, (Band("a", 0, 1, parent="zz"),)), "parent 'zz' is not a band"),
        (lambda: MemoryMap("m", 32, (Band("a", 0, 8),), (Allocation(0, 4, "o", "b"),)),
         "region 'b' is not a band"),
        (lambda: MemoryMap("m", 32, (Band("a", 0, 8, parent="b"), Band("b", 0, 8, parent="a"))),
         "parent chain loops"),
    ],
)
def test_invalid_records_are_rejected(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_finding_without_address_has_no_end():
    f = MapFinding("attr", None, 0, "no attribute")
    assert f.end is None
    assert MapFinding("gap", 16, 4, "g").end == 20
