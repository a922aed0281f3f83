"""Stress modes: seeded, deterministic, and doing what they claim."""

from __future__ import annotations

import pytest
from memrig import SRAM, make_rig

from smh_boot.memory import StressConfig


def _workload(r):
    for i in range(64):
        r.cpu.write_u32(SRAM + (i * 52) % 0x2000, i)
    t = r.dma.start(0, device="eth0", dst=SRAM + 0x3000, size=96, data=bytes(96))
    r.dma.complete(t)
    r.memsys.sys_cache_data_invd_range(SRAM + 0x3000, 96)
    return sum(r.cpu.read_u32(SRAM + (i * 52) % 0x2000) for i in range(64))


def _fingerprint(seed):
    r = make_rig(seed, check=True)
    total = _workload(r)
    lines = [(ln.addr, ln.dirty) for ln in r.cache.lines()]
    return total, r.cache.stats.as_dict(), lines, [str(e) for e in r.checker.log.history(SRAM)]


def test_same_seed_same_cache_behaviour():
    assert _fingerprint(7) == _fingerprint(7)


def test_different_seeds_differ_but_never_change_results():
    prints = [_fingerprint(s) for s in range(6)]
    assert len({repr(p[1:]) for p in prints}) > 1
    assert {p[0] for p in prints} == {sum(range(64))}


def test_stress_prefetches_and_evicts():
    r = make_rig(1, rate=1.0)
    _workload(r)
    assert r.cache.stats.prefetches > 0 and r.cache.stats.evictions > 0


@pytest.mark.parametrize("prefetch, evict", [(False, True), (True, False), (False, False)])
def test_each_mode_can_be_switched_off(prefetch, evict, monkeypatch):
    cfg = StressConfig(3, prefetch=prefetch, evict=evict, rate=1.0, dma_rate=1.0)
    r = make_rig(check=False, stress=cfg)
    evicted = []
    real_evict = r.memsys.evict_line
    monkeypatch.setattr(r.memsys, "evict_line", lambda a, **kw: evicted.append(a) or real_evict(a, **kw))
    _workload(r)
    assert (r.cache.stats.prefetches > 0) == prefetch
    assert bool(evicted) == evict


@pytest.mark.parametrize("field", ["rate", "dma_rate"])
@pytest.mark.parametrize("value", [-0.1, 1.5])
def test_rates_must_be_probabilities(field, value):
    with pytest.raises(ValueError, match=field):
        StressConfig(1, **{field: value})


def test_no_stress_without_a_cache():
    r = make_rig(5, cache=None, check=False)
    assert r.memsys.stressor is None
