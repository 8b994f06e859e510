"""The generation box in torch: reflection at its walls, wrapping along periodic axes.

Diffusion runs inside the box: a non-periodic box axis reflects (the reflected heat
kernel), an axis that spans a periodic cell vector wraps. Training and sampling use the
same map, so the model is trained on the positions the sampler visits.
"""

from __future__ import annotations

import torch

__all__ = ["TorchBox"]


class TorchBox:
    """The torch form of :class:`ase_godiff.space.Box` (``corner + u @ vectors``, ``u`` in [0, 1]^3);
    ``periodic[k]`` marks the axes that wrap."""

    def __init__(self, corner, vectors, periodic, dtype: torch.dtype = torch.float32):
        self.corner = torch.as_tensor(corner, dtype=dtype)
        self.vectors = torch.as_tensor(vectors, dtype=dtype)
        self.inverse = torch.linalg.inv(torch.as_tensor(vectors, dtype=torch.float64)).to(dtype)
        self.periodic = torch.as_tensor(periodic, dtype=torch.bool)

    def to(self, device) -> "TorchBox":
        """Move the tensors to ``device`` (in place); returns self."""
        for name in ("corner", "vectors", "inverse", "periodic"):
            setattr(self, name, getattr(self, name).to(device))
        return self

    def confine(self, x: torch.Tensor) -> torch.Tensor:
        """Wrap periodic box axes, reflect the others back into the box (Å)."""
        u = (x - self.corner) @ self.inverse
        reflected = 1.0 - torch.abs(1.0 - torch.remainder(u, 2.0))
        u = torch.where(self.periodic, torch.remainder(u, 1.0), reflected)
        return self.corner + u @ self.vectors

    def along_periodic_axes(self, moves: torch.Tensor) -> torch.Tensor:
        """``moves`` (..., 3) in Å without their parts along the non-periodic box axes."""
        u = moves @ self.inverse
        return torch.where(self.periodic, u, torch.zeros_like(u)) @ self.vectors

    def displacement(self, x: torch.Tensor, x0: torch.Tensor) -> torch.Tensor:
        """x - x0 with the nearest periodic image along wrapped axes (Å)."""
        du = (x - x0) @ self.inverse
        du = torch.where(self.periodic, du - torch.round(du), du)
        return du @ self.vectors
