"""Reverse-time Euler-Maruyama sampling of the VE-SDE, with optional force-field guidance."""

from __future__ import annotations

from typing import Callable, Union

import torch

from .sde import VESDE

__all__ = ["capped", "reverse_diffusion"]

ModelFn = Callable[[torch.Tensor, torch.Tensor],
                   Union[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]]
Projection = Callable[[torch.Tensor], torch.Tensor]


def capped(moves: torch.Tensor, longest: float) -> torch.Tensor:
    """Per-atom moves (..., 3) in Å, each shortened to at most ``longest`` Å."""
    length = torch.linalg.norm(moves, dim=-1, keepdim=True)
    return moves * torch.clamp(longest / (length + 1e-12), max=1.0)


@torch.no_grad()
def reverse_diffusion(
    model_fn: ModelFn,
    sde: VESDE,
    x_init: torch.Tensor,
    *,
    steps: int,
    t_min: float,
    generator: torch.Generator | None = None,
    project: Projection | None = None,
    guidance: float = 0.0,
    max_guidance_step: float = 0.1,
    t_start: torch.Tensor | None = None,
    kept: tuple[torch.Tensor, torch.Tensor] | None = None,
) -> torch.Tensor:
    """Integrate the reverse SDE from t = 1 (or each sample's ``t_start``) down to ``t_min``.

    Args:
        model_fn: ``model_fn(x, t)`` -> the score grad_x log p_t(x) (1/Å), or a pair
            (score, forces) read at the same ``x``, the forces in units of the force scale.
        x_init: samples of the prior at t = 1, or of the forward process at ``t_start``.
        steps: number of reverse steps; the last one adds no noise (it returns the mean).
        t_start: per-sample start times (B,) in (t_min, 1]; None: all start at t = 1.
        project: maps positions back into the generation box after every step.
        guidance: alpha in Å^2/eV; each step also moves x by alpha (1 - t) F(x) x 1 eV/Å,
            F in units of the force scale (force-field guidance, arXiv 2510.13448; at a
            scale of 1 eV/Å, alpha F); needs ``model_fn`` to return forces.
        max_guidance_step: the guidance moves no atom further than this per step (Å), so
            stiff bonds cannot make the descent overshoot and fuse atoms.
        kept: (positions (B, n, 3) in Å, mask (B, n) True for a kept atom): inpainting. After
            every step a kept atom is put back at its position noised to the step's sigma, and
            at the end exactly at it, so the model regrows only the other atoms around them
            (RePaint, Lugmayr et al. 2022, without its resampling).
    """
    if steps < 1:
        raise ValueError("the sampler needs at least one reverse step")
    times = _times(x_init, steps, t_min, t_start)
    x = x_init.clone()
    for i in range(steps):
        t, t_next = times[i], times[i + 1]
        output = model_fn(x, t)
        score, forces = output if isinstance(output, tuple) else (output, None)
        if t.dim():  # one time per sample: broadcast over atoms and axes
            t, t_next = t[:, None, None], t_next[:, None, None]
        g2, dt = sde.g2(t), t - t_next
        step = g2 * score * dt
        if guidance and forces is not None:
            step = step + capped(guidance * (1.0 - t_next) * forces, max_guidance_step)
        x = x + step
        if i < steps - 1:
            noise = torch.randn(x.shape, generator=generator, dtype=x.dtype).to(x.device)
            x = x + torch.sqrt(g2 * dt) * noise
        if kept is not None:
            x = _put_back(x, *kept, sde.sigma(t_next) if i < steps - 1 else None, generator)
        if project is not None:
            x = project(x)
    return x


def _put_back(x: torch.Tensor, positions: torch.Tensor, mask: torch.Tensor,
              sigma: torch.Tensor | None, generator: torch.Generator | None) -> torch.Tensor:
    """``x`` with its kept atoms (``mask``) at ``positions``, noised by ``sigma`` (Å; None: exact)."""
    if sigma is not None:
        noise = torch.randn(positions.shape, generator=generator, dtype=x.dtype).to(x.device)
        positions = positions + sigma * noise
    return torch.where(mask[..., None], positions, x)


def _times(x: torch.Tensor, steps: int, t_min: float, t_start: torch.Tensor | None) -> torch.Tensor:
    """The reverse steps' times: (steps + 1,) from 1, or (steps + 1, B) from each ``t_start``."""
    if t_start is None:
        return torch.linspace(1.0, t_min, steps + 1, dtype=x.dtype, device=x.device)
    fraction = torch.linspace(0.0, 1.0, steps + 1, dtype=x.dtype, device=x.device)[:, None]
    t_start = t_start.to(dtype=x.dtype, device=x.device)
    return t_start + (t_min - t_start) * fraction
