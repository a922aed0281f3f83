"""The boot stage: ``boot()`` turns a board definition into a running :class:`System`.

Also home of the driver model's core (``Driver``, ``register_driver``, ``Device``), which the
boot stage needs to bind devices; driver authors import it from :mod:`smh_boot.drivers`.
"""

from .device import Buffer, Device, DeviceInitError
from .driver import Driver, DriverRegistry, default_registry, register_driver
from .levels import InitLevel
from .stage import boot
from .system import HeapRegionInfo, System

__all__ = [
    "Buffer",
    "Device",
    "DeviceInitError",
    "Driver",
    "DriverRegistry",
    "HeapRegionInfo",
    "InitLevel",
    "System",
    "boot",
    "default_registry",
    "register_driver",
]
