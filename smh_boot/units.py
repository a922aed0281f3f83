"""How smh-boot writes sizes and addresses, in one place (boot log, validator, boards, maps, JSON).

Sizes: :func:`human_size` is the one formatter every human-readable output uses.
JSON: every address and size is an integer (exact arithmetic in any language); every address
also gets a ``<key>_hex`` companion string (``"addr": 536870912, "addr_hex": "0x20000000"``)
for people reading the document.  :func:`hex_str` writes that companion.
"""

from __future__ import annotations

_UNITS = (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10))


def human_size(nbytes: int) -> str:
    """A byte count for people: ``256 B``, ``64 KiB``, ``1.5 MiB``, ``4 GiB``.

    Exact whenever two decimals can say it (``1536`` -> ``1.5 KiB``, ``1280`` -> ``1.25 KiB``).
    Otherwise it is rounded to two decimals and marked with ``~`` (``1843200`` ->
    ``~1.76 MiB``), so no output passes a rounded size off as exact.  Below 1 KiB: bytes.
    Negative counts keep their sign (``-16 B``)."""
    if nbytes < 0:
        return "-" + human_size(-nbytes)
    for unit, scale in _UNITS:
        if nbytes >= scale:
            if nbytes % scale == 0:
                return f"{nbytes // scale} {unit}"
            hundredths, rest = divmod(nbytes * 100, scale)
            if rest == 0:
                text = f"{hundredths // 100}.{hundredths % 100:02d}".rstrip("0")
                return f"{text} {unit}"
            text = f"{nbytes / scale:.2f}"
            if text == "1024.00" and unit != "GiB":  # just below the next unit
                bigger = _UNITS[[u for u, _ in _UNITS].index(unit) - 1][0]
                return f"~1.00 {bigger}"
            return f"~{text} {unit}"
    return f"{nbytes} B"


def hex_str(value: int) -> str:
    """``0x20000000``: the ``*_hex`` companion of an integer address in JSON documents."""
    return f"{value:#x}"


def with_hex(d: dict, *keys: str) -> dict:
    """``d`` with a ``<key>_hex`` string after each integer ``key`` listed (None stays None).
    Keys keep their order: each companion directly follows its integer."""
    out: dict = {}
    for k, v in d.items():
        out[k] = v
        if k in keys:
            out[f"{k}_hex"] = None if v is None else hex_str(v)
    return out
