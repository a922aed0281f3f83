"""``west smh-boot ...``: smh-boot as a west extension command.

West loads this file by path (see ``west-commands.yml`` at the top of the repository), so it
imports smh-boot absolutely; smh-boot must be installed in west's Python (``pip install
'smh-boot[west]'``).  The command passes its arguments to the ``smh-boot`` command line with
the workspace's defaults filled in, like ``west flash`` does:

* ``--zephyr-base``: ``$ZEPHYR_BASE`` as west sets it, else the ``zephyr.base`` config
  option, else the manifest project named ``zephyr``;
* ``--build-dir build`` (or the ``build.dir-fmt`` config option when it has no ``{}``
  placeholders) for every command that takes a target (boot, validate, regions, map, fit,
  diff) when no board, file or build directory is given and that folder holds a build;
* ``diff`` takes two sides: with none named the build is side A (B defaults to A, as
  ``smh-boot diff --build-dir build``); with only A named (and no ``--overlay-b``) the build
  is side B, so ``west smh-boot diff baseline.json`` compares a saved report with the build.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from west.commands import WestCommand

#: subcommands that take the shared input options (see smh_boot.cli._target)
_TARGET_COMMANDS = ("boot", "validate", "regions", "map", "fit", "diff")
#: options of those commands that take a value (so their value is not a positional argument)
_VALUED = {"-d", "--build-dir", "--zephyr-base", "--board-root", "--module", "--arch", "--isa",
           "--ptr-size", "--dcache", "--app", "--shield", "--overlay", "-I", "--include-dir", "-o", "--output",
           "--format", "--map", "--seed", "--board", "--severity", "--disable", "--enable",
           "--explain", "--trace", "--pytest", "--margin", "--resize", "--emit-overlay", "--svg",
           "--overlay-a", "--overlay-b"}


def with_defaults(argv: list[str], zephyr_base: str | None, build_dir: str | None) -> list[str]:
    """``argv`` for ``smh-boot`` with the workspace defaults added where the user gave none."""
    if not argv or argv[0] not in _TARGET_COMMANDS:
        return list(argv)
    args = list(argv)
    given = {a.split("=", 1)[0] for a in args[1:] if a.startswith("-")}
    positional = 0
    skip = False
    for a in args[1:]:
        if skip:
            skip = False
        elif a.startswith("-"):
            skip = a in _VALUED
        else:
            positional += 1
    if zephyr_base and "--zephyr-base" not in given:
        args += ["--zephyr-base", zephyr_base]
    if (build_dir and not {"-d", "--build-dir", "--board"} & given
            and (Path(build_dir) / "zephyr" / ".config").is_file()):
        if not positional:
            args += ["--build-dir", build_dir]
        elif args[0] == "diff" and positional == 1 and "--overlay-b" not in given:
            args.insert(len(args) if "--" not in args else args.index("--"), build_dir)
    return args


class SmhBootCommand(WestCommand):
    """The ``west smh-boot`` command."""

    def __init__(self) -> None:
        super().__init__(
            "smh-boot",
            "boot, validate or map a Zephyr board or build with smh-boot",
            "Runs `smh-boot ARGS...` in this workspace: --zephyr-base defaults to the "
            "workspace's zephyr, and boot/validate/regions/map/fit/diff default to the "
            "build/ directory when no board or file is named (diff: the build is side A when "
            "no side is named, side B when only A is).  `west smh-boot --help` lists the "
            "smh-boot commands.",
            accepts_unknown_args=True,
        )

    def do_add_parser(self, parser_adder):
        parser = parser_adder.add_parser(self.name, help=self.help, description=self.description,
                                         add_help=False)
        parser.add_argument("args", nargs=argparse.REMAINDER)
        return parser

    def _zephyr_base(self) -> str | None:
        if os.environ.get("ZEPHYR_BASE"):
            return os.environ["ZEPHYR_BASE"]
        try:
            base = self.config.get("zephyr.base")
        except Exception:  # noqa: BLE001 - older west: no config object
            base = None
        if base and self.topdir:
            return str(Path(self.topdir) / base)
        try:
            projects = self.manifest.get_projects(["zephyr"], allow_paths=False)
            return projects[0].abspath
        except Exception:  # noqa: BLE001 - no manifest, or no project named zephyr
            return None

    def _build_dir(self) -> str:
        try:
            fmt = self.config.get("build.dir-fmt")
        except Exception:  # noqa: BLE001
            fmt = None
        return fmt if fmt and "{" not in fmt else "build"

    def do_run(self, args, unknown_args):
        from smh_boot.cli import main

        argv = [*(args.args or []), *(unknown_args or [])]
        rc = main(with_defaults(argv, self._zephyr_base(), self._build_dir()))
        if rc:
            raise SystemExit(rc)
