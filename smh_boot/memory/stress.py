"""Seeded stress modes: what a real core's cache does behind the program's back.

Two things make DMA maintenance bugs show up on hardware only now and then:

* **speculative prefetch**: the core fills lines the program never asked for (the
  neighbours of a line it touched, or lines of a buffer a DMA is still writing), so a line
  can be in the cache, stale, the moment the transfer completes;
* **evictions at arbitrary points**: a dirty line leaves the cache whenever its set is under
  pressure, so a forgotten flush may go unnoticed, or a dirty line may land on top of what a
  device just wrote.

:class:`Stressor` does both from a ``random.Random(seed)`` of its own, after each cacheable
CPU line access (with probability ``rate``) and in bursts around every DMA start and
completion (with probability ``dma_rate`` per line of the transfer).  The same seed and the
same program give the same cache behaviour, so a failing seed replays exactly.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from .records import DmaTransfer

if TYPE_CHECKING:
    from .cache import DataCache
    from .coherency import CoherencyChecker


class StressedMemory(Protocol):
    """What the stressor needs of the memory system it acts on (a
    :class:`~smh_boot.memory.system.MemorySystem`; named here so this module does not import it)."""

    cache: DataCache | None
    checker: CoherencyChecker | None
    bulk_min_lines: int | None

    @property
    def line_size(self) -> int: ...  # noqa: D102

    def evict_line(self, addr: int, *, quiet: bool = False) -> bool: ...  # noqa: D102

    def prefetch_line(self, addr: int, *, quiet: bool = False) -> bool: ...  # noqa: D102


@dataclass(frozen=True, slots=True)
class StressConfig:
    """Stress settings: ``seed``; ``prefetch``/``evict`` switch each mode; ``rate`` is the
    chance of a stress event after a CPU line access; ``dma_rate`` the chance, per line of a
    transfer's buffer (and its two neighbours), of a prefetch or eviction when the transfer
    starts or completes."""

    seed: int
    prefetch: bool = True
    evict: bool = True
    rate: float = 0.1
    dma_rate: float = 0.5

    def __post_init__(self) -> None:
        for name in ("rate", "dma_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"StressConfig.{name} = {value} is not a probability in [0, 1]")


class Stressor:
    """Applies a :class:`StressConfig` to one memory system (created by it)."""

    def __init__(self, config: StressConfig, memsys: StressedMemory):
        self.config = config
        self.rng = random.Random(config.seed)
        self._m = memsys
        self._busy = False  # a stress fill must not trigger stress of its own

    def tick(self, line_addr: int) -> None:
        """After a CPU access to ``line_addr``: maybe prefetch a neighbour, maybe evict a line."""
        cfg, rng = self.config, self.rng
        if self._busy or rng.random() >= cfg.rate:
            return
        self._busy = True
        try:
            ls = self._m.line_size
            if cfg.prefetch:
                self._m.prefetch_line(line_addr + (ls if rng.random() < 0.5 else -ls))
            if cfg.evict:
                self._evict_random()
        finally:
            self._busy = False

    def _evict_random(self) -> None:
        cache = self._m.cache
        assert cache is not None
        line = cache.line_at(self.rng.randrange(cache.num_sets), self.rng.randrange(cache.ways))
        if line is not None:
            self._m.evict_line(line.addr)

    def dma_window(self, transfer: DmaTransfer) -> None:
        """Around a DMA start or completion: prefetch and evict lines of the transfer's
        buffers and their neighbours, plus one random eviction elsewhere.  Over a long buffer
        (at least the memory system's ``bulk_min_lines``) the lines' own history events give
        way to one range event per buffer, as on the bulk path; what happens is the same."""
        cfg, rng, m = self.config, self.rng, self._m
        ls = m.line_size
        bulk = m.bulk_min_lines
        self._busy = True
        try:
            for base in (transfer.src, transfer.dst):
                if base is None:
                    continue
                quiet = bulk is not None and transfer.size >= bulk * ls
                fills = evictions = 0
                for la in range(base - base % ls - ls, base + transfer.size + ls, ls):
                    if rng.random() >= cfg.dma_rate:
                        continue
                    if cfg.evict and rng.random() < 0.5:
                        evictions += m.evict_line(la, quiet=quiet)
                    elif cfg.prefetch:
                        fills += m.prefetch_line(la, quiet=quiet)
                if quiet and m.checker is not None:
                    m.checker.note_range(
                        "cache", "stress window", base - base % ls - ls, transfer.size + 2 * ls,
                        f"{fills} prefetches, {evictions} evictions",
                    )
            if cfg.evict:
                self._evict_random()
        finally:
            self._busy = False
