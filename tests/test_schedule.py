"""Fixed and adaptive temperature schedules."""

import numpy as np
import pytest

from ase_godiff.buffer import boltzmann_weights, effective_sample_size
from ase_godiff.schedule import AdaptiveSchedule, ExponentialSchedule, make_schedule
from ase_godiff.settings import SearchSettings


def test_exponential_runs_from_start_to_end_geometrically():
    schedule = ExponentialSchedule(5.0, 0.02, 20)
    values = np.array([schedule.kT(i) for i in range(20)])
    assert values[0] == pytest.approx(5.0) and values[-1] == pytest.approx(0.02)
    np.testing.assert_allclose(values[1:] / values[:-1], (0.02 / 5.0) ** (1 / 19))


def test_adaptive_hits_the_target_effective_sample_size():
    energies = np.random.default_rng(0).gamma(2.0, 0.5, size=400) + 25.0
    schedule = AdaptiveSchedule(5.0, 1e-4, target_ess=32)
    kT = schedule.kT(3, energies)
    assert effective_sample_size(boltzmann_weights(energies, kT)) == pytest.approx(32, rel=1e-3)


def test_adaptive_temperature_scales_with_the_energy_scale():
    """The same settings serve eV-scale metals and meV-scale Lennard-Jones argon."""
    energies = np.random.default_rng(1).normal(0.0, 1.0, size=300) ** 2
    schedule = AdaptiveSchedule(10.0, 1e-6, target_ess=16)
    assert schedule.kT(1, energies / 100.0) == pytest.approx(schedule.kT(1, energies) / 100.0, rel=1e-6)


def test_adaptive_never_heats_up_and_respects_its_bounds():
    schedule = AdaptiveSchedule(2.0, 0.05, target_ess=16)
    assert schedule.kT(0, np.arange(10.0)) == 2.0  # too few structures yet: start hot
    narrow = np.linspace(0.0, 0.001, 200)  # almost degenerate: ESS stays high even when cold
    assert schedule.kT(1, narrow) == pytest.approx(0.05)
    wide = np.linspace(0.0, 10.0, 200)  # ESS 4 at 0.1 eV: the target wants it hotter
    assert schedule.kT(2, wide, previous=0.1) == 0.1


def test_adaptive_lifts_a_collapsed_buffer_for_one_stage_and_says_so(caplog):
    """Random Lennard-Jones clusters: energies thousands of eV apart, one structure at 5 eV."""
    energies = np.concatenate([[0.0, 30.0], np.random.default_rng(3).uniform(100.0, 9000.0, 70)])
    schedule = AdaptiveSchedule(5.0, None, target_ess=32)
    assert effective_sample_size(boltzmann_weights(energies, 5.0)) < 1.01
    with caplog.at_level("WARNING", logger="ase_godiff"):
        kT = schedule.kT(0, energies)
    assert kT > 5.0
    assert effective_sample_size(boltzmann_weights(energies, kT)) == pytest.approx(2.0, rel=1e-3)
    assert "stage 0: the energies spread over" in caplog.text and "kT raised to" in caplog.text
    spread = np.concatenate([energies, np.linspace(0.0, 3.0, 40)])  # later: many structures near the best
    assert schedule.kT(1, spread, previous=kT) <= 5.0  # back under the ceiling
    caplog.clear()
    found = np.concatenate([[-2.0], np.linspace(0.0, 0.5, 100)])  # cooled, then a deep new minimum
    assert schedule.kT(9, found, previous=0.05) == 0.05 and "raised" not in caplog.text


def test_unknown_schedule_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown temperature schedule"):
        make_schedule("cosine", kT_start=1.0, kT_end=0.1, stages=3, target_ess=4)


def test_default_settings_give_argon_a_hundredth_of_platinum_temperature():
    """With the defaults there is no floor in eV: argon's kT is Pt's over a hundred, even cold."""
    settings = SearchSettings()
    schedule = make_schedule(settings.schedule, kT_start=settings.kT_start, kT_end=settings.kT_end,
                             stages=settings.stages, target_ess=4)
    platinum = 25.0 + np.random.default_rng(2).gamma(1.0, 0.3, size=160)  # eV, near-degenerate low end
    argon = platinum / 100.0
    kT = schedule.kT(5, platinum)
    assert kT < 0.02  # the old fixed floor would have held Pt here, and argon far hotter
    assert schedule.kT(5, argon) == pytest.approx(kT / 100.0, rel=1e-6)


def test_exponential_schedule_ends_at_two_hundredths_of_an_ev_by_default():
    schedule = make_schedule("exponential", kT_start=5.0, kT_end=None, stages=4, target_ess=4)
    assert schedule.kT(3) == pytest.approx(0.02)
