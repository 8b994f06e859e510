"""The inner training loop of one stage (plain torch)."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .diffusion.box import TorchBox
from .diffusion.loss import weighted_dsm_loss
from .diffusion.sde import VESDE
from .nn.graph import TemplateEnvironment
from .nn.score import ScoreNetwork

__all__ = ["TrainingData", "train_stage"]


@dataclass
class TrainingData:
    """A stage's training data.

    ``positions`` (N, n, 3) Å and ``weights`` (N,): the Boltzmann-drawn buffer for the score;
    ``force_positions`` (M, n, 3) Å and ``forces`` (M, n, 3) eV/Å: every evaluated
    structure, for the force head (None: no force training).
    """

    positions: torch.Tensor
    weights: torch.Tensor
    force_positions: torch.Tensor | None = None
    forces: torch.Tensor | None = None


def train_stage(
    model: ScoreNetwork,
    optimizer: torch.optim.Optimizer,
    data: TrainingData,
    *,
    sde: VESDE,
    env: TemplateEnvironment,
    box: TorchBox,
    numbers: torch.Tensor,
    steps: int,
    batch_size: int,
    t_min: float,
    grad_clip: float,
    generator: torch.Generator,
    force_weight: float = 1.0,
) -> float:
    """Minimise the Boltzmann-weighted denoising loss for ``steps`` steps; returns the mean loss.

    With force data, the force head is fitted too: the mean squared error in units of the
    model's ``force_scale``, times ``force_weight``. Noisy positions are drawn inside the generation box, as in sampling
    (:meth:`VESDE.perturb_in_box`).
    """
    model.train()
    n_data = data.positions.shape[0]
    total = 0.0
    for _ in range(steps):
        index = torch.randint(n_data, (min(batch_size, n_data),), generator=generator)
        x0 = data.positions[index]
        t = t_min + (1.0 - t_min) * torch.rand(len(index), generator=generator, dtype=x0.dtype)
        t = t.to(x0.device)
        sigma = sde.sigma(t)
        xt, z = sde.perturb_in_box(x0, t, box, generator)
        if data.forces is None or force_weight == 0:
            score, _ = model(xt, sigma, env, numbers)
            loss = weighted_dsm_loss(score, z, sigma[:, None, None], data.weights[index])
        else:
            f_index = torch.randint(len(data.forces), (len(index),), generator=generator)
            f_t = t_min + (1.0 - t_min) * torch.rand(len(index), generator=generator, dtype=x0.dtype)
            f_sigma = sde.sigma(f_t.to(x0.device))
            score, forces = model(torch.cat([xt, data.force_positions[f_index]]),
                                  torch.cat([sigma, f_sigma]), env, numbers)
            loss = weighted_dsm_loss(score[:len(index)], z, sigma[:, None, None], data.weights[index])
            error = (forces[len(index):] - data.forces[f_index]) / model.force_scale
            force_error = (error ** 2).sum(-1).mean()
            loss = loss + force_weight * force_error
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
        optimizer.step()
        total += loss.item()
    model.eval()
    return total / max(steps, 1)
