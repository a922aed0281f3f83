"""Infer a target's architecture, ISA, pointer size, MPU flavour and data cache.

Sources, most trusted first: the devicetree (``/cpus`` compatibles such as ``arm,cortex-m7``,
``riscv,isa``, ``d-cache-*`` properties, MPU nodes such as ``arm,armv7m-mpu``), the Kconfig
``.config`` (``CONFIG_ARCH``, ``CONFIG_CPU_CORTEX_M7``, ``CONFIG_64BIT``, ``CONFIG_DCACHE``,
``CONFIG_DCACHE_LINE_SIZE``), then board metadata (twister ``arch``).  Flags override all.

Nothing is guessed without a word: every value records where it came from (``sources``), and
what could not be inferred while it matters (the regions carry architecture bits) becomes a
warning naming the flag to pass.  A pointer size the architecture cannot have is an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .attrs import DT_MEM_ARCH_ATTR_MASK
from .errors import InputError

#: architectures smh-boot models, and the pointer sizes each allows
ARCH_PTR_SIZES = {"arm": (4,), "arm64": (8,), "riscv": (4, 8), "xtensa": (4,), "x86": (4, 8),
                  "posix": (4, 8)}


@dataclass(frozen=True)
class Cpu:
    """What a CPU compatible tells: smh-boot's cpu name, arch, ISA, MPU flavour and its
    usual L1 data cache as (line, size, ways) or None."""

    name: str
    arch: str
    isa: str | None
    mpu: str | None = None
    dcache: tuple[int, int, int] | None = None


_M = "armv7m"
_V8M = "armv8m"
CPUS: dict[str, Cpu] = {
    "arm,cortex-m0": Cpu("cortex-m0", "arm", "armv6-m", _M),
    "arm,cortex-m0+": Cpu("cortex-m0+", "arm", "armv6-m", _M),
    "arm,cortex-m1": Cpu("cortex-m1", "arm", "armv6-m", _M),
    "arm,cortex-m3": Cpu("cortex-m3", "arm", "armv7-m", _M),
    "arm,cortex-m4": Cpu("cortex-m4", "arm", "armv7e-m", _M),
    "arm,cortex-m4f": Cpu("cortex-m4", "arm", "armv7e-m", _M),
    "arm,cortex-m7": Cpu("cortex-m7", "arm", "armv7e-m", _M, (32, 16384, 4)),
    "arm,cortex-m23": Cpu("cortex-m23", "arm", "armv8-m.base", _V8M),
    "arm,cortex-m33": Cpu("cortex-m33", "arm", "armv8-m.main", _V8M),
    "arm,cortex-m33f": Cpu("cortex-m33", "arm", "armv8-m.main", _V8M),
    "arm,cortex-m35p": Cpu("cortex-m35p", "arm", "armv8-m.main", _V8M),
    "arm,cortex-m55": Cpu("cortex-m55", "arm", "armv8.1-m.main", _V8M, (32, 32768, 4)),
    "arm,cortex-m85": Cpu("cortex-m85", "arm", "armv8.1-m.main", _V8M, (32, 32768, 4)),
    "arm,cortex-r4": Cpu("cortex-r4", "arm", "armv7-r"),
    "arm,cortex-r5": Cpu("cortex-r5", "arm", "armv7-r", None, (32, 32768, 4)),
    "arm,cortex-r52": Cpu("cortex-r52", "arm", "armv8-r", _V8M, (64, 32768, 4)),
    "arm,cortex-a53": Cpu("cortex-a53", "arm64", "armv8-a", "arm64", (64, 32768, 4)),
    "arm,cortex-a55": Cpu("cortex-a55", "arm64", "armv8.2-a", "arm64", (64, 32768, 4)),
    "arm,cortex-a57": Cpu("cortex-a57", "arm64", "armv8-a", "arm64", (64, 32768, 2)),
    "arm,cortex-a72": Cpu("cortex-a72", "arm64", "armv8-a", "arm64", (64, 32768, 2)),
    "espressif,xtensa-lx6": Cpu("xtensa-lx6", "xtensa", "xtensa-lx6"),
    "espressif,xtensa-lx7": Cpu("xtensa-lx7", "xtensa", "xtensa-lx7"),
    "cdns,tensilica-xtensa-lx6": Cpu("xtensa-lx6", "xtensa", "xtensa-lx6"),
    "cdns,tensilica-xtensa-lx7": Cpu("xtensa-lx7", "xtensa", "xtensa-lx7"),
    "intel,x86": Cpu("x86", "x86", None),
    "zephyr,native-posix-cpu": Cpu("native", "posix", None),
}
#: Cortex-M7 D-cache size by SoC name prefix (the core leaves it to the SoC: 4-64 KiB,
#: always 4-way with 32-byte lines), one entry per SoC line the reference manuals and
#: datasheets state it for.  A SoC not listed (i.MX RT1010/RT1015/RT1180, STM32H7R/S, ...)
#: is not looked up by a shorter prefix: its size is assumed and said (--dcache settles it).
M7_SOC_DCACHE = {
    # STM32H742/743/745/747/750/753/755/757 and H7A3/H7B0/H7B3: 16 KiB
    **{f"stm32h7{n}": 16384 for n in ("42", "43", "45", "47", "50", "53", "55", "57",
                                       "a3", "b0", "b3")},
    # STM32H723/725/730/733/735: 32 KiB (DS13313: "32 Kbytes of data cache")
    **{f"stm32h7{n}": 32768 for n in ("23", "25", "30", "33", "35")},
    "stm32f76": 16384, "stm32f77": 16384,   # STM32F76x/F77x: 16 KiB
    "stm32f74": 4096, "stm32f75": 4096,     # STM32F74x/F75x: 4 KiB
    "stm32f72": 8192, "stm32f73": 8192,     # STM32F72x/F73x: 8 KiB
    "mimxrt1166": 32768, "mimxrt1176": 32768,   # i.MX RT1160/1170 (M7 core): 32 KiB
    "mimxrt1042": 32768, "mimxrt1052": 32768, "mimxrt1062": 32768, "mimxrt1064": 32768,
    "mimxrt1021": 16384, "mimxrt1024": 16384,   # i.MX RT1020/1024: 16 KiB
    "same70": 16384, "sams70": 16384, "samv71": 16384,
}
#: ``CONFIG_CPU_*`` symbol -> CPU compatible
CONFIG_CPUS = {
    f"CPU_{c.split(',')[1].upper().replace('-', '_').replace('+', 'PLUS')}": c
    for c in CPUS if c.startswith("arm,")
}
MPU_NODES = {"arm,armv6m-mpu": _M, "arm,armv7m-mpu": _M, "arm,armv8m-mpu": _V8M,
             "arm,armv8.1m-mpu": _V8M}
#: an ISA that stands for an MPU flavour when only the MPU node is known
_MPU_ISA = {_M: "armv7-m", _V8M: "armv8-m.main"}
#: the ISAs ``--isa`` takes, per architecture (riscv: any ``rv32...``/``rv64...`` string)
ARCH_ISAS: dict[str, tuple[str, ...]] = {
    "arm": ("armv6-m", "armv7-m", "armv7e-m", "armv8-m.base", "armv8-m.main", "armv8.1-m.main",
            "armv7-r", "armv8-r"),
    "arm64": ("armv8-a", "armv8.1-a", "armv8.2-a", "armv8.3-a", "armv8.4-a", "armv8.5-a",
              "armv9-a"),
    "riscv": ("rv32...", "rv64..."),
    "xtensa": ("xtensa-lx6", "xtensa-lx7"),
    "x86": (),
    "posix": (),
}
_RISCV_ISA = re.compile(r"^rv(32|64)[a-z0-9_]*$")


def isa_arch(isa: str) -> str | None:
    """The architecture an ISA name belongs to, or None when smh-boot does not know it."""
    i = isa.lower()
    if _RISCV_ISA.match(i):
        return "riscv"
    return next((a for a, isas in ARCH_ISAS.items() if i in isas), None)


def check_isa(isa: str, arch: str | None = None, where: str = "--isa") -> str:
    """``isa`` lower-cased when it is an ISA smh-boot knows (of ``arch`` when given);
    InputError listing the choices otherwise (an unknown ISA would silently pick no MPU
    rule)."""
    owner = isa_arch(isa)
    choices = "; ".join(f"{a}: {', '.join(v)}" for a, v in ARCH_ISAS.items() if v)
    if owner is None:
        raise InputError(f"unknown {where} {isa!r}: smh-boot knows the ISAs {choices}",
                         hint="the ISA picks the MPU rule; pass one of these, or leave "
                         f"{where} out to infer it from the devicetree")
    if arch is not None and arch != "unknown" and owner != arch:
        raise InputError(
            f"{where} {isa} is an {owner} ISA, but the target's arch is {arch}",
            hint=f"{arch} ISAs: {', '.join(ARCH_ISAS.get(arch, ())) or '(none to choose)'}; "
            "or pass the --arch this target really has")
    return isa.lower()


def _isa_mpu(isa: str) -> str | None:
    i = isa.lower()
    if i.startswith(("armv6-m", "armv7-m", "armv7e-m")):
        return _M
    if i.startswith(("armv8-m", "armv8.1-m")):
        return _V8M
    return None


_CONFIG_ARCHES = {"arm": "arm", "arm64": "arm64", "riscv": "riscv", "xtensa": "xtensa",
                  "x86": "x86", "posix": "posix"}


@dataclass
class Platform:
    """The inferred target: each field with its source in ``sources`` (field -> text);
    ``warnings`` are what had to be guessed or chosen between contradicting sources (each
    names the flag to pass); ``overrides`` the inferred values a flag replaced."""

    arch: str | None = None
    isa: str | None = None
    ptr_size: int | None = None
    cpu: str | None = None
    mpu: str | None = None
    cache: tuple[int, int, int] | None = None
    sources: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    #: flags that replaced an inferred value (said in the log, but not a guess)
    overrides: list[str] = field(default_factory=list)
    #: what was assumed where it changes only the cache model, not an address (the Cortex-M7
    #: D-cache size of an unknown SoC): said, and a guess ``--strict`` refuses; the flag that
    #: settles it (``--dcache``) removes it
    cautions: list[str] = field(default_factory=list)

    def describe(self) -> list[str]:
        """One line per source: ``arch, isa, mpu from /cpus/cpu@0 compatible 'arm,cortex-m7'``."""
        groups: dict[str, list[str]] = {}
        for k, v in self.sources.items():
            groups.setdefault(v, []).append(k.replace("ptr_size", "pointer size"))
        return [f"{', '.join(ks)} from {v}" for v, ks in groups.items()]


@dataclass(frozen=True)
class Flags:
    """What the user passed: ``arch``, ``isa``, ``ptr_size``, ``dcache`` (``"none"`` or
    ``"LINE:SIZE:WAYS"``)."""

    arch: str | None = None
    isa: str | None = None
    ptr_size: int | None = None
    dcache: str | None = None

    def any(self) -> bool:
        return any(v is not None for v in (self.arch, self.isa, self.ptr_size, self.dcache))


def parse_dcache(text: str) -> tuple[int, int, int] | None:
    """``"none"`` -> None, ``"32:16384:4"`` -> (32, 16384, 4); InputError otherwise."""
    if text.strip().lower() in ("none", "off", "no"):
        return None
    try:
        line, size, ways = (int(x, 0) for x in text.split(":"))
    except ValueError:
        raise InputError(f"--dcache {text!r}: expected none or LINE:SIZE:WAYS",
                         hint="e.g. --dcache 32:16384:4 (32 B lines, 16 KiB, 4-way)") from None
    sets, rem = divmod(size, line * ways) if line > 0 and ways > 0 else (0, 1)
    if line < 4 or line & (line - 1) or rem or sets < 1 or sets & (sets - 1):
        raise InputError(f"--dcache {text!r}: line size must be a power of two and "
                         "SIZE / (LINE * WAYS) a power-of-two number of sets")
    return (line, size, ways)


def _cpus(dt: Any) -> list[tuple[Any, list[str]]]:
    cpus = dt.get("/cpus")
    if cpus is None:
        return []
    out = []
    for node in cpus.nodes.values():
        try:
            compats = dt.compatibles(node)
        except InputError:
            continue
        if compats and (dt.str_prop(node, "device_type", "cpu") == "cpu" if "device_type" in node.props else True):
            out.append((node, compats))
    return out


def _from_tree(dt: Any, p: Platform) -> None:
    for node, compats in _cpus(dt):
        for c in compats:
            cpu = CPUS.get(c)
            if cpu is None and c == "riscv" or (cpu is None and c.startswith("riscv")):
                isa = dt.str_prop(node, "riscv,isa") if "riscv,isa" in node.props else None
                p.arch, p.cpu = "riscv", c.split(",")[-1]
                where = f"{node.path} '{c}'"
                p.sources["arch"] = where
                if isa:
                    p.isa = isa
                    p.sources["isa"] = f"{node.path} riscv,isa"
                    if isa.lower().startswith(("rv32", "rv64")):
                        p.ptr_size = 8 if isa.lower().startswith("rv64") else 4
                        p.sources["ptr_size"] = f"{node.path} riscv,isa '{isa}'"
                _cache_props(dt, node, p)
                break
            if cpu is None:
                continue
            where = f"{node.path} compatible '{c}'"
            p.arch, p.cpu, p.isa, p.mpu = cpu.arch, cpu.name, cpu.isa, cpu.mpu
            p.sources["arch"] = where
            if cpu.isa:
                p.sources["isa"] = where
            if cpu.mpu:
                p.sources["mpu"] = where
            if len(ARCH_PTR_SIZES[cpu.arch]) == 1:
                p.ptr_size = ARCH_PTR_SIZES[cpu.arch][0]
                p.sources["ptr_size"] = where
            if cpu.dcache:
                p.cache = cpu.dcache
                p.sources["cache"] = f"{cpu.name}'s usual L1 D-cache ({where})"
            _cache_props(dt, node, p)
            break
        if p.arch:
            return


def _cache_props(dt: Any, node: Any, p: Platform) -> None:
    # ePAPR cache properties on the cpu node win over the CPU's usual cache.
    try:
        line = dt.int_prop(node, "d-cache-line-size")
        size = dt.int_prop(node, "d-cache-size")
        sets = dt.int_prop(node, "d-cache-sets")
    except InputError:
        return
    if line and size and sets and size % (line * sets) == 0:
        p.cache = (line, size, size // (line * sets))
        p.sources["cache"] = f"{node.path} d-cache-line-size/-size/-sets"
    elif line and p.cache is not None and line != p.cache[0]:
        p.cache = (line, p.cache[1], p.cache[2])
        p.sources["cache"] += f", line size from {node.path} d-cache-line-size"


def _mpu_from_tree(dt: Any, p: Platform) -> None:
    if p.mpu is not None and p.isa is not None:
        return
    for node in dt.nodes():
        if "compatible" not in node.props:
            continue
        try:
            compats = dt.compatibles(node)
        except InputError:
            continue
        for c in compats:
            if c in MPU_NODES:
                p.mpu = MPU_NODES[c]
                p.sources["mpu"] = f"{node.path} compatible '{c}'"
                if p.arch is None:
                    p.arch = "arm"
                    p.sources["arch"] = p.sources["mpu"]
                    p.ptr_size, p.sources["ptr_size"] = 4, p.sources["mpu"]
                if p.isa is None:
                    p.isa = _MPU_ISA[p.mpu]
                    p.sources["isa"] = f"the ISA family of {p.sources['mpu']}"
                return


def _from_config(cfg: Any, p: Platform, where: str) -> None:
    arch = cfg.string("ARCH")
    if arch and arch not in _CONFIG_ARCHES:
        raise InputError(f"CONFIG_ARCH={arch!r} is not an architecture smh-boot models "
                         f"({', '.join(ARCH_PTR_SIZES)})", *cfg.location("ARCH"),
                         hint="smh-boot cannot say what this target's memory would do")
    if p.arch is None and arch in _CONFIG_ARCHES:
        p.arch = _CONFIG_ARCHES[arch]
        p.sources["arch"] = f"CONFIG_ARCH in {where}"
    elif p.arch and arch and _CONFIG_ARCHES.get(arch, arch) != p.arch:
        p.warnings.append(f"the devicetree says arch {p.arch} but CONFIG_ARCH in {where} says "
                          f"{arch!r}; using {p.arch} (pass --arch to choose)")
    if p.cpu is None:
        for sym, compat in CONFIG_CPUS.items():
            if cfg.enabled(sym):
                cpu = CPUS[compat]
                if p.arch in (None, cpu.arch):
                    p.arch, p.cpu = cpu.arch, cpu.name
                    p.sources.setdefault("arch", f"CONFIG_{sym} in {where}")
                    if p.isa is None and cpu.isa:
                        p.isa, p.sources["isa"] = cpu.isa, f"CONFIG_{sym} in {where}"
                    if p.mpu is None and cpu.mpu:
                        p.mpu, p.sources["mpu"] = cpu.mpu, f"CONFIG_{sym} in {where}"
                    if p.cache is None and cpu.dcache:
                        p.cache = cpu.dcache
                        p.sources["cache"] = f"{cpu.name}'s usual L1 D-cache (CONFIG_{sym})"
                break
    b64 = cfg.is_set("64BIT")
    if b64 is not None:
        size = 8 if b64 else 4
        if p.arch and size not in ARCH_PTR_SIZES.get(p.arch, (4, 8)):
            raise InputError(
                f"CONFIG_64BIT={'y' if b64 else 'n'} gives {8 * size}-bit pointers, which arch "
                f"{p.arch} ({p.sources.get('arch', '?')}) cannot have", *cfg.location("64BIT"),
                hint="the devicetree and the .config disagree: is this .config from the same build?")
        if p.ptr_size is None:
            p.ptr_size, p.sources["ptr_size"] = size, f"CONFIG_64BIT in {where}"
    dcache = cfg.is_set("DCACHE")
    line = cfg.integer("DCACHE_LINE_SIZE")
    if line is not None and (line < 4 or line & (line - 1)):
        raise InputError(f"CONFIG_DCACHE_LINE_SIZE={line} is not a cache line size (a power of "
                         "two, at least 4)", *cfg.location("DCACHE_LINE_SIZE"),
                         hint="is this .config from a real build?")
    if dcache is False:
        if p.cache is not None:
            p.sources["cache"] = f"none: CONFIG_DCACHE is not set in {where}"
        p.cache = None
        p.sources.setdefault("cache", f"none: CONFIG_DCACHE is not set in {where}")
    elif dcache is True:
        if p.cache is not None and line and line != p.cache[0]:
            size, ways = p.cache[1], p.cache[2]
            p.cache = (line, size, ways)
            p.sources["cache"] += f", line size from CONFIG_DCACHE_LINE_SIZE in {where}"
        elif p.cache is None:
            p.warnings.append(f"CONFIG_DCACHE=y in {where} but the data cache's size is "
                              "unknown for this CPU; the boot models no cache (pass --dcache "
                              "LINE:SIZE:WAYS)")


def _soc_names(dt: Any) -> list[str]:
    # SoC-ish names from the /soc node's and the root's compatibles ("st,stm32h747" -> stm32h747)
    out = []
    for node in (dt.get("/soc"), dt.root):
        if node is None or "compatible" not in node.props:
            continue
        try:
            out += [c.split(",", 1)[-1] for c in dt.compatibles(node)]
        except InputError:
            continue
    return out


def _m7_cache_size(p: Platform, soc: str | None, dt: Any) -> None:
    # The Cortex-M7 D-cache size is the SoC's choice: take it from the SoC when known.
    if p.cpu != "cortex-m7" or p.cache is None or "d-cache-line-size/-size" in p.sources.get("cache", ""):
        return
    prefixes = sorted(M7_SOC_DCACHE, key=len, reverse=True)
    size = None
    for name in [soc] if soc else _soc_names(dt):
        k = next((k for k in prefixes if name.lower().startswith(k)), None)
        if k is not None:
            size, soc = M7_SOC_DCACHE[k], name
            break
    if size is not None:
        old = p.sources.get("cache", "")
        kept = old[old.index(", line size from"):] if ", line size from" in old else ""
        p.cache = (p.cache[0], size, 4)
        p.sources["cache"] = f"the {size // 1024} KiB D-cache of {soc} SoCs (Cortex-M7, 4-way)" + kept
    else:
        p.cautions.append(
            f"the Cortex-M7 D-cache size is chosen by the SoC ({soc or 'unknown SoC'}); "
            f"{p.cache[1] // 1024} KiB 4-way is assumed for the cache model (addresses do not "
            "depend on it): pass --dcache LINE:SIZE:WAYS for the exact one")


def infer_platform(dt: Any, *, config: Any = None, config_where: str = ".config",
                   meta: dict[str, Any] | None = None, meta_where: str = "board metadata",
                   flags: Flags = Flags(), regions: Any = (), soc: str | None = None) -> Platform:
    """Infer the platform of ``dt`` (a loaded Devicetree).

    ``config``: KconfigValues of the build (or the board's defconfig), ``meta``: twister
    board metadata, ``flags``: the user's overrides, ``regions``: RegionRecords (to tell
    whether an unknown arch matters).  InputError on a contradiction the user must fix."""
    p = Platform()
    _from_tree(dt, p)
    _mpu_from_tree(dt, p)
    if config is not None:
        _from_config(config, p, config_where)
    if p.arch is None and meta and isinstance(meta.get("arch"), str):
        a = meta["arch"]
        if a not in ARCH_PTR_SIZES:
            raise InputError(f"arch {a!r} in {meta_where} is not one smh-boot models "
                             f"({', '.join(ARCH_PTR_SIZES)})", meta_where)
        p.arch, p.sources["arch"] = a, f"arch in {meta_where}"
    _m7_cache_size(p, soc or (config.string("SOC") if config is not None else None), dt)
    _apply_flags(p, flags)
    if p.arch is not None and p.ptr_size is None:
        sizes = ARCH_PTR_SIZES[p.arch]
        if len(sizes) == 1:
            p.ptr_size, p.sources["ptr_size"] = sizes[0], f"arch {p.arch}"
    arch_bits = sorted({r.attr & DT_MEM_ARCH_ATTR_MASK for r in regions
                        if r.attr is not None and r.attr & DT_MEM_ARCH_ATTR_MASK})
    if p.arch is None:
        if arch_bits:
            p.warnings.append(
                "cannot infer the architecture (no /cpus compatible smh-boot knows, no "
                "CONFIG_ARCH, no board metadata) and the regions carry architecture bits "
                f"({', '.join(f'{b:#010x}' for b in arch_bits)}): they are not decoded and "
                "the generic SMH mapping is used; pass --arch")
    if p.ptr_size is None:
        p.ptr_size = 4
        p.sources["ptr_size"] = "default (4); nothing tells the pointer size"
        if p.arch is not None:
            p.warnings.append(f"cannot infer the pointer size of this {p.arch} target (no "
                              "CONFIG_64BIT, no riscv,isa); assuming 4 bytes, which changes "
                              "every heap address: pass --ptr-size")
    if p.arch == "arm" and p.mpu is None and p.isa is None and arch_bits:
        p.warnings.append("cannot infer the ARM ISA or MPU (no known cortex-m/r compatible, "
                          "no arm,armv7m-mpu/arm,armv8m-mpu node): the MPU rule uses ARMv8-M "
                          "granularity; pass --isa")
    return p


def _apply_flags(p: Platform, f: Flags) -> None:
    if f.arch is not None:
        if p.arch and f.arch != p.arch:
            p.overrides.append(f"--arch {f.arch} overrides arch {p.arch} inferred from "
                               f"{p.sources.get('arch')}")
            if p.ptr_size is not None and p.ptr_size not in ARCH_PTR_SIZES[f.arch]:
                p.ptr_size = None  # came with the old arch
        if f.arch != p.arch:
            p.cpu = p.cpu if p.arch is None else None
            p.isa = p.isa if p.arch is None else None
            p.mpu = p.mpu if p.arch is None else None
        p.arch, p.sources["arch"] = f.arch, "--arch"
    if f.ptr_size is not None:
        if p.arch and f.ptr_size not in ARCH_PTR_SIZES[p.arch]:
            raise InputError(
                f"--ptr-size {f.ptr_size} contradicts arch {p.arch} "
                f"({p.sources.get('arch')}): {p.arch} has "
                + " or ".join(f"{s}-byte" for s in ARCH_PTR_SIZES[p.arch]) + " pointers",
                hint="drop --ptr-size, or pass the --arch this target really has")
        p.ptr_size, p.sources["ptr_size"] = f.ptr_size, "--ptr-size"
    if f.isa is not None:
        isa = check_isa(f.isa, p.arch)
        mpu = _isa_mpu(isa)
        src = p.sources.get("isa") or ""
        family_only = src.startswith("the ISA family of")
        if p.isa and isa != p.isa.lower() and src not in ("", "--isa") and (
                not family_only or (p.mpu is not None and mpu != p.mpu)):
            told = p.sources.get("mpu") if p.mpu and mpu != p.mpu else p.sources["isa"]
            # an ISA against the CPU the tree names: the MPU rule would be the wrong one
            p.warnings.append(f"--isa {isa} contradicts ISA {p.isa} of {p.cpu or 'the CPU'} "
                              f"({told}): the MPU rule follows --isa; drop --isa, or fix the "
                              "devicetree's CPU")
        p.isa, p.sources["isa"] = isa, "--isa"
        p.mpu = mpu
        if mpu is None:
            p.sources.pop("mpu", None)
        else:
            p.sources["mpu"] = "--isa"
    if f.dcache is not None:
        p.cache = parse_dcache(f.dcache)
        p.sources["cache"] = "--dcache"
        # the flag settles the cache: no assumption about it stands
        p.cautions = [c for c in p.cautions if "--dcache" not in c]
