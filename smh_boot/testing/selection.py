"""Which boards and seeds a test runs on: pure functions behind the pytest plugin's options
and markers (kept apart from pytest so they are easy to test and to reason about).

Rules (also in the README, section "Writing driver integration tests"):

* ``--smh-board NAME`` (repeatable, or comma-separated; ``all`` = every shipped board) selects
  the boards; without it the default board is selected.  A name may be anything the commands
  take (a Zephyr board target, a ``.dts``, a build directory; ``--smh-build-dir DIR`` adds a
  build): the plugin lets the resolver judge those (:mod:`.targets`).
* A test pinned with ``@pytest.mark.smh_board("a", "b")`` runs on its pinned boards when no
  ``--smh-board`` was given or when ``all`` was; with ``--smh-board X`` it runs on the pinned
  boards that are also selected, and shows up as *skipped* (with the reason) when none is.  So
  a pinned test always runs somewhere in a plain ``pytest`` run and under ``all`` (even when
  pinned to a board YAML of the project's own), and ``--smh-board X`` never boots a board that
  was not asked for.
* ``@pytest.mark.smh_stress(seeds=N)`` runs the test under ``N`` stress seeds, ``base ..
  base+N-1`` where ``base`` is ``--smh-seed`` (default 0).  When ``--smh-seed`` is given
  explicitly, a stress test runs under that one seed only: that is how a failure printed as
  ``seed 7`` is reproduced.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

#: Stress seeds of ``@pytest.mark.smh_stress()`` without an explicit count.
DEFAULT_STRESS_SEEDS = 5


class SelectionError(ValueError):
    """An option or marker names something that does not exist (message says what to do)."""


@dataclass(frozen=True)
class BoardChoice:
    """One parameter of a test: a board, and a skip reason when it must not run."""

    board: str
    skip: str | None = None


def split_names(values: Iterable[str]) -> list[str]:
    """``["a,b", "c"]`` -> ``["a", "b", "c"]`` (empty items dropped)."""
    out: list[str] = []
    for v in values:
        out += [p.strip() for p in str(v).split(",") if p.strip()]
    return out


def resolve_boards(requested: Sequence[str], known: Sequence[str], default: str,
                   other: Callable[[str], bool] | None = None) -> list[str]:
    """The selected board names, in the order asked, without duplicates.

    ``requested`` empty -> ``[default]``; ``all`` expands to ``known`` (sorted).  A name that
    is not known raises :class:`SelectionError` listing the known boards.  Board YAML paths
    (ending in ``.yaml``/``.yml``) are accepted as they are, and so is every name ``other``
    accepts (the plugin accepts every entry and lets the resolver judge it: a Zephyr board
    target, a ``.dts``, a build directory)."""
    names = split_names(requested)
    if not names:
        return [default]
    out: list[str] = []
    for n in names:
        expanded = sorted(known) if n == "all" else [n]
        for b in expanded:
            if b not in known and not b.endswith((".yaml", ".yml")) and not (other and other(b)):
                raise SelectionError(
                    f"unknown board {b!r}; known boards: {', '.join(sorted(known))}, or 'all'"
                )
            if b not in out:
                out.append(b)
    return out


def restricts_pins(requested: Sequence[str]) -> bool:
    """Whether a board request narrows pinned tests: any request but none or ``all``."""
    names = split_names(requested)
    return bool(names) and "all" not in names


def boards_for_test(selected: Sequence[str], explicit: bool,
                    pinned: Sequence[str] | None,
                    same: Callable[[str, str], bool] | None = None) -> list[BoardChoice]:
    """The boards one test runs on (see the module docstring for the pinning rule);
    ``explicit`` is :func:`restricts_pins` of the request.  ``same(pin, selected)`` says
    whether a pin names a selected board (default: equal names; the plugin also matches a
    build directory to the board target it was built for); the selected entry is used."""
    if pinned is None:
        return [BoardChoice(b) for b in selected]
    if not explicit:
        return [BoardChoice(b) for b in pinned]
    match = same or (lambda a, b: a == b)
    chosen: list[BoardChoice] = []
    for p in pinned:
        for b in selected:
            if match(p, b) and BoardChoice(b) not in chosen:
                chosen.append(BoardChoice(b))
    if chosen:
        return chosen
    return [BoardChoice(pinned[0], f"pinned to {', '.join(pinned)}; not among the selected "
                                   f"boards ({', '.join(selected)})")]


def check_pinned(pinned: Sequence[str], known: Sequence[str],
                 other: Callable[[str], bool] | None = None) -> None:
    """Raise :class:`SelectionError` for a pin to a board that does not exist (a name
    ``other`` accepts is left to the caller, as in :func:`resolve_boards`)."""
    if not pinned:
        raise SelectionError("@pytest.mark.smh_board() needs at least one board name")
    for b in pinned:
        if b not in known and not str(b).endswith((".yaml", ".yml")) and not (other and other(str(b))):
            raise SelectionError(
                f"@pytest.mark.smh_board: unknown board {b!r}; known boards: "
                f"{', '.join(sorted(known))}"
            )


def stress_seed_count(args: Sequence[object], kwargs: dict[str, object]) -> int:
    """``N`` of ``smh_stress(N)`` / ``smh_stress(seeds=N)`` (default :data:`DEFAULT_STRESS_SEEDS`)."""
    if len(args) > 1 or set(kwargs) - {"seeds"} or (args and "seeds" in kwargs):
        raise SelectionError("use @pytest.mark.smh_stress(seeds=N)")
    n = kwargs.get("seeds", args[0] if args else DEFAULT_STRESS_SEEDS)
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise SelectionError(f"@pytest.mark.smh_stress: seeds must be an integer >= 1, not {n!r}")
    return n


def seeds_for_test(base: int, explicit: bool, count: int) -> list[int]:
    """Stress seeds of one test: ``[base]`` when the seed was given explicitly, else
    ``base .. base+count-1``."""
    return [base] if explicit else list(range(base, base + count))
