"""From region records to the heap's plain records: SMH attributes and the mem_attr table.

The default mapping follows Zephyr's own shared_multi_heap test (tests/kernel/mem_heap/
shared_multi_heap), which is the only place upstream turns DT attributes into SMH ones:

* AArch32 (``arm``): the ARM MPU architecture field decides, by exact value --
  ``DT_MEM_ARM_MPU_RAM`` -> CACHEABLE, ``..._RAM_NOCACHE`` -> NON_CACHEABLE, and (for the
  third SMH attribute, which the test does not use) ``..._EXTMEM`` -> EXTERNAL;
* every other architecture: ``DT_MEM_CACHEABLE`` set -> CACHEABLE, else NON_CACHEABLE.

The old strings ("RAM", "RAM_NOCACHE", ...) arrive as the int-era value of the board's
architecture (:func:`smh_boot.attrs.string_attr`), so "RAM" is CACHEABLE and "RAM_NOCACHE"
NON_CACHEABLE everywhere, as upstream's string-era test had them; the other strings are ARM MPU
types that map to nothing off AArch32.

A value the policy cannot map, and ``DT_MEM_ARCH_ATTR_UNKNOWN`` (what the test stores for
nodes without the property), are reported as unmapped and skipped.  A board can bring its
own ordered rules (first match wins).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from ..attrs import (
    DT_MEM_ARCH_ATTR_MASK,
    DT_MEM_ARCH_ATTR_UNKNOWN,
    DT_MEM_ARM_MPU_EXTMEM,
    DT_MEM_ARM_MPU_RAM,
    DT_MEM_ARM_MPU_RAM_NOCACHE,
    DT_MEM_CACHEABLE,
    arch_family,
    string_attr,
)
from ..heap.region import MemAttrRegion, SharedMultiHeapRegion, SmhAttr
from .model import RegionRecord


@dataclass(frozen=True, slots=True)
class MappingRule:
    """``attr & mask == value`` -> ``smh_attr``."""

    mask: int
    value: int
    smh_attr: SmhAttr

    def matches(self, attr: int) -> bool:
        """True when the rule applies to ``attr``."""
        return attr & self.mask == self.value

    def describe(self) -> str:
        """``"attr & 0xfff00000 == 0x100000 -> CACHEABLE"``."""
        if self.mask == 0:
            return f"otherwise -> {self.smh_attr.name}"
        return f"attr & {self.mask:#x} == {self.value:#x} -> {self.smh_attr.name}"


@dataclass(frozen=True)
class MappingPolicy:
    """Ordered rules turning a 32-bit ``zephyr,memory-attr`` value into an SmhAttr."""

    rules: tuple[MappingRule, ...]
    name: str = "custom"

    @classmethod
    def default(cls, arch: str | None) -> MappingPolicy:
        """The mapping of Zephyr's shared_multi_heap test for ``arch`` (see module doc)."""
        if arch_family(arch) == "arm":
            m = DT_MEM_ARCH_ATTR_MASK
            return cls(
                (
                    MappingRule(m, DT_MEM_ARM_MPU_RAM, SmhAttr.CACHEABLE),
                    MappingRule(m, DT_MEM_ARM_MPU_RAM_NOCACHE, SmhAttr.NON_CACHEABLE),
                    MappingRule(m, DT_MEM_ARM_MPU_EXTMEM, SmhAttr.EXTERNAL),
                ),
                name="arm-mpu",
            )
        return cls(
            (
                MappingRule(DT_MEM_CACHEABLE, DT_MEM_CACHEABLE, SmhAttr.CACHEABLE),
                MappingRule(0, 0, SmhAttr.NON_CACHEABLE),
            ),
            name="generic-cacheable",
        )

    @classmethod
    def from_rules(cls, rules: Iterable[Mapping[str, object]], name: str = "custom") -> MappingPolicy:
        """Rules from board data: ``[{"mask": int, "value": int, "attr": "CACHEABLE"}, ...]``.

        ``mask``/``value`` may be ints or numeric strings (``"0x100000"``); ``attr`` an
        SmhAttr name (``CACHEABLE``, ``NON_CACHEABLE``, ``EXTERNAL``) or value.  Raises
        ValueError naming the bad rule (callers add their file location)."""
        out = []
        for i, rule in enumerate(rules):
            try:
                mask, value = _num(rule["mask"]), _num(rule["value"])
                attr = _smh_attr(rule["attr"])
            except KeyError as e:
                raise ValueError(f"mapping rule {i}: missing key {e.args[0]!r}") from None
            except ValueError as e:
                raise ValueError(f"mapping rule {i}: {e}") from None
            if value & ~mask:
                raise ValueError(
                    f"mapping rule {i}: value {value:#x} has bits outside mask {mask:#x}, "
                    "so it can never match"
                )
            out.append(MappingRule(mask, value, attr))
        return cls(tuple(out), name=name)

    def map(self, record: RegionRecord) -> SmhAttr | None:
        """The SMH attribute of ``record``, or None when no rule maps it."""
        return self.explain(record)[0]

    def explain(self, record: RegionRecord) -> tuple[SmhAttr | None, str]:
        """``(attr or None, reason)``: why the record maps (or does not)."""
        if record.attr is None or record.attr == DT_MEM_ARCH_ATTR_UNKNOWN:
            return None, "attribute unknown (DT_MEM_ARCH_ATTR_UNKNOWN): not a heap region"
        if record.attr_encoding in ("string", "mpu-string") and isinstance(record.attr_raw, str):
            family = record.decoded.arch_family if record.decoded is not None else None
            if not string_attr(record.attr_raw, family).heap_capable:
                # upstream's string-era test maps only RAM / RAM_NOCACHE (enum index 0 / 1)
                return None, (f"the old string \"{record.attr_raw}\" is an ARM MPU region type "
                              "other than RAM/RAM_NOCACHE: no shared-multi-heap memory here")
        for rule in self.rules:
            if rule.matches(record.attr):
                return rule.smh_attr, rule.describe()
        desc = record.decoded.describe() if record.decoded else f"{record.attr:#x}"
        return None, f"policy {self.name} cannot map attr {record.attr:#010x} ({desc})"

    def describe(self) -> str:
        """One line per rule, first match wins."""
        lines = [f"policy {self.name} (first match wins):"]
        lines += [f"  {r.describe()}" for r in self.rules]
        return "\n".join(lines)


def _num(v: object) -> int:
    if isinstance(v, bool):
        raise ValueError(f"expected a number, got {v!r}")
    if isinstance(v, int):
        n = v
    elif isinstance(v, str):
        try:
            n = int(v, 0)
        except ValueError:
            raise ValueError(f"expected a number, got {v!r}") from None
    else:
        raise ValueError(f"expected a number, got {v!r}")
    if not 0 <= n <= 0xFFFFFFFF:
        raise ValueError(f"{n:#x} does not fit in 32 bits")
    return n


def _smh_attr(v: object) -> SmhAttr:
    if isinstance(v, SmhAttr):
        return v
    if isinstance(v, str) and v.upper().removeprefix("SMH_REG_ATTR_") in SmhAttr.__members__:
        return SmhAttr[v.upper().removeprefix("SMH_REG_ATTR_")]
    if isinstance(v, int) and not isinstance(v, bool) and v in SmhAttr._value2member_map_:
        return SmhAttr(v)
    raise ValueError(f"unknown SMH attribute {v!r} (use one of {', '.join(SmhAttr.__members__)})")


@dataclass
class SmhMapping:
    """Result of :func:`map_to_smh`: mapped regions and skipped records with the reason."""

    regions: list[tuple[RegionRecord, SharedMultiHeapRegion]] = field(default_factory=list)
    unmapped: list[tuple[RegionRecord, str]] = field(default_factory=list)

    def by_attr(self) -> dict[SmhAttr, list[SharedMultiHeapRegion]]:
        """Regions grouped per SMH attribute, in registration (devicetree) order."""
        out: dict[SmhAttr, list[SharedMultiHeapRegion]] = {}
        for _rec, reg in self.regions:
            out.setdefault(SmhAttr(reg.attr), []).append(reg)
        return out


def map_to_smh(records: Sequence[RegionRecord], policy: MappingPolicy) -> SmhMapping:
    """Map records (devicetree order) to ``SharedMultiHeapRegion``s; disabled records and
    values the policy cannot map land in ``unmapped`` with a reason."""
    out = SmhMapping()
    for rec in records:
        if rec.status != "okay":
            out.unmapped.append((rec, f"status is \"{rec.status}\""))
            continue
        attr, reason = policy.explain(rec)
        if attr is None:
            out.unmapped.append((rec, reason))
        else:
            out.regions.append((rec, SharedMultiHeapRegion(int(attr), rec.addr, rec.size)))
    return out


def mem_attr_table(records: Sequence[RegionRecord]) -> list[MemAttrRegion]:
    """The mem_attr region table (``struct mem_attr_region_t``): status-okay records with a
    ``zephyr,memory-attr`` property (not the deprecated ``zephyr,memory-region-mpu``), in
    devicetree order; name = node full name, attr = the raw 32-bit value."""
    return [
        MemAttrRegion(rec.name, rec.addr, rec.size, rec.attr)
        for rec in records
        if rec.status == "okay" and rec.attr is not None and rec.attr_encoding != "mpu-string"
    ]
