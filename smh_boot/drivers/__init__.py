"""Simulated drivers and the API for writing your own: everything a driver needs is imported
from here (the reference, every example run by a test, is docs/driver-api.md).

```python
from smh_boot.drivers import Driver, register_driver, InitLevel, SmhAttr, as_device
from smh_boot.drivers import DmaConfig, DmaBlockConfig, DmaDirection, DeviceInitError, DriverError
```

A driver allocates through its device in Zephyr's argument order (``device.alloc(attr, size,
name=...)``, ``aligned_alloc(attr, align, size)``, ``dma_alloc``, ``region_alloc``), maintains
the cache through ``device.memsys.sys_cache_*``, and runs DMA on the channels its devicetree
names (``device.dmas["tx"]``, ``device.dma_channel("tx")`` with a :class:`DmaConfig`).
``as_device`` attributes a method's memory accesses to its device in coherency reports;
``DriverError`` is for refused operations; ``default_registry()`` is the process registry.

The shipped drivers live in the modules of this package and are registered through the
``smh_boot.drivers`` entry-point group (see pyproject.toml), the same way third-party packages
register theirs.
"""

from ..bootstage.device import Buffer, BufferView, Device, DeviceInitError
from ..bootstage.dmas import (
    DMA_STATUS_BLOCK,
    DMA_STATUS_COMPLETE,
    DmaBlockConfig,
    DmaChannel,
    DmaConfig,
    DmaController,
    DmaSpec,
    DmaSpecs,
)
from ..bootstage.driver import (
    Driver,
    DriverRegistry,
    DriverReplacedWarning,
    default_registry,
    register_driver,
)
from ..bootstage.levels import InitLevel
from ..errors import CoherencyError, DmaUseAfterFree, HeapCorruption
from ..heap.region import SmhAttr
from ..memory import CoherencyKind, CoherencyReport, DmaDirection, DmaError, DmaTransfer
from ._common import DriverError, as_device, dma_alloc, region_alloc

__all__ = [
    "DMA_STATUS_BLOCK",
    "DMA_STATUS_COMPLETE",
    "Buffer",
    "BufferView",
    "CoherencyError",
    "CoherencyKind",
    "CoherencyReport",
    "Device",
    "DeviceInitError",
    "DmaBlockConfig",
    "DmaChannel",
    "DmaConfig",
    "DmaController",
    "DmaDirection",
    "DmaError",
    "DmaSpec",
    "DmaSpecs",
    "DmaTransfer",
    "DmaUseAfterFree",
    "Driver",
    "DriverError",
    "DriverRegistry",
    "DriverReplacedWarning",
    "HeapCorruption",
    "InitLevel",
    "SmhAttr",
    "as_device",
    "default_registry",
    "dma_alloc",
    "region_alloc",
    "register_driver",
]
