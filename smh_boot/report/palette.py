"""Colours of the map, chosen once so SVG, HTML and the legend agree.

Attributes get soft fills (the band is a background); allocations get saturated owner colours.
Red and amber are kept for overlaps and gaps so nothing else can be mistaken for them.
"""

from __future__ import annotations

from types import MappingProxyType

#: attr -> (fill, stroke); ``None`` is a band without an SMH attribute.
ATTR_COLOURS = MappingProxyType(
    {
        "cacheable": ("#cfe2f3", "#3d6fa8"),
        "non-cacheable": ("#d3ecd1", "#3f8a3c"),
        "external": ("#e6d7f0", "#7b4fa0"),
        None: ("#eeeeee", "#8a8a8a"),
    }
)
#: attr -> legend text
ATTR_LABELS = MappingProxyType(
    {
        "cacheable": "cacheable",
        "non-cacheable": "non-cacheable",
        "external": "external",
        None: "no SMH attribute",
    }
)
RESERVED_FILL = "#f4f4f4"
RESERVED_HATCH = "#b5b5b5"
DMA_STRIPE = "#2b2b2b"
FREE_FILL = "#ffffff"
OVERLAP = "#d62728"
GAP = "#f0a30a"
TEXT = "#1f1f1f"
MUTED = "#666666"
AXIS = "#444444"
REFUSED = "#3b3b3b"  #: dashed border of a region the boot refused
REFUSED_HATCH = "#8a8a8a"  #: the cross over a refused band
REFUSED_FILL = "#f8f8f8"
KERNEL_RAM = "#2f3e4e"  #: badge of the kernel's RAM (chosen zephyr,sram)

#: owner colours, assigned in sorted-owner order (no red: red means overlap)
OWNER_COLOURS = (
    "#4e79a7",
    "#f28e2b",
    "#59a14f",
    "#b07aa1",
    "#17becf",
    "#9c755f",
    "#edc948",
    "#ff9da7",
    "#bcbd22",
    "#76b7b2",
)
UNOWNED = "#7f7f7f"


def owner_colours(owners: tuple[str | None, ...]) -> dict[str | None, str]:
    """Colour per owner: palette order over the sorted owners, grey for ``None``."""
    out: dict[str | None, str] = {}
    named = [o for o in owners if o is not None]
    for i, owner in enumerate(named):
        out[owner] = OWNER_COLOURS[i % len(OWNER_COLOURS)]
    out[None] = UNOWNED
    return out


def shade(colour: str, odd: bool) -> str:
    """``colour`` for even neighbours, the same hue lightened by 45% for odd ones, so
    adjacent allocations (even of one owner) never merge into one shape."""
    if not odd:
        return colour
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return "#" + "".join(f"{int(c + (255 - c) * 0.45):02x}" for c in (r, g, b))
