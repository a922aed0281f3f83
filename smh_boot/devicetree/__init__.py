"""Devicetree front end: from ``.dts`` + overlays to memory-region records.

``load_devicetree`` preprocesses with cpp (as Zephyr does) and parses with dtlib, keeping the
original file and line of every node and property; ``find_regions`` lists the nodes that
carry ``zephyr,memory-attr``; ``map_to_smh``/``mem_attr_table`` turn them into the plain
records the heap layer takes.  Only :mod:`.load` and :mod:`.parser` import the third-party
``devicetree``; :mod:`.guards` lists the input limits.
"""

from __future__ import annotations

from .load import Devicetree, load_devicetree, load_preprocessed
from .model import DtWarning, Reg, RegionRecord, RegionScan, SourceLocation
from .policy import MappingPolicy, MappingRule, SmhMapping, map_to_smh, mem_attr_table
from .regions import find_regions

__all__ = [
    "Devicetree",
    "DtWarning",
    "MappingPolicy",
    "MappingRule",
    "Reg",
    "RegionRecord",
    "RegionScan",
    "SmhMapping",
    "SourceLocation",
    "find_regions",
    "load_devicetree",
    "load_preprocessed",
    "map_to_smh",
    "mem_attr_table",
]
