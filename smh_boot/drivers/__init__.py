"""Simulated drivers and the API for writing your own.

```python
from smh_boot.drivers import Driver, register_driver, InitLevel, DeviceInitError
from smh_boot.drivers import SmhAttr, dma_alloc, region_alloc, as_device, DriverError
```

``dma_alloc``/``region_alloc`` give line-aligned, line-padded DMA buffers (the latter from the
attribute of the node's ``memory-region``), ``as_device`` attributes a method's memory accesses
to its device in coherency reports, ``DriverError`` is for refused operations.

The shipped drivers live in the modules of this package and are registered through the
``smh_boot.drivers`` entry-point group (see pyproject.toml), the same way third-party packages
register theirs.
"""

from ..bootstage.device import Buffer, BufferView, Device, DeviceInitError
from ..bootstage.dmas import (
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
from ..errors import CoherencyError
from ..heap.region import SmhAttr
from ..memory import CoherencyKind, CoherencyReport, DmaDirection, DmaError, DmaTransfer
from ._common import DriverError, as_device, dma_alloc, region_alloc

__all__ = [
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
    "Driver",
    "DriverError",
    "DriverRegistry",
    "DriverReplacedWarning",
    "InitLevel",
    "SmhAttr",
    "as_device",
    "default_registry",
    "dma_alloc",
    "region_alloc",
    "register_driver",
]
