"""The driver model: a simulated driver is a small class bound to devicetree compatibles.

```python
from smh_boot.drivers import Driver, register_driver, InitLevel

@register_driver("acme,sim-uart", level=InitLevel.POST_KERNEL, priority=50)
class SimUart(Driver):
    def init(self, device):
        self.rx = device.alloc(SmhAttr.NON_CACHEABLE, 256, name="rx-ring")
```

Registration is process-wide (like pytest plugins): the decorator records the class under each
compatible.  Third-party packages expose their driver modules through the ``smh_boot.drivers``
entry-point group; :func:`load_entry_point_drivers` imports them once per process.
A :class:`DriverRegistry` can also be built explicitly and passed to ``boot()``.
"""

from __future__ import annotations

import importlib.metadata
import threading
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, ClassVar, Iterable

from ..errors import SmhError
from .levels import InitLevel

if TYPE_CHECKING:  # pragma: no cover
    from .device import Device

ENTRY_POINT_GROUP = "smh_boot.drivers"


class DriverReplacedWarning(UserWarning):
    """A driver registration replaced another driver class for the same compatible."""


class DriverLoadError(SmhError):
    """A driver package registered in the ``smh_boot.drivers`` entry-point group failed to load."""


class Driver:
    """Base class of simulated drivers.

    Class attributes (set by :func:`register_driver`): ``compatibles``, ``level``, ``priority``.
    ``init(device)`` brings the device up; raising any exception (or
    :class:`~smh_boot.bootstage.device.DeviceInitError`) marks the device not ready with that
    reason, like a non-zero return from a Zephyr init function, and the boot goes on.
    """

    compatibles: ClassVar[tuple[str, ...]] = ()
    level: ClassVar[InitLevel] = InitLevel.POST_KERNEL
    priority: ClassVar[int] = 50

    def __init__(self) -> None:
        self.device: "Device | None" = None

    def init(self, device: "Device") -> None:  # pragma: no cover - overridden
        """Bring the device up (allocate buffers, program the simulated hardware)."""

    def describe(self) -> str:
        """One line for the boot log (defaults to the class name)."""
        return type(self).__name__


@dataclass(frozen=True)
class DriverBinding:
    """A registered driver class for one compatible."""

    compatible: str
    cls: type[Driver]
    level: InitLevel
    priority: int


class DriverRegistry:
    """Compatible -> driver class.  A later registration of a compatible wins (with a
    warning, see :meth:`register`)."""

    def __init__(self, bindings: Iterable[DriverBinding] = ()):
        self._by_compat: dict[str, DriverBinding] = {}
        for b in bindings:
            self.add(b)

    def add(self, binding: DriverBinding) -> None:
        """Register (or replace) the driver of ``binding.compatible``."""
        self._by_compat[binding.compatible] = binding

    def register(self, cls: type[Driver], *, replace: bool | None = None,
                 _stacklevel: int = 2) -> type[Driver]:
        """Register a Driver subclass under each of its ``compatibles``.

        ``replace=None`` (default): a compatible already bound to *another* class is rebound,
        with a :class:`DriverReplacedWarning` naming both (re-registering the same class, as a
        re-import does, is silent); ``replace=True``: rebind silently (a deliberate swap, e.g.
        in a copy of the registry); ``replace=False``: keep the existing registration."""
        replaced: dict[str, list[str]] = {}
        for compat in cls.compatibles:
            old = self._by_compat.get(compat)
            if old is not None and replace is False:
                continue
            if old is not None and replace is None and _name(old.cls) != _name(cls):
                replaced.setdefault(_name(old.cls), []).append(compat)
            self.add(DriverBinding(compat, cls, cls.level, cls.priority))
        for old_name, compats in replaced.items():
            which = ", ".join(f"'{c}'" for c in compats)
            warnings.warn(
                f"driver {_name(cls)} replaces {old_name} for compatible {which}; register "
                "it in a copy of the registry (default_registry().copy().register(cls, "
                "replace=True)) to swap drivers for one boot only",
                DriverReplacedWarning, stacklevel=_stacklevel,
            )
        return cls

    def lookup(self, compatibles: Iterable[str]) -> DriverBinding | None:
        """The binding for the first compatible (most specific first, as in devicetree)."""
        for c in compatibles:
            b = self._by_compat.get(c)
            if b is not None:
                return b
        return None

    def copy(self) -> "DriverRegistry":
        """An independent copy (to add test drivers without touching the process registry)."""
        return DriverRegistry(self._by_compat.values())

    @property
    def compatibles(self) -> list[str]:
        """Every registered compatible, sorted."""
        return sorted(self._by_compat)

    def __contains__(self, compat: str) -> bool:
        return compat in self._by_compat


#: The process-wide registry filled by @register_driver and entry points.
_REGISTRY = DriverRegistry()
_EP_LOCK = threading.RLock()
_EP_LOADED = False


class _Flag(threading.local):
    active = False


#: True (in this thread) while entry-point modules are being imported.
_EP_LOADING = _Flag()


def register_driver(
    *compatibles: str, level: InitLevel | str = InitLevel.POST_KERNEL, priority: int = 50
) -> Callable[[type[Driver]], type[Driver]]:
    """Class decorator: bind a :class:`Driver` subclass to devicetree compatibles."""
    if not compatibles:
        raise ValueError("register_driver needs at least one compatible")
    lvl = InitLevel.parse(level)

    def deco(cls: type[Driver]) -> type[Driver]:
        if not (isinstance(cls, type) and issubclass(cls, Driver)):
            raise TypeError(f"@register_driver expects a Driver subclass, got {cls!r}")
        cls.compatibles = tuple(compatibles)
        cls.level = lvl
        cls.priority = int(priority)
        # While entry points load, a driver never replaces one the user registered earlier
        # for the same compatible: the user's choice wins whatever the import order.
        return _REGISTRY.register(cls, replace=False if _EP_LOADING.active else None,
                                  _stacklevel=3)

    return deco


def load_entry_point_drivers() -> None:
    """Import every module named in the ``smh_boot.drivers`` entry-point group (once)."""
    global _EP_LOADED
    with _EP_LOCK:
        if _EP_LOADED:
            return
        _EP_LOADING.active = True
        try:
            for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
                try:
                    obj = ep.load()
                except Exception as e:  # noqa: BLE001 - a broken plug-in package
                    raise DriverLoadError(
                        f"cannot load driver entry point '{ep.name} = {ep.value}' "
                        f"({ENTRY_POINT_GROUP}): {type(e).__name__}: {e}; fix or uninstall the "
                        "package that provides it"
                    ) from e
                if isinstance(obj, type) and issubclass(obj, Driver) and obj.compatibles:
                    _REGISTRY.register(obj, replace=False)
        finally:
            _EP_LOADING.active = False
        _EP_LOADED = True


def _name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def default_registry() -> DriverRegistry:
    """The process registry, with the shipped and entry-point drivers loaded."""
    load_entry_point_drivers()
    return _REGISTRY
