"""The variance-exploding SDE dx = sqrt(d sigma^2 / dt) dW on Cartesian positions (Å).

The forward marginal is x_t = x_0 + sigma(t) z with z ~ N(0, I), so the score of the
perturbation kernel is -z / sigma(t). The process runs inside the generation box
(:class:`~ase_godiff.diffusion.box.TorchBox`: reflected at walls, wrapped along periodic
axes); with sigma_max a few box widths its law at t = 1 is close to uniform in the box,
which is the prior. The noise scales and schedule are SearchSettings' (one set of defaults).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from .box import TorchBox

__all__ = ["VESDE"]

SCHEDULES = ("linear", "geometric")


@dataclass(frozen=True)
class VESDE:
    """Noise scale sigma(t) for t in [0, 1], in Å.

    ``linear``: sigma(t) = sigma_min + t (sigma_max - sigma_min) (the paper's schedule);
    ``geometric``: sigma(t) = sigma_min (sigma_max / sigma_min)^t (Song et al. 2021).
    """

    sigma_min: float
    sigma_max: float
    schedule: str

    def __post_init__(self):
        if not 0.0 < self.sigma_min < self.sigma_max:
            raise ValueError("the noise scales need 0 < sigma_min < sigma_max (Å)")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"unknown noise schedule {self.schedule!r}: choose one of {SCHEDULES}")

    def sigma(self, t: torch.Tensor) -> torch.Tensor:
        if self.schedule == "linear":
            return self.sigma_min + t * (self.sigma_max - self.sigma_min)
        return self.sigma_min * (self.sigma_max / self.sigma_min) ** t

    def time(self, sigma: torch.Tensor) -> torch.Tensor:
        """The time t at which the noise scale is ``sigma`` (Å), the inverse of :meth:`sigma`;
        ``sigma`` is clamped into [sigma_min, sigma_max]."""
        sigma = torch.clamp(sigma, self.sigma_min, self.sigma_max)
        if self.schedule == "linear":
            return (sigma - self.sigma_min) / (self.sigma_max - self.sigma_min)
        return torch.log(sigma / self.sigma_min) / math.log(self.sigma_max / self.sigma_min)

    def g2(self, t: torch.Tensor) -> torch.Tensor:
        """The squared diffusion coefficient d sigma^2 / dt (Å^2)."""
        sigma = self.sigma(t)
        if self.schedule == "linear":
            return 2.0 * sigma * (self.sigma_max - self.sigma_min)
        return 2.0 * sigma**2 * math.log(self.sigma_max / self.sigma_min)

    def perturb(self, x0: torch.Tensor, t: torch.Tensor, generator: torch.Generator | None = None):
        """Draw x_t given x_0 in free space; ``t`` broadcasts against ``x0``. Returns (x_t, z)."""
        z = torch.randn(x0.shape, generator=generator, dtype=x0.dtype).to(x0.device)
        return x0 + self.sigma(t) * z, z

    def perturb_in_box(self, x0: torch.Tensor, t: torch.Tensor, box: TorchBox,
                       generator: torch.Generator | None = None):
        """Draw x_t given x_0 (B, n, 3) at times ``t`` (B,) inside the box. Returns (x_t, target):
        the target is the nearest-image displacement x_t - x_0 over sigma(t), the z of the
        denoising loss, so the model learns the positions the sampler visits."""
        sigma = self.sigma(t)[:, None, None]
        xt, _ = self.perturb(x0, t[:, None, None], generator)
        xt = box.confine(xt)
        return xt, box.displacement(xt, x0) / sigma

    @staticmethod
    def prior(box, n_structures: int, n_atoms: int, rng: np.random.Generator) -> np.ndarray:
        """Samples at t = 1: positions uniform in the generation box (a ``space.Box``), Å."""
        return box.sample_uniform(n_structures, n_atoms, rng)
