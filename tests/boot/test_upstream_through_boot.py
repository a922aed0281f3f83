"""The mem_attr table through boot() on a board that already has memory@20000000.

Zephyr's shared_multi_heap and mem_attr_heap tests (spec sections 7.4 and 7.5) run through
the plugin in tests/integration/."""

import smh_boot


def test_mem_attr_table_through_boot(upstream_dir):
    system = smh_boot.boot("qemu_cortex_m3", overlays=[upstream_dir / "mem_attr" / "app.overlay"],
                           drivers=False, strict=False)
    ma = system.mem_attr
    # On this board memory@20000000 is the board's own sram0 node (the overlay only adds the
    # attribute to it), so it comes first in devicetree order; upstream runs on native_sim.
    names = [r.name for r in ma.get_regions()]
    assert names == ["memory@20000000", "memory@10000000", "memory@21000000"]
    assert [ma.get_region_index_by_name(n) for n in names] == [0, 1, 2]
    by_name = {r.name: (r.addr, r.size, r.attr) for r in ma.get_regions()}
    assert by_name["memory@10000000"] == (0x10000000, 0x1000, 0x00400002)
    assert by_name["memory@20000000"] == (0x20000000, 0x2000, 0x00200000)
    assert by_name["memory@21000000"] == (0x21000000, 0x1000, 0x51)
    assert ma.check_buf(0x20000000, 0x2000, 0x00200000) == 0
    assert ma.check_buf(0x20000000, 0x2000, 0x4) == -22  # DT_MEM_OOO not set: -EINVAL
    assert ma.check_buf(0x10000000, 0x2000, 0x2) == -28  # runs past the region: -ENOSPC
    assert ma.check_buf(0x10000100, 0x100, 0x00400002) == 0
    assert ma.check_buf(0x10000000, 0, 0x2) == -134  # -ENOTSUP
    assert ma.check_buf(0x40000000, 0x1000, 0x2) == -105  # -ENOBUFS
    assert ma.check_buf(0x30000000, 0x1000, 0x4) == -105  # disabled node is not in the table
    assert ma.get_region_index_by_name("memory@30000000") == -2  # -ENOENT
