"""Graphs of the free atoms over a static template, for batches of structures.

Only the free atoms move, so the template's periodic images that any point of the cell
can see within the cutoff (the halo) are found once; each call then measures the free
atoms against that halo and against each other (all periodic images, not only the
nearest), in one vectorised pass over the whole batch. Template-template pairs are
never formed: the template's atoms send messages but are not updated.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import torch

__all__ = ["FreeAtomGraph", "TemplateEnvironment"]


@dataclass
class FreeAtomGraph:
    """Edges into free atoms; nodes are flattened as ``structure * n_free + atom``.

    ``*_vectors`` point from the receiving free atom to the sender (Å).
    """

    free_src: torch.Tensor
    free_dst: torch.Tensor
    free_vectors: torch.Tensor
    template_src: torch.Tensor
    template_dst: torch.Tensor
    template_vectors: torch.Tensor


class TemplateEnvironment:
    """The static part of a system: template halo, periodic shifts and cell (Å).

    Args:
        template_positions, template_numbers: the fixed atoms.
        cell, pbc: the cell (rows, Å) and its periodic axes.
        cutoff: the cutoff of free-template pairs (Å).
        free_cutoff: the cutoff of free-free pairs (Å; default ``cutoff``). Free atoms are
            few, so they can see each other far: at high noise this is what pulls
            scattered atoms together.
    """

    def __init__(self, template_positions, template_numbers, cell, pbc, cutoff: float,
                 free_cutoff: float | None = None, dtype: torch.dtype = torch.float32):
        pbc = np.asarray(pbc, dtype=bool)
        cell = np.asarray(cell, dtype=float)
        self.cutoff = float(cutoff)
        self.free_cutoff = float(free_cutoff if free_cutoff is not None else cutoff)
        reach = _reach_in_cells(cell, pbc, max(self.cutoff, self.free_cutoff))
        self.pbc = torch.as_tensor(pbc)
        self.cell = torch.as_tensor(cell, dtype=dtype)
        self.inverse_cell = torch.as_tensor(np.linalg.inv(cell) if pbc.any() else np.eye(3), dtype=dtype)
        halo_positions, halo_numbers = _halo(np.asarray(template_positions, float).reshape(-1, 3),
                                             np.asarray(template_numbers, int), cell, pbc, cutoff)
        self.halo_positions = torch.as_tensor(halo_positions, dtype=dtype)
        species, species_index = np.unique(halo_numbers, return_inverse=True)
        self.halo_species = torch.as_tensor(species, dtype=torch.long)
        self.halo_species_index = torch.as_tensor(species_index.reshape(-1), dtype=torch.long)
        shifts = _integer_shifts(pbc, reach + 1) @ cell
        self.shifts = torch.as_tensor(shifts, dtype=dtype)
        self._zero_shift = int(np.flatnonzero(np.all(shifts == 0.0, axis=1))[0])

    def to(self, device) -> "TemplateEnvironment":
        """Move the static tensors to ``device`` (in place); returns self."""
        for name in ("pbc", "cell", "inverse_cell", "halo_positions", "halo_species",
                     "halo_species_index", "shifts"):
            setattr(self, name, getattr(self, name).to(device))
        return self

    @classmethod
    def from_space(cls, space, cutoff: float, free_cutoff: float | None = None,
                   dtype: torch.dtype = torch.float32):
        return cls(space.template_positions, space.template_numbers, space.cell, space.pbc,
                   cutoff, free_cutoff, dtype)

    def wrap(self, x: torch.Tensor) -> torch.Tensor:
        """Wrap positions (..., 3) into the cell along periodic axes."""
        if not bool(self.pbc.any()):
            return x
        frac = x @ self.inverse_cell
        frac = torch.where(self.pbc, torch.remainder(frac, 1.0), frac)
        return frac @ self.cell

    def graph(self, x: torch.Tensor) -> FreeAtomGraph:
        """Edges within the cutoff for free positions ``x`` of shape (B, n_free, 3)."""
        batch, n_free, _ = x.shape
        x = self.wrap(x)

        # free-free: every periodic image of every other free atom, within the free cutoff
        vec = x[:, None, :, None, :] + self.shifts - x[:, :, None, None, :]  # (B, i, j, S, 3)
        within = (vec**2).sum(-1) < self.free_cutoff**2
        eye = torch.eye(n_free, dtype=torch.bool, device=x.device)[None, :, :, None]
        self_image = torch.zeros(self.shifts.shape[0], dtype=torch.bool, device=x.device)
        self_image[self._zero_shift] = True
        within &= ~(eye & self_image)
        b, i, j, s = within.nonzero(as_tuple=True)
        free_vectors = vec[b, i, j, s]
        free_dst, free_src = b * n_free + i, b * n_free + j

        # free-template: the precomputed halo
        tvec = self.halo_positions - x[:, :, None, :]  # (B, i, M, 3)
        b, i, m = ((tvec**2).sum(-1) < self.cutoff**2).nonzero(as_tuple=True)
        return FreeAtomGraph(free_src, free_dst, free_vectors, m, b * n_free + i, tvec[b, i, m])


def _plane_spacings(cell: np.ndarray) -> np.ndarray:
    """Distance between lattice planes normal to each cell axis (Å)."""
    volume = abs(np.linalg.det(cell))
    return np.array([volume / np.linalg.norm(np.cross(cell[(k + 1) % 3], cell[(k + 2) % 3]))
                     for k in range(3)])


def _reach_in_cells(cell: np.ndarray, pbc: np.ndarray, cutoff: float) -> np.ndarray:
    """How many cells the cutoff spans along each periodic axis."""
    if not pbc.any():
        return np.zeros(3, dtype=int)
    return np.where(pbc, np.ceil(cutoff / _plane_spacings(cell)), 0).astype(int)


def _integer_shifts(pbc: np.ndarray, reach: np.ndarray) -> np.ndarray:
    ranges = [range(-int(r), int(r) + 1) if p else range(1) for p, r in zip(pbc, reach)]
    return np.array(list(itertools.product(*ranges)), dtype=float)


def _halo(positions, numbers, cell, pbc, cutoff):
    """Template images within the cutoff of any point of the cell."""
    if not pbc.any() or len(positions) == 0:
        return positions, numbers
    reach = _reach_in_cells(cell, pbc, cutoff)
    shifts = _integer_shifts(pbc, reach)
    frac = positions @ np.linalg.inv(cell)
    frac[:, pbc] %= 1.0
    images = (frac[None, :, :] + shifts[:, None, :]).reshape(-1, 3)
    margin = cutoff / _plane_spacings(cell)
    keep = np.ones(len(images), dtype=bool)
    for k in np.flatnonzero(pbc):
        keep &= (images[:, k] > -margin[k]) & (images[:, k] < 1.0 + margin[k])
    return images[keep] @ cell, np.tile(numbers, len(shifts))[keep]
