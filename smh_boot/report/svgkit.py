"""Small drawing helpers over drawsvg shared by the map and the heap figures."""

from __future__ import annotations

import html as _html
import re

import drawsvg as dw

from .layout import r1

SANS = "DejaVu Sans, Helvetica, Arial, sans-serif"
MONO = "DejaVu Sans Mono, Menlo, Consolas, monospace"
SANS_W = 0.6  #: average glyph width / font size (deliberately generous: no font metrics here)
MONO_W = 0.61


def text_width(text: str, size: float, mono: bool = False) -> float:
    """Estimated drawn width of ``text`` (no font metrics available: a fixed average)."""
    return len(text) * size * (MONO_W if mono else SANS_W)


def fit(text: str, width: float, size: float, mono: bool = False) -> str:
    """``text`` cut with an ellipsis so it fits ``width`` (estimated)."""
    per = size * (MONO_W if mono else SANS_W)
    room = int(width // per)
    if len(text) <= room:
        return text
    return text[: max(room - 1, 0)] + "…"


def label(
    text: str,
    x: float,
    y: float,
    size: float = 11,
    *,
    mono: bool = False,
    bold: bool = False,
    fill: str = "#1f1f1f",
    anchor: str = "start",
    cls: str | None = None,
    italic: bool = False,
) -> dw.Text:
    """A one-line text element with the house fonts."""
    kw: dict[str, object] = {"font_family": MONO if mono else SANS, "fill": fill}
    if bold:
        kw["font_weight"] = "bold"
    if italic:
        kw["font_style"] = "italic"
    if anchor != "start":
        kw["text_anchor"] = anchor
    if cls:
        kw["class_"] = cls
    return dw.Text(clean(text), size, r1(x), r1(y), **kw)


def rect(x: float, y: float, w: float, h: float, **kw: object) -> dw.Rectangle:
    """A rectangle with coordinates rounded to 0.1."""
    return dw.Rectangle(r1(x), r1(y), r1(w), r1(h), **kw)


def hatch(colour: str, background: str, *, cross: bool = False, step: int = 8) -> dw.Pattern:
    """A diagonal (or cross-) hatch pattern; drawsvg puts it in <defs> with a stable id."""
    p = dw.Pattern(step, step, patternUnits="userSpaceOnUse")
    p.append(dw.Rectangle(0, 0, step, step, fill=background))
    p.append(dw.Line(0, step, step, 0, stroke=colour, stroke_width=1.6))
    if cross:
        p.append(dw.Line(0, 0, step, step, stroke=colour, stroke_width=1.6))
    return p


def with_tip(group: dw.Group, tip: str) -> dw.Group:
    """Attach hover text as an SVG <title>: a native tooltip in viewers, and the text the HTML
    page shows (element text keeps its newlines; an attribute value would not)."""
    group.append_title(clean(tip))
    return group


#: characters XML 1.0 does not allow (C0 controls but tab, newline, CR; U+FFFE/FFFF), which a
#: devicetree string such as a zephyr,memory-region name can carry ("A\x01B")
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean(text: str) -> str:
    """``text`` with every character XML cannot hold replaced by U+FFFD, so a hostile name
    never makes the document unreadable."""
    return _NOT_XML.sub("\ufffd", text)


def attr(value: str) -> str:
    """An attribute value made safe: drawsvg writes attribute values as they are (it only
    escapes element text), and names and owners come from user devicetrees."""
    return _html.escape(clean(value), quote=True)
