"""Grammar-aware generation of devicetree inputs: a board source, its includes and overlays.

The generator writes the constructs a real memory layout uses, and the ways people get them
wrong: ``#address-cells``/``#size-cells`` of 0 to 4, ``ranges`` (identity, translating or
malformed), cell arithmetic (``+ - * / % << >> & | ~ ?:``, sometimes a division by zero),
header macros (``DT_MEM_*``, ``DT_SIZE_K``), labels and ``&label`` / ``&{/path}``
references (defined or not), ``/reserved-memory`` children with ``reg`` or ``size``,
``no-map``, ``reusable``, ``status`` and every encoding of ``zephyr,memory-attr``, cpp
``#include`` and dtlib ``/include/`` files (sometimes cyclic), and overlays that override,
add and delete nodes and properties.  Trees stay small (a dozen nodes): the cost of an
input is cpp + dtlib, a few milliseconds, whatever its content.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Architectures a case may be scanned for (``find_regions(dt, arch)``).
ARCHS = ("arm", "arm64", "riscv", "xtensa", "x86", "posix", None)

_HEADERS = (
    "<mem.h>",
    "<zephyr/dt-bindings/memory-attr/memory-attr.h>",
    "<zephyr/dt-bindings/memory-attr/memory-attr-arm.h>",
    "<zephyr/dt-bindings/memory-attr/memory-attr-sw.h>",
    "<zephyr/dt-bindings/memory-attr/memory-attr-riscv.h>",
    "<zephyr/dt-bindings/memory-attr/memory-attr-xtensa.h>",
    "<zephyr/dt-bindings/dt-util.h>",
    "<no/such/header.h>",
)
_ATTR_MACROS = (
    "DT_MEM_CACHEABLE", "DT_MEM_NON_CACHEABLE", "DT_MEM_DMA", "DT_MEM_READABLE",
    "DT_MEM_WRITABLE", "DT_MEM_EXECUTABLE", "DT_MEM_SW_ALLOC_CACHE", "DT_MEM_SW_ALLOC_NON_CACHE",
    "DT_MEM_SW_ALLOC_DMA", "DT_MEM_ARM_MPU_RAM", "DT_MEM_ARM_MPU_RAM_NOCACHE",
    "DT_MEM_ARM_MPU_IO", "DT_MEM_RISCV_TYPE_MAIN", "DT_MEM_XTENSA_DATA_RAM",
    "DT_MEM_ARM(ATTR_MPU_FLASH)", "DT_MEM_SW(0x7)", "DT_MEM_UNKNOWN", "DT_MEM_BOGUS",
)
_STRING_ATTRS = ("RAM", "RAM_NOCACHE", "FLASH", "PPB", "IO", "EXTMEM", "NOPE", "")
_COMPATS = (
    "zephyr,memory-region", "mmio-sram", "shared-dma-pool", "vnd,memory-attr",
    "st,stm32-usart", "nxp,lpuart", "st,stm32-dma-v2", "st,stm32-ethernet", "vnd,device", "",
)
_STATUS = ("okay", "ok", "disabled", "reserved", "fail", "")
_LABELS = tuple(f"l{i}" for i in range(8))


@dataclass
class DtsCase:
    """One generated input: ``files`` (name -> text, all in one folder), the board source
    ``dts``, the ``overlays`` in order, and the ``arch`` to scan with."""

    files: dict[str, str]
    dts: str = "board.dts"
    overlays: tuple[str, ...] = ()
    arch: str | None = "arm"
    ptr_size: int = 4
    notes: list[str] = field(default_factory=list)
    #: hostile families (:mod:`.hostile`): binary files (name -> (size, fill byte)),
    #: symlinks (name -> target), FIFOs and folders to create beside the sources
    blobs: dict[str, tuple[int, int]] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)
    fifos: list[str] = field(default_factory=list)
    dirs: list[str] = field(default_factory=list)

    def write(self, folder: Path) -> tuple[Path, list[Path]]:
        """Write every file into ``folder``; returns (board path, overlay paths)."""
        import os

        for name, text in self.files.items():
            (folder / name).write_text(text, encoding="utf-8", errors="surrogateescape")
        for name, (size, fill) in self.blobs.items():
            (folder / name).write_bytes(bytes([fill]) * size)
        for name, target in self.links.items():
            if not os.path.lexists(folder / name):
                os.symlink(target, folder / name)
        for name in self.fifos:
            if not os.path.lexists(folder / name):
                os.mkfifo(folder / name)
        for name in self.dirs:
            (folder / name).mkdir(exist_ok=True)
        return folder / self.dts, [folder / o for o in self.overlays]

    def all_text(self) -> str:
        """Every file, for a failure report (``// == name ==`` separators)."""
        return "".join(f"// == {n} ==\n{t}" for n, t in self.files.items())


class _Gen:
    """State of one generation: the rng, the labels defined so far, the macros in scope."""

    def __init__(self, rng: Any, max_nodes: int, clean: bool | None = None):
        self.rng = rng
        # Half the cases are "clean" (mistakes are rare: the input mostly loads, so the
        # scanner, validator and boot see it); the other half make mistakes freely.
        self.dirt = rng.choice((0.05, 1.0)) if clean is None else (0.02 if clean else 1.0)
        self.budget = max_nodes
        self.labels: list[str] = []
        self.paths: list[str] = ["/"]
        self.macros = False  # the memory-attr headers are included

    # ---------------------------------------------------------------- numbers
    def p(self, prob: float) -> bool:
        return self.rng.random() < prob

    def bad(self, prob: float) -> bool:
        """True (make a mistake) with ``prob`` scaled by the case's dirtiness."""
        return self.rng.random() < prob * self.dirt

    def number(self) -> str:
        r = self.rng
        kind = r.randint(0, 11)
        if kind in (7, 10, 11) and not self.bad(0.5):
            kind = r.randint(0, 6)
        if kind <= 3:
            return hex(r.choice((0x2000_0000, 0x2400_0000, 0x3000_0000, 0x6000_0000, 0x8000_0000,
                                 0x1000, 0)) + 0x1000 * r.randint(0, 16))
        if kind <= 6:
            return hex(1 << r.randint(0, 24))
        if kind == 7:
            return r.choice(("0", "1", "0xffffffff", "0xfffffffff", "4294967296", "-1", "'a'",
                             "0x7fffffff", "18446744073709551615"))
        if kind == 8:
            return str(r.randint(0, 100000))
        if kind == 9 and self.macros:
            return f"DT_SIZE_{r.choice('KM')}({r.randint(0, 4096 if self.bad(0.3) else 64)})"
        return self.expr(2)

    def expr(self, depth: int) -> str:
        r = self.rng
        if depth <= 0 or self.p(0.4):
            return self.number() if depth > 0 else hex(r.randint(0, 1 << 16))
        if not self.bad(0.5):
            # clean arithmetic: an address or size with a small, in-range adjustment
            op = r.choice(("+", "|", "<<", "*", "-"))
            a = hex(r.randint(1, 0xFFFF)) if op in ("<<", "*") else self.number()
            return f"({a} {op} {r.randint(0, 8) if op != '-' else 0})"
        op = r.choice(("+", "-", "*", "/", "%", "<<", ">>", "&", "|", "^", "&&", "||", "==", "<"))
        a, b = self.expr(depth - 1), self.expr(depth - 1)
        if op in ("/", "%") and self.bad(0.3):
            b = "0"  # division by zero: must be an error with a line, not a crash
        if op in ("<<", ">>"):
            b = str(r.choice((0, 1, 4, 12, 31, 32, 63, 64, 200)) if self.bad(0.5) else r.randint(0, 4))
        elif op in ("*", "<<") and not self.bad(0.5):
            b = str(r.randint(0, 8))
        if self.p(0.1):
            return f"(~{a})"
        if self.p(0.1):
            return f"({a} ? {b} : {self.expr(depth - 1)})"
        return f"({a} {op} {b})"

    def cells(self, n: int) -> str:
        if self.bad(0.1):
            n = max(0, n + self.rng.choice((-1, 1, 2)))  # a wrong length
        return "<" + " ".join(self.number() for _ in range(n)) + ">"

    def attr_value(self) -> str:
        r = self.rng
        k = r.randint(0, 9) if self.bad(0.5) else r.randint(0, 6)
        if k <= 5 and self.macros:
            parts = r.sample(_ATTR_MACROS[:-1] if self.bad(0.3) else _ATTR_MACROS[:-2], r.randint(1, 3))
            return "<( " + " | ".join(parts) + " )>"
        if k <= 6:
            return f"<{self.number()}>"
        if k == 7:
            return f'"{r.choice(_STRING_ATTRS)}"'
        if k == 8:
            return f"<{self.number()} {self.number()}>"
        return r.choice(("<>", '"RAM", "IO"', "[00 01]", "<&l0>", "&l1"))

    # ---------------------------------------------------------------- nodes
    def label_prefix(self) -> str:
        if self.p(0.4):
            free = [lb for lb in _LABELS if lb not in self.labels]
            lb = self.rng.choice(_LABELS if self.bad(0.2) or not free else free)
            self.labels.append(lb)  # a duplicate label now and then, on purpose
            return f"{lb}: "
        return ""

    def ref(self) -> str:
        r = self.rng
        if self.labels and not self.bad(0.2):
            return "&" + r.choice(self.labels)
        if not self.bad(0.5):
            return "&{" + r.choice(self.paths) + "}"
        if self.p(0.5):
            return "&" + r.choice(("nolabel", "l9", "L0"))
        return "&{" + r.choice(self.paths) + "}"

    def region_props(self, ac: int, sc: int, reserved: bool) -> list[str]:
        r = self.rng
        props = []
        if reserved and sc and self.bad(0.25):
            props.append(f"size = {self.cells(sc)};")
            if self.p(0.5):
                props.append(f"alignment = {self.cells(sc)};")
        elif self.p(0.95):
            props.append(f"reg = {self.cells(ac + sc)};")
            if self.p(0.15):
                props[-1] = f"reg = {self.cells(2 * (ac + sc))};"
        if self.p(0.7):
            props.append(f'compatible = "{r.choice(_COMPATS)}";')
        if self.p(0.6):
            props.append(f'zephyr,memory-region = "{r.choice(("SRAM1", "SRAM2", "DTCM", "PSRAM", "SRAM1", ""))}";')
        if self.p(0.8):
            props.append(f"zephyr,memory-attr = {self.attr_value()};")
        if self.p(0.1):
            props.append(f'zephyr,memory-region-mpu = "{r.choice(_STRING_ATTRS)}";')
        if self.p(0.3):
            props.append("no-map;")
        if self.p(0.2):
            props.append("reusable;")
        if self.p(0.3):
            props.append(f'status = "{r.choice(_STATUS)}";')
        if self.p(0.1):
            props.append('device_type = "memory";')
        r.shuffle(props)
        return props

    def node(self, parent: str, ac: int, sc: int, depth: int, reserved: bool = False) -> str:
        r = self.rng
        self.budget -= 1
        unit = self.number() if self.p(0.85) else ""
        unit = unit.strip("()").replace(" ", "")[:12] if unit[:1] in "0123456789" else "0"
        name = r.choice(("sram", "memory", "psram", "dtcm", "uart", "dma", "node")) + (f"@{unit}" if unit else "")
        path = (parent.rstrip("/") + "/" + name)
        self.paths.append(path)
        lines = [f"{self.label_prefix()}{name} {{"]
        lines += self.region_props(ac, sc, reserved)
        if self.p(0.2) and self.labels:
            lines.append(f"memory-region = <{self.ref()}>;")
        if self.p(0.05):
            lines.append(f'phandle-ish = <{self.ref()}>, "{self.ref()}";')
        if depth > 0 and self.budget > 0 and self.p(0.3):
            cac, csc = self.cell_counts()
            lines.append(f"#address-cells = <{cac}>;")
            lines.append(f"#size-cells = <{csc}>;")
            if self.p(0.6):
                lines.append(self.ranges(cac, ac, csc))
            for _ in range(r.randint(1, 2)):
                if self.budget > 0:
                    lines.append(self.node(path, cac, csc, depth - 1))
        lines.append("};")
        return "\n\t".join(lines)

    def cell_counts(self) -> tuple[int, int]:
        r = self.rng
        ac = r.choice((1, 1, 1, 2, 2, 0, 3, 4))
        sc = r.choice((1, 1, 1, 2, 0, 3))
        return ac, sc

    def ranges(self, child_ac: int, parent_ac: int, sc: int) -> str:
        if self.p(0.4):
            return "ranges;"
        return f"ranges = {self.cells(child_ac + parent_ac + sc)};"

    def reserved_memory(self, ac: int, sc: int) -> str:
        cac, csc = (ac, sc) if self.p(0.7) else self.cell_counts()
        lines = [f"{self.label_prefix()}reserved-memory {{", f"#address-cells = <{cac}>;",
                 f"#size-cells = <{csc}>;", "ranges;" if self.p(0.8) else self.ranges(cac, ac, csc)]
        self.paths.append("/reserved-memory")
        for _ in range(self.rng.randint(0, 4)):
            if self.budget > 0:
                lines.append(self.node("/reserved-memory", cac, csc, 0, reserved=True))
        lines.append("};")
        return "\n\t".join(lines)

    def root_body(self, ac: int, sc: int, top: bool) -> list[str]:
        r = self.rng
        body = []
        if top:
            body += [f"#address-cells = <{ac}>;", f"#size-cells = <{sc}>;"]
            if self.p(0.5):
                body.append('compatible = "vnd,fuzz-board";')
        for _ in range(r.randint(1, 4)):
            if self.budget <= 0:
                break
            k = r.randint(0, 5)
            if k <= 1:
                body.append(self.reserved_memory(ac, sc))
            elif k == 2:
                cac, csc = self.cell_counts()
                lines = [f"{self.label_prefix()}soc {{", f"#address-cells = <{cac}>;",
                         f"#size-cells = <{csc}>;", self.ranges(cac, ac, csc)]
                self.paths.append("/soc")
                for _ in range(r.randint(1, 3)):
                    if self.budget > 0:
                        lines.append(self.node("/soc", cac, csc, 1))
                lines.append("};")
                body.append("\n\t".join(lines))
            else:
                body.append(self.node("/", ac, sc, 2))
        if self.labels and self.p(0.3):
            body.append(f"chosen {{ zephyr,sram = {self.ref()}; }};")
        if self.labels and self.p(0.1):
            body.append(f"aliases {{ a0 = {self.ref()}; }};")
        return body

    # ---------------------------------------------------------------- files
    def header(self) -> list[str]:
        r = self.rng
        lines = [] if self.bad(0.03) else ["/dts-v1/;"]
        if self.p(0.8):
            # the headers every DT_MEM_* / DT_SIZE_* macro the generator writes comes from
            lines += [f"#include {h}" for h in _HEADERS[:6]]
            self.macros = True
        for h in r.sample(_HEADERS, r.randint(1, 2)) if self.bad(0.2) else ():
            lines.append(f"#include {h}")
        if self.bad(0.1):
            lines.insert(0, "#include <zephyr/dt-bindings/memory-attr/memory-attr.h>")
        if self.p(0.15):
            lines.append(f"#define SRAM_BASE {self.number()}")
        return lines

    def overlay(self) -> str:
        r = self.rng
        out = []
        for _ in range(r.randint(1, 3)):
            k = r.randint(0, 5)
            if k <= 2 and (self.labels or self.p(0.3)):
                target = self.ref()
                props = self.region_props(*self.cell_counts(), reserved=self.p(0.5))
                out.append(f"{target} {{\n\t" + "\n\t".join(props) + "\n};")
            elif k == 3 and self.bad(0.5):
                out.append(f"/delete-node/ {self.ref()};")
            elif k == 4:
                ac, sc = self.cell_counts()
                out.append("/ {\n\t" + "\n\t".join(self.root_body(ac, sc, top=False)) + "\n};")
            elif self.bad(0.5):
                target = self.ref()
                out.append(f"{target} {{ /delete-property/ {r.choice(('reg', 'zephyr,memory-attr', 'status'))}; }};")
        return "\n".join(out) + "\n"


def generate_devicetree(
    rng: Any, *, max_nodes: int = 12, mutations: bool = True, clean: bool | None = None,
    hostile: float = 0.0,
) -> DtsCase:
    """A random devicetree case (board source, maybe includes and overlays).

    With ``mutations`` some cases also get a few token-level edits (:func:`.mutate.mutate`),
    so the parser's error paths see near-valid input, not only the generator's grammar.
    ``clean`` forces mistakes to be rare (True) or frequent (False); by default half the
    cases are each.  ``hostile`` is the share of cases that also get one family of
    :mod:`.hostile` (device files as include targets, /incbin/ amplification, huge integers,
    odd path characters)."""
    from .mutate import mutate

    g = _Gen(rng, max_nodes, clean)
    r = rng
    ac, sc = g.cell_counts() if g.p(0.3) else (1, 1)
    files: dict[str, str] = {}
    head = g.header()
    main = list(head)
    if g.p(0.15):
        # cpp #include (the file may include itself back: cpp stops at depth 200)
        files["inc0.dtsi"] = ('#include "board.dts"\n' if g.bad(0.2) else "") + \
            "/ {\n\t" + "\n\t".join(g.root_body(ac, sc, top=False)) + "\n};\n"
        main.append('#include "inc0.dtsi"')
    if g.p(0.06):
        # dtlib /include/ (rarely cyclic: a cycle costs the harness its whole time limit)
        files["inc1.dtsi"] = ('/include/ "inc2.dtsi"\n' if g.bad(0.3) else "") + "/ { };\n"
        files["inc2.dtsi"] = '/include/ "inc1.dtsi"\n' if g.bad(0.5) else "/ { };\n"
        main.append('/include/ "inc1.dtsi"')
    main.append("/ {\n\t" + "\n\t".join(g.root_body(ac, sc, top=True)) + "\n};")
    files["board.dts"] = "\n".join(main) + "\n"
    overlays = []
    for i in range(r.choice((0, 0, 1, 1, 2))):
        name = f"o{i}.overlay"
        files[name] = g.overlay()
        overlays.append(name)
    case = DtsCase(files, "board.dts", tuple(overlays), r.choice(ARCHS), r.choice((4, 8)))
    if mutations and g.bad(0.5):
        name = r.choice(sorted(files))
        files[name] = mutate(r, files[name], r.randint(1, 3))
        case.notes.append(f"mutated {name}")
    if hostile and r.random() < hostile:
        from .hostile import hostile_devicetree

        hostile_devicetree(r, case)
    return case
