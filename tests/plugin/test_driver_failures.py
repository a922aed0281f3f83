"""What a driver test sees (issue #15): a failure points at the driver's line and the report,
not at smh-boot's frames; a CoherencyError in init() fails the test with its report; the boot
factory follows the test's board."""

from __future__ import annotations

DRIVER = '''
import pytest
from smh_boot.drivers import Driver, SmhAttr, as_device, register_driver


@register_driver("acme,tx-only")
class TxOnly(Driver):
    def init(self, device):
        self.buf = device.dma_alloc(SmhAttr.CACHEABLE, 32, name="tx")
        if device.prop("broken-init", False):
            self.send(b"boot!")  # BROKEN-INIT-LINE

    @as_device
    def send(self, data):
        dev = self.device
        dev.cpu.write(self.buf.addr, data)
        t = dev.dma.start(0, device=dev.name, src=self.buf.addr, size=len(data))  # DRIVER-LINE
        dev.dma.complete(t)
        return t.result
'''

OVERLAY = """/ {{
\tsoc {{
\t\tt: tx@40016000 {{
\t\t\tcompatible = "acme,tx-only";
\t\t\treg = <0x40016000 0x400>;
{extra}\t\t\tstatus = "okay";
\t\t}};
\t}};
}};
"""

TESTS = '''
import pytest

pytestmark = [pytest.mark.smh_board("stm32h747i_disco_m7"), pytest.mark.smh_overlay("t.overlay")]


def test_send(smh_system):
    smh_system.device("t").driver.send(b"abc")  # TEST-LINE
'''


def _project(pytester, broken_init: bool = False):
    pytester.makeconftest(DRIVER)
    extra = "\t\t\tbroken-init;\n" if broken_init else ""
    pytester.path.joinpath("t.overlay").write_text(OVERLAY.format(extra=extra))
    pytester.makepyfile(test_tx=TESTS)


def test_the_failure_shows_the_test_and_driver_lines_then_the_report(pytester, run):
    _project(pytester)
    r = run()
    r.assert_outcomes(failed=1)
    out = r.stdout.str()
    assert "# TEST-LINE" in out and "# DRIVER-LINE" in out
    assert "E       smh_boot.memory.findings.CoherencyViolation: coherency error STALE_TX_DATA" in out
    # none of smh-boot's machinery between the driver line and the report
    for internal in ("smh_boot/memory/", "smh_boot/bootstage/", "smh_boot/pytest_plugin.py",
                     "smh_boot/drivers/_common.py"):
        assert internal not in out, internal
    tb = out.split("FAILURES", 1)[1].split("smh-boot: stm32h747i_disco_m7", 1)[0]
    assert len(tb.splitlines()) < 60
    assert "smh_system = <System stm32h747i_disco_m7 seed 0: 5 device(s)>" in out


def test_full_trace_shows_every_frame(pytester, run):
    _project(pytester)
    out = run("--full-trace").stdout.str()
    assert "smh_boot/memory/" in out and "# DRIVER-LINE" in out


def test_a_coherency_error_in_init_fails_the_test_with_the_report(pytester, run):
    _project(pytester, broken_init=True)
    r = run()
    r.assert_outcomes(errors=1)
    out = r.stdout.str()
    assert "# BROKEN-INIT-LINE" in out and "# DRIVER-LINE" in out
    assert "coherency error STALE_TX_DATA" in out and "by:         tx@40016000" in out
    assert "smh_boot/bootstage/" not in out and "smh_boot/memory/" not in out
    # the boot went on: the failure report's boot log shows the other devices
    assert "devices: 4/5 ready" in out


FACTORY_TESTS = '''
import pytest


@pytest.mark.smh_board("mimxrt1170_evk")
def test_pinned(smh_boot_factory):
    assert smh_boot_factory().board.name == "mimxrt1170_evk"


@pytest.mark.smh_board("mimxrt1170_evk", "esp32s3_devkitc")
def test_parametrised(smh_board, smh_boot_factory):
    assert smh_boot_factory().board.name == smh_board.name


def test_unpinned(smh_boot_factory):
    assert smh_boot_factory().board.name == "{selected}"
'''


def test_the_factory_boots_the_tests_board(pytester, run):
    pytester.makepyfile(test_f=FACTORY_TESTS.format(selected="stm32h747i_disco_m7"))
    run().assert_outcomes(passed=4)
    pytester.makepyfile(test_f=FACTORY_TESTS.format(selected="qemu_cortex_m3"))
    # the pinned factory test still boots its pin; the parametrised one has no selected board
    run("--smh-board", "qemu_cortex_m3,mps2_an521").assert_outcomes(passed=2, skipped=1)


def test_smh_memory_is_a_deprecated_name_of_smh_memsys(pytester, run):
    pytester.makepyfile(test_m='''
import pytest

def test_alias(smh_system, smh_memsys):
    assert smh_memsys is smh_system.memsys

def test_old(smh_system, smh_memory):
    assert smh_memory is smh_system.memsys
''')
    r = run("-W", "error::DeprecationWarning")
    r.assert_outcomes(passed=1, errors=1)
    assert "use smh_memsys" in r.stdout.str()
