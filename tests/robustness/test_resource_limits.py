"""Resource limits: each extreme input is handled in bounded time and memory, with a clear
message or a normal result where the input is legitimate.

Every case runs in a child process (``smh_boot.fuzz.isolate``) under a memory cap and a
wall-clock limit, so a blow-up fails the test instead of taking the machine down.  The
limits are generous multiples of what the input needs when handled well (figures in the
README's robustness section).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from smh_boot.devicetree import find_regions, load_devicetree
from smh_boot.fuzz.isolate import run_isolated

HEAD = "/dts-v1/;\n#include <zephyr/dt-bindings/memory-attr/memory-attr.h>\n"
REGION = ('r: sram@{unit} {{ compatible = "zephyr,memory-region"; zephyr,memory-region = "R"; '
          "reg = <{reg}>; zephyr,memory-attr = <( DT_MEM_CACHEABLE )>; }};")

BOARD = """name: limits
vendor: test
soc: t
cpu: cortex-a53
arch: arm64
isa: armv8-a
ptr_size: 8
devicetree:
  dts: {dts}
heap:
  hardening: strict
cache: null
drivers: []
"""


def root(cells: tuple[int, int], body: str) -> str:
    return HEAD + f"/ {{\n#address-cells = <{cells[0]}>;\n#size-cells = <{cells[1]}>;\n{body}\n}};\n"


def isolated(kind: str, path: Path, *extra: Path, timeout: float = 60, memory_mb: int = 2048):
    out, peak = run_isolated(kind, path, *extra, timeout=timeout, memory_mb=memory_mb)
    assert not out.failed, f"{out.describe()}\n(peak {peak:.0f} MiB)"
    return out, peak


# --------------------------------------------------------------------------- 2^64-1 bytes


def test_region_of_2_64_minus_1_bytes_is_scanned_with_its_real_size(tmp_path):
    p = tmp_path / "huge.dts"
    p.write_text(root((2, 2), REGION.format(unit="0", reg="0 0 0xffffffff 0xffffffff")))
    regs = find_regions(load_devicetree(p), arch="arm64").regions
    assert [(r.addr, r.size) for r in regs] == [(0, 2**64 - 1)]
    out, _ = isolated("devicetree", p, timeout=30, memory_mb=1024)
    assert out.kind == "ok"


def test_booting_a_region_of_2_64_minus_1_bytes_stays_small(tmp_path):
    # The address space is backed lazily and a heap that large is refused: the boot must
    # neither allocate 2^64 bytes nor crash; it ends normally or in one located error.
    (tmp_path / "huge.dts").write_text(root((2, 2), REGION.format(unit="0", reg="0 0 0xffffffff 0xffffffff")))
    y = tmp_path / "board.yaml"
    y.write_text(BOARD.format(dts="huge.dts"))
    out, peak = isolated("board", y, timeout=60, memory_mb=1024)
    assert peak < 512


# --------------------------------------------------------------------------- reg of 16 cells


def test_reg_of_16_cells_as_one_entry_of_8_plus_8_cells(tmp_path):
    p = tmp_path / "reg16.dts"
    reg = "0 0 0 0 0 0 0 0x20000000 0 0 0 0 0 0 0 0x1000"
    p.write_text(root((8, 8), REGION.format(unit="20000000", reg=reg)))
    (rec,) = find_regions(load_devicetree(p), arch="arm").regions
    assert (rec.addr, rec.size) == (0x2000_0000, 0x1000)


def test_reg_of_16_cells_as_eight_entries_keeps_them_all(tmp_path):
    p = tmp_path / "reg16.dts"
    reg = " ".join(f"{0x2000_0000 + i * 0x1000:#x} 0x100" for i in range(8))
    p.write_text(root((1, 1), REGION.format(unit="20000000", reg=reg)))
    (rec,) = find_regions(load_devicetree(p), arch="arm").regions
    assert len(rec.regs) == 8 and rec.regs[7].addr == 0x2000_7000


def test_reg_of_16_cells_in_a_2_plus_2_parent_with_one_too_many_is_located(tmp_path):
    p = tmp_path / "reg17.dts"
    p.write_text(root((2, 2), REGION.format(unit="0", reg=" ".join(["1"] * 17))))
    with pytest.raises(Exception) as ei:
        find_regions(load_devicetree(p), arch="arm")
    e = ei.value
    assert type(e).__name__ == "DevicetreeError" and e.file.endswith("reg17.dts") and e.line == 6
    assert "17 cells" in e.message and e.hint


# --------------------------------------------------------------------------- 100,000 nodes


def test_100000_nodes_are_processed_in_bounded_time_and_memory(tmp_path):
    p = tmp_path / "many.dts"
    nodes = "\n".join(f"n{i}: node@{i * 16:x} {{ reg = <{i * 16:#x} 16>; }};" for i in range(100_000))
    p.write_text(root((1, 1), nodes + "\n" + REGION.format(unit="20000000", reg="0x20000000 0x1000")))
    out, peak = isolated("devicetree", p, timeout=150, memory_mb=3072)
    assert out.kind == "ok"
    assert peak < 2048


# --------------------------------------------------------------------------- include cycles


def test_include_cycle_through_cpp_is_one_located_error(tmp_path):
    (tmp_path / "a.dtsi").write_text('#include "b.dtsi"\n')
    (tmp_path / "b.dtsi").write_text('#include "a.dtsi"\n')
    p = tmp_path / "cycle.dts"
    p.write_text(HEAD + '#include "a.dtsi"\n/ { };\n')
    out, _ = isolated("devicetree", p, timeout=30, memory_mb=1024)
    assert out.kind == "error" and "nested depth" in out.message
    assert "a.dtsi:1" in out.message or "b.dtsi:1" in out.message


def test_include_cycle_through_dtlib_include_is_one_located_error(tmp_path):
    # RB-1 (fixed): dtlib's own cycle check never fired and the parser looped for ever; the
    # 15 s limit makes a regression fail as a hang instead of hanging the suite.
    (tmp_path / "c.dtsi").write_text('/include/ "d.dtsi"\n')
    (tmp_path / "d.dtsi").write_text('/include/ "c.dtsi"\n')
    p = tmp_path / "cycle.dts"
    p.write_text('/dts-v1/;\n/include/ "c.dtsi"\n/ { };\n')
    out, _ = isolated("devicetree", p, timeout=15, memory_mb=1024)
    assert out.kind == "error" and ("c.dtsi" in out.message or "d.dtsi" in out.message)


def test_include_bomb_is_one_clear_error(tmp_path):
    # RB-11 (fixed): two files including each other twice mean 2^200 inclusions before cpp's
    # depth limit; the front end stops cpp by output size (64 MiB, ~5 s) or time (30 s).
    (tmp_path / "inc0.dtsi").write_text('#include "bomb.dts"\n#include "bomb.dts"\n/ { };\n')
    p = tmp_path / "bomb.dts"
    p.write_text('/dts-v1/;\n#include "inc0.dtsi"\n/ { };\n')
    out, _ = isolated("devicetree", p, timeout=90, memory_mb=1024)
    assert out.kind == "error" and "bomb.dts" in out.message


def test_a_file_included_twice_without_a_cycle_is_fine(tmp_path):
    (tmp_path / "x.dtsi").write_text("/ { };\n")
    p = tmp_path / "twice.dts"
    p.write_text('/dts-v1/;\n/include/ "x.dtsi"\n/include/ "x.dtsi"\n#include "x.dtsi"\n#include "x.dtsi"\n/ { };\n')
    out, _ = isolated("devicetree", p, timeout=30, memory_mb=1024)
    assert out.kind == "ok"


# --------------------------------------------------------------------------- deep nesting


def nested(depth: int) -> str:
    opens = "".join(f"n{i} {{\n" for i in range(depth))
    return "/dts-v1/;\n/ {\n" + opens + "};\n" * depth + "};\n"


def test_100_deep_nesting_is_processed(tmp_path):
    p = tmp_path / "deep100.dts"
    p.write_text(nested(100))
    out, _ = isolated("devicetree", p, timeout=30, memory_mb=1024)
    assert out.kind == "ok"


def test_10000_deep_nesting_is_one_clear_error(tmp_path):
    # RB-2 (fixed): a RecursionError used to escape from the parser.
    p = tmp_path / "deep.dts"
    p.write_text(nested(10_000))
    out, _ = isolated("devicetree", p, timeout=30, memory_mb=1024)
    assert out.kind == "error" and "deep.dts" in out.message


# --------------------------------------------------------------------------- 50 MB source


MB50 = 50 * 2**20


def test_50mb_source_of_comments_is_processed(tmp_path):
    p = tmp_path / "big.dts"
    line = "/* " + "x" * 76 + " */\n"
    with p.open("w") as f:
        f.write(HEAD)
        f.write(line * (MB50 // len(line)))
        f.write(root((1, 1), REGION.format(unit="20000000", reg="0x20000000 0x1000"))[len(HEAD):])
    assert p.stat().st_size >= MB50
    out, peak = isolated("devicetree", p, timeout=60, memory_mb=2048)
    assert out.kind == "ok"


def test_50mb_source_in_one_string_property_stays_within_memory(tmp_path):
    # RB-3 (fixed): dtlib's tokenizer needs ~200 bytes of memory per character of a string
    # literal (10 GB for this file); the 2 GB cap would turn a regression into a crash.
    p = tmp_path / "big.dts"
    with p.open("w") as f:
        f.write('/dts-v1/;\n/ {\n n { blob = "')
        f.write("y" * MB50)
        f.write('"; };\n};\n')
    out, peak = isolated("devicetree", p, timeout=120, memory_mb=2048)
    assert out.kind in ("ok", "error")
