"""One front door for every command: what the user named -> a :class:`~smh_boot.board.Board`.

``boot``, ``validate``, ``regions`` and ``map`` (and later ``fit``/``diff``) take the same
inputs; :func:`resolve` turns them into a :class:`Resolved` board, so the commands stay thin:

* ``--build-dir DIR``: a Zephyr build directory (``zephyr/zephyr.dts`` parsed as it is, or
  ``zephyr.dts.pre`` for locations at the original sources; ``zephyr/.config`` for Kconfig);
* ``TARGET`` + ``--zephyr-base Z`` (or ``ZEPHYR_BASE``): a hardware model v2 board target,
  preprocessed with the include folders of Zephyr's DTS roots;
* ``FILE.dts`` (+ ``--overlay``, ``-I``): a plain devicetree;
* ``NAME`` / ``FILE.yaml``: an smh-boot board file (shipped, or below a board root).

Whatever the source, arch / ISA / pointer size / MPU / data cache are inferred
(:mod:`smh_boot.infer`) unless a board file states them; flags override; what cannot be
inferred becomes a warning in ``Board.warnings`` (the boot log and JSON report carry it;
:meth:`Resolved.check_strict` turns it into an error).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .board import (
    ARCHES,
    Board,
    CacheConfig,
    DevicetreeSpec,
    HeapConfig,
    MemAttrConfig,
    default_board,
    find_board_file,
)
from .errors import BoardError, DevicetreeError, InputError
from .infer import ARCH_PTR_SIZES, Flags, Platform, check_isa, infer_platform, parse_dcache

#: the environment variable Zephyr's tools read
ZEPHYR_BASE_ENV = "ZEPHYR_BASE"
_DTS_SUFFIXES = (".dts", ".dtsi", ".overlay", ".pre")


@dataclass(frozen=True)
class TargetSpec:
    """What the user named.  ``zephyr_base`` None means "from ``$ZEPHYR_BASE``"."""

    target: str | None = None
    build_dir: str | None = None
    zephyr_base: str | None = None
    overlays: tuple[str, ...] = ()
    include_dirs: tuple[str, ...] = ()
    board_roots: tuple[str, ...] = ()
    modules: tuple[str, ...] = ()
    flags: Flags = field(default_factory=Flags)
    #: a Zephyr application folder: a DTS root, and its overlays found as Zephyr finds them
    app: str | None = None
    #: Zephyr shields (``west build --shield``), in order
    shields: tuple[str, ...] = ()


@dataclass
class Resolved:
    """A resolved input: the ``board``, the devicetree when it was already loaded (to infer
    the platform; :meth:`dt_loader` hands it to ``boot()`` so it is not parsed twice), the
    build's or defconfig's Kconfig values, and the kind of input."""

    board: Board
    kind: str
    devicetree: Any = None
    config: Any = None
    platform: Platform | None = None
    #: the warnings that are guesses (``--strict`` refuses them); the others inform
    guesses: tuple[str, ...] = ()

    @property
    def warnings(self) -> tuple[str, ...]:
        return self.board.warnings

    def dt_loader(self):
        """A ``load_devicetree``-shaped callable for ``boot(dt_loader=...)``: the tree already
        loaded, else None (boot loads it)."""
        if self.devicetree is None:
            return None
        dt = self.devicetree
        return lambda *_a, **_k: dt

    def load_devicetree(self) -> Any:
        """The devicetree of this input (loads it when a board file named it)."""
        if self.devicetree is None:
            from .devicetree import load_devicetree

            b = self.board
            self.devicetree = load_devicetree(b.dts_path, b.overlay_paths, b.include_dirs)
        return self.devicetree

    def check_strict(self) -> None:
        """InputError listing the guesses (under ``--strict`` a guess is a failure)."""
        if self.guesses:
            raise InputError(
                "refusing to go on with what smh-boot had to guess (--strict):\n  "
                + "\n  ".join(self.guesses),
                file=str(self.board.path),
                hint="pass the flags named above, or --no-strict to go on with the warnings",
            )


# --------------------------------------------------------------------------- entry point


def resolve(spec: TargetSpec, *, default: bool = True) -> Resolved:
    """Resolve ``spec``; BoardError / InputError / DevicetreeError with a hint otherwise.

    With no target and no build directory the default shipped board is used when
    ``default`` is True (``smh-boot boot``), else it is an error."""
    if spec.flags.dcache is not None:
        parse_dcache(spec.flags.dcache)  # bad syntax fails before any work
    _check_flags_arch(spec.flags.arch)
    if spec.flags.isa is not None:
        check_isa(spec.flags.isa, spec.flags.arch)  # an unknown ISA fails before any work
    if spec.build_dir is not None:
        return _from_build(spec)
    t = spec.target
    if t is None:
        if not default:
            raise InputError("no input: give a .dts file, a board, a board target or --build-dir",
                             hint="e.g. `smh-boot regions my_board.dts` or "
                             "`smh-boot regions --build-dir build`")
        return _from_board_file(default_board(), spec)
    p = Path(t)
    if t.endswith(_DTS_SUFFIXES) or (p.is_file() and not t.endswith((".yaml", ".yml"))):
        return _from_dts(spec)
    if p.is_dir():
        if is_build_dir(p):
            return _from_build(replace(spec, build_dir=t, target=None))
        raise InputError("is a directory; expected a board, a .dts file or a board target",
                         t, hint="for a Zephyr build directory use --build-dir DIR")
    zephyr_explicit = spec.zephyr_base is not None
    if not zephyr_explicit or t.endswith((".yaml", ".yml")) or "\\" in t:
        found = find_board_file(t, _board_roots(spec))
        if found is not None:
            return _from_board_file(found, spec)
    zbase = _zephyr_base(spec)
    if zbase is None and not _board_roots(spec):
        from .board import boards_dir

        known = ", ".join(sorted(p.stem for p in boards_dir().glob("*.yaml")))
        raise BoardError(
            f"unknown board {t!r}; known boards: {known}",
            hint="run `smh-boot boards` to list them, or pass the path of a board YAML file; "
            "for a Zephyr board target pass --zephyr-base (or set ZEPHYR_BASE)",
        )
    return _from_zephyr(spec, zbase)


# --------------------------------------------------------------------------- helpers


def on_top_of_build(board: Board, overlays: Any) -> Board:
    """``board`` (from a build directory) with a note that ``overlays`` go on top of the
    build's final ``zephyr.dts`` (``boot()`` and the pytest plugin allow that; the commands
    refuse it, since a build's tree is final)."""
    names = ", ".join(Path(o).name for o in overlays) or "none"
    return replace(board, notes=(*board.notes, f"overlays {names} applied on top of the build's "
                                 "final zephyr.dts, as EXTRA_DTC_OVERLAY_FILE would be at build "
                                 "time (diagnostics point at zephyr.dts)"))


def is_build_dir(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a folder a Zephyr build wrote (``zephyr/zephyr.dts`` or
    ``zephyr/.config`` below it, or sysbuild's ``domains.yaml``), so a board argument naming it
    means ``--build-dir``."""
    p = Path(path)
    return p.is_dir() and ((p / "zephyr" / "zephyr.dts").is_file()
                           or (p / "zephyr" / ".config").is_file()
                           or (p / "domains.yaml").is_file())


def shown(path: Path | str) -> str:
    """A path relative to the working directory when it lies below it (as users type it)."""
    p = Path(path)
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(p)


def _board_roots(spec: TargetSpec) -> list[Path]:
    from .board import board_roots

    return board_roots(spec.board_roots)


def _zephyr_base(spec: TargetSpec) -> Path | None:
    z = spec.zephyr_base if spec.zephyr_base is not None else os.environ.get(ZEPHYR_BASE_ENV)
    if not z:
        return None
    p = Path(z)
    src = "--zephyr-base" if spec.zephyr_base is not None else f"${ZEPHYR_BASE_ENV}"
    if not p.is_dir():
        raise InputError(f"ZEPHYR_BASE is not a directory ({src})", z,
                         hint="point --zephyr-base (or $ZEPHYR_BASE) at the zephyr/ folder "
                         "of your west workspace")
    if not (p / "boards").is_dir():
        raise InputError(f"not a Zephyr tree: no boards/ folder ({src})", z,
                         hint="point --zephyr-base at the zephyr repository itself "
                         "(it holds boards/, dts/, include/)")
    return Path(os.path.normpath(p))


def _module_roots(spec: TargetSpec) -> list[Path]:
    out = []
    for m in spec.modules:
        p = Path(m)
        if not p.is_dir():
            raise InputError("module folder does not exist", m,
                             hint="--module takes the folder of a Zephyr module")
        root = p
        yml = p / "zephyr" / "module.yml"
        if yml.is_file():
            from .zephyr.hwm import _load_yaml

            data = _load_yaml(yml, "module.yml") or {}
            dts_root = (((data.get("build") or {}).get("settings") or {}).get("dts_root")
                        if isinstance(data, dict) else None)
            if isinstance(dts_root, str):
                root = p / dts_root
        out.append(Path(os.path.normpath(root)))
    return out


def _check_flags_arch(arch: str | None) -> None:
    if arch is not None and arch not in ARCHES:
        raise InputError(f"unknown --arch {arch!r}; choices: {', '.join(ARCHES)}",
                         hint="leave --arch out to infer it from the devicetree, the .config "
                         "or the board")


def _cache(t: tuple[int, int, int] | None) -> CacheConfig | None:
    return None if t is None else CacheConfig(*t)


def _from_board_file(b: Board, spec: TargetSpec) -> Resolved:
    """An smh-boot board file: its keys are the board metadata; flags override them."""
    f = spec.flags
    _check_flags_arch(f.arch)
    changes: dict[str, Any] = {}
    if f.arch is not None:
        changes["arch"] = f.arch
    if f.isa is not None:
        changes["isa"] = check_isa(f.isa, changes.get("arch", b.arch))
    if f.ptr_size is not None:
        changes["ptr_size"] = f.ptr_size
    arch = changes.get("arch", b.arch)
    ptr = changes.get("ptr_size", b.ptr_size)
    if ptr not in ARCH_PTR_SIZES[arch]:
        raise InputError(
            f"pointer size {ptr} contradicts arch {arch} of board {b.name!r}"
            + (" (--ptr-size)" if f.ptr_size else " (--arch)"),
            hint=f"{arch} has " + " or ".join(f"{s}-byte" for s in ARCH_PTR_SIZES[arch])
            + " pointers")
    if f.dcache is not None:
        changes["cache"] = _cache(parse_dcache(f.dcache))
    if spec.overlays or spec.include_dirs:
        changes["overlay_paths"] = (*b.overlay_paths, *(Path(o) for o in spec.overlays))
        changes["include_dirs"] = (*b.include_dirs, *(Path(d) for d in spec.include_dirs))
    return Resolved(replace(b, **changes) if changes else b, "board")


def _heap_from_config(cfg: Any, ptr_size: int) -> HeapConfig:
    d = HeapConfig()
    if cfg is None:
        return d
    mode = d.heap_mode
    if cfg.enabled("SYS_HEAP_SMALL_ONLY"):
        mode = "small"
        if ptr_size != 4:
            raise InputError(
                "CONFIG_SYS_HEAP_SMALL_ONLY=y on a 64-bit target: small (16-bit) chunk headers "
                "exist only with 32-bit pointers, and smh-boot's heap model refuses them here",
                *cfg.location("SYS_HEAP_SMALL_ONLY"),
                hint="is this .config from this build? 64-bit heaps use big chunk headers")
    elif cfg.enabled("SYS_HEAP_BIG_ONLY"):
        mode = "big"
    hardening = d.hardening
    for level, sym in (("none", "NONE"), ("basic", "BASIC"), ("moderate", "MODERATE"),
                       ("full", "FULL"), ("full", "EXTREME")):
        if cfg.enabled(f"SYS_HEAP_HARDENING_{sym}"):
            hardening = level
    loops = cfg.integer("SYS_HEAP_ALLOC_LOOPS")
    if loops is not None and loops < 1:
        raise InputError(f"CONFIG_SYS_HEAP_ALLOC_LOOPS={loops}: sys_heap needs at least 1",
                         *cfg.location("SYS_HEAP_ALLOC_LOOPS"),
                         hint="Zephyr's default is 3")
    return HeapConfig(
        runtime_stats=cfg.enabled("SYS_HEAP_RUNTIME_STATS"),
        alloc_loops=loops if loops and loops > 0 else d.alloc_loops,
        hardening=hardening,
        heap_mode=mode,
    )


def _config_warnings(cfg: Any, where: str) -> list[str]:
    out = []
    if cfg is not None and cfg.is_set("SHARED_MULTI_HEAP") is False:
        out.append(f"CONFIG_SHARED_MULTI_HEAP is not set in {where}: this firmware has no "
                   "shared multi-heap; smh-boot builds the pool anyway to show what it would do")
    return out


def _platform_board(*, name: str, vendor: str, soc: str, description: str, path: Path,
                    dts: Path, overlays: tuple[Path, ...], include_dirs: tuple[Path, ...],
                    dt: Any, cfg: Any, cfg_where: str, meta: dict | None, meta_where: str,
                    spec: TargetSpec, origin: str, extra_notes: list[str] = (),
                    extra_warnings: list[str] = ()) -> tuple[Board, Platform]:
    from .devicetree import find_regions

    _check_flags_arch(spec.flags.arch)
    scan = find_regions(dt, arch=None)
    plat = infer_platform(dt, config=cfg, config_where=cfg_where, meta=meta,
                          meta_where=meta_where, flags=spec.flags, regions=scan.regions,
                          soc=soc or None)
    heap = _heap_from_config(cfg, plat.ptr_size or 4)
    mem_attr = MemAttrConfig()
    if cfg is not None:
        mem_attr = MemAttrConfig(enabled=cfg.enabled("MEM_ATTR"),
                                 heap=cfg.enabled("MEM_ATTR") and cfg.enabled("MEM_ATTR_HEAP"))
    notes = [*extra_notes, *plat.describe(), *plat.overrides]
    if cfg is not None:
        notes.append(f"heap (runtime stats {'on' if heap.runtime_stats else 'off'}, alloc loops "
                     f"{heap.alloc_loops}, {heap.heap_mode} chunks, hardening {heap.hardening}) "
                     f"and mem_attr ({'on' if mem_attr.enabled else 'off'}, heap "
                     f"{'on' if mem_attr.heap else 'off'}) from {cfg_where}")
    warnings = [*extra_warnings, *plat.warnings, *plat.cautions, *_config_warnings(cfg, cfg_where)]
    board = Board(
        name=name, vendor=vendor, soc=soc, cpu=plat.cpu or "unknown",
        arch=plat.arch or "unknown", isa=plat.isa or "unknown", ptr_size=plat.ptr_size or 4,
        default=False,
        devicetree=DevicetreeSpec(str(dts), tuple(map(str, overlays)), tuple(map(str, include_dirs))),
        heap=heap, smh_policy=None, cache=_cache(plat.cache), mem_attr=mem_attr, drivers=(),
        description=description, path=path, dts_path=dts, overlay_paths=overlays,
        include_dirs=include_dirs, origin=origin, notes=tuple(notes), warnings=tuple(warnings),
    )
    return board, plat


def _guesses(plat: Platform, extra: list[str] = ()) -> tuple[str, ...]:
    return (*extra, *plat.warnings, *plat.cautions)


def _from_dts(spec: TargetSpec) -> Resolved:
    from .devicetree import load_devicetree

    dts = Path(spec.target)  # type: ignore[arg-type]
    ovl = tuple(Path(o) for o in spec.overlays)
    inc = tuple(Path(d) for d in spec.include_dirs)
    dt = load_devicetree(dts, ovl, inc)
    model = dt.str_prop(dt.root, "model") if "model" in dt.root.props else ""
    board, plat = _platform_board(
        name=dts.stem, vendor="", soc="", description=model or "", path=dts.resolve(),
        dts=dts, overlays=ovl, include_dirs=inc, dt=dt, cfg=None, cfg_where="", meta=None,
        meta_where="", spec=spec, origin="dts")
    return Resolved(board, "dts", dt, None, plat, _guesses(plat))


def _from_zephyr(spec: TargetSpec, zbase: Path | None) -> Resolved:
    from .devicetree import load_devicetree
    from .zephyr import dtsroots, hwm
    from .zephyr.kconfig import merge_fragments

    target = hwm.parse_target(spec.target)  # type: ignore[arg-type]
    modules = _module_roots(spec)
    user_roots = [Path(os.path.normpath(r)) for r in spec.board_roots]
    roots = [*user_roots, *modules, *([zbase] if zbase else [])]
    try:
        zb = hwm.find_board(target.board, roots)
    except BoardError as e:
        import difflib

        from .board import boards_dir

        shipped = difflib.get_close_matches(target.board, [p.stem for p in boards_dir().glob("*.yaml")], n=2)
        if shipped:
            e.hint = f"{e.hint}; smh-boot ships {', '.join(shipped)}"
            e.args = (e.format(),)
        raise
    rt = hwm.resolve_target(zb, target)
    meta = hwm.read_twister(rt.twister_yaml) if rt.twister_yaml else None
    app_dir, app_overlays, app_confs = _app_files(spec, rt)
    shield_dirs, shield_ovl, shield_confs = _shields(spec, roots, rt)
    # Kconfig fragments in kconfig.cmake's merge order: the board's defconfigs (and the
    # revision's), the application's prj.conf and its board fragments, each shield's .conf
    kfiles = [*rt.kconfig_files, *app_confs, *shield_confs]
    cfg = merge_fragments(kfiles)
    overlays = (*rt.revision_overlays, *shield_ovl, *app_overlays, *(Path(o) for o in spec.overlays))
    if app_dir is None and spec.overlays:
        # without --app, the application folder (a DTS root) is the first overlay's, as an
        # app's app.overlay sits in it
        app_dir = Path(spec.overlays[0]).parent
    droots = dtsroots.dts_roots(modules, app_dir, zb.dir, zbase, shield_dirs)
    arches = [spec.flags.arch] if spec.flags.arch else (
        [meta["arch"]] if meta and isinstance(meta.get("arch"), str) else
        dtsroots.arch_dirs_for(rt.dts, droots))
    notes = [f"board {zb.name} from {shown(zb.yml)}"
             + (" extended by " + ", ".join(shown(e.yml) for e in zb.extensions)
                if zb.extensions else ""),
             *rt.notes,
             f"devicetree {rt.dts.name}"
             + (f" + revision overlay {', '.join(o.name for o in rt.revision_overlays)}"
                if rt.revision_overlays else "")]
    warnings = []
    if not arches:
        warnings.append("no twister metadata names the arch and the board .dts includes no "
                        "file from any dts/<arch> folder: no dts/<arch> include folder is used "
                        "(pass --arch)")
    inc = (*dtsroots.include_dirs(droots, arches), *(Path(d) for d in spec.include_dirs))
    try:
        dt = load_devicetree(rt.dts, overlays, inc)
    except DevicetreeError as e:
        note = _arch_include_note(e, spec, meta, rt, droots, arches)
        if note:
            e.hint = f"{note}; {e.hint}" if e.hint else note
            e.args = (e.format(),)
        raise
    name = "/".join((zb.name + (f"@{rt.revision}" if target.revision else ""), *rt.qualifiers))
    desc = (meta or {}).get("name") if isinstance((meta or {}).get("name"), str) else zb.full_name
    vendor = dtsroots.vendor_name(zb.vendor, droots) or zb.vendor
    board, plat = _platform_board(
        name=name, vendor=vendor, soc=rt.soc, description=desc or "", path=zb.yml,
        dts=rt.dts, overlays=overlays, include_dirs=inc, dt=dt, cfg=cfg,
        cfg_where=" + ".join(f.name for f in kfiles), meta=meta,
        meta_where=str(rt.twister_yaml.name) if rt.twister_yaml else "",
        spec=spec, origin="zephyr", extra_notes=notes,
        extra_warnings=[*warnings, *rt.warnings])  # rt.warnings inform: not guesses
    return Resolved(board, "zephyr", dt, cfg, plat, _guesses(plat, warnings))


def _arch_include_note(e: Any, spec: TargetSpec, meta: dict | None, rt: Any,
                       droots: list[Path], arches: list[str]) -> str | None:
    """For a missing include: a note naming --arch when the dts/<arch> include folder used is
    not the one the board's own files include from (``--arch riscv`` on an ARM board), or
    when the twister metadata's arch disagrees with them."""
    from .zephyr import dtsroots

    if "cannot find include file" not in getattr(e, "message", str(e)):
        return None
    natural = dtsroots.arch_dirs_for(rt.dts, droots)
    meta_arch = meta.get("arch") if meta and isinstance(meta.get("arch"), str) else None
    if spec.flags.arch:
        says = natural or ([meta_arch] if meta_arch else [])
        if says and spec.flags.arch not in says:
            return (f"--arch {spec.flags.arch} made dts/{spec.flags.arch} the include folder, but "
                    f"this board's files include from dts/{'/'.join(says)} (arch "
                    f"{says[0]}): drop --arch, or pass --arch {says[0]}")
        return None
    if natural and arches and not set(natural) & set(arches):
        return (f"the arch {'/'.join(arches)} (from "
                f"{rt.twister_yaml.name if rt.twister_yaml else 'the board metadata'}) made "
                f"dts/{arches[0]} the include folder, but this board's .dts includes from "
                f"dts/{natural[0]}: pass --arch {natural[0]}, or fix the metadata's arch")
    return None


def _shields(spec: TargetSpec, roots: list[Path], rt: Any) -> tuple[list[Path], list[Path], list[Path]]:
    """(shield folders, their overlays, their Kconfig fragments) for ``--shield`` names, found
    in the board roots, each in Zephyr's order (``shields.cmake``)."""
    from .zephyr import hwm

    if not spec.shields:
        return [], [], []
    known = hwm.find_shields(roots)
    names = rt.file_names()
    dirs, overlays, confs = [], [], []
    for name in spec.shields:
        if name not in known:
            raise BoardError(f"no shield {name!r}; shields: " + (", ".join(sorted(known)) or "(none)"),
                             hint="shields live in <board root>/boards/shields/<dir>/<name>.overlay "
                             "next to a Kconfig.shield")
        dirs.append(known[name])
        overlays += hwm.shield_overlays(name, known[name], names)
        confs += hwm.shield_conf_files(name, known[name], names)
    return dirs, overlays, confs


def _app_files(spec: TargetSpec, rt: Any) -> tuple[Path | None, tuple[Path, ...], tuple[Path, ...]]:
    """(application folder, its overlays, its Kconfig fragments) as Zephyr's
    ``configuration_files.cmake`` picks them when DTC_OVERLAY_FILE and CONF_FILE are not set.

    Overlays: ``boards/<target>.overlay`` (and ``boards/<target>_<revision>.overlay``), else
    ``<board>.overlay``, else ``app.overlay``; ``--overlay`` files come after them, as
    EXTRA_DTC_OVERLAY_FILE does.  Kconfig: ``prj_<board>.conf``, else ``prj.conf`` followed by
    ``boards/<target>.conf`` (and ``boards/<target>_<revision>.conf``)."""
    from .zephyr.hwm import find_conf_files

    if spec.app is None:
        return None, (), ()
    app = Path(spec.app)
    if not app.is_dir():
        raise InputError("application folder does not exist", spec.app,
                         hint="--app takes the folder holding the app's CMakeLists.txt")
    names = rt.file_names()
    board = rt.board.name
    found = find_conf_files(app / "boards", names, ".overlay", "application board overlay")
    if not found:
        found = next(([f] for f in (app / f"{board}.overlay", app / "app.overlay") if f.is_file()), [])
    confs: list[Path] = []
    if (app / f"prj_{board}.conf").is_file():
        confs = [app / f"prj_{board}.conf"]
    elif (app / "prj.conf").is_file():
        confs = [app / "prj.conf",
                 *find_conf_files(app / "boards", names, ".conf", "application board fragment")]
    return app, tuple(found), tuple(confs)


def _from_build(spec: TargetSpec) -> Resolved:
    from .devicetree import load_preprocessed
    from .zephyr import dtsroots, hwm
    from .zephyr.build import open_build_dir

    if spec.overlays or spec.include_dirs or spec.app or spec.shields:
        raise InputError(
            "--overlay, -I, --app and --shield cannot be combined with --build-dir: the build's zephyr.dts "
            "already is the final, merged devicetree", spec.build_dir,
            hint="rebuild with the overlay (west build -d DIR -- -DEXTRA_DTC_OVERLAY_FILE=x.overlay), "
            "or give the board target and --zephyr-base instead of the build")
    bd = open_build_dir(spec.build_dir)  # type: ignore[arg-type]
    target = bd.board_target
    if spec.target is not None and target and spec.target not in (target, bd.board_name):
        raise InputError(
            f"{spec.target!r} conflicts with the build directory, which was built for {target!r}",
            str(bd.path), hint="drop the board argument (the build names its board) or pick "
            "the build directory of that board")
    if not target:
        raise InputError("the build's .config names no board (CONFIG_BOARD / "
                         "CONFIG_BOARD_TARGET)", str(bd.config.path),
                         hint="is this a .config written by a Zephyr build?")
    dtfile = bd.devicetree_file
    dt = load_preprocessed(dtfile, dts=str(bd.dts) if bd.pre is None else str(dtfile))
    meta = desc = vendor = None
    soc = bd.config.string("SOC") or ""
    for d in bd.board_dirs:
        try:
            t = hwm.parse_target(target)
            stem = "_".join((t.board, *t.qualifiers))
            tw = d / f"{stem}.yaml"
            if tw.is_file():
                meta = hwm.read_twister(tw)
                desc = meta.get("name") if isinstance(meta.get("name"), str) else None
            yml = d / "board.yml"
            if yml.is_file():
                zb = next((b for b in hwm._boards_in(yml) if b.name == t.board), None)
                if zb is not None:
                    vendor, desc = zb.vendor, desc or zb.full_name
                    if bd.zephyr_base is not None:
                        vendor = dtsroots.vendor_name(vendor, [bd.zephyr_base]) or vendor
        except BoardError:
            pass  # board metadata only improves the description
    notes = [f"build directory {shown(bd.path)} (board {target})",
             f"devicetree {dtfile.name}" + (" (line markers give the original sources)"
                                           if bd.pre is not None else "")]
    warnings = []
    if bd.stale_pre:
        warnings.append("zephyr.dts.pre is older than zephyr.dts and was not used: "
                        "diagnostics point at zephyr.dts (rebuild to refresh it)")
    board, plat = _platform_board(
        name=target, vendor=vendor or "", soc=soc, description=desc or "",
        path=bd.path.resolve(), dts=bd.dts, overlays=(), include_dirs=(), dt=dt,
        cfg=bd.config, cfg_where="zephyr/.config", meta=meta, meta_where="twister metadata",
        spec=spec, origin="build", extra_notes=notes, extra_warnings=warnings)
    return Resolved(board, "build", dt, bd.config, plat, _guesses(plat))
