"""What a rule is, and the registry every rule family adds itself to."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, NamedTuple

from ...units import human_size as human  # the one size formatter
from ..diagnostic import Related

if TYPE_CHECKING:  # pragma: no cover
    from ..model import Layout, LayoutNode
    from ..options import ValidationOptions


class Finding(NamedTuple):
    """What a check reports; the engine adds the rule ID and the effective severity."""

    location: Any
    node: str | None
    message: str
    related: tuple[Related, ...] = ()


class Context:
    """What a check sees: the layout, the options, and views computed once and shared."""

    def __init__(self, layout: Layout, options: ValidationOptions):
        self.layout = layout
        self.options = options

    @cached_property
    def regions(self) -> list[LayoutNode]:
        """Status-okay regions with a ``reg`` (devicetree order)."""
        return self.layout.regions()

    @cached_property
    def memories(self) -> list[LayoutNode]:
        """Status-okay memory nodes and the chosen ``zephyr,sram``."""
        return self.layout.memories()

    @cached_property
    def heaps(self) -> list[LayoutNode]:
        """Regions that become ``sys_heap`` heaps (devicetree order)."""
        return self.layout.heaps()

    @cached_property
    def attr_nodes(self) -> list[LayoutNode]:
        """Status-okay nodes with a ``zephyr,memory-attr`` (or a deprecated string form)."""
        return [n for n in self.layout.nodes if n.okay and n.attr is not None]


Check = Callable[[Context], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    """A validation rule: stable ``id``, default ``severity``, ``summary`` (one line),
    ``explanation`` (what ``--explain`` prints), the ``check`` function, and whether it runs
    without ``--enable`` (``default_enabled``)."""

    id: str
    severity: str
    summary: str
    explanation: str
    check: Check
    family: str
    default_enabled: bool = True


#: every rule by ID, in the order the families register them (see ``rules/__init__``)
REGISTRY: dict[str, Rule] = {}


def rule(id: str, severity: str, summary: str, explanation: str, default_enabled: bool = True):
    """Decorator registering ``check`` as rule ``id``."""

    def wrap(check: Check) -> Check:
        if id in REGISTRY:
            raise ValueError(f"rule {id!r} registered twice")
        family = check.__module__.rsplit(".", 1)[-1]
        REGISTRY[id] = Rule(id, severity, summary, explanation.strip(), check, family, default_enabled)
        return check

    return wrap


def hexrange(addr: int, size: int) -> str:
    """``[0x20000000-0x20000fff]`` (inclusive end, like Linux's reserved-memory log)."""
    return f"[{addr:#010x}-{addr + size - 1:#010x}]" if size else f"[{addr:#010x}, empty]"


