"""Zephyr's own tests, run through boot(): the exact addresses of spec sections 7.4 and 7.5."""

import pytest

import smh_boot
from smh_boot.errors import PoolAlreadyInitialised
from smh_boot.heap import SMH_REG_ATTR_NUM, SmhAttr

C, NC = SmhAttr.CACHEABLE, SmhAttr.NON_CACHEABLE

EXPECTED = {
    # alloc(C,0x40), alloc(C,0x80), alloc(C,0x1200), alloc(NC,0x100) x2 (spec 7.5)
    "mps2_an521": [0x3810003C, 0x38100084, 0x38300044, 0x3820003C, 0x38200144],
    "qemu_cortex_a53": [0x42000040, 0x42000088, 0x44000048, 0x43000040, 0x43000148],
}


def largest_cacheable_block(pool) -> int:
    for size in range(0x4000, 0x3F, -0x40):
        p = pool.alloc(C, size)
        if p is not None:
            pool.free(p)
            return size
    return 0


@pytest.mark.parametrize("board", sorted(EXPECTED))
def test_shared_multi_heap_upstream(board, upstream_dir):
    system = smh_boot.boot(board, overlays=[upstream_dir / "shared_multi_heap" / f"{board}.overlay"],
                           drivers=False)
    pool = system.pool
    # Regions without an attribute (ssram2_3, res_no_mpu) are not heaps; order is per attr.
    heaps = [(h.attr, h.region.addr, h.region.size) for h in pool.heaps]
    first = EXPECTED[board]
    base = {"mps2_an521": 0x38100000, "qemu_cortex_a53": 0x42000000}[board]
    assert heaps == [(C, base, 0x1000), (NC, base + 0x100000 * (1 if board == "mps2_an521" else 16), 0x2000),
                     (C, base + 0x200000 * (1 if board == "mps2_an521" else 16), 0x3000)]
    with pytest.raises(PoolAlreadyInitialised):
        pool.pool_init()
    got = [pool.alloc(C, 0x40), pool.alloc(C, 0x80), pool.alloc(C, 0x1200),
           pool.alloc(NC, 0x100), pool.alloc(NC, 0x100)]
    assert got == first
    assert pool.alloc(NC, 0x10000) is None
    assert pool.alloc(NC, 0) is None
    assert pool.alloc(SMH_REG_ATTR_NUM, 0x100) is None
    assert largest_cacheable_block(pool) == 0x1D80


def test_mem_attr_heap_upstream_on_qemu_cortex_m3(upstream_dir):
    system = smh_boot.boot("qemu_cortex_m3",
                           overlays=[upstream_dir / "mem_attr_heap" / "qemu_cortex_m3.overlay"],
                           drivers=False)
    h = system.mem_attr_heap
    CACHE, NONC, DMA = 0x10000, 0x20000, 0x40000
    with pytest.raises(PoolAlreadyInitialised):
        h.pool_init()
    b = h.alloc(CACHE, 0x100)
    assert b == 0x2000903C and h.get_region(b).addr == 0x20009000
    assert h.realloc(b, 0x200) == 0x2000903C
    assert h.alloc(NONC, 0x100) == 0x2000A03C
    assert h.alloc(DMA, 0x100) == 0x2000B03C
    assert h.alloc(CACHE | DMA, 0x100) == 0x2000E03C
    assert h.alloc(0, 0x100) is None  # DT_MEM_SW(DT_MEM_SW_ATTR_UNKNOWN) truncates to 0
    assert h.alloc(CACHE, 0x1500) == 0x2000C03C
    assert h.alloc(CACHE, 0x4000) is None
    x = h.alloc(CACHE, 0x100)
    h.free(x)
    assert x == h.alloc(CACHE, 0x100) == 0x20009244
    y = h.alloc(NONC, 0x100)
    assert y == 0x2000A144 and y % 32 != 0
    h.free(y)
    assert h.aligned_alloc(NONC, 0x100, 32) == 0x2000A200
    assert h.aligned_alloc(NONC, 0x100, 64) == 0x2000A300
    # the boot log names each mem_attr_heap heap with its software key
    keys = [line.split()[2] for line in system.log if line.startswith("mem_attr_heap: key")]
    assert keys == ["0x10000", "0x20000", "0x40000", "0x10000", "0x50000"]


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
