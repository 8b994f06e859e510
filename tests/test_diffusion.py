"""The VE-SDE, the reverse sampler against an exact Gaussian score, and the box geometry."""

import numpy as np
import pytest
import torch

from ase_godiff.diffusion.box import TorchBox
from ase_godiff.diffusion.loss import weighted_dsm_loss
from ase_godiff.diffusion.sampler import reverse_diffusion
from ase_godiff.diffusion.sde import VESDE


@pytest.mark.parametrize("schedule", ["linear", "geometric"])
def test_forward_marginal_has_the_scheduled_spread(schedule):
    sde = VESDE(0.01, 4.0, schedule)
    generator = torch.Generator().manual_seed(0)
    x0 = torch.full((20000, 1, 3), 1.5, dtype=torch.float64)
    t = torch.tensor(0.6, dtype=torch.float64)
    xt, z = sde.perturb(x0, t, generator)
    assert abs(float(xt.mean()) - 1.5) < 0.05
    assert float(xt.std()) == pytest.approx(float(sde.sigma(t)), rel=0.02)
    np.testing.assert_allclose(xt.numpy(), (x0 + sde.sigma(t) * z).numpy())


@pytest.mark.parametrize("schedule", ["linear", "geometric"])
def test_g2_is_the_time_derivative_of_sigma_squared(schedule):
    sde = VESDE(0.01, 5.0, schedule)
    t = torch.linspace(0.05, 0.95, 7, dtype=torch.float64)
    h = 1e-6
    numeric = (sde.sigma(t + h) ** 2 - sde.sigma(t - h) ** 2) / (2 * h)
    np.testing.assert_allclose(sde.g2(t).numpy(), numeric.numpy(), rtol=1e-5)
    assert float(sde.sigma(torch.tensor(1.0))) == pytest.approx(5.0)


@pytest.mark.parametrize("schedule", ["linear", "geometric"])
def test_sampler_recovers_a_gaussian_from_its_exact_score(schedule):
    sde = VESDE(0.01, 5.0, schedule)
    mean, spread = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64), 0.3

    def score(x, t):
        return -(x - mean) / (spread**2 + sde.sigma(t) ** 2)

    generator = torch.Generator().manual_seed(1)
    prior = mean + torch.randn(6000, 1, 3, generator=generator, dtype=torch.float64) * (
        spread**2 + 25.0) ** 0.5
    samples = reverse_diffusion(score, sde, prior, steps=300, t_min=1e-3, generator=generator)
    np.testing.assert_allclose(samples.mean(dim=(0, 1)).numpy(), mean.numpy(), atol=0.03)
    np.testing.assert_allclose(samples.std(dim=(0, 1)).numpy(), spread, rtol=0.05)


@pytest.mark.parametrize("schedule", ["linear", "geometric"])
def test_time_is_the_inverse_of_sigma(schedule):
    sde = VESDE(0.01, 5.0, schedule)
    t = torch.linspace(0.0, 1.0, 11, dtype=torch.float64)
    np.testing.assert_allclose(sde.time(sde.sigma(t)).numpy(), t.numpy(), atol=1e-12)
    assert float(sde.time(torch.tensor(50.0))) == 1.0  # clamped into the schedule's range


@pytest.mark.parametrize("schedule", ["linear", "geometric"])
def test_sampler_started_part_way_recovers_the_gaussian_from_each_start_time(schedule):
    """Samples of the forward marginal at their own start times, reversed together, all end in
    the data's law: each sample steps on its own clock."""
    sde = VESDE(0.01, 5.0, schedule)
    mean, spread = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64), 0.3

    def score(x, t):
        variance = (spread**2 + sde.sigma(t) ** 2)[:, None, None]
        return -(x - mean) / variance

    generator = torch.Generator().manual_seed(2)
    starts = torch.tensor([0.2, 0.5, 0.8], dtype=torch.float64).repeat_interleave(4000)
    width = (spread**2 + sde.sigma(starts) ** 2).sqrt()[:, None, None]
    x = mean + torch.randn(len(starts), 1, 3, generator=generator, dtype=torch.float64) * width
    samples = reverse_diffusion(score, sde, x, steps=200, t_min=1e-3, generator=generator, t_start=starts)
    for group in samples.split(4000):
        np.testing.assert_allclose(group.mean(dim=(0, 1)).numpy(), mean.numpy(), atol=0.03)
        np.testing.assert_allclose(group.std(dim=(0, 1)).numpy(), spread, rtol=0.06)


def test_inpainting_keeps_the_kept_atom_and_regrows_the_other_in_its_conditional_law():
    """Data: atom 1 ~ N(0, 2^2), atom 2 = atom 1 + d + N(0, 0.1^2) on each axis. Atom 1 kept at
    a, off the data's centre: it ends exactly at a, and atom 2, regrown from the prior,
    lands near a + d, not at the unconditional mean d (RePaint without its resampling pulls it a
    few per cent of a towards the data's centre)."""
    sde = VESDE(0.01, 5.0, "geometric")
    covariance = torch.tensor([[4.0, 4.0], [4.0, 4.01]], dtype=torch.float64)
    d = torch.tensor([1.0, 0.0, 0.0], dtype=torch.float64)
    mean = torch.stack([torch.zeros(3, dtype=torch.float64), d])  # (2 atoms, 3)

    def score(x, t):
        precision = torch.linalg.inv(covariance + sde.sigma(t) ** 2 * torch.eye(2, dtype=torch.float64))
        return -torch.einsum("ij,bjk->bik", precision, x - mean)

    generator = torch.Generator().manual_seed(3)
    n = 4000
    a = torch.tensor([3.0, -2.0, 1.0], dtype=torch.float64)
    kept_positions = torch.zeros(n, 2, 3, dtype=torch.float64)
    kept_positions[:, 0] = a
    mask = torch.zeros(n, 2, dtype=torch.bool)
    mask[:, 0] = True
    prior = mean + 5.0 * torch.randn(n, 2, 3, generator=generator, dtype=torch.float64)
    samples = reverse_diffusion(score, sde, prior, steps=200, t_min=1e-3, generator=generator,
                                kept=(kept_positions, mask))
    assert torch.equal(samples[:, 0], kept_positions[:, 0])
    offset = (samples[:, 1].mean(0) - (a + d)).abs()
    assert torch.all(offset < 0.1 * a.abs()), offset
    assert float(samples[:, 1].std(0).max()) < 0.2  # the conditional spread, 0.1 Å, not the data's 2 Å


def test_force_guidance_moves_along_forces_and_projection_keeps_the_box():
    sde = VESDE(0.01, 1.0, "linear")
    box = TorchBox(np.zeros(3), np.eye(3) * 2.0, [False, False, False], torch.float64)
    start = torch.full((5, 2, 3), 1.0, dtype=torch.float64)

    def run(guidance, push):
        return reverse_diffusion(
            lambda x, t: (torch.zeros_like(x), torch.full_like(x, push)), sde, start, steps=1,
            t_min=0.5, project=box.confine, guidance=guidance)

    np.testing.assert_allclose(run(0.0, 1.0).numpy(), 1.0)  # no guidance: zero score stays put
    np.testing.assert_allclose(run(0.2, 0.1).numpy(), 1.0 + 0.2 * 0.5 * 0.1)  # alpha (1 - t) F
    step = run(0.2, 50.0) - start  # a huge force: the step is capped at 0.1 Å per atom
    np.testing.assert_allclose(torch.linalg.norm(step, dim=-1).numpy(), 0.1, rtol=1e-6)


def test_box_reflects_walls_and_wraps_periodic_axes():
    vectors = np.array([[3.0, 0.0, 0.0], [1.5, 2.6, 0.0], [0.0, 0.0, 4.0]])
    box = TorchBox(np.array([0.0, 0.0, 10.0]), vectors, [True, True, False], torch.float64)
    x = torch.tensor([[[0.5, 0.5, 9.0], [4.0, 0.2, 15.0], [-0.5, -0.1, 12.0]]], dtype=torch.float64)
    y = box.confine(x)
    np.testing.assert_allclose(y[0, 0, 2], 11.0)  # 1 Å below the floor -> 1 Å above it
    np.testing.assert_allclose(y[0, 1, 2], 13.0)  # 1 Å above the ceiling -> 1 Å below it
    frac = ((y - box.corner) @ box.inverse).numpy()
    assert frac.min() >= 0.0 and frac.max() <= 1.0
    d = box.displacement(torch.tensor([[2.9, 0.0, 11.0]], dtype=torch.float64),
                         torch.tensor([[0.1, 0.0, 11.0]], dtype=torch.float64))
    np.testing.assert_allclose(d.numpy(), [[-0.2, 0.0, 0.0]], atol=1e-6)  # nearest image


def test_weighted_loss_is_zero_for_the_exact_score_and_follows_weights():
    z = torch.randn(4, 3, 3, generator=torch.Generator().manual_seed(0))
    sigma = torch.tensor([0.1, 0.5, 1.0, 2.0]).reshape(-1, 1, 1)
    weights = torch.tensor([0.1, 0.2, 0.3, 0.4])
    assert float(weighted_dsm_loss(-z / sigma, z, sigma, weights)) == pytest.approx(0.0, abs=1e-10)
    wrong = torch.zeros_like(z)
    only_first = weighted_dsm_loss(wrong, z, sigma, torch.tensor([1.0, 0.0, 0.0, 0.0]))
    assert float(only_first) == pytest.approx(float((z[0] ** 2).sum(-1).mean()), rel=1e-6)


def test_a_batch_of_underflowed_weights_gives_zero_loss_and_finite_gradients():
    """Random Lennard-Jones clusters: Boltzmann weights of exactly 0 in float32 for a whole
    batch used to make 0/0 and poison the model with NaN (LJ19, seed 1)."""
    score = torch.randn(4, 3, 3, requires_grad=True)
    z = torch.randn(4, 3, 3)
    sigma = torch.ones(4, 1, 1)
    energies = torch.tensor([600.0, 900.0, 3000.0, 8000.0])
    weights = torch.exp(-energies / 5.0)  # kT 5 eV
    assert float(weights.sum()) == 0.0
    loss = weighted_dsm_loss(score, z, sigma, weights)
    loss.backward()
    assert float(loss) == 0.0 and torch.isfinite(score.grad).all()


@pytest.mark.parametrize("stiffness", [0.05, 1.0, 20.0])  # argon-soft to metal-stiff, per force unit
def test_descent_in_forces_reaches_their_minimum_without_a_long_step(stiffness):
    """Harmonic forces F = -k (x - x0): each structure, whatever k, ends at x0, and no atom ever
    moves more than the step cap; the rates adapt per structure."""
    from ase_godiff.diffusion.descent import descend

    generator = torch.Generator().manual_seed(0)
    x0 = torch.randn(1, 5, 3, generator=generator, dtype=torch.float64)
    start = x0 + torch.randn(4, 5, 3, generator=generator, dtype=torch.float64)
    path = [start]

    def forces(x):
        path.append(x)
        return -stiffness * (x - x0)

    end = descend(forces, start, steps=200, max_step=0.1)
    assert float((end - x0).abs().max()) < 1e-3
    moves = torch.stack([torch.linalg.norm(b - a, dim=-1).max() for a, b in zip(path[1:], path[2:])])
    assert float(moves.max()) <= 0.1 + 1e-12


def test_descent_of_no_steps_leaves_the_samples_where_they_are():
    from ase_godiff.diffusion.descent import descend

    x = torch.randn(3, 4, 3, dtype=torch.float64)
    assert torch.equal(descend(lambda x: torch.ones_like(x), x, steps=0), x)
