"""SmhSettings: lazily resolved boards and the devicetree-cache hook into boot()."""

from __future__ import annotations

from pathlib import Path

import smh_boot.bootstage
from smh_boot.board import default_board
from smh_boot.pytest_plugin import SmhSettings


def _settings(**kw):
    base = dict(requested_boards=[], explicit_boards=False, seed=0, explicit_seed=False,
                stress=False, overlays=[], artifacts=Path("a"))
    base.update(kw)
    return SmhSettings(**base)


def test_boards_are_resolved_on_first_use_only():
    s = _settings()
    assert s._known is None  # nothing loaded until a test asks
    assert s.selected_boards() == [default_board().name]
    assert default_board().name in s.known_boards()


def test_the_cache_is_passed_only_to_a_boot_that_accepts_a_loader(monkeypatch):
    s = _settings()
    assert ("dt_loader" in s.boot_kwargs()) == ("dt_loader" in smh_boot.bootstage.boot.__code__.co_varnames)

    def boot_with_hook(board=None, *, dt_loader=None, **kw):  # the proposed boot() signature
        return dt_loader

    monkeypatch.setattr(smh_boot.bootstage, "boot", boot_with_hook)
    s = _settings()
    kwargs = s.boot_kwargs()
    assert kwargs == {"dt_loader": s.dt_cache().load}
    assert s.boot_kwargs() is kwargs  # computed once per process


def test_one_cache_per_settings_object():
    a, b = _settings(), _settings()
    assert a.dt_cache() is a.dt_cache()
    assert a.dt_cache() is not b.dt_cache()  # one per pytest process (xdist worker)
