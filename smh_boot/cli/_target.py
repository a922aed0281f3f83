"""The board argument shared by ``boot``, ``validate``, ``regions``, ``map``, ``fit`` and ``diff``.

One set of click options (:func:`target_options`) and one call into
:func:`smh_boot.resolve.resolve`, so every command takes the same inputs: a board name or
YAML, a plain ``.dts``, a Zephyr board target with ``--zephyr-base`` / ``$ZEPHYR_BASE``, or a
Zephyr build directory (``--build-dir``/``-d``), with the same override flags.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from ..board import ARCHES


def devicetree_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """``--overlay`` and ``-I/--include-dir``, as boot, map and fit take them."""
    f = click.option("-I", "--include-dir", "include_dirs", multiple=True,
                     type=click.Path(file_okay=False),
                     help="Include folder for #include in a .dts (repeatable).")(f)
    return click.option("--overlay", "overlays", multiple=True, type=click.Path(dir_okay=False),
                        help="Devicetree overlay applied after the board's own (repeatable).")(f)


def target_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """Add the shared input options (not the positional argument, whose arity differs)."""
    opts = [
        click.option("-d", "--build-dir", type=click.Path(file_okay=True),
                     help="A Zephyr build directory (what `west build -d DIR` wrote): reads "
                     "zephyr/zephyr.dts and zephyr/.config, no preprocessing."),
        click.option("--zephyr-base", metavar="DIR",
                     help="Zephyr tree for a board target [default: $ZEPHYR_BASE]."),
        click.option("--board-root", "board_roots", multiple=True, metavar="DIR",
                     help="Extra board folder: smh-boot board YAML files, or a Zephyr "
                     "BOARD_ROOT with boards/<vendor>/<board>/board.yml (repeatable; also "
                     "$SMH_BOOT_BOARD_ROOT)."),
        click.option("--app", metavar="DIR",
                     help="A Zephyr application folder: a DTS root, its boards/<target>"
                     ".overlay or app.overlay applied and its prj.conf (and boards/<target>"
                     ".conf) read as Zephyr takes them."),
        click.option("--shield", "shields", multiple=True, metavar="NAME",
                     help="A Zephyr shield from the board roots: its overlays and .conf "
                     "fragments (repeatable, in order)."),
        click.option("--module", "modules", multiple=True, metavar="DIR",
                     help="A Zephyr module folder: a DTS root and board root (repeatable)."),
        click.option("--arch", type=click.Choice(ARCHES, case_sensitive=False), default=None,
                     help="Override the inferred architecture."),
        click.option("--isa", default=None,
                     help="Override the inferred ISA, e.g. armv7e-m (picks the MPU rule)."),
        click.option("--ptr-size", type=click.Choice(["4", "8"]), default=None,
                     help="Override the inferred pointer size (bytes)."),
        click.option("--dcache", default=None, metavar="none|LINE:SIZE:WAYS",
                     help="Override the inferred data cache, e.g. 32:16384:4."),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def spec_from(target: str | None, overlays: tuple[str, ...] = (), include_dirs: tuple[str, ...] = (),
              **kw: Any):
    """A TargetSpec from the click values of :func:`target_options` (``kw``)."""
    from ..infer import Flags
    from ..resolve import TargetSpec

    ptr = kw.get("ptr_size")
    return TargetSpec(
        target=target,
        build_dir=kw.get("build_dir"),
        zephyr_base=kw.get("zephyr_base"),
        overlays=tuple(overlays),
        include_dirs=tuple(include_dirs),
        board_roots=tuple(kw.get("board_roots") or ()),
        modules=tuple(kw.get("modules") or ()),
        app=kw.get("app"),
        shields=tuple(kw.get("shields") or ()),
        flags=Flags(arch=kw["arch"].lower() if kw.get("arch") else None, isa=kw.get("isa"), ptr_size=int(ptr) if ptr else None,
                    dcache=kw.get("dcache")),
    )


def resolve_target(target: str | None, overlays=(), include_dirs=(), *, default: bool = True,
                   **kw: Any):
    """Resolve the command's input (see :mod:`smh_boot.resolve`)."""
    from ..resolve import resolve

    return resolve(spec_from(target, overlays, include_dirs, **kw), default=default)


def print_warnings(resolved: Any) -> None:
    """Each resolver warning on stderr, ``warning: ...``."""
    for w in resolved.warnings:
        click.echo(f"warning: {w}", err=True)


def layout_summary(system: Any, strict: bool, refused_fails: bool = True) -> tuple[int, str | None]:
    """(error-level findings, the line that says them) of a boot that went on past them
    (``--no-strict``, or ``map``'s default): ``N layout error(s) (not failing: --no-strict)``,
    or, when a heap region was refused (exit status 1), ``..., K heap region(s) refused``.
    None when the layout has no error."""
    from ..bootstage.boot_report import refused_regions

    errors = sum(1 for d in system.diagnostics if getattr(d, "severity", "") == "error")
    if not errors:
        return 0, None
    refused = len(refused_regions(system))
    s = "" if errors == 1 else "s"
    head = f"{errors} layout error{s}"
    if refused:
        head += f", {refused} heap region{'' if refused == 1 else 's'} refused"
        if refused_fails:  # boot: a refused region is exit status 1
            return errors, f"{head} (exit status 1)"
    return errors, f"{head} (not failing: --no-strict)"
