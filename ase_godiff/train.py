"""The inner training loop of one stage (plain torch)."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .diffusion.loss import weighted_dsm_loss
from .diffusion.sde import VESDE
from .nn.graph import TemplateEnvironment
from .nn.score import ScoreNetwork

__all__ = ["TrainingData", "train_stage"]


@dataclass
class TrainingData:
    """A stage's training buffer: free positions (N, n, 3) in Å and Boltzmann weights (N,)."""

    positions: torch.Tensor
    weights: torch.Tensor


def train_stage(
    model: ScoreNetwork,
    optimizer: torch.optim.Optimizer,
    data: TrainingData,
    *,
    sde: VESDE,
    env: TemplateEnvironment,
    numbers: torch.Tensor,
    steps: int,
    batch_size: int,
    t_min: float,
    grad_clip: float,
    generator: torch.Generator,
) -> float:
    """Minimise the Boltzmann-weighted denoising loss for ``steps`` steps; returns the mean loss."""
    model.train()
    n_data = data.positions.shape[0]
    total = 0.0
    for _ in range(steps):
        index = torch.randint(n_data, (min(batch_size, n_data),), generator=generator)
        x0 = data.positions[index]
        t = t_min + (1.0 - t_min) * torch.rand(len(index), generator=generator)
        sigma = sde.sigma(t)
        xt, z = sde.perturb(x0, t[:, None, None], generator)
        score = model(env.wrap(xt), sigma, env, numbers)
        loss = weighted_dsm_loss(score, z, sigma[:, None, None], data.weights[index])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
        optimizer.step()
        total += loss.item()
    model.eval()
    return total / max(steps, 1)
