"""Reverse-time Euler-Maruyama sampling of the VE-SDE with an optional corrector."""

from __future__ import annotations

from typing import Callable

import torch

from .sde import VESDE

__all__ = ["reverse_diffusion"]

ScoreFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
Projection = Callable[[torch.Tensor], torch.Tensor]
Corrector = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


@torch.no_grad()
def reverse_diffusion(
    score_fn: ScoreFn,
    sde: VESDE,
    x_init: torch.Tensor,
    *,
    steps: int,
    t_min: float,
    generator: torch.Generator | None = None,
    project: Projection | None = None,
    corrector: Corrector | None = None,
) -> torch.Tensor:
    """Integrate the reverse SDE from t = 1 down to ``t_min``.

    Args:
        score_fn: ``score_fn(x, t)`` -> grad_x log p_t(x), same shape as ``x`` (1/Å).
        x_init: samples of the prior at t = 1.
        steps: number of reverse steps; the last one adds no noise (it returns the mean).
        project: maps positions back into the generation box after every step.
        corrector: ``corrector(x, t)`` -> a displacement (Å) added after every step,
            e.g. force-field guidance.
    """
    if steps < 1:
        raise ValueError("the sampler needs at least one reverse step")
    times = torch.linspace(1.0, t_min, steps + 1, dtype=x_init.dtype)
    x = x_init.clone()
    for i in range(steps):
        t, dt = times[i], times[i] - times[i + 1]
        g2 = sde.g2(t)
        x = x + g2 * score_fn(x, t) * dt
        if i < steps - 1:
            noise = torch.randn(x.shape, generator=generator, dtype=x.dtype)
            x = x + torch.sqrt(g2 * dt) * noise
        if project is not None:
            x = project(x)
        if corrector is not None:
            x = x + corrector(x, times[i + 1])
            if project is not None:
                x = project(x)
    return x
