"""Read a Kconfig ``.config`` (or a board's ``_defconfig``) into typed values.

The format written by Kconfiglib: one ``CONFIG_NAME=value`` per line, where value is ``y``,
``n``, ``m``, a double-quoted string with ``\\"`` and ``\\\\`` escapes, a decimal or a ``0x``
hex integer; ``# CONFIG_NAME is not set`` records an unset bool; other ``#`` lines and blank
lines are comments.  Any other line is an error naming the file and the line, so a damaged
``.config`` is never half read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError

_ASSIGN_RE = re.compile(r"^(CONFIG_[A-Za-z0-9_]+)=(.*)$")
_UNSET_RE = re.compile(r"^#\s*(CONFIG_[A-Za-z0-9_]+) is not set\s*$")


@dataclass
class KconfigValues:
    """Symbols of one ``.config`` (or of several fragments merged): ``values`` maps
    ``CONFIG_X`` to ``True``/``False`` (y/n), ``"m"``, a ``str`` or an ``int``; ``lines`` maps
    it to its line; ``path`` is the file (the last fragment of a merge); ``files`` maps a
    symbol to the fragment that set it last when fragments were merged (else ``path``)."""

    path: Path | None = None
    values: dict[str, bool | int | str] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)
    #: the fragments merged into this view, in merge order (just ``path`` for one file)
    sources: tuple[Path, ...] = ()

    def __contains__(self, name: str) -> bool:
        return _full(name) in self.values

    def get(self, name: str, default=None):
        """The raw value of ``name`` (with or without the ``CONFIG_`` prefix)."""
        return self.values.get(_full(name), default)

    def enabled(self, name: str) -> bool:
        """True when ``name`` is ``y`` (an unset or absent bool is False)."""
        return self.values.get(_full(name)) is True

    def is_set(self, name: str) -> bool | None:
        """True (``=y``), False (``=n`` or ``is not set``) or None (not mentioned at all)."""
        v = self.values.get(_full(name))
        if v is None:
            return None
        return v is True

    def string(self, name: str) -> str | None:
        """A string symbol's value, or None."""
        v = self.values.get(_full(name))
        return v if isinstance(v, str) and v not in ("m",) else None

    def integer(self, name: str) -> int | None:
        """An int/hex symbol's value, or None."""
        v = self.values.get(_full(name))
        return v if isinstance(v, int) and not isinstance(v, bool) else None

    def file_of(self, name: str) -> Path | None:
        """The file that set ``name`` (the fragment, when fragments were merged)."""
        return self.files.get(_full(name), self.path)

    def where(self, name: str) -> str:
        """``path:line`` of a symbol (for messages), or the path alone."""
        line = self.lines.get(_full(name))
        f = self.file_of(name)
        return f"{f}:{line}" if line else str(f)

    def location(self, name: str) -> tuple[str | None, int | None]:
        """(file, line) of a symbol, for an InputError."""
        f = self.file_of(name)
        return (str(f) if f else None), self.lines.get(_full(name))

    def merged(self, other: "KconfigValues") -> "KconfigValues":
        """``self`` with ``other``'s symbols on top (a later fragment wins, as when Kconfig
        reads fragments in order); every symbol keeps the file and line that set it."""
        mine = {k: self.file_of(k) for k in self.values if self.file_of(k) is not None}
        theirs = {k: other.file_of(k) for k in other.values if other.file_of(k) is not None}
        return KconfigValues(other.path or self.path, {**self.values, **other.values},
                             {**self.lines, **other.lines}, {**mine, **theirs},
                             (*(self.sources or _one(self.path)), *(other.sources or _one(other.path))))


def _one(path: Path | None) -> tuple[Path, ...]:
    return (path,) if path is not None else ()


def merge_fragments(paths: "list[str | Path]") -> KconfigValues | None:
    """The Kconfig view of several fragments read in order (a board's ``_defconfig``, a
    revision's, the application's ``prj.conf``, each shield's ``.conf``...): a symbol set in
    a later fragment wins, as Zephyr's ``kconfig.py`` applies them; each symbol remembers its
    file and line.  None for no fragments.  This is an assignment view, not Kconfig: symbol
    dependencies and defaults are not evaluated."""
    out: KconfigValues | None = None
    for p in paths:
        cfg = parse_kconfig(p)
        out = cfg if out is None else out.merged(cfg)
    return out


def _full(name: str) -> str:
    return name if name.startswith("CONFIG_") else f"CONFIG_{name}"


def _value(raw: str, path: str, lineno: int, name: str) -> bool | int | str:
    raw = raw.strip()
    if raw == "y":
        return True
    if raw == "n":
        return False
    if raw == "m":
        return "m"
    if raw.startswith('"'):
        if len(raw) < 2 or not raw.endswith('"') or raw.endswith('\\"') and not raw.endswith('\\\\"'):
            raise InputError(f"{name}: unterminated string", path, lineno,
                             hint='strings are written as CONFIG_X="text"')
        body = raw[1:-1]
        return re.sub(r"\\(.)", r"\1", body)
    try:
        return int(raw, 0)
    except ValueError:
        raise InputError(
            f"{name}: cannot read the value {raw!r}", path, lineno,
            hint='a .config value is y, n, m, a "quoted string", a decimal or a 0x hex number',
        ) from None


def parse_kconfig_text(text: str, path: str = "<.config>") -> KconfigValues:
    """Parse ``.config`` text; InputError (file, line) on a line that is not Kconfig."""
    out = KconfigValues(Path(path), sources=(Path(path),))
    for lineno, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped:
            continue
        m = _UNSET_RE.match(stripped)
        if m:
            out.values[m[1]] = False
            out.lines[m[1]] = lineno
            continue
        if stripped.startswith("#"):
            continue
        m = _ASSIGN_RE.match(stripped)
        if m is None:
            raise InputError(
                f"not a Kconfig line: {stripped[:60]!r}", path, lineno,
                hint="each line is CONFIG_NAME=value or a # comment; is this a .config "
                "written by Kconfig?",
            )
        out.values[m[1]] = _value(m[2], path, lineno, m[1])
        out.lines[m[1]] = lineno
    return out


def parse_kconfig(path: str | Path) -> KconfigValues:
    """Read a ``.config`` file; InputError when it cannot be read or a line is malformed."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError("not a text file (not UTF-8)", str(p),
                         hint="a Kconfig .config is plain text") from None
    except OSError as e:
        raise InputError(f"cannot read the Kconfig file: {e.strerror or e}", str(p),
                         hint="check the path and its permissions") from e
    return parse_kconfig_text(text, str(p))
