"""What the shipped drivers share: DMA-safe buffers, ``memory-region`` attributes, bus-master
channels.

Three rules real drivers follow (and whose absence is what the coherency checker catches):

* a buffer a device writes into, if cacheable, starts on a cache line and is padded to whole
  lines, so that no other allocation (and no heap chunk header) shares a line with it: an
  invalidate of the buffer then drops nothing but the buffer, and a transfer rounded up to a
  line clobbers nobody (Zephyr's ``__aligned(CONFIG_DCACHE_LINE_SIZE)`` plus ``ROUND_UP``);
* a device node with ``memory-region = <&label>`` gets its DMA memory from that region's SMH
  attribute, and the boot log notes it when the block landed in another heap (the SMH pool
  picks the first heap of an attribute that fits, which may be another one);
* every access a driver makes is attributed to its device (``memsys.acting_as``) so that a
  coherency report names the driver.
"""

from __future__ import annotations

import functools
import warnings
from typing import TYPE_CHECKING, Any, Callable, TypeVar

from ..bootstage.device import WORD, Buffer, DeviceInitError, round_up  # noqa: F401 - WORD, round_up: old home
from ..errors import SmhError
from ..heap.region import SmhAttr

if TYPE_CHECKING:  # pragma: no cover
    from ..bootstage.device import Device

F = TypeVar("F", bound=Callable[..., Any])

class DriverError(SmhError, ValueError):
    """An operation the simulated hardware refuses (frame too long, ring in a bad state,
    pattern larger than the framebuffer...): a misuse by the caller, not a device failure."""

    errno_name = "EINVAL"


def cache_line(device: "Device") -> int:
    """The data cache line size of the device's system, or 0 without a data cache."""
    return device.memsys.line_size


def dma_alloc(device: "Device", name: str, attr: SmhAttr | str, size: int, *, align: int = 0) -> Buffer:
    """Deprecated: ``device.dma_alloc(attr, size, name=...)`` (or ``dma_aligned_alloc(attr,
    align, size, name=...)``), Zephyr's argument order."""
    warnings.warn("dma_alloc(device, name, attr, size, align=) is deprecated: use "
                  "device.dma_alloc(attr, size, name=...) or device.dma_aligned_alloc(attr, "
                  "align, size, name=...)", DeprecationWarning, stacklevel=2)
    return device.dma_aligned_alloc(attr, align, size, name=name)


def region_alloc(
    device: "Device", name: str, default_attr: SmhAttr, size: int, *, align: int = 0, index: int = 0
) -> Buffer:
    """Deprecated: ``device.region_alloc(default_attr, size, name=..., align=, index=)``."""
    warnings.warn("region_alloc(device, name, attr, size) is deprecated: use "
                  "device.region_alloc(attr, size, name=...)", DeprecationWarning, stacklevel=2)
    return device.region_alloc(default_attr, size, name=name, align=align, index=index)


def refuse_cacheable(device: "Device", buf: Buffer) -> None:
    """DeviceInitError when the CPU reaches ``buf`` through the data cache: a driver whose
    hardware cannot live with the cache refuses such a buffer at init, as Zephyr's async UART
    drivers refuse one with ``-EFAULT``.  Without a data cache every buffer is fine.  (At run
    time the same requirement is ``memsys.require_noncacheable``, a coherency finding.)"""
    if device.memsys.any_cacheable(buf.addr, buf.size):
        raise DeviceInitError(
            f"'{buf.name}' at {buf.addr:#x} ({buf.attr} in {buf.region}) is cacheable; this "
            "device needs non-cacheable memory: point its memory-region at a NON_CACHEABLE region"
        )


def bus_master_channel(device: "Device") -> int:
    """The channel of the system's default DMA engine (``device.dma``) that stands for the
    own DMA of a bus master: a device that moves data itself and has no ``dmas`` (Ethernet
    MAC, display controller, LCD_CAM).  Its place among the system's devices, modulo the
    engine's channel count: every driver here completes its transfers before returning, so two
    devices sharing a channel never overlap.  Devices with ``dmas`` use the channels the
    devicetree names instead (``device.dma_channel(name)``)."""
    devices = device.system.device_list
    index = next((i for i, d in enumerate(devices) if d is device), 0)
    return index % device.dma.channels


def as_device(method: F) -> F:
    """Run a driver method with every memory access attributed to ``self.device``."""

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        __tracebackhide__ = True  # a failure points at the driver's line, not at this wrapper
        dev = self.device
        with dev.memsys.acting_as(dev.name):
            return method(self, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def prop_int(device: "Device", name: str, default: int, *, minimum: int = 1,
             maximum: int | None = None) -> int:
    """An integer node property (first cell), ``default`` when absent; DeviceInitError when it
    is below ``minimum``, above ``maximum`` or not a number.  The error names the file and
    line of the property (a count from an unvetted devicetree must not make the driver ask
    for gigabytes: issue 14 F9)."""
    value = device.prop(name, default)
    if isinstance(value, list):
        value = value[0] if value else default
    bad = not isinstance(value, int) or isinstance(value, bool) or value < minimum
    if not bad and maximum is not None and value > maximum:
        raise DeviceInitError(f"property {name} = {value!r} is over the limit of {maximum}; real "
                              f"hardware uses far fewer{_prop_where(device, name)}")
    if bad:
        raise DeviceInitError(f"property {name} = {value!r} must be an integer >= {minimum}"
                              f"{_prop_where(device, name)}")
    return value


def _prop_where(device: "Device", name: str) -> str:
    # " (at file:line)" of a node property, when the devicetree knows it.
    dt = getattr(getattr(device, "system", None), "devicetree", None)
    try:
        node = dt.get(device.path) if dt is not None else None
        loc = dt.prop_location(node, name) if node is not None else None
    except Exception:  # noqa: BLE001 - a location is a courtesy, never a new failure
        loc = None
    return f" (at {loc.file}:{loc.line})" if loc is not None and loc.line else ""
