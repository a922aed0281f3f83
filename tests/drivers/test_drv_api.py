"""The driver-facing API of issue #15: Zephyr's argument order, one name per concept, decoded
``dmas`` and channels of the named controller, ``dma_config`` with callbacks, buffer views,
the registry's warning, and what a CoherencyError in ``init()`` does."""

from __future__ import annotations

import warnings

import pytest

from smh_boot import boot
from smh_boot.drivers import (
    DmaBlockConfig,
    DmaConfig,
    DmaDirection,
    DmaError,
    Driver,
    DriverRegistry,
    DriverReplacedWarning,
    SmhAttr,
    default_registry,
    register_driver,
)
from smh_boot.errors import CoherencyError
from smh_boot.memory import CoherencyChecker, CoherencyKind

H7 = "stm32h747i_disco_m7"


def overlay(tmp_path, body: str, name: str = "t.overlay") -> str:
    p = tmp_path / name
    p.write_text("/ {\n\tsoc {\n" + body + "\n\t};\n};\n")
    return str(p)


def node(compat: str, extra: str = "", label: str = "t", addr: str = "40016000") -> str:
    return (f"\t\t{label}: thing@{addr} {{\n\t\t\tcompatible = \"{compat}\";\n"
            f"\t\t\treg = <0x{addr} 0x400>;\n{extra}\t\t\tstatus = \"okay\";\n\t\t}};")


class Probe(Driver):
    """Runs ``Probe.body(device)`` at init."""

    body = staticmethod(lambda device: None)

    def init(self, device):
        type(self).body(device)


def boot_with(tmp_path, compat: str, extra: str, body, shipped: bool = True, **kw):
    cls = type("P", (Probe,), {"body": staticmethod(body), "compatibles": (compat,)})
    reg = default_registry().copy() if shipped else DriverRegistry()
    reg.register(cls)
    return boot(H7, overlays=[overlay(tmp_path, node(compat, extra))], drivers=reg, **kw)


# ------------------------------------------------------------------ allocation


def test_alloc_follows_zephyr_argument_order(tmp_path):
    got = {}

    def body(dev):
        got["a"] = dev.alloc(SmhAttr.CACHEABLE, 10, name="a")
        got["b"] = dev.aligned_alloc("CACHEABLE", 256, 10, name="b")
        got["c"] = dev.dma_alloc("CACHEABLE", 10, name="c")
        got["d"] = dev.dma_aligned_alloc(SmhAttr.CACHEABLE, 128, 40)
        got["e"] = dev.alloc(0, 8)

    s = boot_with(tmp_path, "acme,probe", "", body)
    a, b, c, d, e = (got[k] for k in "abcde")
    assert a.size == 10 and a.align == 0 and a.name == "a"
    assert b.addr % 256 == 0 and b.size == 10
    assert c.addr % 32 == 0 and c.size == 32  # padded to a whole line
    assert d.addr % 128 == 0 and d.size == 64 and d.name == "buf3"  # default name
    assert e.attr == "CACHEABLE"
    owners = {blk.owner for blk in s.pool.blocks()}
    assert "thing@40016000:a" in owners


def test_the_old_argument_order_still_works_with_a_warning(tmp_path):
    got = {}

    def body(dev):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            got["buf"] = dev.alloc("old", "CACHEABLE", 40, align=64)
            got["w"] = w

    boot_with(tmp_path, "acme,probe", "", body)
    buf = got["buf"]
    assert (buf.name, buf.size, buf.addr % 64) == ("old", 40, 0)
    assert [x.category for x in got["w"]] == [DeprecationWarning]
    assert "aligned_alloc(attr, align, size" in str(got["w"][0].message)


def test_alloc_rejects_a_mixed_call(tmp_path):
    def body(dev):
        with pytest.raises(TypeError, match="aligned_alloc"):
            dev.alloc(SmhAttr.CACHEABLE, 10, align=64)

    assert boot_with(tmp_path, "acme,probe", "", body).device("t").ready


def test_device_cache_is_a_deprecated_name_for_memsys(tmp_path):
    s = boot_with(tmp_path, "acme,probe", "", lambda dev: None)
    dev = s.device("t")
    with pytest.warns(DeprecationWarning, match="device.memsys.sys_cache"):
        assert dev.cache is dev.memsys is s.memsys
    assert s.cache is s.memsys.cache  # `cache` is the DataCache everywhere else


def test_old_helpers_warn_and_keep_working(tmp_path):
    from smh_boot.drivers import dma_alloc, region_alloc

    got = {}

    def body(dev):
        with pytest.warns(DeprecationWarning):
            got["d"] = dma_alloc(dev, "d", SmhAttr.CACHEABLE, 10)
        with pytest.warns(DeprecationWarning):
            got["r"] = region_alloc(dev, "r", SmhAttr.CACHEABLE, 10)

    boot_with(tmp_path, "acme,probe", "\t\t\tmemory-region = <&sram3>;\n", body)
    assert got["d"].size == 32 and got["r"].attr == "NON_CACHEABLE"  # SRAM3's attribute


# ------------------------------------------------------------------ buffer views


def test_views_split_a_buffer_and_refuse_what_does_not_fit(tmp_path):
    got = {}
    boot_with(tmp_path, "acme,probe", "", lambda dev: got.setdefault("b", dev.dma_alloc(0, 96)))
    buf = got["b"]
    h, p = buf.split(4)
    assert (h.name, h.addr, h.size, p.name, p.addr, p.end) == (
        "header", buf.addr, 4, "payload", buf.addr + 4, buf.end)
    a, b, c = buf.split(32, 32, names=("x", "y", "z"))
    assert [v.offset for v in (a, b, c)] == [0, 32, 64] and c.size == 32
    assert all(v.line_aligned(32) for v in (a, b, c)) and not p.line_aligned(32)
    with pytest.raises(ValueError, match="does not fit"):
        buf.view(90, 10)
    with pytest.raises(ValueError):
        buf.view(-1)


# ------------------------------------------------------------------ registry


def test_registering_a_second_driver_for_a_compatible_warns():
    class A(Driver):
        compatibles = ("acme,x", "acme,y")

    class B(A):
        pass

    reg = DriverRegistry()
    reg.register(A)
    with pytest.warns(DriverReplacedWarning, match="B replaces .*A for compatible 'acme,x', 'acme,y'"):
        reg.register(B)
    assert reg.lookup(["acme,x"]).cls is B
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        reg.register(B)  # the same class again (a re-import): silent
        reg.register(A, replace=True)  # a deliberate swap: silent
        assert reg.lookup(["acme,y"]).cls is A
        reg.register(B, replace=False)  # keeps A
        assert reg.lookup(["acme,y"]).cls is A


def test_the_decorator_warns_at_the_second_class(recwarn):
    @register_driver("acme,twice-registered")
    class First(Driver):
        pass

    with pytest.warns(DriverReplacedWarning) as w:
        @register_driver("acme,twice-registered")
        class Second(Driver):
            pass

    assert w[0].filename == __file__  # points at the user's class, not at smh-boot


# ------------------------------------------------------------------ dmas


DMAS = '\t\t\tdmas = <&dma1 6 40 0x440 0x3>, <&dma1 7 41 0x400 0x3>;\n\t\t\tdma-names = "tx", "rx";\n'


def test_dmas_decode_like_the_zephyr_macros(tmp_path):
    s = boot_with(tmp_path, "acme,probe", DMAS, lambda dev: None)
    dev = s.device("t")
    tx, rx = dev.dmas["tx"], dev.dmas["rx"]
    assert tx.controller is s.device("dma1") and rx.controller_path == "/soc/dma@40020000"
    assert tx.cells == (6, 40, 0x440, 3) and tx.channel == 6 and rx.cell("slot") == 41
    assert tx.cell("nope") is None and tx.cell("nope", 5) == 5
    assert "tx" in dev.dmas and "bulk" not in dev.dmas and dev.dmas.get("bulk") is None
    with pytest.raises(KeyError, match="dma-names: 'tx', 'rx'"):
        dev.dmas["bulk"]
    ch = dev.dma_channel("tx")
    assert ch is dev.dma_channel("tx") is dev.dma_channel(0) and ch.channel == 6
    # 6, and usart1's rx/tx streams 0 and 1, and 2: the memory-to-memory driver of dma1 takes
    # the lowest stream no dmas entry names (6 and 7 are this node's)
    assert s.dma_controller("/soc/dma@40020000").claimed == {0, 1, 2, 6}
    assert s.device("dma1").driver.channel.channel == 2


def test_an_unbound_controller_still_names_its_cells(tmp_path):
    s = boot_with(tmp_path, "acme,probe", DMAS, lambda dev: None, shipped=False)
    tx = s.device("t").dmas["tx"]
    assert tx.controller is None and tx.controller_path == "/soc/dma@40020000"
    assert tx.cell_names == ("channel", "slot", "channel-config", "features")  # its binding
    assert s.device("t").dma_channel("tx").channel == 6


def test_a_node_without_dmas_has_none(tmp_path):
    s = boot_with(tmp_path, "acme,probe", "", lambda dev: None)
    assert len(s.device("t").dmas) == 0 and s.device("t").dmas.names == []


def test_without_dma_names_entries_go_by_index(tmp_path):
    s = boot_with(tmp_path, "acme,probe", "\t\t\tdmas = <&dma1 2 1 0 0>;\n", lambda d: None)
    d = s.device("t")
    assert d.dmas[0].name is None and d.dmas[0].channel == 2 and d.dma_channel(0).channel == 2


@pytest.mark.parametrize("extra, message", [
    ('\t\t\tdmas = <&dma1 1 2>;\n', "has 2 cell(s) after &dma@40020000, whose #dma-cells is 4"),
    ('\t\t\tdmas = <&dma1 1 2 3 4>;\n\t\t\tdma-names = "tx", "rx";\n',
     "dma-names has 2 name(s) for 1 dmas entries"),
    ('\t\t\tdmas = <&sram1 1>;\n', "has no #dma-cells"),
    ('\t\t\tdmas = <&dma1 9 1 0 0>;\n\t\t\tdma-names = "tx";\n', "channel 9 does not exist"),
    ('\t\t\tdmas = <&dma1 1 2 3 4>;\n\t\t\tdma-names = "rx";\n', "no dmas entry named 'tx'"),
    ('\t\t\tdmas = [01 02 03];\n', "dmas must be a list of 32-bit cells"),
    ('\t\t\tdmas = <0x7777 1 2 3 4>;\n', "dmas entry 0 does not start with a phandle"),
    ('\t\t\tdmas = <&dma1 1 2 3 4>;\n\t\t\tdma-names = <1>;\n', "dma-names"),
])
def test_a_dmas_that_does_not_decode_fails_init_with_the_node(tmp_path, extra, message):
    s = boot_with(tmp_path, "acme,probe", extra, lambda dev: dev.dma_channel("tx"))
    dev = s.device("t")
    assert not dev.ready and message in dev.init_error
    assert "/soc/thing@40016000" in dev.init_error or "tx" in dev.init_error
    if "dmas" in extra and "channel 9" not in message and "named" not in message:
        assert "t.overlay:" in dev.init_error  # located at the property: file and line


def test_a_controller_without_channel_cells_hands_out_free_channels(tmp_path):
    # eDMA's cells are mux and source: channels come from dma_request_channel().
    ovl = tmp_path / "e.overlay"
    ovl.write_text('/ {\n\tsoc {\n\t\tt: thing@40300000 {\n\t\t\tcompatible = "acme,probe";\n'
                   '\t\t\treg = <0x40300000 0x400>;\n\t\t\tdmas = <&edma0 0 3>, <&edma0 0 4>;\n'
                   '\t\t\tdma-names = "a", "b";\n\t\t\tstatus = "okay";\n\t\t};\n\t};\n};\n')
    cls = type("P", (Probe,), {"compatibles": ("acme,probe",)})
    reg = DriverRegistry()
    reg.register(cls)
    s = boot("mimxrt1170_evk", overlays=[str(ovl)], drivers=reg)
    d = s.device("t")
    assert d.dmas["b"].cell_names == ("mux", "source") and d.dmas["b"].channel is None
    assert (d.dma_channel("a").channel, d.dma_channel("b").channel) == (0, 1)
    eng = s.dma_controller("/soc/dma-controller@40070000")
    assert eng.channels == 32
    eng.claimed |= set(range(32))
    with pytest.raises(DmaError, match="all 32 channels are taken"):
        eng.request_channel()


# ------------------------------------------------------------------ DmaChannel


@pytest.fixture
def chan(tmp_path):
    got = {}

    def body(dev):
        got["buf"] = dev.dma_alloc(SmhAttr.CACHEABLE, 64, name="io")
        got["nc"] = dev.alloc(SmhAttr.NON_CACHEABLE, 64, name="nc")

    s = boot_with(tmp_path, "acme,probe", DMAS, body, collect_coherency=False)
    dev = s.device("t")
    return s, dev, dev.dma_channel("tx"), dev.dma_channel("rx"), got["buf"], got["nc"]


def test_channel_errors_name_the_mistake(chan):
    s, dev, tx, rx, buf, nc = chan
    with pytest.raises(DmaError, match="before dma_config"):
        tx.start()
    with pytest.raises(DmaError, match="block 0 has block_size 0"):
        tx.config(DmaConfig(DmaDirection.MEMORY_TO_PERIPHERAL, DmaBlockConfig(buf.addr, 0, 0)))
    with pytest.raises(DmaError, match="multiple of the 4-byte data size"):
        tx.config(DmaConfig(DmaDirection.MEMORY_TO_PERIPHERAL, DmaBlockConfig(buf.addr, 0, 6),
                            source_data_size=4))
    with pytest.raises(DmaError, match="must be a DmaDirection"):
        tx.config(DmaConfig("m2p", DmaBlockConfig(buf.addr, 0, 4)))  # type: ignore[arg-type]
    loop = DmaBlockConfig(buf.addr, 0, 4)
    loop.next_block = loop
    with pytest.raises(DmaError, match="loops"):
        tx.config(DmaConfig(DmaDirection.MEMORY_TO_PERIPHERAL, loop))
    rx.config(DmaConfig(DmaDirection.PERIPHERAL_TO_MEMORY, DmaBlockConfig(0, buf.addr, 8)))
    with pytest.raises(DmaError, match="needs the peripheral's 8 bytes, got 3 bytes"):
        rx.start(b"abc")
    tx.config(DmaConfig(DmaDirection.MEMORY_TO_PERIPHERAL, DmaBlockConfig(nc.addr, 0, 8)))
    with pytest.raises(DmaError, match="only for peripheral-to-memory"):
        tx.start(b"12345678")
    with pytest.raises(DmaError, match="not running"):
        tx.complete()
    tx.start()
    with pytest.raises(DmaError, match="already running"):
        tx.start()
    with pytest.raises(DmaError, match="busy"):
        tx.config(DmaConfig(DmaDirection.MEMORY_TO_PERIPHERAL, DmaBlockConfig(nc.addr, 0, 8)))
    tx.stop()
    tx.stop()  # idle: a no-op, as in Zephyr
    assert not tx.busy


def test_memory_to_memory_and_callbacks(chan):
    s, dev, tx, rx, buf, nc = chan
    seen = []
    s.memsys.cpu.write(nc.addr, b"0123456789abcdef")
    s.memsys.sys_cache_data_invd_range(buf.addr, 64)
    tx.config(DmaConfig(DmaDirection.MEMORY_TO_MEMORY, DmaBlockConfig(nc.addr, buf.addr, 16),
                        dma_callback=lambda *a: seen.append(a), user_data="ud"))
    tx.start()
    assert tx.complete() == b""  # nothing went to a peripheral
    s.memsys.sys_cache_data_invd_range(buf.addr, 64)
    assert s.memsys.cpu.read(buf.addr, 16) == b"0123456789abcdef"
    assert seen == [(s.device("dma1"), "ud", 6, 0)]


def test_requires_noncacheable_is_checked_at_start(chan):
    s, dev, tx, rx, buf, nc = chan
    tx.config(DmaConfig(DmaDirection.MEMORY_TO_PERIPHERAL, DmaBlockConfig(buf.addr, 0, 8),
                        requires_noncacheable=True))
    with pytest.raises(CoherencyError) as e:
        tx.start()
    assert e.value.report.kind is CoherencyKind.CACHEABLE_BUFFER_FOR_DMA
    assert not tx.busy


def test_transfer_numbers_are_one_sequence_across_controllers(chan):
    s, dev, tx, rx, buf, nc = chan
    tx.config(DmaConfig(DmaDirection.MEMORY_TO_PERIPHERAL, DmaBlockConfig(nc.addr, 0, 8)))
    a = tx.start()
    tx.complete()
    b = s.dma.start(0, device="x", src=nc.addr, size=4)
    s.dma.complete(b)
    tx.start()
    assert b.id == a.id + 1 and tx.transfer.id == b.id + 1


# ------------------------------------------------------------------ require_noncacheable


def test_require_noncacheable_has_one_documented_behaviour(chan):
    s, dev, tx, rx, buf, nc = chan
    ms = s.memsys
    assert ms.require_noncacheable(nc.addr, 64) is True
    with pytest.raises(CoherencyError) as e:  # every boot's checker raises
        ms.require_noncacheable(buf.addr, 64, device="t")
    assert e.value.report.kind is CoherencyKind.CACHEABLE_BUFFER_FOR_DMA
    quiet = CoherencyChecker(raise_errors=False)
    quiet.bind(ms)
    ms.checker = quiet
    assert ms.require_noncacheable(buf.addr, 64, device="t") is False
    assert [r.kind for r in quiet.reports] == [CoherencyKind.CACHEABLE_BUFFER_FOR_DMA]
    ms.checker = None
    assert ms.require_noncacheable(buf.addr, 64) is False
    from smh_boot.drivers import _common

    assert not hasattr(_common, "require_noncacheable")  # one function of that name


# ------------------------------------------------------------------ CoherencyError in init()


def _unflushed_tx(dev):
    b = dev.dma_alloc(SmhAttr.CACHEABLE, 32, name="cmd")
    dev.cpu.write(b.addr, b"hello")
    t = dev.dma.start(0, device=dev.name, src=b.addr, size=5)
    dev.dma.complete(t)


def test_a_coherency_error_in_init_fails_the_device_not_the_boot(tmp_path):
    s = boot_with(tmp_path, "acme,probe", "", _unflushed_tx)
    dev = s.device("t")
    assert not dev.ready and dev.init_error.startswith("coherency error STALE_TX_DATA")
    assert s.coherency_errors == [dev.init_exception]
    assert s.coherency_errors[0].report.actor == dev.name  # init() is attributed to its device
    others = [d for d in s.device_list if d is not dev]
    assert others and all(d.ready for d in others)
    log = s.log_text
    assert "thing@40016000 (acme,probe) P: FAILED (coherency error STALE_TX_DATA" in log
    assert "hint: call sys_cache_data_flush_range()" in log
    from smh_boot.bootstage.boot_report import boot_report

    row = next(d for d in boot_report(s)["devices"] if d["name"] == dev.name)
    assert row["ready"] is False and row["error"].startswith("coherency error STALE_TX_DATA")


def test_the_cli_exits_1_with_the_report(tmp_path, capsys):
    from smh_boot.cli import main

    @register_driver("acme,init-bug")
    class InitBug(Driver):
        def init(self, device):
            _unflushed_tx(device)

    ovl = overlay(tmp_path, node("acme,init-bug"))
    assert main(["boot", H7, "--overlay", ovl]) == 1
    out = capsys.readouterr().out
    assert "FAILED (coherency error STALE_TX_DATA" in out
    assert "owned by thing@40016000:cmd" in out and "devices: 4/5 ready" in out


# ------------------------------------------------------------------ block callbacks, cyclic


def test_ping_pong_rx_with_block_callbacks(chan):
    """I2S-style capture: two halves of one buffer, cyclic, a callback per block; the driver
    invalidates and reads the half that just completed while the other one fills."""
    s, dev, tx, rx, buf, nc = chan
    ms, half = s.memsys, 32
    got, statuses = [], []

    def on_block(ctrl, user, channel, status):
        statuses.append(status)
        done = rx.block_index  # in the callback: the block that just completed
        with ms.acting_as(dev.name):
            ms.sys_cache_data_invd_range(buf.addr + done * half, half)
            got.append(ms.cpu.read(buf.addr + done * half, half))

    second = DmaBlockConfig(0, buf.addr + half, half)
    first = DmaBlockConfig(0, buf.addr, half, next_block=second)
    ms.sys_cache_data_invd_range(buf.addr, 64)
    rx.config(DmaConfig(DmaDirection.PERIPHERAL_TO_MEMORY, first, dma_callback=on_block,
                        complete_callback_en=True, cyclic=True))
    frames = [bytes([i]) * half for i in range(1, 7)]
    rx.start(frames[0] + frames[1])
    assert rx.complete_block().dst == buf.addr + half  # block 0 done, block 1 running
    for f in frames[2:]:
        assert rx.complete_block(f) is not None  # each new half brings the codec's next bytes
    with pytest.raises(DmaError, match="never completes"):
        rx.complete()
    with pytest.raises(DmaError, match="needs the peripheral's 32 bytes"):
        rx.complete_block()
    rx.stop()
    assert got == frames[:5] and statuses == [1] * 5 and not rx.busy


def test_a_chain_calls_back_per_block_only_when_asked(chan):
    s, dev, tx, rx, buf, nc = chan
    calls = []
    chain = DmaBlockConfig(nc.addr, 0, 8, next_block=DmaBlockConfig(nc.addr + 8, 0, 8))
    s.memsys.cpu.write(nc.addr, b"ABCDEFGHIJKLMNOP")
    for per_block in (False, True):
        calls.clear()
        tx.config(DmaConfig(DmaDirection.MEMORY_TO_PERIPHERAL, chain, complete_callback_en=per_block,
                            dma_callback=lambda *a: calls.append(a[3])))
        tx.start()
        assert tx.block_index == 0
        assert tx.complete() == b"ABCDEFGHIJKLMNOP"
        assert calls == ([1, 0] if per_block else [0])
    tx.start()
    with pytest.raises(DmaError, match="only for the next pass"):
        tx.complete_block(b"x")
    assert tx.complete_block().src == nc.addr + 8 and tx.complete_block() is None


# ------------------------------------------------------------------ dmas as a dependency


def test_a_device_depends_on_the_dma_controller_its_dmas_names():
    from smh_boot.drivers.dma import MemToMemDma

    class BrokenDma(MemToMemDma):
        def init(self, device):
            raise RuntimeError("clock gate stuck")

    s = boot(H7)
    assert s.device("usart1").depends_on == ["/memory@30040000", "/soc/dma@40020000"]
    reg = default_registry().copy()
    reg.register(BrokenDma, replace=True)
    s = boot(H7, drivers=reg)
    assert s.device("dma1").init_error == "RuntimeError: clock gate stuck"
    uart = s.device("usart1")
    assert not uart.ready and uart.init_error == "dependency not ready: /soc/dma@40020000"
