"""The shipped simulated drivers, registered through the ``smh_boot.drivers`` entry point.

Importing this module imports every driver module, whose ``@register_driver`` decorators add
them to the process registry (pyproject.toml:
``[project.entry-points."smh_boot.drivers"] shipped = "smh_boot.drivers.shipped"``).
"""

from __future__ import annotations

from .display import DisplayController
from .dma import MemToMemDma
from .ethernet import EthernetMac
from .psram import Esp32LcdCam
from .uart import DmaUart, Uart

#: Every shipped driver class, in the order their modules are documented.
DRIVERS = (Uart, EthernetMac, DisplayController, MemToMemDma, Esp32LcdCam)

__all__ = ["DRIVERS", "DisplayController", "DmaUart", "Esp32LcdCam", "EthernetMac", "MemToMemDma", "Uart"]
