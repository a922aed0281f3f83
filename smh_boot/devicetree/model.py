"""Plain records of the devicetree front end (no dtlib objects inside).

Layers above (validation, boards, boot) take these records; only :mod:`.load` and :mod:`.parser` know dtlib.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..attrs import AttrDecoding
from ..units import with_hex


@dataclass(frozen=True, slots=True)
class SourceLocation:
    """Where something was (last) defined in the original ``.dts``/``.dtsi``/overlay file.

    ``line`` is 1-based; ``column`` (1-based, a tab counts as one) is None when unknown."""

    file: str
    line: int
    column: int | None = None

    def __str__(self) -> str:
        text = f"{self.file}:{self.line}"
        return f"{text}:{self.column}" if self.column else text


@dataclass(frozen=True, slots=True)
class Reg:
    """One ``reg`` entry: CPU address (after every ``ranges`` up to the root) and size
    (None when the parent has ``#size-cells = <0>``)."""

    addr: int
    size: int | None


@dataclass(frozen=True, slots=True)
class DtWarning:
    """A finding that does not stop loading, e.g. a deprecated attribute encoding.

    ``code`` is a stable identifier (``"deprecated-mpu-string"``...)."""

    message: str
    location: SourceLocation | None
    code: str

    def __str__(self) -> str:
        loc = f"{self.location}: " if self.location else ""
        return f"{loc}warning: {self.message} [{self.code}]"


@dataclass(frozen=True, slots=True)
class RegionRecord:
    """A node carrying a memory attribute (``zephyr,memory-attr`` or the deprecated
    ``zephyr,memory-region-mpu``).

    ``addr``/``size`` come from the first ``reg`` entry (CPU address).  ``attr`` is the
    32-bit value (strings converted to their int-era equivalent); ``attr_raw`` the value as
    written; ``attr_encoding`` is ``"int"``, ``"string"`` (transitional string enum) or
    ``"mpu-string"`` (``zephyr,memory-region-mpu``)."""

    path: str
    name: str
    labels: tuple[str, ...]
    region_name: str | None
    compatible: tuple[str, ...]
    addr: int
    size: int
    regs: tuple[Reg, ...]
    attr: int | None
    attr_encoding: str
    attr_raw: int | str
    decoded: AttrDecoding | None
    no_map: bool
    reusable: bool
    status: str
    location: SourceLocation | None
    attr_location: SourceLocation | None

    @property
    def end(self) -> int:
        """First address after the region."""
        return self.addr + self.size

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict, smh-boot's JSON convention (:mod:`smh_boot.units`): addresses,
        sizes and the attribute are integers, addresses and the attribute also as ``*_hex``
        strings; locations as text."""
        return with_hex({
            "path": self.path,
            "name": self.name,
            "labels": list(self.labels),
            "region_name": self.region_name,
            "compatible": list(self.compatible),
            "addr": self.addr,
            "size": self.size,
            "regs": [with_hex({"addr": r.addr, "size": r.size}, "addr") for r in self.regs],
            "attr": self.attr,
            "attr_encoding": self.attr_encoding,
            "attr_raw": self.attr_raw,
            "attr_decoded": self.decoded.describe() if self.decoded else None,
            "no_map": self.no_map,
            "reusable": self.reusable,
            "status": self.status,
            "location": str(self.location) if self.location else None,
            "attr_location": str(self.attr_location) if self.attr_location else None,
        }, "addr", "attr")


@dataclass(slots=True)
class RegionScan:
    """Result of :func:`~smh_boot.devicetree.find_regions`.

    ``regions``: status-okay records in devicetree order; ``disabled``: records of nodes
    whose status is not okay (left out of every table, listed for reports);
    ``without_attr``: paths of memory nodes (see ``Devicetree.memory_nodes``) carrying no
    attribute at all, which are therefore not heap regions; ``warnings``: deprecations
    and other non-fatal findings."""

    regions: list[RegionRecord] = field(default_factory=list)
    disabled: list[RegionRecord] = field(default_factory=list)
    without_attr: list[str] = field(default_factory=list)
    warnings: list[DtWarning] = field(default_factory=list)
    arch: str | None = None
