"""Compare two boots: their JSON boot reports (``smh-boot boot --json``, or
:func:`~smh_boot.bootstage.boot_report.boot_report` of a booted system), region by region and
device by device.

Regions are matched by their ``zephyr,memory-region`` name (else node path), devices by node
path, buffers by device and buffer name.  Every difference is one :class:`Change`:

* board: ``arch``, ``ptr_size`` and the like changed;
* region: ``added`` / ``removed``, ``moved`` (base address), ``resized``, ``attr`` (SMH
  attribute or decoded devicetree bits), ``heap`` (geometry: chunk count, header width, chunk 0,
  first block), ``refused`` (the boot took it as a heap on one side only);
* device: ``added`` / ``removed``, ``ready``, ``driver``;
* buffer: ``added`` / ``removed``, ``moved`` (its offset in its region changed: a buffer that
  moves with its region is part of the region's change, not one of its own), ``resized``,
  ``region``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import InputError
from ..units import human_size

REPORT_FORMAT_PREFIX = "smh-boot-report/"


@dataclass(frozen=True)
class Change:
    """One difference: what (``kind``: board/region/device/buffer), which (``subject``), how
    (``change``), and the values on each side."""

    kind: str
    subject: str
    change: str
    a: Any = None
    b: Any = None

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "subject": self.subject, "change": self.change, "a": self.a, "b": self.b}

    def __str__(self) -> str:
        if self.change in ("added", "removed"):
            val = self.b if self.change == "added" else self.a
            return f"{self.kind} {self.subject}: {self.change}" + (f" ({_show(val)})" if val is not None else "")
        field = _FIELD_OF_CHANGE.get(self.change)
        return (f"{self.kind} {self.subject}: {self.change} {_show(self.a, field)} -> "
                f"{_show(self.b, field)}")


#: how each field is written, whatever its value: addresses in hex, sizes and byte offsets
#: with units (exact bytes beside a rounded one), counts in decimal
_FIELD_OF_CHANGE = {"moved": "address", "resized": "size"}
_FIELD_OF_KEY = {"addr": "address", "size": "size", "first_block_offset": "size",
                 "end_chunk": "count", "chunk0": "count"}


def _show(v: Any, field: str | None = None) -> str:
    if isinstance(v, dict):
        return ", ".join(f"{k}={_show(x, _FIELD_OF_KEY.get(k))}" for k, x in v.items())
    if not isinstance(v, int) or isinstance(v, bool):
        return str(v)
    if field == "address":
        return f"{v:#x}"
    if field == "size":
        return _size(v)
    return str(v)


def _size(n: int) -> str:
    """``32 KiB``; a size human_size can only round keeps its bytes: ``~4.88 KiB (5000 B)``."""
    text = human_size(n)
    return f"{text} ({n} B)" if text.startswith("~") else text


def check_report(doc: Any, source: str) -> dict[str, Any]:
    """A parsed JSON document that must be a boot report."""
    if not isinstance(doc, dict) or not str(doc.get("format", "")).startswith(REPORT_FORMAT_PREFIX):
        raise InputError("not a smh-boot boot report", file=source,
                         hint="save one with `smh-boot boot --json > report.json`")
    for key in ("board", "regions", "devices"):
        if key not in doc:
            raise InputError(f"the boot report has no '{key}'", file=source)
    return doc


def _region_key(r: dict[str, Any]) -> str:
    return r.get("name") or r.get("path") or "?"


def _heap_geometry(r: dict[str, Any]) -> dict[str, Any] | None:
    h = r.get("heap")
    if not h:
        return None
    return {k: h.get(k) for k in ("end_chunk", "big", "chunk0", "first_block_offset")}


def diff_reports(a: dict[str, Any], b: dict[str, Any]) -> list[Change]:
    """Every difference between boot reports ``a`` and ``b``, in a stable order."""
    out: list[Change] = []
    ba, bb = a.get("board", {}), b.get("board", {})
    for key in ("arch", "isa", "ptr_size", "cpu"):
        if ba.get(key) != bb.get(key):
            out.append(Change("board", key, "changed", ba.get(key), bb.get(key)))

    ra = {_region_key(r): r for r in a.get("regions", [])}
    rb = {_region_key(r): r for r in b.get("regions", [])}
    for name in [*ra, *(n for n in rb if n not in ra)]:
        x, y = ra.get(name), rb.get(name)
        if x is None:
            out.append(Change("region", name, "added", None, _where(y)))
            continue
        if y is None:
            out.append(Change("region", name, "removed", _where(x), None))
            continue
        if x.get("addr") != y.get("addr"):
            out.append(Change("region", name, "moved", x.get("addr"), y.get("addr")))
        if x.get("size") != y.get("size"):
            out.append(Change("region", name, "resized", x.get("size"), y.get("size")))
        for key in ("attr", "decoded"):
            if x.get(key) != y.get(key):
                out.append(Change("region", name, key, x.get(key), y.get(key)))
        hx, hy = x.get("heap") is not None, y.get("heap") is not None
        if hx != hy:
            out.append(Change("region", name, "heap", "a heap" if hx else x.get("error") or "not a heap",
                              "a heap" if hy else y.get("error") or "not a heap"))
        else:
            gx, gy = _heap_geometry(x), _heap_geometry(y)
            if gx != gy:
                out.append(Change("region", name, "heap geometry",
                                  {k: v for k, v in (gx or {}).items() if (gy or {}).get(k) != v},
                                  {k: v for k, v in (gy or {}).items() if (gx or {}).get(k) != v}))

    da = {d.get("path"): d for d in a.get("devices", [])}
    db = {d.get("path"): d for d in b.get("devices", [])}
    for path in [*da, *(p for p in db if p not in da)]:
        x, y = da.get(path), db.get(path)
        if x is None:
            out.append(Change("device", path, "added", None, y.get("driver")))
            continue
        if y is None:
            out.append(Change("device", path, "removed", x.get("driver"), None))
            continue
        for key in ("driver", "ready"):
            if x.get(key) != y.get(key):
                out.append(Change("device", path, key, x.get(key), y.get(key)))
        bx = {buf.get("name"): buf for buf in x.get("buffers", [])}
        by = {buf.get("name"): buf for buf in y.get("buffers", [])}
        for name in [*bx, *(n for n in by if n not in bx)]:
            subject = f"{path}:{name}"
            u, v = bx.get(name), by.get(name)
            if u is None:
                out.append(Change("buffer", subject, "added", None, _buf(v)))
            elif v is None:
                out.append(Change("buffer", subject, "removed", _buf(u), None))
            else:
                if _offset(u, ra) != _offset(v, rb):
                    out.append(Change("buffer", subject, "moved", u.get("addr"), v.get("addr")))
                if u.get("size") != v.get("size"):
                    out.append(Change("buffer", subject, "resized", u.get("size"), v.get("size")))
                if u.get("region") != v.get("region"):
                    out.append(Change("buffer", subject, "region", u.get("region"), v.get("region")))
    return out


def _offset(buf: dict[str, Any], regions: dict[str, dict[str, Any]]) -> Any:
    """A buffer's place: its offset in its region (its address when the region is unknown)."""
    r = regions.get(buf.get("region"))
    addr = buf.get("addr")
    if r is None or not isinstance(addr, int) or not isinstance(r.get("addr"), int):
        return addr
    return addr - r["addr"]


def _where(r: dict[str, Any]) -> str:
    if not isinstance(r.get("addr"), int):
        return str(r.get("attr"))
    return f"{r.get('attr')} {_show(r.get('size'), 'size')} at {r['addr']:#x}"


def _buf(b: dict[str, Any]) -> str:
    addr = b.get("addr")
    at = f" at {addr:#x}" if isinstance(addr, int) else ""
    return f"{_show(b.get('size'), 'size')}{at} in {b.get('region')}"


def render_text(label_a: str, label_b: str, changes: list[Change]) -> str:
    """One line per change, under a header naming both sides."""
    head = f"--- {label_a}\n+++ {label_b}\n"
    if not changes:
        return head + "no differences\n"
    lines = [str(c) for c in changes]
    n = len(changes)
    return head + "\n".join(lines) + f"\n{n} difference{'s' if n != 1 else ''}\n"
