"""smh-boot fit: byte-exact region sizing with the real heap, checked on both sides of every
boundary it reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import smh_boot
from smh_boot.cli import main
from smh_boot.errors import InputError, TraceError
from smh_boot.heap import HeapConfig
from smh_boot.heap.trace import dumps_trace, parse_trace
from smh_boot.planning import bind, fit
from smh_boot.planning import board_side
from smh_boot.planning import run as R
from smh_boot.planning.sizes import size_rule
from smh_boot.planning.workload import PlanRegion

SHOWCASE = ["stm32h747i_disco_m7", "mimxrt1170_evk", "esp32s3_devkitc"]


def _buffers(system) -> dict[str, str]:
    """Where every driver buffer landed: owner -> region name (None: no such buffer)."""
    return {f"{d.path}:{b['name']}": b["region"] for d in system.device_list
            for b in d.to_dict()["buffers"]}


@pytest.fixture(scope="module", params=SHOWCASE)
def fitted(request, tmp_path_factory):
    """(board, boot-time report of fit, the overlay with the minimal sizes, the reference boot)."""
    board = request.param
    system, doc = board_side.record_boot(smh_boot.boot, board, strict=False)
    regions = board_side.plan_regions(system)
    report = fit(regions, [board_side.boot_workload(system, doc)], system.pool.config,
                 arch=system.board.arch, isa=system.board.isa, dt_attrs=board_side.dt_attrs(system))
    out = tmp_path_factory.mktemp(board) / "fit.overlay"
    out.write_text(board_side.overlay_text(system, {rf.region.path: rf.minimum for rf in report.regions}))
    return board, report, out, system


def test_the_minimal_sizes_boot_and_keep_every_buffer_where_it_was(fitted):
    board, report, overlay, ref = fitted
    assert report.ok
    system = smh_boot.boot(board, overlays=[overlay])
    assert system.ready, system.log_text
    assert _buffers(system) == _buffers(ref)
    sizes = {r.name: r.size for r in system.regions}
    for rf in report.regions:
        assert sizes[rf.region.name] == rf.minimum < rf.current


def test_one_granule_smaller_fails_for_each_region(fitted, tmp_path):
    board, report, overlay, ref = fitted
    minima = {rf.region.path: rf.minimum for rf in report.regions}
    for rf in report.regions:
        smaller = rf.rule.smaller(rf.minimum)
        assert smaller is not None and rf.below is not None and rf.below["size"] == smaller
        sizes = {**minima, rf.region.path: smaller}
        path = tmp_path / f"{rf.region.name}.overlay"
        path.write_text(board_side.overlay_text(ref, sizes))
        system = smh_boot.boot(board, overlays=[path], strict=False)
        info = next(r for r in system.regions if r.path == rf.region.path)
        failed = (info.heap_index is None or not system.ready or _buffers(system) != _buffers(ref))
        assert failed, f"{board}: {rf.region.name} at {smaller} B still gives the same boot"


def test_mpu_rules_shape_the_answer(fitted):
    board, report, _overlay, _ref = fitted
    for rf in report.regions:
        if rf.rule.kind == "pow2":
            assert rf.minimum & (rf.minimum - 1) == 0 and rf.region.addr % rf.minimum == 0
        else:
            assert rf.minimum % rf.rule.granule == 0


def _region(name, attr, addr, size):
    return PlanRegion(name, f"/{name.lower()}@{addr:x}", int(attr), ["CACHEABLE", "NON_CACHEABLE", "EXTERNAL"][attr],
                      addr, size)


def _trace(ops, ptr_size=4):
    return parse_trace({"format": "zephyr-shared-multi-heap-golden/1", "name": "t",
                        "variant": {"name": f"p{ptr_size}_nostats", "ptr_size": ptr_size, "runtime_stats": False},
                        "config": {}, "ops": ops}, "t.json")


def _churn(n=300):
    ops = []
    live = []
    for i in range(n):
        if len(live) > 6 or (live and i % 3 == 0):
            ops.append({"op": "free", "tag": live.pop(0)})
        else:
            t = f"p{i}"
            ops.append({"op": "aligned_alloc", "attr": i % 2, "align": 16 << (i % 3), "size": 24 + (i * 37) % 500, "tag": t})
            live.append(t)
    return ops


@pytest.mark.parametrize("ptr_size", [4, 8])
def test_search_answer_is_a_verified_boundary(ptr_size):
    regions = [_region("A", 0, 0x2000_0004, 64 * 1024), _region("B", 1, 0x2001_0000, 16 * 1024)]
    w = bind(_trace(_churn(), ptr_size), regions)
    cfg = HeapConfig(ptr_size=ptr_size)
    rep = fit(regions, [w], cfg, arch="riscv", isa=None)
    ref = R.reference(w, [r.size for r in regions], R.planning_config(cfg))
    got = [rf.minimum for rf in rep.regions]
    assert R.probe(w, ref, got, R.planning_config(cfg)) is None
    for k, rf in enumerate(rep.regions):
        assert rf.rule.granule == 8 and rf.minimum < regions[k].size
        below = list(got)
        below[k] -= 8
        f = R.probe(w, ref, below, R.planning_config(cfg))
        assert f is not None and rf.below["op"] == f.op
        assert rf.peak_bytes > 0 and rf.peak_blocks >= 1 and rf.headroom_at_peak > 0


def test_margin_and_rules_round_up():
    rule = size_rule("arm", "armv7e-m", 0x00100000)  # ARM_MPU_RAM bits: programmed
    assert rule.kind == "pow2" and rule.round_up(0x3000_0000, 5000) == 8192
    assert size_rule("arm", "armv8-m.main", 0x00100000).granule == 32
    assert size_rule("arm64", None, None).granule == 4096
    assert size_rule("arm", "armv7e-m", 0).granule == 8  # no MPU bits: not programmed
    regions = [_region("A", 0, 0x2000_0000, 64 * 1024), _region("B", 1, 0x2001_0000, 16 * 1024)]
    w = bind(_trace(_churn()), regions)
    rep = fit(regions, [w], HeapConfig(), arch="riscv", isa=None, margin=0.25)
    for rf in rep.regions:
        assert rf.suggested >= rf.minimum * 1.25 and rf.suggested % 8 == 0 and rf.suggested - rf.minimum * 1.25 < 8


def test_resize_what_if_reports_the_first_null_with_the_heap_state():
    regions = [_region("A", 0, 0x2000_0000, 64 * 1024), _region("B", 1, 0x2001_0000, 16 * 1024)]
    w = bind(_trace(_churn()), regions)
    rep = fit(regions, [w], HeapConfig(), arch="riscv", isa=None, resize={"A": 1024}, search=False)
    assert not rep.ok
    first = rep.workloads[0]["first_null"]
    assert first["text"].startswith("aligned_alloc(attr=0")
    assert first["where"] == "t.json: op %d" % (first["op"] - w.prefix)
    assert first["heaps"][0]["size"] == 1024 and first["heaps"][0]["allocated_bytes"] > 0
    assert rep.resized == {"A": 1024}
    with pytest.raises(InputError, match="no heap region is called 'C'"):
        fit(regions, [w], HeapConfig(), arch="riscv", isa=None, resize={"C": 1024})


def test_trace_binding_errors_name_the_op():
    regions = [_region("A", 0, 0x2000_0000, 4096)]
    two = _trace([{"op": "init_pool"}, {"op": "add", "attr": 0, "base_mod": 0, "size": 4096},
                  {"op": "add", "attr": 1, "base_mod": 0, "size": 4096}])
    with pytest.raises(TraceError, match="adds 2 heap region"):
        bind(two, regions)
    wrong = _trace([{"op": "init_pool"}, {"op": "add", "attr": 1, "base_mod": 0, "size": 4096}])
    with pytest.raises(TraceError, match="NON_CACHEABLE|SMH attribute 1"):
        bind(wrong, regions)


def test_cli_fit_json_overlay_and_picture(tmp_path, capsys):
    ovl, svg = tmp_path / "fit.overlay", tmp_path / "fit.svg"
    rc = main(["fit", "stm32h747i_disco_m7", "--margin", "20%", "--emit-overlay", str(ovl), "--svg", str(svg), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and out["ok"] and out["margin"] == 0.2
    names = [r["name"] for r in out["regions"]]
    assert names == ["SRAM1", "SRAM3", "SRAM2", "SDRAM2"]
    assert {a["attr"] for a in out["attrs"]} == {"CACHEABLE", "NON_CACHEABLE"}
    text = ovl.read_text()
    assert "&sram1 {" in text and "reg = <0x30000000 0x8000>;" in text
    assert svg.read_text().startswith("<svg") and svg.read_text().count('class="region"') == 4
    # The overlay is a layout `validate` accepts.
    assert main(["validate", "--board", "stm32h747i_disco_m7", "--overlay", str(ovl)]) == 0


def test_cli_fit_errors(tmp_path, capsys):
    assert main(["fit", "--margin", "lots"]) == 2
    assert "--margin 'lots'" in capsys.readouterr().err
    assert main(["fit", "--resize", "SRAM1"]) == 2
    assert "NAME=SIZE" in capsys.readouterr().err
    assert main(["fit", "--resize", "SRAM1=12Q"]) == 2
    assert "not a size" in capsys.readouterr().err
    assert main(["fit", "--trace", str(tmp_path / "none.json")]) == 2
    assert "no such trace file" in capsys.readouterr().err
    assert main(["fit", "mps2_an521"]) == 2
    assert "no heap regions" in capsys.readouterr().err


def test_cli_fit_resize_failure_exits_1(capsys):
    assert main(["fit", "--resize", "SDRAM2=512K", "--no-search"]) == 1
    out = capsys.readouterr().out
    assert "first NULL at" in out and "display-controller@50001000:framebuffer" in out


def test_readme_picture_is_what_fit_draws(tmp_path, monkeypatch, capsys):
    root = Path(__file__).resolve().parents[2]
    monkeypatch.chdir(root)
    out = tmp_path / "fit.svg"
    assert main(["fit", "--trace", "tests/data/fit/net_stack.json", "--margin", "20%", "--svg", str(out)]) == 0
    assert out.read_text() == (root / "docs" / "fit-usage.svg").read_text(), \
        "regenerate docs/fit-usage.svg with the README's fit command"


def test_fit_and_diff_take_zephyr_build_directories(monkeypatch, capsys):
    """fit and diff take what boot takes: here a Zephyr build directory (no YAML, no flags)."""
    data = Path(__file__).resolve().parents[1] / "zephyr" / "data"
    monkeypatch.chdir(data)
    monkeypatch.delenv("ZEPHYR_BASE", raising=False)
    assert main(["fit", "-d", "builds/h747_m7", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in out["regions"]] == ["SRAM1", "SRAM2", "SRAM3", "SRAM4", "SDRAM2"]
    assert out["config"]["runtime_stats"] is True  # CONFIG_SYS_HEAP_RUNTIME_STATS=y in .config
    assert main(["diff", "builds/h747_m7", "builds/h747_m7"]) == 0
    capsys.readouterr()
    assert main(["diff", "builds/h747_m7", "builds/qemu_a53", "--json"]) == 1
    changes = json.loads(capsys.readouterr().out)["changes"]
    assert {"kind": "board", "subject": "ptr_size", "change": "changed", "a": 4, "b": 8} in changes


def test_a_resize_the_mpu_cannot_take_is_an_error_like_validates():
    # user trial: --resize DMA_CACHED=3K on an ARMv7-M board said "minimum 3072", exit 0
    regions = [_region("A", 0, 0x2000_0000, 64 * 1024), _region("B", 1, 0x2001_0000, 16 * 1024)]
    w = bind(_trace(_churn()), regions)
    attrs = {r.path: 0x00100000 for r in regions}  # ARM_MPU_RAM: programmed into the MPU
    with pytest.raises(InputError, match=r"--resize A=3072 \(3 KiB\): region cannot be an ARMv7-M MPU "
                       r"region: size 0xc00 is not a power of two.*\[mpu-region-constraints\]") as e:
        fit(regions, [w], HeapConfig(), arch="arm", isa="armv7e-m", dt_attrs=attrs, resize={"A": 3072})
    assert "2048 (2 KiB) or 4096 (4 KiB)" in e.value.hint
    # an allowed size is a plain what-if; ARMv8-M takes any multiple of 32
    fit(regions, [w], HeapConfig(), arch="arm", isa="armv7e-m", dt_attrs=attrs, resize={"A": 4096},
        search=False)
    fit(regions, [w], HeapConfig(), arch="arm", isa="armv8-m.main", dt_attrs=attrs, resize={"A": 3072},
        search=False)
    with pytest.raises(InputError, match="not a multiple of 32 bytes"):
        fit(regions, [w], HeapConfig(), arch="arm", isa="armv8-m.main", dt_attrs=attrs, resize={"A": 3000})


def test_minima_keep_to_the_mpu_even_from_a_size_it_cannot_take():
    # the board's own size breaks the ARMv7-M rule (validate's error; a --no-strict boot goes on):
    # the answer and the step below it are still powers of two
    regions = [_region("A", 0, 0x2000_0000, 0x3000), _region("B", 1, 0x2001_0000, 16 * 1024)]
    w = bind(_trace(_churn()), regions)
    attrs = {r.path: 0x00100000 for r in regions}
    rep = fit(regions, [w], HeapConfig(), arch="arm", isa="armv7e-m", dt_attrs=attrs)
    for rf in rep.regions:
        assert rf.rule.kind == "pow2"
        assert rf.minimum & (rf.minimum - 1) == 0 and rf.region.addr % rf.minimum == 0
        assert rf.below is None or rf.below["size"] == rf.minimum // 2
    assert rep.regions[0].rule.candidates(0x2000_0000, 0x3000)[-1] == 0x4000
    assert 0x3000 not in rep.regions[0].rule.candidates(0x2000_0000, 0x3000)
