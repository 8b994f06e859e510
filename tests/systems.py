"""Small seeded systems for fast tests (EMT-compatible elements)."""

from __future__ import annotations

import numpy as np
from ase import Atoms
from ase.build import fcc111
from ase.constraints import FixAtoms

from ase_godiff import SearchSettings

FAST = SearchSettings(stages=2, samples_per_stage=6, buffer_size=4, train_steps=3, batch_size=4,
                      sampling_steps=4)


def small_slab(free: str = "Pt2", size=(3, 3, 2)) -> Atoms:
    """A fixed Pt(111) slab (lowest atom at z = 0) plus free atoms."""
    slab = fcc111("Pt", size=size, vacuum=6.0)
    slab.positions[:, 2] -= slab.positions[:, 2].min()
    slab.set_constraint(FixAtoms(indices=range(len(slab))))
    return slab + Atoms(free)


def gas_cluster(free: str = "Pt4") -> Atoms:
    atoms = Atoms(free, cell=np.eye(3) * 12.0, pbc=False)
    return atoms


def rotation_about_z(angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def random_rotation(rng: np.random.Generator) -> np.ndarray:
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    q *= np.sign(np.diag(r))
    if np.linalg.det(q) < 0:
        q[:, 0] *= -1
    return q
