"""The variance-exploding SDE dx = sqrt(d sigma^2 / dt) dW on Cartesian positions (Å).

The forward marginal is x_t = x_0 + sigma(t) z with z ~ N(0, I), so the score of the
perturbation kernel is -z / sigma(t).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

__all__ = ["VESDE"]

SCHEDULES = ("linear", "geometric")


@dataclass(frozen=True)
class VESDE:
    """Noise scale sigma(t) for t in [0, 1], in Å.

    ``linear``: sigma(t) = sigma_min + t (sigma_max - sigma_min) (the paper's schedule);
    ``geometric``: sigma(t) = sigma_min (sigma_max / sigma_min)^t (Song et al. 2021).
    """

    sigma_min: float = 0.01
    sigma_max: float = 6.0
    schedule: str = "linear"

    def __post_init__(self):
        if not 0.0 < self.sigma_min < self.sigma_max:
            raise ValueError("the noise scales need 0 < sigma_min < sigma_max (Å)")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"unknown noise schedule {self.schedule!r}: choose one of {SCHEDULES}")

    def sigma(self, t: torch.Tensor) -> torch.Tensor:
        if self.schedule == "linear":
            return self.sigma_min + t * (self.sigma_max - self.sigma_min)
        return self.sigma_min * (self.sigma_max / self.sigma_min) ** t

    def g2(self, t: torch.Tensor) -> torch.Tensor:
        """The squared diffusion coefficient d sigma^2 / dt (Å^2)."""
        sigma = self.sigma(t)
        if self.schedule == "linear":
            return 2.0 * sigma * (self.sigma_max - self.sigma_min)
        return 2.0 * sigma**2 * math.log(self.sigma_max / self.sigma_min)

    def perturb(self, x0: torch.Tensor, t: torch.Tensor, generator: torch.Generator | None = None):
        """Draw x_t given x_0; ``t`` broadcasts against ``x0``. Returns (x_t, z)."""
        z = torch.randn(x0.shape, generator=generator, dtype=x0.dtype).to(x0.device)
        return x0 + self.sigma(t) * z, z
