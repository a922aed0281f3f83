"""boot(): every shipped board, the boot log, strictness, device failures, the JSON report."""

import json
import resource
import subprocess
import sys

import pytest

import smh_boot
from smh_boot.board import list_boards
from smh_boot.bootstage import DeviceInitError, Driver, DriverRegistry, InitLevel, register_driver
from smh_boot.bootstage.boot_report import boot_report
from smh_boot.cli import main
from smh_boot.errors import BoardError, LayoutError

BOARDS = sorted(b.name for b in list_boards())


@pytest.mark.parametrize("board", BOARDS)
def test_every_shipped_board_boots_ready(board):
    system = smh_boot.boot(board)
    assert system.ready, system.log_text
    assert system.log[0].startswith(f"*** smh-boot {smh_boot.__version__} - booting {board}")
    assert not [d for d in system.diagnostics if d.severity == "error"]
    # every bound device is in the log with its buffers, and each buffer lies in its region
    for dev in system.device_list:
        assert any(f"] {dev.name} ({dev.compatible})" in line for line in system.log)
        for buf in dev.buffers:
            assert f"buffer {buf.name} {buf.addr:#010x}" in system.log_text
            region = system.region(buf.region)
            assert region.addr <= buf.addr and buf.end <= region.end


def test_showcase_boards_bind_their_drivers():
    for b in list_boards():
        if not b.drivers:
            continue
        system = smh_boot.boot(b.name)
        bound = {d.compatible for d in system.device_list}
        assert bound == set(b.drivers), b.name
        assert all(d.buffers for d in system.device_list), b.name


def test_boot_is_deterministic():
    a = smh_boot.boot()
    b = smh_boot.boot()
    assert a.log == b.log
    assert json.dumps(boot_report(a)) == json.dumps(boot_report(b))


def test_region_lines_carry_heap_geometry(upstream_dir):
    system = smh_boot.boot("mps2_an521", overlays=[upstream_dir / "shared_multi_heap" / "mps2_an521.overlay"],
                           drivers=False)
    lines = [l for l in system.log if l.startswith("OF: reserved mem:")]
    assert lines[0] == ("OF: reserved mem: RES0 [0x38100000-0x38100fff] 4 KiB CACHEABLE "
                        "(ARM_MPU_RAM) heap: 511 chunks small, first block +0x3c")
    assert lines[1].startswith("OF: reserved mem: RES1 [0x38200000-0x38201fff] 8 KiB NON_CACHEABLE")
    assert lines[1].endswith("heap: 1023 chunks small, first block +0x3c")
    assert lines[2].endswith("heap: 1535 chunks small, first block +0x44")
    assert system.log[-2] == "devices: 0/0 ready" or system.log[-1] == "devices: 0/0 ready"


def test_strict_layout_error_and_no_strict(data_dir):
    with pytest.raises(LayoutError) as e:
        smh_boot.boot(overlays=[data_dir / "overlap.overlay"])
    assert "region-overlap" in str(e.value)
    assert "overlap.overlay" in str(e.value)
    system = smh_boot.boot(overlays=[data_dir / "overlap.overlay"], strict=False)
    assert any(l.startswith("layout: ") and "region-overlap" in l for l in system.log)


def test_unknown_board_is_board_error():
    with pytest.raises(BoardError, match="no_such_board"):
        smh_boot.boot("no_such_board")


class _Failing(Driver):
    compatibles = ("smhtest,failing",)
    level = InitLevel.PRE_KERNEL_1
    priority = 10

    def init(self, device):
        raise DeviceInitError("clock not running")


class _Child(Driver):
    compatibles = ("smhtest,child",)
    level = InitLevel.PRE_KERNEL_1
    priority = 10

    def init(self, device):
        device.log("should not run")


class _Greedy(Driver):
    compatibles = ("smhtest,greedy",)
    level = InitLevel.POST_KERNEL
    priority = 0

    def init(self, device):
        device.alloc("NON_CACHEABLE", 1 << 30, name="huge")


def test_failing_device_and_dependency_not_ready(data_dir):
    reg = DriverRegistry()
    for cls in (_Child, _Failing, _Greedy):
        reg.register(cls)
    system = smh_boot.boot("qemu_cortex_m3", overlays=[data_dir / "failing_driver.overlay"], drivers=reg)
    parent, child, greedy = (system.device(n) for n in ("sim_parent", "sim-child@4", "sim-greedy@8"))
    # the dependency (dmas phandle) is initialised first even though it comes first anyway;
    # its failure makes the child not ready without running the child's init
    assert [d.name for d in system.device_list] == ["sim-parent@0", "sim-child@4", "sim-greedy@8"]
    assert not parent.ready and parent.init_error == "clock not running"
    assert not child.ready and child.init_error == "dependency not ready: /sim-parent@0"
    assert child.messages == []
    assert not greedy.ready and "no NON_CACHEABLE memory for 'huge'" in greedy.init_error
    assert not system.ready
    assert "[PRE_KERNEL_1 10] sim-parent@0 (smhtest,failing) _Failing: FAILED (clock not running)" in system.log


def test_dependency_orders_devices_within_a_level(tmp_path):
    ovl = tmp_path / "deps.overlay"
    ovl.write_text("""/ {
        a@0 { compatible = "smhtest,child"; reg = <0x0 0x4>; dmas = <&b>; };
        b: b@4 { compatible = "smhtest,child"; reg = <0x4 0x4>; };
    };""")
    reg = DriverRegistry()
    reg.register(_Child)
    system = smh_boot.boot("qemu_cortex_m3", overlays=[ovl], drivers=reg)
    assert [d.name for d in system.device_list] == ["b@4", "a@0"]
    assert system.ready


def test_register_driver_decorator_validates():
    with pytest.raises(ValueError):
        register_driver()
    with pytest.raises(TypeError):
        register_driver("x,y")(object)
    with pytest.raises(ValueError, match="unknown init level"):
        register_driver("x,y", level="LATE")


def test_json_report_schema():
    report = boot_report(smh_boot.boot())
    assert report["format"] == "smh-boot-report/1"
    assert set(report) == {"format", "board", "ready", "heap_core", "regions", "devices",
                           "allocations", "refused", "unbound", "diagnostics", "log"}
    assert report["ready"] is True
    from smh_boot.heap.compiled import active_core
    assert report["heap_core"] == active_core()
    heaps = [r for r in report["regions"] if r["heap"]]
    assert heaps and all({"end_chunk", "big", "stats", "largest_free_bytes"} <= set(r["heap"]) for r in heaps)
    owners = {a["owner"] for a in report["allocations"]}
    bufs = {f"{d['name']}:{b['name']}" for d in report["devices"] for b in d["buffers"]}
    assert bufs <= owners


def test_cli_exit_statuses(data_dir, capsys):
    assert main(["boot"]) == 0
    out = capsys.readouterr().out
    assert "booting" in out and "memory map:" in out
    assert main(["boot", "--json", "--no-drivers"]) == 0
    assert json.loads(capsys.readouterr().out)["devices"] == []
    assert main(["boot", "--overlay", str(data_dir / "overlap.overlay")]) == 2
    err = capsys.readouterr().err
    assert "region-overlap" in err and "Traceback" not in err
    assert main(["boot", "no_such_board"]) == 2
    assert "no_such_board" in capsys.readouterr().err


def test_cli_exit_status_one_when_a_device_fails(tmp_path):
    # A third-party driver package registers through the entry point group; here the failing
    # driver is registered in a child process through a sitecustomize-free -c script.
    code = (
        "import sys\n"
        "from smh_boot.bootstage import Driver, register_driver, DeviceInitError\n"
        "@register_driver('st,stm32-ltdc')\n"
        "class Broken(Driver):\n"
        "    def init(self, device):\n"
        "        raise DeviceInitError('panel not connected')\n"
        "from smh_boot.cli import main\n"
        "sys.exit(main(['boot', 'stm32h747i_disco_m7']))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 1, r.stderr
    assert "FAILED (panel not connected)" in r.stdout


def test_four_gib_region_boots_lazily(data_dir):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    system = smh_boot.boot("qemu_cortex_a53", overlays=[data_dir / "huge_sdram.overlay"], drivers=False)
    big = system.region("BIG_SDRAM")
    assert big.size == 4 << 30 and big.heap_index is not None
    h = system.pool.heaps[big.heap_index].sys_heap
    assert h.big and h.end_chunk == ((4 << 30) - 8) // 8
    p = system.pool.alloc(0, 3 << 30)
    assert p is not None and big.addr <= p < big.end
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert after - before < 100 * 1024  # KiB


def test_bad_policy_on_a_board_built_in_code_is_board_error():
    import dataclasses

    from smh_boot.board import load_board

    b = dataclasses.replace(load_board("stm32h747i_disco_m7"),
                            smh_policy=({"mask": 0x1, "value": 0x3, "attr": "CACHEABLE"},))
    with pytest.raises(BoardError, match="can never match"):
        smh_boot.boot(b)


def test_importing_a_shipped_driver_module_first_works():
    code = ("from smh_boot.drivers.display import DisplayController\n"
            "from smh_boot.bootstage import default_registry\n"
            "assert default_registry().lookup(['st,stm32-ltdc']).cls is DisplayController\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr


def test_boot_uses_the_given_devicetree_loader():
    from smh_boot.devicetree import load_devicetree

    calls = []

    def loader(*args, **kwargs):
        calls.append(args[0])
        return load_devicetree(*args, **kwargs)

    system = smh_boot.boot("qemu_cortex_m3", dt_loader=loader)
    assert len(calls) == 1 and str(calls[0]).endswith("qemu_cortex_m3.dts")
    assert system.devicetree is not None


def test_broken_driver_entry_point_is_a_clear_error(monkeypatch):
    from smh_boot.bootstage import driver as drv

    class BadEP:
        name, value = "acme", "acme_drivers:nope"

        def load(self):
            raise ImportError("No module named 'acme_drivers'")

    monkeypatch.setattr(drv, "_EP_LOADED", False)
    monkeypatch.setattr(drv.importlib.metadata, "entry_points", lambda group: [BadEP()])
    with pytest.raises(drv.DriverLoadError, match="acme = acme_drivers:nope.*uninstall"):
        drv.load_entry_point_drivers()
    assert drv._EP_LOADED is False  # tried again next time


def test_no_strict_boot_does_not_stack_heaps_on_the_same_bytes(data_dir):
    system = smh_boot.boot(overlays=[data_dir / "overlap.overlay"], strict=False, drivers=False)
    bad = system.region("BAD_POOL")
    assert bad.heap_index is None and bad.error.startswith("overlaps heap ")
    assert "not a heap: overlaps heap" in system.log_text
    assert system.pool.validate()


def test_board_drivers_list_limits_the_shipped_drivers(tmp_path):
    import dataclasses

    from smh_boot.board import load_board

    b = dataclasses.replace(load_board("stm32h747i_disco_m7"), drivers=("st,stm32-usart", "acme,none"))
    system = smh_boot.boot(b)
    assert [d.compatible for d in system.device_list] == ["st,stm32-usart"]
    assert "/soc/ethernet@40028000" in system.unbound
    assert "warning: board lists driver 'acme,none' but no driver is registered for it" in system.log


def test_cacheable_ranges_are_memory_minus_noncacheable_regions():
    from smh_boot.bootstage.stage import _cacheable_ranges
    from smh_boot.memory import AddressSpace

    mem = AddressSpace(addr_bits=32)
    mem.map(0x30000000, 0x48000, "sram123")
    mem.map(0xD0000000, 0x2000000, "sdram")
    nc = [(0x30020000, 0x30040000), (0x30040000, 0x30048000)]
    assert _cacheable_ranges(mem, nc, 32) == [(0x30000000, 0x20000), (0xD0000000, 0x2000000)]
    assert _cacheable_ranges(mem, [(0x30000010, 0x30000100)], 32) is None  # not line-aligned


def test_booted_memory_system_uses_ranges_and_big_maintenance_is_cheap():
    system = smh_boot.boot("esp32s3_devkitc")
    ms = system.memsys
    psram = system.region("PSRAM_EXT")
    assert ms.is_cacheable(psram.addr) and not ms.is_cacheable(system.region("SRAM2").addr)
    ms.cpu.write(psram.addr + 0x100, b"\x55" * 4)  # one dirty line in a 4 MiB region
    before = ms.cache.stats.writebacks
    assert ms.sys_cache_data_flush_range(psram.addr, psram.size) == 0
    assert ms.cache.stats.writebacks == before + 1
    assert system.memory.read(psram.addr + 0x100, 4) == b"\x55" * 4
