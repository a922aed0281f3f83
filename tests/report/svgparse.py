"""Reading rendered SVG back for the tests (ElementTree, namespace stripped)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

NS = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    for el in root.iter():
        if el.tag.startswith(NS):
            el.tag = el.tag[len(NS):]
    return root


def with_class(root: ET.Element, cls: str) -> list[ET.Element]:
    return [el for el in root.iter() if cls in el.get("class", "").split()]


def texts(el: ET.Element) -> list[str]:
    return [t.text or "" for t in el.iter("text")]


def band_group(root: ET.Element, name: str) -> ET.Element:
    found = [g for g in with_class(root, "band") if g.get("data-name") == name]
    assert len(found) == 1, f"band {name!r} drawn {len(found)} times"
    return found[0]


def first_rect(el: ET.Element) -> ET.Element:
    rect = el.find("rect")
    assert rect is not None
    return rect
