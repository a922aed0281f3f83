"""Find the memory regions of a devicetree: every node with a memory attribute.

Zephyr builds its mem_attr table from every status-okay node that has a
``zephyr,memory-attr`` property (``DT_MEMORY_ATTR_FOREACH_STATUS_OKAY_NODE``), wherever it
sits (``/reserved-memory``, ``/soc``, the root), in devicetree order, with address and size
from the first ``reg`` entry.  We do the same, and also read the two older encodings so
that old overlays still load (each with a deprecation warning naming the macro to write):

* ``zephyr,memory-attr = "RAM_NOCACHE";`` (the transitional 2023 string enum);
* ``zephyr,memory-region-mpu = "RAM";`` (deprecated property).

A string is read as upstream's string-era code read it: "RAM" is cacheable and "RAM_NOCACHE"
non-cacheable on every architecture (:func:`smh_boot.attrs.string_attr` gives the int-era
value for the board's architecture, which the policy then maps).
"""

from __future__ import annotations

from typing import Any

from ..attrs import MPU_STRING_ATTRS, STRING_ATTRS, AttrDecoding, decode_attr, deprecation_message, string_attr
from ..errors import DevicetreeError
from .guards import short_text
from .load import Devicetree
from .model import DtWarning, RegionRecord, RegionScan

ATTR_PROP = "zephyr,memory-attr"
MPU_PROP = "zephyr,memory-region-mpu"
NAME_PROP = "zephyr,memory-region"

#: the DtWarning code of the old encodings: the validator rule that reports them (the boot
#: prints the validator's finding, so one deprecation is one finding under one name)
DEPRECATED_CODE = "attr-deprecated-encoding"


def find_regions(dt: Devicetree, arch: str | None = None) -> RegionScan:
    """Scan ``dt`` for nodes carrying a memory attribute.

    ``arch`` (``"arm"``, ``"arm64"``, ``"riscv"``, ``"xtensa"``, ``"x86"``, ``"posix"`` or
    None) selects how architecture bits are named.  Raises DevicetreeError (located) for a
    region whose ``reg`` or attribute cannot be read."""
    scan = RegionScan(arch=arch)
    decoded: dict[int, AttrDecoding] = {}  # boards repeat a handful of values many times
    for node in dt.nodes():
        props = node.props
        if ATTR_PROP not in props and MPU_PROP not in props:
            if dt.is_memory_node(node):
                scan.without_attr.append(node.path)
            continue
        rec = _record(dt, node, arch, scan.warnings, decoded)
        (scan.regions if rec.status == "okay" else scan.disabled).append(rec)
    return scan


def _deprecated(dt: Devicetree, node: Any, prop: Any, prop_name: str, text: str,
                arch: str | None) -> DtWarning:
    return DtWarning(f"{node.path}: {deprecation_message(prop_name, text, arch)}",
                     dt.location(prop), DEPRECATED_CODE)


def _attr(dt: Devicetree, node: Any, warnings: list[DtWarning],
          arch: str | None) -> tuple[int, str, int | str, Any]:
    # -> (value, encoding, raw, property object)
    props = node.props
    if ATTR_PROP in props:
        prop = props[ATTR_PROP]
        kind = dt.prop_kind(node, ATTR_PROP)
        if MPU_PROP in props:
            warnings.append(DtWarning(
                f"{node.path}: '{MPU_PROP}' is ignored because '{ATTR_PROP}' is set; delete it",
                dt.location(props[MPU_PROP]), "mpu-string-ignored",
            ))
        if kind == "num":
            value = int.from_bytes(prop.value, "big")
            return value, "int", value, prop
        if kind == "string":
            text = dt.str_prop(node, ATTR_PROP) or ""
            if text in STRING_ATTRS:
                warnings.append(_deprecated(dt, node, prop, ATTR_PROP, text, arch))
                return string_attr(text, arch).value, "string", text, prop
            raise dt.error(
                prop,
                f"a string where a number belongs: {ATTR_PROP} = \"{text}\" (a number, "
                f"or one of the old strings {', '.join(STRING_ATTRS)})",
                f"write a bitmask such as {ATTR_PROP} = <( DT_MEM_CACHEABLE | DT_MEM_DMA )>; "
                "with the memory-attr headers included",
            )
        raise dt.error(
            prop,
            f"{ATTR_PROP} must be one 32-bit number, not: {short_text(str(prop).strip())}",
            f"write {ATTR_PROP} = <( DT_MEM_... )>; (one cell)",
        )
    prop = props[MPU_PROP]
    text = dt.str_prop(node, MPU_PROP) or ""
    if text not in MPU_STRING_ATTRS:
        raise dt.error(
            prop,
            f"{MPU_PROP} = \"{text}\" is not one of {', '.join(sorted(MPU_STRING_ATTRS))}",
            f"replace it with {ATTR_PROP} = <( DT_MEM_ARM(ATTR_MPU_...) )>;",
        )
    warnings.append(_deprecated(dt, node, prop, MPU_PROP, text, arch))
    return string_attr(text, arch).value, "mpu-string", text, prop


def _record(
    dt: Devicetree,
    node: Any,
    arch: str | None,
    warnings: list[DtWarning],
    decoded: dict[int, AttrDecoding],
) -> RegionRecord:
    value, encoding, raw, prop = _attr(dt, node, warnings, arch)
    decoding = decoded.get(value)
    if decoding is None:
        decoding = decoded[value] = decode_attr(value, arch)
    regs = dt.reg(node)
    if not regs or regs[0].size is None:
        raise DevicetreeError(
            f"{node.path} has a memory attribute but no <address size> 'reg'",
            *_where(dt, node),
            hint="give the region a reg = <address size>; (the parent needs #size-cells > 0)",
        )
    props = node.props
    return RegionRecord(
        path=node.path,
        name=node.name,
        labels=tuple(node.labels),
        region_name=dt.str_prop(node, NAME_PROP),
        compatible=tuple(dt.compatibles(node)),
        addr=regs[0].addr,
        size=regs[0].size,
        regs=tuple(regs),
        attr=value,
        attr_encoding=encoding,
        attr_raw=raw,
        decoded=decoding,
        no_map="no-map" in props,
        reusable="reusable" in props,
        status=dt.status(node),
        location=dt.location(node),
        attr_location=dt.location(prop),
    )


def _where(dt: Devicetree, node: Any) -> tuple[str, int | None, int | None]:
    loc = dt.location(node)
    if loc is None:
        return dt.dts_path, None, None
    return loc.file, loc.line, loc.column
