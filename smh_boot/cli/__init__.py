"""``smh-boot`` command line: a thin click layer over the library.

Each subcommand lives in its own module (``smh_boot/cli/<name>.py``, exposing a click command
named ``command``) and is imported only when it runs.  Every :class:`~smh_boot.errors.SmhError`
reaching the top is printed as one clear message (exit status 2) instead of a traceback; any
other exception is a bug of smh-boot's and ends as ``internal error: ...`` with exit status 3
(``SMH_BOOT_DEBUG=1`` shows the traceback).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys

import click

from ..errors import InputError, SmhError

#: subcommand name -> (module, one-line help).  Modules that are missing are not listed.
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "boot": ("smh_boot.cli.boot_cmd", "Boot a board: regions, heap pool, devices, memory map."),
    "boards": ("smh_boot.cli.boards_cmd", "List the shipped boards."),
    "regions": ("smh_boot.cli.regions_cmd", "List the zephyr,memory-attr regions of a devicetree."),
    "validate": ("smh_boot.cli.validate_cmd", "Validate a devicetree memory layout."),
    "map": ("smh_boot.cli.map_cmd", "Draw the memory map of a booted board (SVG/HTML/text)."),
    "replay": ("smh_boot.cli.replay_cmd", "Replay golden-format heap traces."),
    "fit": ("smh_boot.cli.fit_cmd", "Size the heap regions for a workload (capacity planning)."),
    "diff": ("smh_boot.cli.diff_cmd", "Compare two boots region by region and device by device."),
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        names = []
        for name, (mod, _help) in SUBCOMMANDS.items():
            if importlib.util.find_spec(mod) is not None:
                names.append(name)
        return sorted(names)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        entry = SUBCOMMANDS.get(name)
        if entry is None or importlib.util.find_spec(entry[0]) is None:
            return None
        return importlib.import_module(entry[0]).command


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    # click's version line, plus which heap core (compiled or pure Python) this install runs.
    if not value or ctx.resilient_parsing:
        return
    from importlib.metadata import version

    from ..heap.compiled import core_status

    click.echo(f"{ctx.find_root().info_name}, version {version('smh-boot')}")
    click.echo(f"heap core: {core_status()}")
    ctx.exit()


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version,
              help="Show the version and the active heap core, and exit.")
def cli() -> None:
    """smh-boot: a devicetree-driven platform boot emulator for Zephyr-style firmware."""


def format_error(e: SmhError) -> str:
    """One message for the terminal: input errors are already ``file:line:col: error: ...``."""
    text = str(e)
    return text if isinstance(e, InputError) else f"error: {text}"


#: the ``format`` of the document a command asked for JSON prints when it fails
ERROR_FORMAT = "smh-boot-error/1"


def _wants_json(argv: list[str]) -> bool:
    """Whether the command line asks for a JSON (or SARIF) document on stdout: ``--json``, or
    ``validate --format json|sarif`` (``--help`` and ``--version`` print no document)."""
    if any(a in ("-h", "--help", "--version") for a in argv):
        return False
    if "--json" in argv:
        return True
    for i, a in enumerate(argv):
        if a == "--format" and i + 1 < len(argv) and argv[i + 1] in ("json", "sarif"):
            return True
        if a in ("--format=json", "--format=sarif"):
            return True
    return False


def error_document(e: BaseException, command: str | None, status: int) -> dict:
    """The JSON document of a failed command: ``error`` with ``message``, ``file``, ``line``,
    ``column``, ``rule`` (the first error-level finding's, for a layout error), ``hint`` and
    ``kind``; a layout error also lists every finding in ``diagnostics``."""
    from ..errors import LayoutError

    err: dict = {"kind": type(e).__name__, "message": getattr(e, "message", None) or str(e),
                 "file": None, "line": None, "column": None, "rule": None,
                 "hint": getattr(e, "hint", None)}
    doc: dict = {"format": ERROR_FORMAT, "command": command, "status": status, "error": err}
    if isinstance(e, InputError):
        err.update(file=None if e.file is None else str(e.file), line=e.line, column=e.column)
    elif isinstance(e, click.ClickException):
        err["message"] = e.format_message()
        err["kind"] = "UsageError"
    if isinstance(e, LayoutError):
        diags = e.diagnostics
        first = next((d for d in diags if getattr(d, "severity", "error") == "error"),
                     diags[0] if diags else None)
        if first is not None:
            loc = getattr(first, "location", None)
            err.update(message=str(e).splitlines()[0], rule=getattr(first, "rule", None),
                       file=getattr(loc, "file", None), line=getattr(loc, "line", None),
                       column=getattr(loc, "column", None))
        doc["diagnostics"] = [str(d) for d in diags]
    return doc


def _json_error(argv: list[str] | None, e: BaseException, status: int) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if not _wants_json(args):
        return
    import json

    command = next((a for a in args if a in SUBCOMMANDS), None)
    click.echo(json.dumps(error_document(e, command, status), indent=2))


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point; turns SmhError into ``error: ...`` and exit status 2.

    A command asked for JSON (``--json``, ``validate --format json|sarif``) that fails also
    prints an ``smh-boot-error/1`` document on stdout, so ``| jq`` always gets one."""
    try:
        rv = cli.main(args=argv, prog_name="smh-boot", standalone_mode=False)
    except SmhError as e:
        click.echo(format_error(e), err=True)
        _json_error(argv, e, 2)
        return 2
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 130
    except click.ClickException as e:
        e.show()
        _json_error(argv, e, e.exit_code)
        return e.exit_code
    except click.exceptions.Exit as e:
        return e.exit_code
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return 130
    except Exception as e:  # noqa: BLE001 - last resort: a bug of ours, never a raw traceback
        if os.environ.get("SMH_BOOT_DEBUG"):
            raise
        _json_error(argv, e, 3)
        click.echo(
            f"internal error: {type(e).__name__}: {e}\n"
            "  this is a bug in smh-boot, not in your input: please report it with the command "
            "line; rerun with SMH_BOOT_DEBUG=1 to see the traceback",
            err=True,
        )
        return 3
    return rv if isinstance(rv, int) else 0


def run() -> None:  # pragma: no cover - thin wrapper for ``python -m smh_boot``
    sys.exit(main())

