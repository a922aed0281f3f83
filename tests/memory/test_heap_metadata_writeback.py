"""A whole-line write-back must not roll back the heap's own chunk headers.

The heap writes its headers straight into emulated memory; on hardware those are CPU stores
that update the cached line.  A stale copy of a header in a dirty line must therefore not be
written back over a newer header, while bytes a *device* wrote behind the line still are
clobbered (that is the real bug class the cache model exists to show)."""

import smh_boot
from smh_boot.heap import SmhAttr


def test_dirty_line_writeback_keeps_newer_heap_headers():
    system = smh_boot.boot("stm32h747i_disco_m7", drivers=False)
    pool, cpu, memsys = system.pool, system.memsys.cpu, system.memsys
    a = pool.alloc(SmhAttr.CACHEABLE, 4, owner="a")
    cpu.write(a, b"\xaa\xbb\xcc\xdd")  # the line holding a (and the next header) is now dirty
    b = pool.alloc(SmhAttr.CACHEABLE, 4, owner="b")  # writes headers in the same cache line
    assert b - a == 8  # b's header sits in the dirty line: the cached copy of it is stale
    assert memsys.sys_cache_data_flush_range(a, 4) == 0  # whole-line write-back
    for h in pool.heaps:
        assert h.sys_heap.validate(), "a write-back rolled back a chunk header"
    assert system.memory.read(a, 4) == b"\xaa\xbb\xcc\xdd"
    pool.free(b)  # b is still a live block: no double-free report
    assert pool.alloc(SmhAttr.CACHEABLE, 4, owner="c") == b


def test_device_bytes_behind_a_dirty_line_are_still_clobbered():
    system = smh_boot.boot("stm32h747i_disco_m7", drivers=False, collect_coherency=True)
    memsys, cpu = system.memsys, system.memsys.cpu
    buf = system.pool.aligned_alloc(SmhAttr.CACHEABLE, 32, 64, owner="rx")
    cpu.write(buf, b"\x11")  # dirty the first line, caching all 32 bytes
    memsys.dma.write(buf + 16, b"\x99" * 16, device="eth")  # the device writes behind it
    memsys.sys_cache_data_flush_range(buf, 1)  # write-back of the stale whole line
    assert system.memory.read(buf + 16, 16) == b"\0" * 16  # device data lost, as on hardware
