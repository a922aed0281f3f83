"""``mem_attr``: the table of devicetree memory regions with ``zephyr,memory-attr``.

Mirrors ``subsys/mem_mgmt/mem_attr.c`` (without MMU): the table is a list of
:class:`~smh_boot.heap.region.MemAttrRegion` in devicetree order, and :meth:`MemAttr.check_buf`
answers with Zephyr's 0 / negative errno (it is a query, not an operation that fails).
"""

from __future__ import annotations

from collections.abc import Iterable

from .. import errno as _errno
from .region import MemAttrRegion

#: Attribute field masks of ``zephyr,memory-attr`` (dt-bindings/memory-attr/memory-attr.h).
DT_MEM_ATTR_MASK = 0x0000FFFF
DT_MEM_SW_ATTR_MASK = 0x000F0000
DT_MEM_ARCH_ATTR_MASK = 0xFFF00000


class MemAttr:
    """The mem_attr table.  ``mmu=True`` models ``CONFIG_MMU`` (check_buf gives -ENOSYS)."""

    def __init__(self, regions: Iterable[MemAttrRegion], *, mmu: bool = False):
        self._regions = tuple(regions)
        self.mmu = mmu

    def get_regions(self) -> tuple[MemAttrRegion, ...]:
        """``mem_attr_get_regions``: every entry, in table order (the count is its len)."""
        return self._regions

    def check_buf(self, addr: int, size: int, attr: int) -> int:
        """``mem_attr_check_buf``: 0 when ``[addr, addr+size)`` lies in the first region
        containing ``addr`` and that region has every bit of ``attr``; -EINVAL when a bit is
        missing; -ENOSPC when the buffer runs past the region end; -ENOBUFS when no region
        contains ``addr``; -ENOTSUP for size 0; -ENOSYS with an MMU."""
        if self.mmu:
            return -_errno.ENOSYS
        if size == 0:
            return -_errno.ENOTSUP
        for r in self._regions:
            if r.addr <= addr < r.addr + r.size:
                if addr + size > r.addr + r.size:
                    return -_errno.ENOSPC
                return 0 if (r.attr & attr) == attr else -_errno.EINVAL
        return -_errno.ENOBUFS

    def get_region_index_by_name(self, name: str) -> int:
        """``mem_attr_get_region_index_by_name``: index of the first region named ``name``
        (the node's full name, e.g. ``"memory@20000000"``), else -ENOENT."""
        for i, r in enumerate(self._regions):
            if r.name == name:
                return i
        return -_errno.ENOENT

    def __len__(self) -> int:
        return len(self._regions)
