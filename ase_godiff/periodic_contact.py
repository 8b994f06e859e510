"""Placed atoms bonded to their own periodic image: a stripe or a film, not an isolated cluster.

A cell a few bond lengths wide lets a "cluster" on a surface close on itself through the
periodic boundary (13 Pt on a 6 x 6 Pt(111) cell: an endless double row is 0.013 eV below
the best island). Such a structure is a true minimum of the periodic system, but not the
isolated cluster a user usually means; this module tells which cell axes it runs along.
"""

from __future__ import annotations

import numpy as np
from ase import Atoms
from ase.neighborlist import neighbor_list

__all__ = ["BOND_FACTOR", "bonded_images", "image_contact_axes", "image_contact_warning"]

BOND_FACTOR = 1.25  # a bond: closer than 1.25 x the placed atoms' median nearest-neighbour distance


def image_contact_axes(atoms: Atoms, indices) -> list[int]:
    """The cell axes (0, 1, 2) along which the atoms ``indices``, bonded to each other,
    reach their own periodic image; [] for an isolated cluster or a non-periodic cell.

    Bonds are pairs closer than BOND_FACTOR x the median nearest-neighbour distance among
    those atoms (Å), so the test is the same for metals and for argon.
    """
    return bonded_images(atoms, indices)[1]


def bonded_images(atoms: Atoms, indices) -> tuple[np.ndarray, list[int]]:
    """Follow the bonds among the atoms ``indices`` from atom to atom: the integer cell shift
    (n, 3) that puts each one beside those it is bonded to (an isolated cluster made whole
    across the boundary: ``positions + shifts @ cell``), and the axes along which a ring of
    bonds comes back to an atom in another image (:func:`image_contact_axes`)."""
    indices = np.asarray(indices, dtype=int)
    shifts = np.zeros((len(indices), 3), dtype=int)
    if len(indices) < 2 or not atoms.pbc.any():
        return shifts, []
    placed = atoms[indices]
    distances = placed.get_all_distances(mic=True)
    np.fill_diagonal(distances, np.inf)
    bond = BOND_FACTOR * float(np.median(distances.min(axis=1)))
    edges: dict[int, list] = {}
    for a, b, shift in zip(*neighbor_list("ijS", placed, bond)):
        edges.setdefault(int(a), []).append((int(b), shift))
    reached = np.zeros(len(indices), dtype=bool)
    axes = np.zeros(3, dtype=bool)
    for root in range(len(indices)):
        if reached[root]:
            continue
        reached[root], stack = True, [root]
        while stack:
            a = stack.pop()
            for b, shift in edges.get(a, []):
                image = shifts[a] + shift
                if not reached[b]:
                    reached[b], shifts[b] = True, image
                    stack.append(b)
                else:
                    axes |= image != shifts[b]
    return shifts, [int(axis) for axis in np.flatnonzero(axes)]


def image_contact_warning(atoms: Atoms | None, indices) -> str | None:
    """What to tell a user whose best structure ``atoms`` has the atoms ``indices`` bonded to
    their own periodic image; None when they are not (or there is no structure yet)."""
    axes = [] if atoms is None else image_contact_axes(atoms, indices)
    if not axes:
        return None
    names = ("vector " if len(axes) == 1 else "vectors ") + " and ".join(f"a{axis + 1}" for axis in axes)
    return (f"the best structure's placed atoms bond to their own periodic image along cell "
            f"{names}: in this cell they form an endless stripe or film, not an isolated "
            "cluster. For a cluster, search on a larger cell (for a slab, repeat it, e.g. "
            "slab.repeat((2, 2, 1)))")
