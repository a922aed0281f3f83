"""One entry point for every output format, and writing a map to a file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import InputError
from .model import MemoryMap

#: output formats and the file suffixes that select them
FORMATS = ("svg", "html", "text", "json")
SUFFIXES = {".svg": "svg", ".html": "html", ".htm": "html", ".txt": "text", ".text": "text",
            ".json": "json"}


def render(mm: MemoryMap, fmt: str = "svg", *, heap_figures: bool = True) -> str:
    """``mm`` as ``fmt`` (``svg``, ``html``, ``text`` or ``json``).  Deterministic."""
    if fmt == "svg":
        from .svg import render_svg

        return render_svg(mm, heap_figures=heap_figures)
    if fmt == "html":
        from .html import render_html

        return render_html(mm, heap_figures=heap_figures)
    if fmt == "text":
        from .text import render_text

        return render_text(mm)
    if fmt == "json":
        return json.dumps(mm.to_dict(), indent=2) + "\n"
    raise InputError(f"unknown map format {fmt!r}", hint=f"use one of: {', '.join(FORMATS)}")


def format_for(path: str | Path) -> str:
    """The format a file name asks for (InputError naming the file when the suffix is unknown)."""
    suffix = Path(path).suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError(
            f"cannot tell the memory-map format from the file name {str(path)!r}",
            file=str(path),
            hint="name it .svg, .html, .txt or .json (or pass --format)",
        )
    return SUFFIXES[suffix]


def as_map(obj: Any) -> MemoryMap:
    """``obj`` itself when it is a MemoryMap, else the map of a booted System."""
    if isinstance(obj, MemoryMap):
        return obj
    from .from_system import map_from_system

    return map_from_system(obj)


def write_map(obj: Any, path: str | Path, fmt: str | None = None, *,
              heap_figures: bool = True) -> Path:
    """Write the map of ``obj`` (a MemoryMap or a booted System) to ``path`` in ``fmt``
    (default: from the suffix); parent folders are created.  Returns the path written.
    This is what ``docs/memory-map.svg`` is generated with."""
    out = Path(path)
    text = render(as_map(obj), fmt or format_for(out), heap_figures=heap_figures)
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as e:
        raise InputError(f"cannot write the memory map: {e.strerror}", file=str(out),
                         hint="check the folder exists and is writable") from e
    return out
