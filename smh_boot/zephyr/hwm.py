"""Zephyr's hardware model v2: find a board and resolve a board target.

Facts carried over from Zephyr (``boards/<vendor>/<board>/board.yml``, ``soc/**/soc.yml``,
``cmake/modules/dts.cmake``):

* ``board.yml`` holds ``board:`` (one board) or ``boards:`` (a list); each has ``name``,
  optional ``full_name``, ``vendor``, ``revision`` (``format``, ``default``, ``revisions``:
  list of ``name``) and ``socs``: a list of ``name`` with optional ``variants`` (``name``,
  optional ``cpucluster``, nested ``variants``).
* ``soc.yml`` lists ``family`` -> ``series`` -> ``socs`` (or ``socs`` at the top), each SoC with
  optional ``cpuclusters`` (list of ``name``).
* A board target is ``board[@revision][/soc[/cpucluster][/variant]]``; a board with one SoC may
  leave it out (``board//cpucluster``).  Its normalised form joins board and qualifiers with
  ``_`` (``stm32h747i_disco_stm32h747xx_m7``); a single-SoC board may also drop the SoC
  (``qemu_cortex_a53``).  The devicetree is ``<normalised>.dts`` in the board folder, the
  twister metadata ``<normalised>.yaml``, the Kconfig defaults ``<normalised>_defconfig``, a
  revision's overlay ``<normalised>_<revision with . as _>.overlay``.
* Board roots are searched in order (``BOARD_ROOT`` entries, then modules, then ZEPHYR_BASE);
  the first board of that name wins.
* A ``board.yml`` entry with ``extend: <board>`` (instead of ``name``) adds ``variants`` (each
  ``name`` and the ``qualifier`` it hangs below, e.g. ``nrf5340/cpuapp``) to a board defined
  elsewhere, in any board root (``list_boards.py``); its folder joins the board's folders
  (``BOARD_DIRECTORIES``), where the target's ``.dts``, revision overlays and defconfigs are
  looked up.  Only the board's own folder is a DTS root (``pre_dt.cmake``).
* ``revision:`` has a ``format`` (``major.minor.patch``, ``letter``, ``number`` or ``custom``),
  a ``default``, ``exact`` and the ``revisions`` list.  ``board@REV`` is checked as
  ``board_check_revision`` (``cmake/modules/extensions.cmake``) checks it: written in the
  format (``1``, ``1.2`` mean ``1.0.0``, ``1.2.0``); a listed revision is used as it is; else
  the nearest lower listed revision is the active one, unless ``exact: true`` (then it is an
  error, as is a revision below every listed one).
* Configuration files a target uses are found as ``zephyr_file(CONF_FILES ...)`` finds them:
  for the names ``<board>_<qualifiers>`` then ``<board>_<qualifiers>_<revision>`` (``.`` as
  ``_``), each also without the SoC for a single-SoC board; both spellings in one folder is an
  error.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import BoardError

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_TARGET_RE = re.compile(r"^(?P<board>[A-Za-z0-9_.+-]+)(?:@(?P<rev>[A-Za-z0-9_.-]+))?(?P<quals>(?:/[A-Za-z0-9_.+-]*)*)$")


@dataclass(frozen=True)
class BoardTarget:
    """A parsed board target: ``board``, ``revision`` (or None), ``qualifiers`` as written
    (``("stm32h747xx", "m7")``; an empty first qualifier means "the board's only SoC")."""

    text: str
    board: str
    revision: str | None
    qualifiers: tuple[str, ...]


def parse_target(text: str) -> BoardTarget:
    """Split ``board[@rev][/soc[/cpucluster[/variant]]]``; BoardError when malformed."""
    m = _TARGET_RE.match(text.strip())
    quals = tuple(m["quals"].split("/")[1:]) if m and m["quals"] else ()
    if m is None or len(quals) > 3 or any(not q for q in quals[1:]) or (quals and not any(quals)):
        raise BoardError(
            f"{text!r} is not a board target",
            hint="write BOARD[@REVISION][/SOC[/CPUCLUSTER][/VARIANT]], e.g. "
            "stm32h747i_disco/stm32h747xx/m7 or qemu_cortex_a53",
        )
    return BoardTarget(text.strip(), m["board"], m["rev"], quals)


def _load_yaml(path: Path, what: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise BoardError(f"cannot read the {what}: {getattr(e, 'strerror', None) or e}", str(path)) from e
    try:
        return yaml.load(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        raise BoardError(f"YAML syntax error in the {what}: {e.problem or e.context}", str(path),
                         mark.line + 1 if mark else None, mark.column + 1 if mark else None,
                         hint="fix the YAML syntax (indentation, colons, quotes)") from e
    except yaml.YAMLError as e:
        raise BoardError(f"YAML error in the {what}: {e}", str(path)) from e


def _items(value: Any, what: str, path: Path) -> list[dict[str, Any]]:
    """``value`` as a list of mappings (None -> []); BoardError naming the key otherwise."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise BoardError(f"'{what}' must be a list of mappings (- name: ...)", str(path),
                         hint="see Zephyr's board porting guide for board.yml / soc.yml")
    return value



#: ``revision: format:`` values of board.yml
REVISION_FORMATS = ("major.minor.patch", "letter", "number", "custom")
_REV_SYNTAX = {
    "major.minor.patch": (re.compile(r"^(0|[1-9][0-9]*)(\.[0-9]+)?(\.[0-9]+)?$"),
                          "MAJOR.MINOR.PATCH, e.g. 1.0.0 (1 and 1.0 mean 1.0.0)"),
    "letter": (re.compile(r"^[A-Z]$"), "one capital letter, A to Z"),
    "number": (re.compile(r"^[0-9]+$"), "a whole number"),
}


def normalize_revision(fmt: str, text: str) -> str | None:
    """``text`` in ``fmt``'s canonical spelling (``1.2`` -> ``1.2.0``), or None when it is not
    written in that format (``custom`` takes anything)."""
    if fmt == "custom":
        return text
    rx, _ = _REV_SYNTAX[fmt]
    m = rx.match(text)
    if m is None:
        return None
    if fmt == "major.minor.patch":
        return ".".join([m[1], (m[2] or ".0")[1:], (m[3] or ".0")[1:]])
    return text


def _rev_key(fmt: str, text: str) -> Any:
    if fmt == "major.minor.patch":
        return tuple(int(x) for x in text.split("."))
    if fmt == "number":
        return int(text)
    return text


def pick_revision(fmt: str, requested: str, revisions: list[str], exact: bool) -> str | None:
    """The active revision for ``requested`` (already normalised) among ``revisions``: itself
    when listed; else, unless ``exact``, the nearest lower listed one (compared as versions,
    numbers or letters by ``fmt``), spelled as board.yml lists it (its files are named after
    that spelling); None when there is none."""
    if requested in revisions:
        return requested
    if exact or fmt == "custom":
        return None
    want = _rev_key(fmt, requested)
    listed = [(_rev_key(fmt, n), x) for x in revisions
              if (n := normalize_revision(fmt, x)) is not None]
    # as board_check_revision: VERSION_GREATER_EQUAL for versions, strictly greater for
    # letters and numbers (so a number spelled "02" is not revision "2")
    lower = [(k, x) for k, x in listed
             if (k <= want if fmt == "major.minor.patch" else k < want)]
    return max(lower, key=lambda kx: kx[0])[1] if lower else None


def find_conf_files(folder: Path, names: list[tuple[str, str | None]], suffix: str,
                    where: str = "") -> list[Path]:
    """The files ``<name><suffix>`` that exist in ``folder`` for each ``(full, short)`` name
    pair, in order, as ``zephyr_file(CONF_FILES ...)`` lists them; BoardError when a folder
    holds both spellings of one name (Zephyr refuses that too)."""
    out: list[Path] = []
    for full, short in names:
        a = folder / f"{full}{suffix}"
        b = folder / f"{short}{suffix}" if short and short != full else None
        has_a, has_b = a.is_file(), b is not None and b.is_file()
        if has_a and has_b:
            raise BoardError(f"conflicting file names: both {a.name} and {b.name}"
                             + (f" ({where})" if where else ""), str(folder),
                             hint=f"keep one naming style; Zephyr recommends {a.name}")
        if has_a:
            out.append(a)
        elif has_b:
            out.append(b)
    return out


@dataclass
class BoardExtension:
    """A ``board.yml`` entry ``extend: <board>``: its folder and the variants it adds, as
    (qualifier tuple it hangs below, variant name, nested variant tails)."""

    board: str
    dir: Path
    yml: Path
    variants: list[tuple[tuple[str, ...], str, list[tuple[str, ...]]]]


@dataclass
class ZephyrBoard:
    """One hwmv2 board: ``name``, ``full_name``, ``vendor``, its folder ``dir``, the
    ``board.yml`` path, ``socs`` (list of dicts as written) and ``revision`` (dict or None)."""

    name: str
    full_name: str
    vendor: str
    dir: Path
    yml: Path
    socs: list[dict[str, Any]]
    revision: dict[str, Any] | None
    soc_clusters: dict[str, list[str]] = field(default_factory=dict)
    #: ``extend:`` entries of other board.yml files that add variants to this board
    extensions: list[BoardExtension] = field(default_factory=list)

    @property
    def dirs(self) -> list[Path]:
        """The board's folders (``BOARD_DIRECTORIES``): its own, then each extension's."""
        return [self.dir, *(e.dir for e in self.extensions if e.dir != self.dir)]

    # ------------------------------------------------------------------ targets

    def targets(self) -> list[tuple[str, ...]]:
        """Every valid qualifier tuple (soc, [cpucluster], [variant...]), in board.yml order."""
        out: list[tuple[str, ...]] = []
        for soc in self.socs:
            sname = str(soc.get("name", ""))
            clusters = self.soc_clusters.get(sname, [])
            variants = list(_variants(_items(soc.get("variants"), "variants", self.yml), self.yml))
            if clusters:
                for c in clusters:
                    out.append((sname, c))
                    out += [(sname, c, *v) for vc, v in variants if vc in (c, None)]
            else:
                out.append((sname,))
                out += [(sname, *v) for vc, v in variants if vc is None]
        for ext in self.extensions:
            for qual, name, tails in ext.variants:
                if qual not in out:
                    raise BoardError(
                        f"qualifiers {'/'.join(qual)!r} not found when extending board "
                        f"{self.name!r}", str(ext.yml),
                        hint="'qualifier' names an existing target of the board without the "
                        "board name: SOC, SOC/CPUCLUSTER or SOC[/CPUCLUSTER]/VARIANT; targets: "
                        + ", ".join("/".join(t) for t in out))
                new = [(*qual, name), *((*qual, name, *t) for t in tails)]
                for t in new:
                    if t in out:
                        raise BoardError(
                            f"variant {'/'.join(t[len(qual):])!r} of board {self.name!r} "
                            f"below {'/'.join(qual)!r} is defined more than once", str(ext.yml),
                            hint="rename the variant, or drop one of the definitions")
                out += new
        return out

    def target_names(self) -> list[str]:
        """The targets as users write them (``board/soc/cluster``)."""
        return ["/".join((self.name, *t)) for t in self.targets()]

    def revisions(self) -> tuple[str | None, list[str]]:
        """(default revision, known revisions) from ``revision:`` (None, [] without)."""
        r = self.revision or {}
        if not isinstance(r, dict):
            raise BoardError("'revision' must be a mapping (format, default, revisions)",
                             str(self.yml))
        names = [str(x.get("name")) for x in _items(r.get("revisions"), "revisions", self.yml)]
        default = r.get("default")
        return (str(default) if default is not None else None), names

    def revision_format(self) -> tuple[str, bool]:
        """(``revision: format``, ``exact``), checked as Zephyr's board schema checks them."""
        r = self.revision or {}
        self.revisions()  # shape first
        fmt = r.get("format")
        if fmt not in REVISION_FORMATS:
            raise BoardError(
                f"board {self.name!r}: revision format {fmt!r} is not one of "
                + ", ".join(REVISION_FORMATS), str(self.yml),
                hint="board.yml's revision: needs format: major.minor.patch, letter, number or custom")
        exact = r.get("exact", False)
        if not isinstance(exact, bool):
            raise BoardError(f"board {self.name!r}: revision exact must be true or false, not "
                             f"{exact!r}", str(self.yml))
        if fmt != "custom":
            for key in ("default", "revisions"):
                if r.get(key) is None:
                    raise BoardError(f"board {self.name!r}: revision: needs '{key}' with format "
                                     f"{fmt}", str(self.yml),
                                     hint="only format: custom (a revision.cmake) may leave "
                                     "out default and revisions")
        return str(fmt), exact

    def pick_revision(self, requested: str | None, text: str) -> tuple[str | None, list[str]]:
        """(active revision, notes) for ``board@requested`` (None: the default), as
        ``board_check_revision`` picks it; BoardError for a revision the board cannot take.
        For format ``custom`` (a ``revision.cmake`` decides) the revision is used as given and
        the note starts with ``unchecked:``."""
        if not self.revision:
            if requested is not None:
                raise BoardError(f"board {self.name!r} has no revisions, but {text!r} asks for "
                                 f"@{requested}", str(self.yml), hint=f"drop '@{requested}'")
            return None, []
        fmt, exact = self.revision_format()
        default, revs = self.revisions()
        if fmt == "custom":
            rev = requested if requested is not None else default
            return rev, [f"unchecked: revision format custom: the board's revision.cmake, which "
                         f"smh-boot does not run, would check revision {rev!r}; it is used as "
                         "given"] if rev else []
        syntax = _REV_SYNTAX[fmt][1]
        wanted = requested if requested is not None else default
        norm = normalize_revision(fmt, str(wanted))
        if norm is None:
            if requested is None:
                raise BoardError(f"board {self.name!r}: default revision {default!r} is not "
                                 f"written in its format {fmt} ({syntax})", str(self.yml))
            raise BoardError(f"revision {requested!r} of {text!r} is not written in board "
                             f"{self.name!r}'s revision format {fmt} ({syntax})", str(self.yml),
                             hint="revisions: " + ", ".join(revs))
        active = pick_revision(fmt, norm, revs, exact)
        if active is None:
            if exact:
                raise BoardError(
                    f"board {self.name!r} has no revision {norm!r}, and board.yml says "
                    f"revision exact: true, so no nearer revision stands in; revisions: "
                    + ", ".join(revs), str(self.yml), hint="pick one of the listed revisions")
            raise BoardError(f"board {self.name!r} has no revision {norm!r} nor any below it; "
                             "revisions: " + ", ".join(revs), str(self.yml),
                             hint="pick one of the listed revisions (a revision between two "
                             "listed ones uses the lower one)")
        notes = []
        if requested is not None and active != requested:
            notes.append(f"revision {requested} is revision {active}"
                         + ("" if norm == active else
                            f": the nearest lower one board.yml lists, as Zephyr picks it"))
        return active, notes


def _variants(items: list[Any], path: Path, prefix: tuple[str, ...] = ()):
    # (cpucluster or None, qualifier tail) for every (nested) variant
    for v in items:
        if "name" not in v:
            continue
        tail = (*prefix, str(v["name"]))
        yield v.get("cpucluster"), tail
        yield from _variants(_items(v.get("variants"), "variants", path), path, tail)


def _boards_in(yml: Path) -> list[ZephyrBoard]:
    return _entries_in(yml)[0]


def _extension_variants(items: list[dict[str, Any]], yml: Path) -> list[tuple[tuple[str, ...], str, list[tuple[str, ...]]]]:
    out = []
    for v in items:
        if not v.get("name") or not isinstance(v.get("qualifier"), str) or not v["qualifier"]:
            raise BoardError("every variant of an 'extend:' entry needs a 'name' and a "
                             "'qualifier'", str(yml),
                             hint="e.g. variants: [{name: psram, qualifier: nrf5340/cpuapp}]")
        tails = [t for _, t in _variants(_items(v.get("variants"), "variants", yml), yml)]
        out.append((tuple(v["qualifier"].split("/")), str(v["name"]), tails))
    return out


def _entries_in(yml: Path) -> tuple[list[ZephyrBoard], list[BoardExtension]]:
    """(boards, extensions) of one board.yml."""
    data = _load_yaml(yml, "board.yml")
    if not isinstance(data, dict) or not ({"board", "boards"} & set(data)):
        raise BoardError("not a hardware model v2 board.yml: expected a 'board:' or 'boards:' key",
                         str(yml), hint="see Zephyr's board porting guide for board.yml")
    if {"board", "boards"} <= set(data):
        raise BoardError("'board' and 'boards' cannot both be given", str(yml),
                         hint="list several boards under boards:, or one under board:")
    items = data.get("boards") if "boards" in data else [data.get("board")]
    if not isinstance(items, list):
        raise BoardError("'boards' must be a list of boards", str(yml))
    out = []
    extensions = []
    for item in items:
        if isinstance(item, dict) and "extend" in item:
            if "name" in item:
                raise BoardError("a board entry has either 'name' (a board) or 'extend' (more "
                                 "variants of a board defined elsewhere), not both", str(yml))
            if not isinstance(item["extend"], str) or not item["extend"]:
                raise BoardError("'extend' names the board to extend", str(yml))
            extensions.append(BoardExtension(
                item["extend"], yml.parent, yml,
                _extension_variants(_items(item.get("variants"), "variants", yml), yml)))
            continue
        if not isinstance(item, dict) or not item.get("name"):
            raise BoardError("every board needs a 'name'", str(yml))
        socs = _items(item.get("socs"), "socs", yml)
        if not socs:
            raise BoardError(f"board {item['name']!r} lists no 'socs'", str(yml),
                             hint="add socs: [{name: <soc>}]")
        out.append(ZephyrBoard(
            name=str(item["name"]), full_name=str(item.get("full_name") or ""),
            vendor=str(item.get("vendor") or ""), dir=yml.parent, yml=yml,
            socs=socs, revision=item.get("revision"),
        ))
    return out, extensions


def all_boards(roots: list[Path]) -> list[ZephyrBoard]:
    """Every hwmv2 board below ``<root>/boards`` of each root (first root wins a name), with
    the ``extend:`` entries of every root attached."""
    seen: dict[str, ZephyrBoard] = {}
    exts: list[BoardExtension] = []
    for root in roots:
        for yml in sorted((root / "boards").glob("**/board.yml")):
            boards, e = _entries_in(yml)
            exts += e
            for b in boards:
                seen.setdefault(b.name, b)
    for e in exts:
        if e.board in seen:
            seen[e.board].extensions.append(e)
    return list(seen.values())


def find_extensions(name: str, roots: list[Path]) -> list[BoardExtension]:
    """The ``extend: <name>`` entries of every root's board.yml files, root by root (only
    files that mention ``extend`` and the name are parsed)."""
    out: list[BoardExtension] = []
    for root in roots:
        for yml in sorted((root / "boards").glob("**/board.yml")):
            try:
                text = yml.read_text(encoding="utf-8", errors="replace")
            except OSError as e:
                # Zephyr's board listing reads every board.yml too: an unreadable one could
                # hold an extend: of this board, so it is an error, never skipped in silence.
                raise BoardError(f"cannot read the board file: {e.strerror or e}", str(yml),
                                 hint="fix its permissions, or remove it from the board root") from e
            if "extend" not in text or name not in text:
                continue
            out += [e for e in _entries_in(yml)[1] if e.board == name]
    return out


def find_board(name: str, roots: list[Path], soc_roots: list[Path] | None = None) -> ZephyrBoard:
    """The board ``name`` from the first root that has it (``boards/**/board.yml``).

    The usual layout (``boards/<vendor>/<name>/board.yml``) is tried first, so a full tree is
    not read for each lookup.  BoardError lists close names when it is not found."""
    found = None
    for root in roots:
        for yml in sorted((root / "boards").glob(f"*/{name}/board.yml")) + sorted(
                (root / "boards").glob(f"{name}/board.yml")):
            found = next((b for b in _boards_in(yml) if b.name == name), None)
            if found:
                break
        if found:
            break
    if found is None:
        # a board.yml listing several boards (boards/qemu/x86 holds qemu_x86_64...): only the
        # files that mention the name are parsed
        for root in roots:
            for yml in sorted((root / "boards").glob("**/board.yml")):
                try:
                    if name not in yml.read_text(encoding="utf-8", errors="replace"):
                        continue
                except OSError:
                    continue
                found = next((b for b in _boards_in(yml) if b.name == name), None)
                if found:
                    break
            if found:
                break
    if found is None:
        boards = all_boards(roots)
        close = difflib.get_close_matches(name, [b.name for b in boards], n=3)
        looked = ", ".join(str(r / "boards") for r in roots) or "(no board roots)"
        raise BoardError(
            f"no Zephyr board {name!r} (looked for board.yml below {looked})",
            hint=(f"did you mean {', '.join(close)}? " if close else "")
            + "check the name, --zephyr-base/ZEPHYR_BASE and --board-root",
        )
    sroots = soc_roots if soc_roots is not None else roots
    found.soc_clusters = soc_clusters(sroots, {str(s.get("name")) for s in found.socs})
    _check_socs_defined(found, sroots)
    found.extensions = find_extensions(name, roots)
    found.targets()  # an extension naming a missing qualifier fails here, located
    return found


def _soc_line(yml: Path, soc: str) -> int | None:
    """The line of ``name: <soc>`` below a ``socs:`` key of ``yml`` (1-based), or None."""
    try:
        lines = yml.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    pat = re.compile(r"^\s*(-\s*)?\{?\s*name\s*:\s*['\"]?" + re.escape(soc) + r"['\"]?\s*[,}]?")
    in_socs = False
    for i, line in enumerate(lines, 1):
        if re.match(r"^\s*socs\s*:", line):
            in_socs = True
            if soc in line:
                return i
        elif in_socs and pat.match(line):
            return i
    return None


def _check_socs_defined(board: ZephyrBoard, roots: list[Path]) -> None:
    """BoardError at board.yml's line when a SoC the board lists is defined in no
    ``soc/**/soc.yml`` of the roots: Zephyr's hardware model v2 rejects such a board."""
    for soc in board.socs:
        name = str(soc.get("name"))
        if name in board.soc_clusters:
            continue
        searched = [str(r / "soc") for r in roots if (r / "soc").is_dir()]
        raise BoardError(
            f"board {board.name!r} names SoC {name!r}, which no soc.yml defines (searched "
            + (", ".join(f"{d}/**/soc.yml" for d in searched) if searched else
               "no soc/ folder in " + (", ".join(map(str, roots)) or "(no roots)"))
            + "); Zephyr's hardware model v2 rejects it",
            str(board.yml), _soc_line(board.yml, name),
            hint="fix the SoC name in board.yml, or add the SoC to a soc.yml below a root's "
            "soc/ folder (--zephyr-base, --module, --board-root)")


def soc_clusters(roots: list[Path], wanted: set[str]) -> dict[str, list[str]]:
    """``{soc: [cpucluster, ...]}`` for the wanted SoCs, from every ``soc/**/soc.yml``."""
    out: dict[str, list[str]] = {}
    for root in roots:
        for yml in sorted((root / "soc").glob("**/soc.yml")):
            for soc in _socs_of(_load_yaml(yml, "soc.yml"), yml):
                name = str(soc.get("name"))
                if name in wanted and name not in out:
                    out[name] = [str(c.get("name"))
                                 for c in _items(soc.get("cpuclusters"), "cpuclusters", yml)]
    return out


def _socs_of(data: Any, path: Path):
    # every SoC of a soc.yml: top-level socs, family -> series -> socs, series -> socs
    if not isinstance(data, dict):
        raise BoardError("expected a mapping with family:, series: or socs:", str(path))
    yield from _items(data.get("socs"), "socs", path)
    for fam in _items(data.get("family"), "family", path):
        yield from _socs_of({"socs": fam.get("socs"), "series": fam.get("series")}, path)
    for ser in _items(data.get("series"), "series", path):
        yield from _socs_of({"socs": ser.get("socs")}, path)


@dataclass(frozen=True)
class ResolvedTarget:
    """A board target matched against its board: the full target, normalised file stem,
    active revision, the files Zephyr would use (None when absent)."""

    board: ZephyrBoard
    target: str
    qualifiers: tuple[str, ...]
    revision: str | None
    stem: str
    dts: Path
    revision_overlays: tuple[Path, ...]
    twister_yaml: Path | None
    defconfig: Path | None
    #: every Kconfig fragment of the board, in Zephyr's merge order: ``<target>_defconfig`` and
    #: ``<target>_<rev>_defconfig`` of each board folder, then the deprecated ``<target>_<rev>.conf``
    kconfig_files: tuple[Path, ...] = ()
    #: the revision as the user wrote it (None: the default was used)
    requested_revision: str | None = None
    #: what was chosen and why (the nearest lower revision...), said in the boot log
    notes: tuple[str, ...] = ()
    #: what smh-boot could not check as Zephyr would (a custom revision format)
    warnings: tuple[str, ...] = ()

    @property
    def soc(self) -> str:
        return self.qualifiers[0]

    @property
    def cpucluster(self) -> str | None:
        clusters = self.board.soc_clusters.get(self.soc, [])
        return self.qualifiers[1] if len(self.qualifiers) > 1 and self.qualifiers[1] in clusters else None

    def file_names(self, revision: bool = True) -> list[tuple[str, str | None]]:
        """The ``(full, short)`` names Zephyr looks for configuration files under (see
        :func:`file_names`)."""
        return file_names(self.board, self.qualifiers, self.revision if revision else None)


def file_names(board: ZephyrBoard, qualifiers: tuple[str, ...],
               revision: str | None) -> list[tuple[str, str | None]]:
    """The ``(full, short)`` names of a target's configuration files, in Zephyr's order
    (``zephyr_build_string(... MERGE REVERSE)``): ``<board>_<qualifiers>``, then with
    ``_<revision>`` (``.`` as ``_``); the short name drops the SoC of a single-SoC board."""
    full = "_".join((board.name, *qualifiers))
    short = "_".join((board.name, *qualifiers[1:])) if len(board.socs) == 1 else None
    out = [(full, short)]
    if revision is not None:
        r = revision.replace(".", "_")
        out.append((f"{full}_{r}", f"{short}_{r}" if short else None))
    return out


def resolve_target(board: ZephyrBoard, target: BoardTarget) -> ResolvedTarget:
    """Match ``target``'s qualifiers and revision against ``board``; find its files in every
    board folder (the board's own and its extensions').

    BoardError names the valid targets (or revisions) when they do not match."""
    valid = board.targets()
    quals = target.qualifiers
    if quals and quals[0] == "" and len(board.socs) == 1:
        quals = (str(board.socs[0].get("name")), *quals[1:])
    if not quals:
        # board alone: fine when that names exactly one target (one SoC, no clusters)
        if len(valid) >= 1 and len(valid[0]) == 1 and len(board.socs) == 1:
            quals = valid[0]
    if quals not in valid:
        given = "/".join(target.qualifiers) or "(none)"
        raise BoardError(
            f"board {board.name!r} has no target with qualifiers {given!r}; valid targets: "
            + ", ".join(board.target_names()),
            str(board.yml),
            hint="qualifiers are /SOC[/CPUCLUSTER][/VARIANT] as listed in board.yml and the "
            "SoC's soc.yml",
        )
    rev, notes = board.pick_revision(target.revision, target.text)
    names = file_names(board, quals, rev)
    full, short = names[0]

    # the .dts: the last board folder holding it (dts.cmake loops over BOARD_DIRECTORIES)
    dts = None
    for d in board.dirs:
        found = find_conf_files(d, [(full, short)], ".dts", f"board target {full}")
        if found:
            dts = found[0]
    if dts is None:
        names_txt = " or ".join(f"{s}.dts" for s in (full, short) if s)
        folders = ", ".join(str(d) for d in board.dirs)
        raise BoardError(f"board target {'/'.join((board.name, *quals))!r} has no devicetree: "
                         f"expected {names_txt} in {folders}", str(board.yml),
                         hint="hardware model v2 names the board's .dts after the normalised target")
    rev_ovl: list[Path] = []
    defconfigs: list[Path] = []
    for d in board.dirs:
        if rev is not None:
            rev_ovl += find_conf_files(d, names[1:], ".overlay", "revision overlay")
        defconfigs += find_conf_files(d, names, "_defconfig", "defconfig")
    kfiles = list(defconfigs)
    if rev is not None:
        # BOARD_REVISION_CONFIG: <board>_<qualifiers>_<rev>.conf in the board's own folder
        # (deprecated by Zephyr in favour of a _defconfig, still read)
        old = board.dir / f"{names[1][0]}.conf"
        if old.is_file():
            kfiles.append(old)
            notes.append(f"{old.name} read as Kconfig (Zephyr deprecates it: rename it "
                         f"{names[1][0]}_defconfig)")
    tw = None
    for d in board.dirs:
        f = find_conf_files(d, [(full, short)], ".yaml", "twister metadata")
        if f:
            tw = f[0]
            break
    stem = dts.name[:-len(".dts")]
    return ResolvedTarget(
        board=board, target="/".join((board.name + (f"@{rev}" if target.revision else ""), *quals)),
        qualifiers=quals, revision=rev, stem=stem, dts=dts, revision_overlays=tuple(rev_ovl),
        twister_yaml=tw, defconfig=defconfigs[0] if defconfigs else None,
        kconfig_files=tuple(kfiles), requested_revision=target.revision,
        notes=tuple(n for n in notes if not n.startswith("unchecked: ")),
        warnings=tuple(n.removeprefix("unchecked: ") for n in notes if n.startswith("unchecked: ")),
    )


def read_twister(path: Path) -> dict[str, Any]:
    """A board's twister ``<target>.yaml`` (identifier, name, arch, ram, toolchain...)."""
    data = _load_yaml(path, "twister board metadata")
    if not isinstance(data, dict):
        raise BoardError("expected a mapping (identifier, name, arch, ...)", str(path))
    return data


def find_shields(roots: list[Path]) -> dict[str, Path]:
    """Every shield of the board roots: ``boards/shields/<dir>/Kconfig.shield`` marks a shield
    folder, each ``<name>.overlay`` in it is a shield called ``name`` (first root wins)."""
    out: dict[str, Path] = {}
    for root in roots:
        for k in sorted((root / "boards" / "shields").glob("**/Kconfig.shield")):
            for ovl in sorted(k.parent.glob("*.overlay")):
                out.setdefault(ovl.stem, k.parent)
    return out


def shield_overlays(name: str, folder: Path, names: list[tuple[str, str | None]]) -> list[Path]:
    """A shield's overlays in Zephyr's order (``shields.cmake``): ``<name>.overlay``, then the
    board-specific ones in ``boards/`` and ``boards/<name>/`` for each (full, short) target
    file name (see :meth:`ResolvedTarget.file_names`)."""
    out = [folder / f"{name}.overlay"]
    for sub in (folder / "boards", folder / "boards" / name):
        out += [f for f in find_conf_files(sub, names, ".overlay", f"shield {name}") if f not in out]
    return out


def shield_conf_files(name: str, folder: Path, names: list[tuple[str, str | None]]) -> list[Path]:
    """A shield's Kconfig fragments in Zephyr's order: ``<name>.conf``, then the board-specific
    ``.conf`` files in ``boards/`` and ``boards/<name>/`` (as for the overlays)."""
    out = [folder / f"{name}.conf"] if (folder / f"{name}.conf").is_file() else []
    for sub in (folder / "boards", folder / "boards" / name):
        out += [f for f in find_conf_files(sub, names, ".conf", f"shield {name}") if f not in out]
    return out
