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


def _variants(items: list[Any], path: Path, prefix: tuple[str, ...] = ()):
    # (cpucluster or None, qualifier tail) for every (nested) variant
    for v in items:
        if "name" not in v:
            continue
        tail = (*prefix, str(v["name"]))
        yield v.get("cpucluster"), tail
        yield from _variants(_items(v.get("variants"), "variants", path), path, tail)


def _boards_in(yml: Path) -> list[ZephyrBoard]:
    data = _load_yaml(yml, "board.yml")
    if not isinstance(data, dict) or not ({"board", "boards"} & set(data)):
        raise BoardError("not a hardware model v2 board.yml: expected a 'board:' or 'boards:' key",
                         str(yml), hint="see Zephyr's board porting guide for board.yml")
    items = data.get("boards") if "boards" in data else [data.get("board")]
    if not isinstance(items, list):
        raise BoardError("'boards' must be a list of boards", str(yml))
    out = []
    for item in items:
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
    return out


def all_boards(roots: list[Path]) -> list[ZephyrBoard]:
    """Every hwmv2 board below ``<root>/boards`` of each root (first root wins a name)."""
    seen: dict[str, ZephyrBoard] = {}
    for root in roots:
        for yml in sorted((root / "boards").glob("**/board.yml")):
            for b in _boards_in(yml):
                seen.setdefault(b.name, b)
    return list(seen.values())


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
    found.soc_clusters = soc_clusters(soc_roots if soc_roots is not None else roots,
                                      {str(s.get("name")) for s in found.socs})
    return found


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
    revision, the files Zephyr would use (None when absent)."""

    board: ZephyrBoard
    target: str
    qualifiers: tuple[str, ...]
    revision: str | None
    stem: str
    dts: Path
    revision_overlays: tuple[Path, ...]
    twister_yaml: Path | None
    defconfig: Path | None

    @property
    def soc(self) -> str:
        return self.qualifiers[0]

    @property
    def cpucluster(self) -> str | None:
        clusters = self.board.soc_clusters.get(self.soc, [])
        return self.qualifiers[1] if len(self.qualifiers) > 1 and self.qualifiers[1] in clusters else None


def resolve_target(board: ZephyrBoard, target: BoardTarget) -> ResolvedTarget:
    """Match ``target``'s qualifiers and revision against ``board``; find its files.

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
    default_rev, revs = board.revisions()
    rev = target.revision
    if rev is not None and not revs:
        raise BoardError(f"board {board.name!r} has no revisions, but {target.text!r} asks for "
                         f"@{rev}", str(board.yml), hint=f"drop '@{rev}'")
    if rev is not None and rev not in revs:
        raise BoardError(f"board {board.name!r} has no revision {rev!r}; revisions: "
                         + ", ".join(revs), str(board.yml), hint="pick one of the listed revisions")
    rev = rev or default_rev

    stem = "_".join((board.name, *quals))
    short = "_".join((board.name, *quals[1:])) if len(board.socs) == 1 else None
    dts = None
    for s in (stem, short):
        if s and (board.dir / f"{s}.dts").is_file():
            dts, used = board.dir / f"{s}.dts", s
            break
    if dts is None:
        names = " or ".join(f"{s}.dts" for s in (stem, short) if s)
        raise BoardError(f"board target {'/'.join((board.name, *quals))!r} has no devicetree: "
                         f"expected {names} in {board.dir}", str(board.yml),
                         hint="hardware model v2 names the board's .dts after the normalised target")
    rev_ovl = ()
    if rev is not None:
        o = board.dir / f"{used}_{rev.replace('.', '_')}.overlay"
        rev_ovl = (o,) if o.is_file() else ()
    tw = board.dir / f"{used}.yaml"
    dc = board.dir / f"{used}_defconfig"
    return ResolvedTarget(
        board=board, target="/".join((board.name + (f"@{rev}" if target.revision else ""), *quals)),
        qualifiers=quals, revision=rev, stem=used, dts=dts, revision_overlays=rev_ovl,
        twister_yaml=tw if tw.is_file() else None, defconfig=dc if dc.is_file() else None,
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


def shield_overlays(name: str, folder: Path, stems: list[str]) -> list[Path]:
    """A shield's overlays in Zephyr's order: ``<name>.overlay``, then the board-specific
    ``boards/<target>.overlay`` and ``boards/<name>/<target>.overlay`` that exist."""
    out = [folder / f"{name}.overlay"]
    for sub in (folder / "boards", folder / "boards" / name):
        for stem in stems:
            f = sub / f"{stem}.overlay"
            if f.is_file() and f not in out:
                out.append(f)
    return out
