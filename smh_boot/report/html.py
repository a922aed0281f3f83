"""Render a :class:`~.model.MemoryMap` as one self-contained HTML page.

The SVG map is inlined; a few lines of inline script turn each element's SVG ``<title>`` into
a styled hover box (address, size, owner, decoded attribute bits).  Nothing is fetched: no
external scripts, styles, fonts or images, so the page works offline and as a CI artifact.
"""

from __future__ import annotations

import html as _html

from .model import MemoryMap
from .svg import render_svg
from .svgkit import clean
from .text import render_text

# The namespace declarations are identifiers, not links, but an inline <svg> in HTML does not
# need them, and leaving them out keeps the page free of any URL at all.
_NAMESPACES = (
    ' xmlns="http://www.w3.org/2000/svg"',
    ' xmlns:xlink="http://www.w3.org/1999/xlink"',
)

_STYLE = """
body { font-family: DejaVu Sans, Helvetica, Arial, sans-serif; margin: 16px; color: #1f1f1f; }
#map svg { max-width: 100%; height: auto; }
#tip { position: fixed; display: none; pointer-events: none; white-space: pre;
       background: #fffff0; border: 1px solid #555; padding: 6px 8px; font: 12px monospace;
       box-shadow: 2px 2px 6px rgba(0,0,0,.25); z-index: 10; }
.hover > rect { filter: brightness(0.93); }
pre { font-size: 12px; background: #f7f7f7; padding: 8px; overflow-x: auto; }
"""

# Move every <title> into a data property so the browser's own tooltip does not double ours.
_SCRIPT = """
(function () {
  var tip = document.getElementById('tip');
  document.querySelectorAll('#map svg g > title').forEach(function (t) {
    var g = t.parentNode; g.smhTip = t.textContent; g.removeChild(t);
    g.addEventListener('mousemove', function (e) {
      e.stopPropagation(); tip.textContent = g.smhTip; tip.style.display = 'block';
      tip.style.left = (e.clientX + 14) + 'px'; tip.style.top = (e.clientY + 14) + 'px';
      g.classList.add('hover');
    });
    g.addEventListener('mouseleave', function () { tip.style.display = 'none';
      g.classList.remove('hover'); });
  });
})();
"""


def inline_svg(mm_svg: str) -> str:
    """An SVG document made fit to paste into HTML: no XML header, no namespace URLs."""
    body = mm_svg[mm_svg.index("<svg"):]
    for ns in _NAMESPACES:
        body = body.replace(ns, "", 1)
    return body


def render_html(mm: MemoryMap, *, heap_figures: bool = True) -> str:
    """The map as a standalone HTML page: the SVG with hover details, then the text tables."""
    def esc(text: str) -> str:
        return _html.escape(clean(text))

    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            f"<title>{esc(mm.title)} - memory map</title>",
            f"<style>{_STYLE}</style>",
            "</head>",
            "<body>",
            '<div id="map">',
            inline_svg(render_svg(mm, heap_figures=heap_figures)),
            "</div>",
            '<div id="tip"></div>',
            "<details open><summary>Tables</summary>",
            f"<pre>{esc(render_text(mm))}</pre>",
            "</details>",
            f"<script>{_SCRIPT}</script>",
            "</body>",
            "</html>",
            "",
        ]
    )
