"""Boltzmann-weighted denoising score matching (arXiv 2510.13448, eq. for L)."""

from __future__ import annotations

import torch

__all__ = ["weighted_dsm_loss"]


def weighted_dsm_loss(
    score: torch.Tensor, z: torch.Tensor, sigma: torch.Tensor, weights: torch.Tensor
) -> torch.Tensor:
    """sum_i w_i lambda(t_i) ||s_theta(x_t,i) + z_i / sigma_i||^2 / sum_i w_i, lambda = sigma^2.

    Args:
        score: predicted scores, shape (B, n_atoms, 3), 1/Å.
        z: the unit Gaussian noise that made x_t from x_0, shape (B, n_atoms, 3).
        sigma: noise scales, broadcastable to (B, 1, 1), Å.
        weights: Boltzmann weights of the B structures, shape (B,). A batch whose weights
            have all underflowed to zero (energies far above kT) gives a loss of zero.
    """
    per_structure = ((sigma * score + z) ** 2).sum(dim=-1).mean(dim=-1)
    return (weights * per_structure).sum() / weights.sum().clamp_min(torch.finfo(weights.dtype).tiny)
