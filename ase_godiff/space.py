"""The search space: a fixed template, the free atoms to place, and the generation box.

The atoms fixed by :class:`ase.constraints.FixAtoms` form the template; every other atom
is free and is placed by the search (its symbol matters, its position does not).
The generation box is a parallelepiped ``corner + u @ vectors`` with ``u`` in [0, 1]^3
(distances in Å), as in AGOX's confinement cell.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
from ase import Atoms
from ase.constraints import FixAtoms
from ase.data import covalent_radii
from ase.geometry import get_distances

from .elements import check_elements

__all__ = ["Box", "SearchSpace", "slab_box", "surface_box"]

SLAB_BOX_Z = (1.0, 6.0)  # Å above the template's highest atom (the paper's box)
REGION_BELOW, REGION_ABOVE = 1.0, 6.0  # Å: the default region, from the lowest exposed atom to the highest
COVERED = 0.75  # an atom is covered when one 0.5 Å higher is laterally closer than this x 2 covalent radii


@dataclass(frozen=True)
class Box:
    """A generation box ``corner + u @ vectors``, ``u`` in [0, 1]^3; rows of ``vectors`` in Å."""

    corner: np.ndarray
    vectors: np.ndarray

    def __post_init__(self):
        corner = np.asarray(self.corner, dtype=float).reshape(3)
        vectors = np.asarray(self.vectors, dtype=float).reshape(3, 3)
        if not np.all(np.isfinite(vectors)) or abs(np.linalg.det(vectors)) < 1e-6:
            raise ValueError(
                "the generation box is empty (its vectors span no volume): give three "
                "non-coplanar box vectors in Å"
            )
        object.__setattr__(self, "corner", corner)
        object.__setattr__(self, "vectors", vectors)

    @classmethod
    def from_bounds(cls, lower, upper) -> "Box":
        """An axis-aligned box between two corners (Å)."""
        lower, upper = np.asarray(lower, float), np.asarray(upper, float)
        if np.any(upper <= lower):
            raise ValueError(
                f"the generation box is empty: upper {upper.tolist()} must exceed lower "
                f"{lower.tolist()} on every axis"
            )
        return cls(lower, np.diag(upper - lower))

    def sample_uniform(self, n_structures: int, n_atoms: int, rng: np.random.Generator) -> np.ndarray:
        """Positions uniform in the box, shape (n_structures, n_atoms, 3), Å."""
        return self.to_cartesian(rng.random((n_structures, n_atoms, 3)))

    def to_fractional(self, positions: np.ndarray) -> np.ndarray:
        return (positions - self.corner) @ np.linalg.inv(self.vectors)

    def to_cartesian(self, fractional: np.ndarray) -> np.ndarray:
        return self.corner + fractional @ self.vectors


def slab_box(atoms: Atoms, z_range: tuple[float, float] = SLAB_BOX_Z, template=None) -> Box:
    """The whole cell in x, y and z in [z_max + z_range[0], z_max + z_range[1]] Å (the
    paper's box is (1, 6) on Pt(111), (0, 4) on the step).

    z_max is the highest atom of ``template`` (indices; default: the atoms fixed by
    FixAtoms, or all when none is fixed).
    """
    cell = np.asarray(atoms.cell.array, dtype=float)
    if abs(np.dot(cell[0], cell[2])) > 1e-6 or abs(np.dot(cell[1], cell[2])) > 1e-6:
        raise ValueError(
            "a slab box needs the third cell vector normal to the surface: give box= explicitly"
        )
    if z_range[1] <= z_range[0]:
        raise ValueError(f"the generation box is empty: z range {z_range} must increase (Å)")
    template = _fixed_indices(atoms) if template is None else np.asarray(template)
    top = atoms.positions[template if len(template) else slice(None), 2].max()
    corner = np.array([0.0, 0.0, top + z_range[0]])
    return Box(corner, np.array([cell[0], cell[1], [0.0, 0.0, z_range[1] - z_range[0]]]))


def surface_box(atoms: Atoms, template=None) -> Box:
    """The whole cell in x and y, from 1 Å above the lowest exposed template atom to 6 Å
    above the highest (Å): every hollow, step foot and kink lies inside.

    An atom is exposed when no atom sits more than 0.5 Å above it closer, in the plane
    (minimum image), than 1.5 times its covalent radius: on a flat fcc(111) slab the
    second layer lies under the top layer's hollows (1.6 Å away for Pt) and is covered,
    so the region equals :func:`slab_box`'s default there; on a stepped surface the lower
    terrace is exposed and the region reaches down to it. ``template``: the indices of
    the surface (default: the atoms fixed by FixAtoms, or all).
    """
    template = _fixed_indices(atoms) if template is None else np.asarray(template)
    positions = atoms.positions[template if len(template) else slice(None)]
    radii = covalent_radii[atoms.numbers[template if len(template) else slice(None)]]
    flat = positions.copy()
    flat[:, 2] = 0.0
    _, lateral = get_distances(flat, cell=atoms.cell, pbc=[*atoms.pbc[:2], False])
    above = positions[None, :, 2] > positions[:, None, 2] + 0.5
    covered = np.any(above & (lateral < 2 * COVERED * radii[:, None]), axis=1)
    lowest, highest = positions[~covered, 2].min(), positions[:, 2].max()
    return slab_box(atoms, (lowest - highest + REGION_BELOW, REGION_ABOVE), template)


class SearchSpace:
    """The template, the free atoms and the box; minimum-image geometry of the cell.

    Args:
        atoms: the template plus the atoms to place (their positions are ignored).
        place: indices or a boolean mask of the atoms to place; every other atom is the
            template, fixed or relaxable (it stays where it is while structures are made
            and evaluated; the polish relaxes it under the constraints given). Default:
            the atoms not fixed by ``FixAtoms``; a search whose unfixed atoms are evidently
            part of the slab (bonded to fixed atoms) is refused, naming ``place=``.
        box: where free atoms are generated; default: above a slab, the whole cell from
            1 Å above the lowest exposed template atom to 6 Å above the highest
            (:func:`surface_box`); a cube sized from the covalent radii around the cell
            centre for a cluster.
        min_distance_ratio: structures with two atoms closer than this fraction of the
            sum of their covalent radii are rejected before evaluation.
    """

    def __init__(self, atoms: Atoms, *, place=None, box: Box | None = None,
                 min_distance_ratio: float = 0.5):
        free = _fixed_rule(atoms) if place is None else _placed(place, len(atoms))
        fixed = np.setdiff1d(np.arange(len(atoms)), free)
        if len(free) == 0:
            raise ValueError(
                "all atoms are fixed: add the atoms to place (e.g. atoms += Atoms('Pt7')) "
                "without a FixAtoms constraint on them"
            )
        check_elements(atoms.get_atomic_numbers())
        if not 0.0 <= min_distance_ratio < 2.0:
            raise ValueError("min_distance_ratio must lie in [0, 2): a fraction of covalent bond length")
        self.atoms = atoms.copy()
        self.atoms.calc = None
        self.template_indices = fixed
        self.free_indices = free
        self.pbc = np.asarray(atoms.pbc, dtype=bool)
        self.cell = np.asarray(atoms.cell.array, dtype=float)
        if self.pbc.any() and abs(np.linalg.det(self.cell)) < 1e-6:
            raise ValueError("a periodic system needs a full 3D cell: set atoms.cell (vacuum along z)")
        self.box = box if box is not None else self._default_box()
        self.min_distance_ratio = float(min_distance_ratio)
        self.periodic_box_axes = self._box_axes_spanning_cell()

    # ------------------------------------------------------------------ properties
    @property
    def template_positions(self) -> np.ndarray:
        return self.atoms.positions[self.template_indices]

    @property
    def template_numbers(self) -> np.ndarray:
        return self.atoms.numbers[self.template_indices]

    @property
    def free_numbers(self) -> np.ndarray:
        return self.atoms.numbers[self.free_indices]

    @property
    def n_free(self) -> int:
        return len(self.free_indices)

    # ------------------------------------------------------------------ geometry
    def too_close(self, free_positions: np.ndarray) -> bool:
        """Whether two atoms of one structure are closer than the distance limit (minimum image)."""
        atoms = self.to_atoms(free_positions)
        radii = covalent_radii[atoms.numbers]
        free = self.free_indices
        _, dist = get_distances(atoms.positions[free], atoms.positions, cell=self.cell, pbc=self.pbc)
        limit = self.min_distance_ratio * (radii[free][:, None] + radii[None, :])
        dist[np.arange(len(free)), free] = np.inf
        return bool(np.any(dist < limit))

    def to_atoms(self, free_positions: np.ndarray) -> Atoms:
        """The full structure (input order and constraints) with the given free positions."""
        atoms = self.atoms.copy()
        atoms.positions[self.free_indices] = free_positions
        return atoms

    def free_positions_of(self, atoms: Atoms) -> np.ndarray:
        return atoms.positions[self.free_indices].copy()

    def describe(self) -> dict:
        """The system as JSON values: what a run folder's search must match to be resumed."""
        template = self.atoms.positions[self.template_indices]
        return {"numbers": self.atoms.numbers.tolist(), "pbc": self.pbc.tolist(),
                "cell": np.round(self.cell, 8).tolist(), "free": self.free_indices.tolist(),
                "template_sha256": hashlib.sha256(np.round(template, 6).tobytes()).hexdigest()}

    # ------------------------------------------------------------------ defaults
    def _default_box(self) -> Box:
        if self.pbc[0] and self.pbc[1] and not self.pbc[2]:
            return surface_box(self.atoms, self.template_indices)
        if not self.pbc.any():
            radii = covalent_radii[self.free_numbers]
            side = max(4.0, 2.0 * radii.mean() * 2.0 * len(radii) ** (1.0 / 3.0))
            if len(self.template_indices):
                centre = self.template_positions.mean(axis=0)
            elif abs(np.linalg.det(self.cell)) > 1e-6:
                centre = self.cell.sum(axis=0) / 2.0
            else:
                centre = np.zeros(3)
            return Box.from_bounds(centre - side / 2.0, centre + side / 2.0)
        if self.pbc.all():
            return Box(np.zeros(3), self.cell)
        raise ValueError(
            f"no default generation box for periodicity {self.pbc.tolist()}: give box= explicitly"
        )

    def _box_axes_spanning_cell(self) -> np.ndarray:
        periodic = np.zeros(3, dtype=bool)
        for i in range(3):
            periodic[i] = any(
                self.pbc[j] and np.allclose(self.box.vectors[i], self.cell[j], atol=1e-6)
                for j in range(3)
            )
        return periodic


def _fixed_indices(atoms: Atoms) -> np.ndarray:
    fixed = set()
    for constraint in atoms.constraints:
        if isinstance(constraint, FixAtoms):
            fixed.update(int(i) for i in constraint.get_indices())
    return np.array(sorted(fixed), dtype=int)


def _placed(place, n_atoms: int) -> np.ndarray:
    """The indices ``place`` names (indices or a boolean mask), checked."""
    array = np.asarray(list(place) if isinstance(place, range) else place)
    if array.size == 0:
        raise ValueError("place= selects no atom: give the indices of the atoms to place")
    if array.dtype == bool:
        if array.shape != (n_atoms,):
            raise ValueError(f"place= as a mask needs one bool per atom ({n_atoms}), got {array.size}")
        array = np.flatnonzero(array)
    elif array.ndim != 1 or not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"place= takes atom indices (ints) or a boolean mask, got {place!r}")
    if len(array) == 0:
        raise ValueError("place= selects no atom: give the indices of the atoms to place")
    if array.min() < -n_atoms or array.max() >= n_atoms:
        raise ValueError(f"place= index out of range for {n_atoms} atoms: {array.tolist()}")
    if len(set((array % n_atoms).tolist())) != len(array):
        raise ValueError(f"place= names an atom twice: {sorted(array.tolist())}")
    return np.sort(array % n_atoms)


def _fixed_rule(atoms: Atoms) -> np.ndarray:
    """The atoms not fixed by FixAtoms; a ValueError naming place= when some of them are
    evidently part of the slab: whole layers of them (as many atoms within 0.5 Å in z as
    the fullest layer of fixed atoms) bonded, directly or through each other, to the fixed
    atoms (closer than 1.2 x the covalent radii). Adatoms given at real positions are not
    refused; an atom on top of another (closer than half a bond) is a placeholder: the
    atoms to place are usually added in a heap, e.g. ``atoms + Atoms('Au2')``."""
    fixed = _fixed_indices(atoms)
    free = np.setdiff1d(np.arange(len(atoms)), fixed)
    if len(fixed) == 0 or len(free) == 0:
        return free
    _, dist = get_distances(atoms.positions, cell=atoms.cell, pbc=atoms.pbc)
    radii = covalent_radii[atoms.numbers]
    bond = radii[:, None] + radii[None, :]
    overlap = dist < 0.5 * bond
    np.fill_diagonal(overlap, False)
    placeholder = overlap.any(axis=1)
    bonded = (dist < 1.2 * bond) & ~overlap & ~placeholder[:, None]
    slab = np.zeros(len(atoms), dtype=bool)
    slab[fixed] = True
    while True:  # grow the slab through bonds
        grown = slab | bonded[:, slab].any(axis=1)
        if (grown == slab).all():
            break
        slab = grown
    z = atoms.positions[:, 2]
    layer = max(np.sum(np.abs(z[fixed] - height) < 0.5) for height in z[fixed])
    bonded_free = free[slab[free]]
    in_slab = [int(i) for i in bonded_free if np.sum(np.abs(z[bonded_free] - z[i]) < 0.5) >= max(layer, 2)]
    if not in_slab:
        return free
    others = [int(i) for i in free if i not in in_slab]
    hint = (f"place=[i for i, a in enumerate(atoms) if a.symbol == '{atoms[others[0]].symbol}'] or "
            if others else "")
    raise ValueError(
        f"{len(in_slab)} atoms not fixed by FixAtoms form whole layers of the slab (e.g. index "
        f"{in_slab[0]}): a relaxable slab? Say which atoms to place with place=, e.g. {hint}"
        f"place=range({len(atoms) - max(len(others), 1)}, {len(atoms)}) if they were added last")
