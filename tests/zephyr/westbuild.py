"""What `west build` leaves behind, made for the fixtures without a toolchain.

A real build runs the C preprocessor over the board's .dts and overlays with the include
folders of every DTS root (zephyr/zephyr.dts.pre, line markers kept), lets edtlib write the
merged tree (zephyr/zephyr.dts: dtlib's own printout of the parsed tree), writes the Kconfig
(zephyr/.config) and, in newer trees, build_info.yml.  `make_build` does the same with cpp,
dtlib and a .config given as text.  `python tests/zephyr/westbuild.py` (from tests/zephyr/data)
regenerates the committed build directories under tests/zephyr/data/builds/.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import yaml

from smh_boot.devicetree import load_preprocessed
from smh_boot.devicetree.preprocess import preprocess
from smh_boot.infer import Flags
from smh_boot.resolve import TargetSpec, resolve

DATA = Path(__file__).resolve().parent / "data"

H747_CONFIG = """\
#
# Automatically generated file; DO NOT EDIT.
# Zephyr Kernel Configuration
#
CONFIG_BOARD="stm32h747i_disco"
CONFIG_BOARD_REVISION=""
CONFIG_BOARD_TARGET="stm32h747i_disco/stm32h747xx/m7"
CONFIG_BOARD_QUALIFIERS="stm32h747xx/m7"
CONFIG_BOARD_STM32H747I_DISCO=y
CONFIG_SOC="stm32h747xx"
CONFIG_SOC_SERIES="stm32h7x"
CONFIG_SOC_FAMILY="st_stm32"
CONFIG_ARCH="arm"
CONFIG_CPU_CORTEX=y
CONFIG_CPU_CORTEX_M=y
CONFIG_CPU_CORTEX_M7=y
CONFIG_ARMV7_M_ARMV8_M_MAINLINE=y
CONFIG_CPU_HAS_ARM_MPU=y
CONFIG_ARM_MPU=y
CONFIG_CPU_HAS_DCACHE=y
CONFIG_DCACHE=y
CONFIG_DCACHE_LINE_SIZE=32
CONFIG_CACHE_MANAGEMENT=y
# CONFIG_64BIT is not set
CONFIG_SRAM_SIZE=512
CONFIG_SRAM_BASE_ADDRESS=0x24000000
CONFIG_SYS_CLOCK_HW_CYCLES_PER_SEC=480000000
CONFIG_CONSOLE=y
CONFIG_UART_CONSOLE=y
CONFIG_SYS_HEAP_ALLOC_LOOPS=3
CONFIG_SYS_HEAP_RUNTIME_STATS=y
CONFIG_SYS_HEAP_AUTO=y
# CONFIG_SYS_HEAP_SMALL_ONLY is not set
# CONFIG_SYS_HEAP_BIG_ONLY is not set
CONFIG_SHARED_MULTI_HEAP=y
CONFIG_MEM_ATTR=y
# CONFIG_MEM_ATTR_HEAP is not set
CONFIG_KERNEL_BIN_NAME="zephyr"
"""

A53_CONFIG = """\
#
# Automatically generated file; DO NOT EDIT.
# Zephyr Kernel Configuration
#
CONFIG_BOARD="qemu_cortex_a53"
CONFIG_BOARD_TARGET="qemu_cortex_a53"
CONFIG_BOARD_QUALIFIERS="qemu_cortex_a53"
CONFIG_SOC="qemu_cortex_a53"
CONFIG_ARCH="arm64"
CONFIG_CPU_CORTEX_A53=y
CONFIG_ARMV8_A=y
CONFIG_64BIT=y
CONFIG_CPU_HAS_DCACHE=y
CONFIG_DCACHE=y
CONFIG_DCACHE_LINE_SIZE=64
CONFIG_SRAM_SIZE=131072
CONFIG_SYS_HEAP_ALLOC_LOOPS=3
# CONFIG_SYS_HEAP_RUNTIME_STATS is not set
CONFIG_SYS_HEAP_HARDENING_MODERATE=y
CONFIG_SHARED_MULTI_HEAP=y
CONFIG_MEM_ATTR=y
CONFIG_MEM_ATTR_HEAP=y
"""

#: name -> (board target, overlays, modules, .config text), paths relative to DATA
BUILDS = {
    "h747_m7": ("stm32h747i_disco/stm32h747xx/m7", ("app/app.overlay",),
                ("zephyrproject/modules/hal/stm32",), H747_CONFIG),
    "qemu_a53": ("qemu_cortex_a53", ("app64/app.overlay",), (), A53_CONFIG),
}


def make_build(out: Path, target: str, zephyr_base: str, overlays=(), modules=(), config="",
               *, with_pre: bool = True, with_info: bool = True) -> Path:
    """Write a build directory for ``target`` at ``out`` (paths as given: relative inputs give
    relative line markers, as a build from that folder would)."""
    spec = TargetSpec(target=target, zephyr_base=zephyr_base, overlays=tuple(overlays),
                      modules=tuple(modules), flags=Flags())
    r = resolve(spec)
    b = r.board
    (out / "zephyr").mkdir(parents=True, exist_ok=True)
    pre = out / "zephyr" / "zephyr.dts.pre"
    preprocess(str(b.dts_path), [str(o) for o in b.overlay_paths],
               [str(d) for d in b.include_dirs], str(pre))
    dt = load_preprocessed(pre)
    (out / "zephyr" / "zephyr.dts").write_text(str(dt.dt), encoding="utf-8")
    if not with_pre:
        pre.unlink()
    (out / "zephyr" / ".config").write_text(config, encoding="utf-8")
    if with_info:
        name, _, quals = target.partition("/")
        info = {
            "cmake": {
                "application": {"source-dir": str(Path(overlays[0]).parent) if overlays else "."},
                "board": {"name": name, "qualifiers": quals or name, "revision": "",
                          "path": [str(b.dts_path.parent)]},
                "devicetree": {"files": [str(b.dts_path), *map(str, b.overlay_paths)],
                               "include-dirs": [str(d) for d in b.include_dirs]},
                "zephyr": {"zephyr-base": zephyr_base},
            },
            "version": "0.1.0",
        }
        (out / "build_info.yml").write_text(yaml.safe_dump(info, sort_keys=False), encoding="utf-8")
    return out


def regenerate(root: Path = DATA) -> None:
    """Rewrite tests/zephyr/data/builds/* (run from tests/zephyr/data)."""
    for name, (target, ovl, mods, cfg) in BUILDS.items():
        out = Path("builds") / name
        if out.exists():
            shutil.rmtree(out)
        make_build(out, target, "zephyrproject/zephyr", ovl, mods, cfg)


if __name__ == "__main__":  # pragma: no cover
    os.chdir(DATA)
    regenerate()
    sys.exit(0)
