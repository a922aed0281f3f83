"""pytest plugin for driver integration tests (registered through the ``pytest11`` entry point).

Installing smh-boot is enough: pytest loads this module in every run.  It only acts for tests
that ask for its fixtures or carry its markers, and it imports the boot stack lazily, so other
projects' test runs pay nothing.

Options (command line, or ``[tool.pytest.ini_options]``):

``--smh-board NAME`` (repeatable; ``all``) / ini ``smh_boards``
    boards to run board-parametrised tests on (default: the default board): anything
    ``smh-boot boot`` takes: a board name or YAML, a ``.dts``, a Zephyr board target, a build
    directory.
``--smh-build-dir DIR`` (repeatable) / ini ``smh_build_dirs``
    Zephyr build directories (what ``west build`` wrote) to run on, as more boards.
``--smh-zephyr-base DIR``, ``--smh-board-root DIR``, ``--smh-module DIR``, ``--smh-app DIR``,
``--smh-shield NAME``, ``--smh-include-dir DIR``, ``--smh-arch``, ``--smh-isa``,
``--smh-ptr-size``, ``--smh-dcache`` / ini ``smh_zephyr_base``, ``smh_board_roots``...
    the commands' ``--zephyr-base``, ``--board-root``... for every board of the run.
``--smh-overlay FILE`` (repeatable) / ini ``smh_overlays``
    devicetree overlays applied to every boot.
``--smh-seed N`` / ini ``smh_seed``
    boot seed (stress modes); printed on failure, reproduces it.
``--smh-stress`` / ini ``smh_stress``
    cache stress modes (speculative prefetch, random evictions) on for every boot.
``--smh-artifacts DIR`` / ini ``smh_artifacts``
    where failing tests leave their boot log, JSON boot report and allocation trace
    (default ``smh-artifacts/`` under the rootdir).

Fixtures: ``smh_board`` (a :class:`~smh_boot.board.Board`, parametrised over the selection),
``smh_system`` (a freshly booted :class:`~smh_boot.bootstage.System`), ``smh_pool``,
``smh_memsys`` (the MemorySystem: ``.cpu``, ``.dma``, cache maintenance; ``smh_memory`` is its
deprecated name), ``smh_cache``,
``smh_dma``, ``smh_seed``, ``smh_overlays`` and ``smh_boot_factory``.

Markers: ``smh_board("name", ...)``, ``smh_overlay("path", ...)``, ``smh_stress(seeds=N)``.

Every board goes through the commands' resolver (:mod:`smh_boot.testing.targets`); what it
could not infer is in the run's header and is issued as ``InferenceWarning`` by every test
that boots that board.

State lives on pytest's config and items (``stash``), never in this module, so the plugin is
safe under pytest-xdist: each worker process has its own devicetree cache.
"""

from __future__ import annotations

import inspect
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

import pytest

from .errors import InputError, LayoutError, SmhError

if TYPE_CHECKING:  # pragma: no cover
    from .testing.artifacts import BootRecord
    from .testing.dt_cache import DevicetreeCache
    from .testing.targets import TargetOptions, TargetResolver


# --------------------------------------------------------------------------- session state


@dataclass
class SmhSettings:
    """Everything the options and ini settings decided, plus per-process caches.

    One instance per pytest process (stored in ``config.stash``); workers of pytest-xdist each
    build their own from the same command line, so they agree on the test collection."""

    requested_boards: list[str]
    explicit_boards: bool
    seed: int
    explicit_seed: bool
    stress: bool
    overlays: list[Path]
    artifacts: Path
    #: the session's --smh-zephyr-base, --smh-board-root... (None: none given)
    targets: "TargetOptions | None" = None
    #: the --smh-build-dir / smh_build_dirs folders (absolute; also in requested_boards)
    build_dirs: list[str] = field(default_factory=list)
    _boards: list[str] | None = None
    _known: list[str] | None = None
    _default: str | None = None
    _dt_cache: "DevicetreeCache | None" = None
    _boot_kwargs: dict[str, Any] | None = None
    _resolver: "TargetResolver | None" = field(default=None, repr=False)
    #: selected entries that are smh-boot's own boards by selection (the default, ``all``)
    _shipped: set[str] = field(default_factory=set, repr=False)
    _check: Any = field(default=None, repr=False)

    # Board lists are resolved on first use: a run that never asks for a board never loads one.
    def known_boards(self) -> list[str]:
        """Names of the shipped boards."""
        if self._known is None:
            from .board import default_board, list_boards

            self._known = sorted(b.name for b in list_boards())
            self._default = default_board().name
        return self._known

    def default_board(self) -> str:
        """Name of the default board."""
        self.known_boards()
        assert self._default is not None
        return self._default

    def selected_boards(self) -> list[str]:
        """The boards chosen by ``--smh-board`` / ``smh_boards`` (default board otherwise)."""
        if self._boards is None:
            from .testing.selection import resolve_boards, split_names

            # names that are not shipped boards go to the resolver (_read_settings checks them)
            self._boards = resolve_boards(self.requested_boards, self.known_boards(),
                                          self.default_board(), other=lambda _name: True)
            # the default board and the boards of `all` are smh-boot's own, whatever
            # --smh-zephyr-base says; a name typed by the user follows the commands' rule
            typed = set(split_names(self.requested_boards)) - {"all"}
            self._shipped = {b for b in self._boards if b not in typed}
        return self._boards

    def resolver(self) -> "TargetResolver":
        """This process's resolver of board entries (with the session's target options)."""
        if self._resolver is None:
            from .testing.targets import TargetOptions, TargetResolver

            self._resolver = TargetResolver(self.targets or TargetOptions(), tuple(self.build_dirs))
        return self._resolver

    def resolve(self, entry: str, overlays: Sequence[str | Path] = (),
                include_dirs: Sequence[str | Path] = ()) -> Any:
        """The :class:`~smh_boot.resolve.Resolved` of a board entry, as ``smh-boot boot`` would
        resolve it with the session's options; served from this process's cache while the
        files it was read from are unchanged (a board edited mid-run is resolved again)."""
        entry = str(entry)
        self.selected_boards()  # decides which entries are smh-boot's own boards
        return self.resolver().resolve(entry, tuple(map(str, overlays)),
                                       tuple(map(str, include_dirs)),
                                       shipped=entry in self._shipped)

    def load_board(self, name: str | Any) -> Any:
        """The Board of a board entry (see :meth:`resolve`)."""
        return self.resolve(str(name)).board

    def dt_cache(self) -> "DevicetreeCache":
        """This process's devicetree cache."""
        if self._dt_cache is None:
            from .devicetree.preprocess import project_include_dir
            from .testing.dt_cache import DevicetreeCache

            self._dt_cache = DevicetreeCache(extra_dirs=[project_include_dir()])
        return self._dt_cache

    def boot_kwargs(self) -> dict[str, Any]:
        """Extra keyword arguments ``boot()`` accepts for the cache (empty when it has no
        devicetree-loader hook: then every boot loads its devicetree itself)."""
        if self._boot_kwargs is None:
            from .bootstage import boot

            params = inspect.signature(boot).parameters
            self._boot_kwargs = {"dt_loader": self.dt_cache().load} if "dt_loader" in params else {}
        return self._boot_kwargs


_SETTINGS = pytest.StashKey[SmhSettings]()
#: Boot failures caused by user files, reported without a traceback.
_INPUT_ERRORS = (InputError, LayoutError)
_RECORDS = pytest.StashKey[list]()


def _settings(config: pytest.Config) -> SmhSettings:
    return config.stash[_SETTINGS]


# --------------------------------------------------------------------------- options


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("smh-boot", "smh-boot board emulation (driver integration tests)")
    group.addoption(
        "--smh-board", action="append", default=[], metavar="NAME", dest="smh_board",
        help="board to run board-parametrised tests on; repeatable or comma-separated; "
             "'all' for every shipped board (default: the default board)",
    )
    group.addoption(
        "--smh-build-dir", action="append", default=[], metavar="DIR", dest="smh_build_dir",
        help="a Zephyr build directory (what `west build -d DIR` wrote) to run on, as a board "
             "(repeatable)",
    )
    group.addoption(
        "--smh-overlay", action="append", default=[], metavar="FILE", dest="smh_overlay",
        help="devicetree overlay applied to every boot (repeatable)",
    )
    for name, many, metavar, text in _TARGET_OPTIONS:
        group.addoption(f"--smh-{name}", action="append" if many else "store",
                        default=[] if many else None, metavar=metavar,
                        dest=f"smh_{name.replace('-', '_')}", help=text)
    group.addoption(
        "--smh-seed", type=int, default=None, metavar="N", dest="smh_seed",
        help="boot seed of the cache stress modes; a failure prints its seed (default 0)",
    )
    group.addoption(
        "--smh-stress", action="store_true", default=None, dest="smh_stress",
        help="turn the cache stress modes on for every boot",
    )
    group.addoption(
        "--smh-artifacts", default=None, metavar="DIR", dest="smh_artifacts",
        help="folder for failing tests' boot logs, reports and allocation traces "
             "(default: smh-artifacts/ in the rootdir)",
    )
    group.addoption(
        "--smh-record", default=None, metavar="DIR", dest="smh_record",
        help="write every test's allocation trace to DIR/<board>/ (golden format, with an "
             "index.json per board) for `smh-boot fit --trace DIR/<board>`",
    )
    parser.addini("smh_boards", type="args", default=[],
                  help="smh-boot: boards to run on (like --smh-board)")
    parser.addini("smh_overlays", type="args", default=[],
                  help="smh-boot: overlays for every boot, relative to the ini file")
    parser.addini("smh_build_dirs", type="args", default=[],
                  help="smh-boot: Zephyr build directories to run on, relative to the ini file")
    for name, many, _metavar, text in _TARGET_OPTIONS:
        key = _ini_key(name, many)
        parser.addini(key, type="args" if many else "string", default=[] if many else "",
                      help=f"smh-boot: like --smh-{name}" + (", relative to the ini file"
                                                              if name in _PATH_OPTIONS else ""))
    parser.addini("smh_seed", default="0", help="smh-boot: boot seed (like --smh-seed)")
    parser.addini("smh_stress", type="bool", default=False,
                  help="smh-boot: stress modes for every boot (like --smh-stress)")
    parser.addini("smh_artifacts", default="smh-artifacts",
                  help="smh-boot: artifact folder, relative to the rootdir")


#: the commands' target flags as plugin options: (name, repeatable, metavar, help)
_TARGET_OPTIONS = (
    ("zephyr-base", False, "DIR", "Zephyr tree for board targets (default: $ZEPHYR_BASE)"),
    ("board-root", True, "DIR", "extra board folder: board YAML files, or a Zephyr BOARD_ROOT "
                                "(repeatable)"),
    ("module", True, "DIR", "a Zephyr module folder: a DTS root and board root (repeatable)"),
    ("app", False, "DIR", "a Zephyr application folder: a DTS root, its overlays and prj.conf "
                          "taken as Zephyr takes them"),
    ("shield", True, "NAME", "a Zephyr shield from the board roots: its overlays and .conf "
                             "fragments (repeatable, in order)"),
    ("include-dir", True, "DIR", "include folder for #include in a .dts (repeatable)"),
    ("arch", False, "ARCH", "override the inferred architecture"),
    ("isa", False, "ISA", "override the inferred ISA, e.g. armv7e-m"),
    ("ptr-size", False, "4|8", "override the inferred pointer size (bytes)"),
    ("dcache", False, "none|LINE:SIZE:WAYS", "override the inferred data cache"),
)
#: options that name folders (relative to the current folder, or the ini file for ini keys)
_PATH_OPTIONS = ("zephyr-base", "board-root", "module", "app", "include-dir")


def _ini_key(name: str, many: bool) -> str:
    """``board-root`` -> ``smh_board_roots`` (repeatable options have plural ini keys)."""
    return "smh_" + name.replace("-", "_") + ("s" if many else "")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "smh_board(*names): run this test only on these boards (smh-boot)")
    config.addinivalue_line(
        "markers", "smh_overlay(*paths): apply these devicetree overlays, relative to the "
                   "test file (smh-boot)")
    config.addinivalue_line(
        "markers", "smh_stress(seeds=N): run this test under N cache stress seeds (smh-boot)")
    config.stash[_SETTINGS] = _read_settings(config)


def _read_settings(config: pytest.Config) -> SmhSettings:
    opt = config.option
    inv = Path(config.invocation_params.dir)
    ini_dir = Path(config.inipath).parent if config.inipath else Path(config.rootpath)

    cli_boards = list(getattr(opt, "smh_board", None) or [])
    ini_boards = list(config.getini("smh_boards") or [])
    boards = cli_boards or ini_boards

    seed_opt = getattr(opt, "smh_seed", None)
    if seed_opt is not None:
        seed, explicit_seed = seed_opt, True
    else:
        raw = str(config.getini("smh_seed") or "0").strip()
        try:
            seed = int(raw, 0)
        except ValueError:
            raise pytest.UsageError(f"smh_seed = {raw!r} in {config.inipath}: expected an integer")
        explicit_seed = False

    stress_opt = getattr(opt, "smh_stress", None)
    stress = bool(stress_opt) if stress_opt is not None else bool(config.getini("smh_stress"))

    overlays = [_resolve(inv, p) for p in (getattr(opt, "smh_overlay", None) or [])]
    overlays += [_resolve(ini_dir, p) for p in (config.getini("smh_overlays") or [])]
    for p in overlays:
        if not p.is_file():
            raise pytest.UsageError(f"smh-boot overlay not found: {p} (from --smh-overlay / "
                                    f"smh_overlays; relative paths start at the current folder "
                                    f"for the option and at the ini file for the setting)")

    art_opt = getattr(opt, "smh_artifacts", None)
    if art_opt:
        artifacts = _resolve(inv, art_opt)
    else:
        artifacts = _resolve(Path(config.rootpath), config.getini("smh_artifacts") or "smh-artifacts")

    build_dirs = [str(_resolve(inv, p)) for p in (getattr(opt, "smh_build_dir", None) or [])]
    build_dirs = build_dirs or [str(_resolve(ini_dir, p)) for p in (config.getini("smh_build_dirs") or [])]
    for b in build_dirs:
        if not Path(b).is_dir():
            raise pytest.UsageError(f"--smh-build-dir / smh_build_dirs: no such folder {b} "
                                    "(relative paths start at the current folder for the option "
                                    "and at the ini file for the setting)")
    targets = _target_options(config, inv, ini_dir)

    settings = SmhSettings(
        requested_boards=[*boards, *build_dirs],
        explicit_boards=bool(boards or build_dirs),
        seed=seed,
        explicit_seed=explicit_seed,
        stress=stress,
        overlays=overlays,
        artifacts=artifacts,
        targets=targets,
        build_dirs=build_dirs,
    )
    if boards or build_dirs or targets.any():
        # Check every named board now, so a typo is one usage error, not a failure per test
        # (and the header can say what each board is and what could not be inferred).
        from .testing.selection import SelectionError
        from .testing.targets import error_text

        try:
            selected = settings.selected_boards()
        except SelectionError as e:
            raise pytest.UsageError(f"--smh-board: {e}") from None
        for entry in selected:
            if entry in build_dirs or entry not in settings.known_boards() or targets.any():
                opt_name = "--smh-build-dir" if entry in build_dirs else "--smh-board"
                try:
                    settings.resolve(entry)
                except SmhError as e:  # the resolver's located message, flags as options
                    raise pytest.UsageError(f"{opt_name}: {error_text(e)}") from None
    return settings


def _target_options(config: pytest.Config, inv: Path, ini_dir: Path) -> "TargetOptions":
    """The target options: each option replaces its ini setting; folders are made absolute
    (options from the current folder, ini settings from the ini file's)."""
    from .testing.targets import TargetOptions

    values: dict[str, Any] = {}
    for name, many, _metavar, _text in _TARGET_OPTIONS:
        dest = name.replace("-", "_")
        cli = getattr(config.option, f"smh_{dest}", None)
        if many:
            raw, base = (list(cli), inv) if cli else (list(config.getini(_ini_key(name, many)) or []), ini_dir)
        else:
            ini = str(config.getini(_ini_key(name, many)) or "").strip()
            raw, base = (cli, inv) if cli is not None else ((ini or None), ini_dir)
        if name in _PATH_OPTIONS and raw:
            paths = [str(_resolve(base, p)) for p in (raw if many else [raw])]
            for p in paths:
                if not Path(p).is_dir():
                    raise pytest.UsageError(
                        f"--smh-{name} / {_ini_key(name, many)}: no such folder {p} (relative "
                        "paths start at the current folder for the option and at the ini file "
                        "for the setting)")
            raw = paths if many else paths[0]
        values[dest + ("s" if many else "")] = tuple(raw) if many else raw
    arch = values.get("arch")
    if arch is not None:
        from .board import ARCHES

        if arch.lower() not in ARCHES:
            raise pytest.UsageError(f"--smh-arch / smh_arch: unknown architecture {arch!r}; one "
                                    f"of {', '.join(ARCHES)}")
        values["arch"] = arch.lower()
    ptr = values.get("ptr_size")
    if ptr is not None:
        if str(ptr) not in ("4", "8"):
            raise pytest.UsageError(f"--smh-ptr-size / smh_ptr_size: {ptr!r} is not a pointer "
                                    "size; 4 or 8 (bytes)")
        values["ptr_size"] = int(ptr)
    dcache = values.get("dcache")
    if dcache is not None:
        from .infer import parse_dcache

        try:
            parse_dcache(dcache)
        except SmhError as e:
            from .testing.targets import plugin_words

            raise pytest.UsageError(f"--smh-dcache / smh_dcache: {plugin_words(str(e))}") from None
    return TargetOptions(**values)


def _resolve(base: Path, p: str | Path) -> Path:
    p = Path(p).expanduser()
    return p if p.is_absolute() else (base / p)


def pytest_report_header(config: pytest.Config) -> list[str] | None:
    s = _settings(config)
    targets = s.targets
    if not (s.explicit_boards or s.explicit_seed or s.stress or s.overlays
            or (targets is not None and targets.any())):
        return None
    from .testing.targets import board_id, plugin_words

    boards = (", ".join(board_id(b) for b in s.selected_boards()) if s.explicit_boards
              else "default board")
    line = f"smh-boot: boards {boards}; seed {s.seed}; stress {'on' if s.stress else 'off'}"
    if s.overlays:
        line += "; overlays " + ", ".join(str(p) for p in s.overlays)
    lines = [line]
    # Every board that is not a plain board file: what it is, how it was inferred (with -v),
    # and what could not be inferred, never in silence.
    verbose = config.get_verbosity() > 0
    for entry in (s.selected_boards() if s.explicit_boards else []):
        r = s.resolve(entry)
        b = r.board
        if r.kind != "board" or verbose:
            lines.append(f"smh-boot: {board_id(entry)}: {_kind_text(r)}: {b.cpu} ({b.arch}, "
                         f"{b.isa}), {8 * b.ptr_size}-bit pointers, "
                         + (f"d-cache {b.cache.describe()}" if b.cache else "no data cache"))
        if verbose:
            lines += [f"smh-boot:   inferred: {n}" for n in b.notes]
        lines += [f"smh-boot:   warning: {plugin_words(w)}" for w in b.warnings]
    return lines


def _kind_text(r: Any) -> str:
    from .resolve import shown

    b = r.board
    return {"build": f"build directory {shown(b.path)}",
            "zephyr": f"Zephyr board target, {shown(b.path)}",
            "dts": f"devicetree {shown(b.dts_path)}"}.get(r.kind, f"board file {shown(b.path)}")


# --------------------------------------------------------------------------- parametrisation


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    names = metafunc.fixturenames
    if "smh_board" not in names and "smh_seed" not in names:
        return
    from .testing.selection import (
        SelectionError,
        boards_for_test,
        check_pinned,
        restricts_pins,
        seeds_for_test,
        stress_seed_count,
    )

    s = _settings(metafunc.config)
    definition = metafunc.definition
    try:
        if "smh_board" in names and not _user_parametrized(definition, "smh_board"):
            pin = definition.get_closest_marker("smh_board")
            pinned = None
            if pin is not None:
                pinned = _pins(pin.args, Path(str(definition.path)).parent)
                check_pinned(pinned, s.known_boards(), other=lambda _name: True)
                for p in pinned:
                    if p not in s.known_boards() and _bare_name(p):
                        _resolve_pin(s, p)  # paths and targets fail at setup, per test
            from .testing.targets import board_id, same_board

            choices = boards_for_test(s.selected_boards(), restricts_pins(s.requested_boards),
                                      pinned, same=same_board)
            params = [
                pytest.param(c.board, id=board_id(c.board),
                             marks=[pytest.mark.skip(reason=c.skip)] if c.skip else [])
                for c in choices
            ]
            metafunc.parametrize("smh_board", params, indirect=True)
        stress = definition.get_closest_marker("smh_stress")
        if stress is not None:
            if "smh_seed" not in names:
                raise SelectionError(
                    "@pytest.mark.smh_stress needs a booted system: use the smh_system, "
                    "smh_boot_factory or smh_seed fixture in this test")
            if not _user_parametrized(definition, "smh_seed"):
                n = stress_seed_count(stress.args, dict(stress.kwargs))
                seeds = seeds_for_test(s.seed, s.explicit_seed, n)
                metafunc.parametrize("smh_seed", seeds, indirect=True,
                                     ids=[f"seed{x}" for x in seeds])
    except (SelectionError, SmhError) as e:
        # SmhError: a board file that does not load; its message names the file and line.
        failure = f"{definition.nodeid}: {e}"
    else:
        return
    pytest.fail(failure, pytrace=False)  # outside the except: no "during handling" chain


def _pins(args: Sequence[Any], base: Path) -> list[str]:
    """The boards of an ``smh_board`` marker: a path (board YAML, ``.dts``, build directory) is
    relative to the test file; a board name or Zephyr board target stays as written."""
    out = []
    for a in args:
        a = str(a)
        p = _resolve(base, a)
        out.append(str(p) if a.endswith((".yaml", ".yml", ".dts")) or p.is_dir() else a)
    return out


def _bare_name(pin: str) -> bool:
    """A pin that is a plain name (a board name, a Zephyr board without qualifiers), not a
    path or a board target with qualifiers or a revision."""
    return not any(c in pin for c in "/\\@") and not pin.endswith((".yaml", ".yml", ".dts"))


def _resolve_pin(s: SmhSettings, pin: str) -> None:
    """Resolve a pinned board now: a pin to a board that does not exist is an error of the
    test (``@pytest.mark.smh_board: <what the resolver says>``)."""
    from .testing.selection import SelectionError
    from .testing.targets import error_text

    try:
        s.resolve(pin)
    except SmhError as e:
        raise SelectionError(f"@pytest.mark.smh_board: {error_text(e)}") from None


def _user_parametrized(definition: Any, name: str) -> bool:
    """True when the test parametrises ``name`` itself (then the plugin leaves it alone)."""
    for m in definition.iter_markers("parametrize"):
        argnames = m.args[0] if m.args else m.kwargs.get("argnames", "")
        if isinstance(argnames, str):
            argnames = [a.strip() for a in argnames.split(",")]
        if name in argnames:
            return True
    return False


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def smh_seed(request: pytest.FixtureRequest) -> int:
    """The boot seed of this test: the ``smh_stress`` parameter, else ``--smh-seed`` (0)."""
    param = getattr(request, "param", None)
    return int(param) if param is not None else _settings(request.config).seed


@pytest.fixture
def smh_board(request: pytest.FixtureRequest) -> Any:
    """The :class:`~smh_boot.board.Board` this test instance runs on (parametrised over the
    selected boards, or the boards of an ``smh_board`` marker)."""
    s = _settings(request.config)
    name = getattr(request, "param", None) or s.selected_boards()[0]
    try:
        return s.load_board(name)
    except SmhError as e:  # a board of the project's own that does not load
        from .testing.targets import plugin_words

        pytest.fail(f"{type(e).__name__}: {plugin_words(str(e))}", pytrace=False)


@pytest.fixture
def smh_overlays(request: pytest.FixtureRequest) -> list[Path]:
    """Overlays for this test's boots: ``--smh-overlay``/``smh_overlays`` first, then every
    ``smh_overlay`` marker (module and class markers before the function's own)."""
    s = _settings(request.config)
    base = Path(request.node.path).parent
    out = list(s.overlays)
    for m in reversed(list(request.node.iter_markers("smh_overlay"))):
        if not m.args:
            pytest.fail("@pytest.mark.smh_overlay() needs at least one path", pytrace=False)
        for a in m.args:
            p = _resolve(base, a)
            if not p.is_file():
                pytest.fail(f"@pytest.mark.smh_overlay: no such file {p} (paths are relative to "
                            f"the test file's folder)", pytrace=False)
            if p not in out:
                out.append(p)
    return out


@pytest.fixture
def smh_boot_factory(request: pytest.FixtureRequest, smh_seed: int,
                     smh_overlays: list[Path]) -> Callable[..., Any]:
    """Boot boards on demand: ``smh_boot_factory(board=None, overlays=None, drivers=True,
    *, seed=None, stress=None, strict=True, include_dirs=())``.

    ``board``: name, YAML path or Board (None: the test's board: its ``smh_board`` parameter,
    else the first board of its ``smh_board`` marker, else the first selected board).  ``overlays``: None means
    this test's overlays (options + markers); a sequence replaces them (relative paths start at
    the test file's folder).  ``seed``/``stress`` default to the test's.  Every system booted
    here is fresh, records its allocation trace, and appears in the failure report."""
    s = _settings(request.config)
    node = request.node
    records = node.stash.setdefault(_RECORDS, [])
    base = Path(node.path).parent
    test_stress = s.stress or node.get_closest_marker("smh_stress") is not None
    test_board = _test_board(request, s)

    def factory(board: Any = None, overlays: Sequence[str | Path] | None = None,
                drivers: Any = True, *, seed: int | None = None, stress: bool | None = None,
                strict: bool = True, include_dirs: Sequence[str | Path] = ()) -> Any:
        from .bootstage import boot
        from .testing.artifacts import BootRecord
        from .testing.trace_recorder import TraceRecorder

        if board is None:
            board = test_board
        ovl = list(smh_overlays) if overlays is None else [_resolve(base, o) for o in overlays]
        inc = [_resolve(base, d) for d in include_dirs]
        rec = BootRecord(
            board=_board_name(board, s),
            seed=smh_seed if seed is None else seed,
            stress=test_stress if stress is None else stress,
            overlays=tuple(str(p) for p in ovl),
        )
        records.append(rec)

        def hook(pool: Any) -> Any:
            rec.recorder = TraceRecorder(pool)
            return rec.recorder

        try:
            if isinstance(board, (str, Path)):
                # the commands' resolver, cached while its files are unchanged
                board, ovl, inc, loader = _prepare(s, str(board), ovl, inc, strict, rec)
            else:
                loader = None
            system = boot(board, overlays=ovl, drivers=drivers, strict=strict, seed=rec.seed,
                          stress=rec.stress, include_dirs=inc, pool_hook=hook,
                          **({"dt_loader": loader} if loader else s.boot_kwargs()))
        except BaseException as e:
            rec.error = e
            raise
        _ensure_checker(system)
        rec.system = system
        _warn_inference(node, system)
        if system.coherency_errors:
            # A driver whose init() breaks the cache rules fails the test with the report
            # (the boot itself went on: the failure report's boot log shows every device).
            raise system.coherency_errors[0]
        return system

    return factory


def _prepare(s: SmhSettings, entry: str, ovl: list[Path], inc: list[Path], strict: bool,
             rec: Any) -> tuple[Any, list[Path], list[Path], Callable[..., Any] | None]:
    """(board, overlays and include folders boot still applies, devicetree loader) for a
    board entry, resolved as the commands resolve their argument: the overlays go to the
    resolver (a Zephyr target's application folder is the first one's), except for a build
    directory, whose final ``zephyr.dts`` gets them on top (the log says so)."""
    from .errors import InputError
    from .resolve import on_top_of_build
    from .testing.targets import is_build_dir, plugin_words

    build = entry in s.build_dirs or is_build_dir(entry)
    r = s.resolve(entry, () if build else ovl, () if build else inc)
    rec.board = r.board.name  # the board's own name (the active revision, the YAML's name:)
    rec.selection = tuple(_selection_args(s, entry))
    rec.warnings = tuple(plugin_words(w) for w in r.board.warnings)
    if strict and r.guesses:
        raise InputError(
            "refusing to go on with what smh-boot had to guess (strict=True):\n  "
            + "\n  ".join(plugin_words(g) for g in r.guesses), file=str(r.board.path),
            hint="pass the options named above (or their ini settings), or boot with "
            "smh_boot_factory(..., strict=False) to go on with the warnings")
    b = r.board
    cache = s.dt_cache()
    if r.devicetree is not None:
        # the resolver parsed the tree to infer the platform: the cache serves it from now on
        cache.seed(b.dts_path, b.overlay_paths, b.include_dirs, r.devicetree)
    loader = cache.load if "dt_loader" in s.boot_kwargs() else None
    if build and (ovl or inc or (s.targets and s.targets.include_dirs)):
        inc = [*(Path(d) for d in (s.targets.include_dirs if s.targets else ())), *inc]
        return on_top_of_build(b, ovl), ovl, inc, loader
    return b, [], [], loader


def _selection_args(s: SmhSettings, entry: str) -> list[str]:
    """The options that make ``entry`` a board of the run again (for the reproduce line)."""
    from .testing.targets import TargetOptions, _shown

    args: list[str] = []
    if entry != s.default_board():
        from .testing.targets import is_build_dir

        args += ["--smh-build-dir" if entry in s.build_dirs or is_build_dir(entry) else "--smh-board",
                 _shown(entry)]
    return args + (s.targets or TargetOptions()).command_line()


_WARNED = pytest.StashKey[set]()


def _warn_inference(node: pytest.Item, system: Any) -> None:
    """Each of the board's inference warnings, once per test, as an ``InferenceWarning`` at
    the test (pytest's warnings summary lists them; ``-W error::smh_boot.InferenceWarning``
    makes them failures)."""
    from .errors import InferenceWarning
    from .testing.targets import plugin_words

    seen = node.stash.setdefault(_WARNED, set())
    name = getattr(system.board, "name", "?")
    for w in getattr(system, "warnings", ()):
        text = f"{name}: {plugin_words(w)}"
        if text not in seen:
            seen.add(text)
            try:
                node.warn(InferenceWarning(text))
            except InferenceWarning as e:  # -W error::smh_boot.InferenceWarning
                failure = f"InferenceWarning (an error in this run): {e}"
                break
    else:
        return
    pytest.fail(failure, pytrace=False)


@pytest.fixture
def smh_system(request: pytest.FixtureRequest, smh_boot_factory: Callable[..., Any],
               smh_board: Any) -> Any:
    """A freshly booted :class:`~smh_boot.bootstage.System` of ``smh_board`` (never shared
    between tests)."""
    # Boot the board entry (not the Board made from it), so the test's overlays reach the
    # resolver as the commands' --overlay does; a Board a test passed in itself is booted as is.
    callspec = getattr(request.node, "callspec", None)
    entry = callspec.params.get("smh_board") if callspec is not None else None
    if isinstance(smh_board, str):
        return smh_boot_factory(smh_board)
    if isinstance(entry, str) and _settings(request.config).load_board(entry) is smh_board:
        return smh_boot_factory(entry)
    return smh_boot_factory(smh_board)


@pytest.fixture
def smh_pool(smh_system: Any) -> Any:
    """The booted system's SharedMultiHeap (recording its allocation trace)."""
    return smh_system.pool


@pytest.fixture
def smh_memsys(smh_system: Any) -> Any:
    """The booted system's MemorySystem: ``.cpu`` and ``.dma`` views, the ``sys_cache_*``
    maintenance calls; ``.memory`` is the raw address space."""
    return smh_system.memsys


@pytest.fixture
def smh_memory(smh_system: Any) -> Any:
    """Deprecated name of :func:`smh_memsys` (``memory`` is the raw AddressSpace elsewhere:
    ``system.memory``, ``memsys.memory``)."""
    import warnings

    warnings.warn("the smh_memory fixture is deprecated: use smh_memsys (the MemorySystem; "
                  "'memory' names the raw address space, as in system.memory)",
                  DeprecationWarning, stacklevel=2)
    return smh_system.memsys


@pytest.fixture
def smh_cache(smh_system: Any) -> Any:
    """The booted system's DataCache (None on a board without a data cache)."""
    return smh_system.cache


@pytest.fixture
def smh_dma(smh_system: Any) -> Any:
    """The booted system's DmaEngine."""
    return smh_system.dma


def _test_board(request: pytest.FixtureRequest, s: SmhSettings) -> str:
    """The board a test runs on: its ``smh_board`` parameter, else the first board of its
    ``smh_board`` marker, else the first selected board."""
    callspec = getattr(request.node, "callspec", None)
    if callspec is not None and "smh_board" in callspec.params:
        return str(callspec.params["smh_board"])
    pin = request.node.get_closest_marker("smh_board")
    if pin is not None and pin.args:
        return _pins(pin.args[:1], Path(request.node.path).parent)[0]
    return s.selected_boards()[0]


def _board_name(board: Any, s: SmhSettings) -> str:
    if board is None:
        return s.default_board()
    name = getattr(board, "name", None)
    if name:
        return str(name)
    from .testing.targets import board_id

    return board_id(str(board))


def _ensure_checker(system: Any) -> None:
    """Give the system a coherency checker when boot did not: a test harness must catch cache
    maintenance bugs, so findings raise by default."""
    memsys = getattr(system, "memsys", None)
    if memsys is None or getattr(memsys, "checker", "absent") is not None:
        return
    from .memory import CoherencyChecker

    checker = CoherencyChecker()
    checker.bind(memsys)
    memsys.checker = checker


# --------------------------------------------------------------------------- failure reports

#: Frames in these folders are smh-boot's own machinery; a failing driver test does not show
#: them (the shipped drivers stay visible: they are driver code like the user's).
_PKG_DIR = str(Path(__file__).resolve().parent)
_SHOWN_DIRS = (str(Path(_PKG_DIR) / "drivers"),)


def _internal(code: types.CodeType) -> bool:
    f = str(Path(code.co_filename).resolve()) if not code.co_filename.startswith("<") else ""
    return f.startswith(_PKG_DIR) and not f.startswith(_SHOWN_DIRS)


def _hide_internal_frames(exc: BaseException) -> None:
    """Drop smh-boot's internal frames from ``exc``'s traceback, so pytest shows the test and
    driver lines down to the call that failed, then the error (the coherency report)."""
    kept = []
    tb = exc.__traceback__
    while tb is not None:
        if not _internal(tb.tb_frame.f_code):
            kept.append(tb)
        tb = tb.tb_next
    if not kept:
        return
    new = None
    for t in reversed(kept):
        new = types.TracebackType(new, t.tb_frame, t.tb_lasti, t.tb_lineno)
    exc.__traceback__ = new


def _hiding(item: pytest.Item):
    """Wrapper body for the runtest phases: smh-boot errors lose the internal frames
    (not with ``--full-trace``)."""
    try:
        return (yield)
    except SmhError as e:
        if item.stash.get(_RECORDS, None) and not item.config.getoption("fulltrace", False):
            _hide_internal_frames(e)
        raise


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Any:
    return (yield from _hiding(item))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    return (yield from _hiding(item))



@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    outcome = yield
    records = item.stash.get(_RECORDS, None)
    if not records:
        return
    rep = outcome.get_result()
    try:
        if rep.failed:
            _report_failure(item, rep, call, records)
        if rep.when == "teardown" and getattr(item.config.option, "smh_record", None):
            _record(item, records)
    finally:
        if rep.when == "teardown":
            # Systems hold emulated memory: release them as soon as the test is over.
            item.stash[_RECORDS] = []


def _record(item: pytest.Item, records: "list[BootRecord]") -> None:
    from .testing.record_dir import record_traces

    out = _resolve(Path(item.config.invocation_params.dir), item.config.option.smh_record)
    try:
        record_traces(out, item.nodeid, records)
    except OSError as e:
        item.warn(pytest.PytestWarning(f"smh-boot: could not record the allocation trace: {e}"))


def pytest_sessionfinish(session: pytest.Session) -> None:
    """With --smh-record: one index.json per board folder (on the xdist controller, or the
    only process), so `smh-boot fit --trace DIR/<board>` sees every test's trace."""
    config = session.config
    rec_dir = getattr(config.option, "smh_record", None)
    if not rec_dir or hasattr(config, "workerinput"):
        return
    from .testing.record_dir import write_indexes

    write_indexes(_resolve(Path(config.invocation_params.dir), rec_dir))


def _report_failure(item: pytest.Item, rep: pytest.TestReport, call: pytest.CallInfo,
                    records: "list[BootRecord]") -> None:
    from .testing.artifacts import artifact_folder, failure_summary, write_artifacts

    s = _settings(item.config)
    exc = call.excinfo.value if call.excinfo is not None else None
    if exc is not None and any(r.error is exc for r in records) and isinstance(exc, _INPUT_ERRORS):
        # Bad input (board, devicetree, overlay, layout): the message names the file, line and
        # what to do; a traceback through the boot stage would only bury it.
        from .testing.targets import plugin_words

        rep.longrepr = f"{type(exc).__name__}: {plugin_words(str(exc))}"
    longrepr = str(rep.longrepr) if rep.longrepr is not None else None
    folder: Path | None = None
    try:
        # One folder per test id, emptied of an earlier run's files, never a symlink's target.
        folder = artifact_folder(s.artifacts, item.nodeid, fresh=rep.when != "teardown")
        write_artifacts(folder, records, exc, item.nodeid, longrepr)
    except OSError as e:
        folder = None
        rep.sections.append(("smh-boot", f"could not write artifacts: {e}"))
    summary = failure_summary(records, exc, item.nodeid, folder, shown=longrepr or "")
    title = f"smh-boot: {records[0].board}, seed {records[0].seed}"
    rep.sections.append((title, summary))
    if folder is not None:
        # On the item too: later reports of this test (teardown, which junitxml reads) copy it.
        prop = ("smh_artifacts", str(folder))
        rep.user_properties.append(prop)
        if prop not in item.user_properties:
            item.user_properties.append(prop)
