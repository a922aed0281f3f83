"""One finding of the validator, printable GCC style so editors and CI annotate the line."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

#: severities, most severe first
SEVERITIES = ("error", "warning", "info")


def format_location(loc: Any) -> str | None:
    """``file:line[:col]`` of a SourceLocation-like object, or None when unknown."""
    if loc is None or not getattr(loc, "file", None):
        return None
    text = str(loc.file)
    if getattr(loc, "line", None):
        text += f":{loc.line}"
        if getattr(loc, "column", None):
            text += f":{loc.column}"
    return text


class Related(NamedTuple):
    """A second place a finding involves (the other region of an overlap, the first of two
    duplicate names...)."""

    location: Any
    node: str | None
    message: str


@dataclass
class Diagnostic:
    """A validator finding.

    ``rule`` is a stable rule ID, ``severity`` one of ``"error"``, ``"warning"``, ``"info"``
    (after ``--severity``/``--werror``), ``location`` the SourceLocation to point at (or
    None), ``node`` the devicetree path, ``related`` further places as :class:`Related`."""

    rule: str
    severity: str
    message: str
    location: Any = None
    node: str | None = None
    related: list[Related] = field(default_factory=list)

    def __str__(self) -> str:
        """``path:line:col: severity: node: message [rule]``."""
        where = format_location(self.location)
        head = f"{where}: " if where else "smh-boot: "
        node = f"{self.node}: " if self.node else ""
        return f"{head}{self.severity}: {node}{self.message} [{self.rule}]"

    def notes(self) -> list[str]:
        """One GCC ``note:`` line per related location."""
        out = []
        for r in self.related:
            where = format_location(r.location)
            head = f"{where}: " if where else "smh-boot: "
            node = f"{r.node}: " if r.node else ""
            out.append(f"{head}note: {node}{r.message}")
        return out

    def sort_key(self) -> tuple:
        """Source order (file, line, column), then rule: the order reports are printed in."""
        loc = self.location
        return (
            str(getattr(loc, "file", "") or "") if loc is not None else "\uffff",
            getattr(loc, "line", 0) or 0,
            getattr(loc, "column", 0) or 0,
            self.node or "",
            self.rule,
            self.message,
        )
