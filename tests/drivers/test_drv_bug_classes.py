"""Each buggy driver variant is caught with the right kind on every one of 200 stress seeds,
on every showcase board that has its device; the report names the device and the buffer."""

from __future__ import annotations

import pytest
from buggy_drivers import BUGS, ODD_STAGING, Bug, UnalignedDma, UnpaddedDma
from drvrig import NODES, SEEDS, arm, boot_board, driver

from smh_boot.drivers._common import DriverError
from smh_boot.memory import CoherencyViolation

CASES = [pytest.param(bug, board, id=f"{bug.id}-{board}") for bug in BUGS for board in bug.boards]


@pytest.mark.parametrize(("bug", "board"), CASES)
def test_caught_on_every_seed(bug: Bug, board: str) -> None:
    system = boot_board(board, bug.variant)
    drv = driver(system, board, bug.device)
    assert type(drv) is bug.variant
    name = system.device(NODES[board][bug.device]).name
    missed = []
    for seed in SEEDS:
        checker = arm(system, seed, raise_errors=False)
        if bug.breaks:
            with pytest.raises(DriverError):
                bug.operation(drv, seed)
        else:
            bug.operation(drv, seed)
        if not checker.reports or checker.reports[0].kind is not bug.kind:
            missed.append((seed, checker.kinds()))
            continue
        report = checker.reports[0]
        assert name in (report.device, report.actor), str(report)
        assert report.events, "a report carries the line's history"
        alloc = report.buffer.allocation
        assert alloc is not None and alloc.owner, f"seed {seed}: the buffer's owner is named\n{report}"
        assert report.line_addr % system.memsys.line_size == 0 and report.hint
    assert not missed, f"{bug.id} on {board}: wrong or no report on seeds {missed[:5]}"


@pytest.mark.parametrize("bug", BUGS, ids=[b.id for b in BUGS])
def test_raised_through_a_stressed_boot(bug: Bug) -> None:
    """The same verdict through boot(board, seed=s, stress=True) itself, raising by default."""
    board = bug.boards[0]
    for seed in (0, 1, 7):
        system = boot_board(board, bug.variant, seed=seed, stress=True)
        assert system.memsys.stressor is not None and system.memsys.checker is not None
        with pytest.raises(CoherencyViolation) as exc:
            bug.operation(driver(system, board, bug.device), seed)
        assert exc.value.kind is bug.kind
        report = exc.value.report
        text = str(report)
        assert bug.kind.name in text and "hint:" in text
        alloc = report.buffer.allocation
        owner = system.device(NODES[board][bug.victim or bug.device]).name
        if alloc is not None and alloc.owner is not None:  # owners are kept at STRICT hardening
            assert str(alloc.owner).startswith(owner)
        assert report.device, "every report names a device"
        if bug.victim:
            assert f"owned by {owner}" in report.victim


@pytest.mark.parametrize("variant", [UnalignedDma, UnpaddedDma])
@pytest.mark.parametrize("board", ["stm32h747i_disco_m7", "mimxrt1170_evk", "esp32s3_devkitc"])
def test_padding_variants_really_share_a_line(variant: type, board: str) -> None:
    """The precondition of classes 5 and 6: the heap put the job record in the destination's
    last cache line (so the variants test what they claim to)."""
    system = boot_board(board, variant)
    drv = driver(system, board, "dma")
    line = system.memsys.line_size
    last_line = (drv.dst.addr + ODD_STAGING - 1) // line
    assert drv.job.addr // line == last_line
    if variant is UnpaddedDma:
        assert drv.dst.addr % line == 0
    else:
        assert drv.dst.addr % line != 0 or ODD_STAGING % line != 0
