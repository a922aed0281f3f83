"""Port of Zephyr's tests/subsys/mem_mgmt/mem_attr, on a board the test suite defines itself.

Zephyr runs this test on native_sim, which smh-boot does not ship; ``boards/native_sim.yaml``
next to this file is a minimal stand-in (a board is just a YAML file and a devicetree: pin a
test to it by path).  The upstream ``app.overlay`` adds the four ``vnd,memory-attr`` nodes.
"""

from __future__ import annotations

import pytest

from smh_boot.attrs import (
    DT_MEM_ARM_MPU_FLASH,
    DT_MEM_ARM_MPU_RAM_NOCACHE,
    DT_MEM_CACHEABLE,
    DT_MEM_EXECUTABLE,
    DT_MEM_NON_VOLATILE,
    DT_MEM_OOO,
    DT_MEM_READABLE,
)
from smh_boot.errno import EINVAL, ENOBUFS, ENOENT, ENOSPC, ENOTSUP
from smh_boot.resources import dts_dir

OVERLAY = dts_dir() / "overlays" / "upstream" / "mem_attr" / "app.overlay"

# board YAML paths and overlay paths are relative to this file
pytestmark = [pytest.mark.smh_board("boards/native_sim.yaml"), pytest.mark.smh_overlay(str(OVERLAY))]


@pytest.fixture
def mem_attr(smh_system):
    return smh_system.mem_attr


def test_mem_attr(mem_attr):
    regions = mem_attr.get_regions()
    assert len(regions) == 3  # the disabled node is not in the table
    for r in regions:
        if r.addr == 0x10000000:
            assert (r.size, r.attr, r.name) == (0x1000, DT_MEM_ARM_MPU_FLASH | DT_MEM_NON_VOLATILE,
                                                "memory@10000000")
        elif r.addr == 0x20000000:
            assert (r.size, r.attr, r.name) == (0x2000, DT_MEM_ARM_MPU_RAM_NOCACHE, "memory@20000000")
        else:
            assert (r.addr, r.size, r.name) == (0x21000000, 0x1000, "memory@21000000")
            assert r.attr == DT_MEM_READABLE | DT_MEM_EXECUTABLE | DT_MEM_CACHEABLE

    check = mem_attr.check_buf
    assert check(0x10000000, 0, DT_MEM_NON_VOLATILE) == -ENOTSUP
    assert check(0x10000100, 0x100, DT_MEM_ARM_MPU_FLASH | DT_MEM_NON_VOLATILE) == 0
    assert check(0x20000000, 0x2000, DT_MEM_ARM_MPU_RAM_NOCACHE) == 0
    assert check(0x10000100, 0x100, DT_MEM_NON_VOLATILE) == 0  # a subset of the bits
    assert check(0x20000000, 0x2000, DT_MEM_OOO) == -EINVAL
    assert check(0x40000000, 0x1000, DT_MEM_NON_VOLATILE) == -ENOBUFS
    assert check(0x10000000, 0x2000, DT_MEM_NON_VOLATILE) == -ENOSPC
    assert check(0x30000000, 0x1000, DT_MEM_OOO) == -ENOBUFS  # disabled node


def test_get_index_by_name(mem_attr):
    assert mem_attr.get_region_index_by_name("memory@10000000") == 0
    assert mem_attr.get_region_index_by_name("memory@20000000") == 1
    assert mem_attr.get_region_index_by_name("memory@30000000") == -ENOENT  # disabled
