"""The memory-to-memory DMA engine: staging buffers, copies in pieces, transforms."""

from __future__ import annotations

import pytest
from drvrig import arm, boards_with, boot_board, driver, pattern

from smh_boot.drivers._common import DriverError
from smh_boot.drivers.dma import invert


@pytest.fixture(params=boards_with("dma"))
def rig(request):
    s = boot_board(request.param)
    arm(s, 8)
    return s, driver(s, request.param, "dma")


def test_staging_buffers_cacheable_aligned_padded(rig) -> None:
    s, dma = rig
    line = s.memsys.line_size
    for b in (dma.src, dma.dst):
        assert b.attr == "CACHEABLE" and b.addr % line == 0 and b.size % line == 0
        assert s.memsys.is_cacheable(b.addr)
    regions = dma.device.memory_regions
    if regions:
        assert dma.src.region == regions[0].region_name


def test_copy_in_pieces(rig) -> None:
    _, dma = rig
    data = pattern(2500, 1)  # 1024 + 1024 + 452
    assert dma.copy(data) == data
    assert dma.transfers == 3


def test_transform(rig) -> None:
    _, dma = rig
    data = pattern(300, 2)
    assert dma.transform(data) == invert(data)
    assert dma.transform(data, lambda b: b[::-1]) == data[::-1]


def test_refused(rig) -> None:
    _, dma = rig
    with pytest.raises(DriverError, match="nothing to transfer"):
        dma.copy(b"")
    with pytest.raises(DriverError, match="transform returned 3 bytes for a 4-byte block"):
        dma.transform(b"abcd", lambda b: b[:3])
    assert not dma.device.dma.active  # the failed transform left no transfer in flight


def test_staging_size_property(tmp_path) -> None:
    ovl = tmp_path / "dma.overlay"
    ovl.write_text("&edma0 { staging-size = <100>; };\n")
    s = boot_board("mimxrt1170_evk", overlays=[ovl])
    dma = s.device("edma0").driver
    assert dma.staging == 100 and dma.src.size == 128  # padded to whole 32-byte lines
    arm(s, 1)
    data = pattern(250, 4)
    assert dma.copy(data) == data and dma.transfers == 3
