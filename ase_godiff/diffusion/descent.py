"""Descent of samples in the learnt force field: no calculator calls, samples nearer a minimum."""

from __future__ import annotations

from typing import Callable

import torch

from .sampler import Projection, capped

__all__ = ["descend"]

RATE = 0.2  # Å per unit of the force scale: the guidance's alpha x 1 eV/Å
GROW, SHRINK, LONGEST = 1.2, 0.5, 10.0  # LONGEST: the largest rate, x the first


@torch.no_grad()
def descend(forces_fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, *, steps: int,
            rate: float = RATE, max_step: float = 0.1, project: Projection | None = None) -> torch.Tensor:
    """Steepest descent of each structure in ``x`` (B, n, 3), Å, along ``forces_fn(x)``.

    The forces are in units of the force scale, so ``rate`` is in Å per unit force. Each
    structure keeps its own rate: it grows by GROW after a step along which the forces
    still point the same way (their overlap with the last ones is positive) and falls by
    SHRINK after one that overshot. No atom moves more than ``max_step`` Å a step.
    """
    rates = torch.full((len(x), 1, 1), float(rate), dtype=x.dtype, device=x.device)
    forces = forces_fn(x)
    for _ in range(steps):
        x = x + capped(rates * forces, max_step)
        if project is not None:
            x = project(x)
        new = forces_fn(x)
        downhill = (new * forces).sum(dim=(1, 2), keepdim=True) > 0
        rates = torch.where(downhill, torch.clamp(rates * GROW, max=LONGEST * rate), rates * SHRINK)
        forces = new
    return x
