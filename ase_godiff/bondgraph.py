"""Bond graphs: tell structures apart by which atoms touch (minimum image, Å).

Two structures with the same bond graph are the same motif; the sorted adjacency
spectrum compares graphs without matching atom order.
"""

from __future__ import annotations

import numpy as np
from ase import Atoms
from ase.data import covalent_radii
from ase.geometry import get_distances

__all__ = ["bond_graph", "graph_spectrum", "is_centred_hexagon", "same_graph", "wheel_graph"]

BOND_FACTOR = 1.1  # bonds: closer than 1.1 x the sum of covalent radii


def bond_graph(atoms: Atoms, indices, max_bond: float | None = None) -> np.ndarray:
    """Adjacency matrix of ``indices`` (minimum image): a bond below ``max_bond`` (Å),
    by default below 1.1 x the sum of covalent radii."""
    indices = np.asarray(indices)
    _, dist = get_distances(atoms.positions[indices], cell=atoms.cell, pbc=atoms.pbc)
    radii = covalent_radii[atoms.numbers[indices]]
    limit = BOND_FACTOR * (radii[:, None] + radii[None, :]) if max_bond is None else max_bond
    bonded = dist < limit
    np.fill_diagonal(bonded, False)
    return bonded


def graph_spectrum(adjacency: np.ndarray) -> np.ndarray:
    """The sorted eigenvalues of an adjacency matrix."""
    return np.sort(np.linalg.eigvalsh(adjacency.astype(float)))


def same_graph(adjacency: np.ndarray, reference: np.ndarray) -> bool:
    """Whether two graphs have the same spectrum (isospectral; enough for small motifs)."""
    return adjacency.shape == reference.shape and bool(
        np.allclose(graph_spectrum(adjacency), graph_spectrum(reference), atol=1e-6))


def wheel_graph(n: int) -> np.ndarray:
    """W_n: a hub bonded to every atom of a ring of n - 1."""
    adjacency = np.zeros((n, n), dtype=bool)
    ring = np.arange(1, n)
    adjacency[0, ring] = adjacency[ring, 0] = True
    adjacency[ring, np.roll(ring, 1)] = adjacency[np.roll(ring, 1), ring] = True
    return adjacency


def is_centred_hexagon(atoms: Atoms, indices) -> bool:
    """Whether the atoms ``indices`` form a centred hexagon (bond graph W7), e.g. Pt7 on Pt(111)."""
    return same_graph(bond_graph(atoms, indices), wheel_graph(7))
