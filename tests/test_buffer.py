"""Boltzmann weights, effective sample size and weighted draws without replacement."""

import numpy as np
import pytest

from ase_godiff.buffer import ReplayBuffer, boltzmann_weights, effective_sample_size, weighted_draw


def test_weights_ignore_energy_offset_and_sign():
    energies = np.array([0.0, 0.1, 0.5, 2.0])
    for offset in (-800.0, 0.0, 1.0e5):
        np.testing.assert_allclose(boltzmann_weights(energies + offset, 0.2),
                                   boltzmann_weights(energies, 0.2), rtol=1e-9)
    w = boltzmann_weights(energies, 0.2)
    assert w.sum() == pytest.approx(1.0)
    assert w[1] / w[0] == pytest.approx(np.exp(-0.1 / 0.2))


def test_weights_survive_huge_energy_spreads():
    w = boltzmann_weights(np.array([1.0e4, 5.0, 5.01, 3.0e3]), 0.02)
    assert np.all(np.isfinite(w)) and w.argmax() == 1


def test_bad_temperature_is_a_clear_error():
    with pytest.raises(ValueError, match="kT must be positive"):
        boltzmann_weights(np.zeros(3), 0.0)


def test_effective_sample_size_bounds():
    assert effective_sample_size(np.ones(10)) == pytest.approx(10.0)
    assert effective_sample_size(np.array([1.0, 0.0, 0.0])) == pytest.approx(1.0)


def test_draw_is_without_replacement_and_favours_heavy_items():
    rng = np.random.default_rng(0)
    weights = np.array([0.5, 0.3, 0.15, 0.05, 0.0])
    first_counts = np.zeros(5)
    for _ in range(4000):
        chosen = weighted_draw(weights, 3, rng)
        assert len(set(chosen.tolist())) == 3
        assert 4 not in chosen  # zero weight drawn last
        first_counts[chosen[0]] += 1
    np.testing.assert_allclose(first_counts / 4000, weights, atol=0.03)


def test_draw_asks_for_more_than_available_returns_all():
    chosen = weighted_draw(np.array([0.2, 0.8]), 10, np.random.default_rng(1))
    assert sorted(chosen.tolist()) == [0, 1]


def test_buffer_keeps_every_structure_and_draws_normalised_weights():
    buffer = ReplayBuffer(n_free=2)
    with pytest.raises(ValueError, match="empty"):
        buffer.draw(1.0, 2, np.random.default_rng(0))
    for i, energy in enumerate([3.0, 1.0, 2.0]):
        buffer.add(np.full((2, 3), i), energy, np.zeros((2, 3)), stage=i)
    chosen, weights = buffer.draw(0.01, 2, np.random.default_rng(0))
    assert len(buffer) == 3 and buffer.positions.shape == (3, 2, 3)
    assert chosen[0] == 1 and weights.sum() == pytest.approx(1.0)
    np.testing.assert_array_equal(buffer.stages, [0, 1, 2])
