"""Simulated drivers and the API for writing your own.

```python
from smh_boot.drivers import Driver, register_driver, InitLevel, DeviceInitError
```

The shipped drivers live in the modules of this package and are registered through the
``smh_boot.drivers`` entry-point group (see pyproject.toml), the same way third-party packages
register theirs.
"""

from ..bootstage.device import Buffer, Device, DeviceInitError
from ..bootstage.driver import Driver, DriverRegistry, default_registry, register_driver
from ..bootstage.levels import InitLevel

__all__ = [
    "Buffer",
    "Device",
    "DeviceInitError",
    "Driver",
    "DriverRegistry",
    "InitLevel",
    "default_registry",
    "register_driver",
]
