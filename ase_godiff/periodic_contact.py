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

__all__ = ["BOND_FACTOR", "image_contact_axes", "image_contact_warning"]

BOND_FACTOR = 1.25  # a bond: closer than 1.25 x the placed atoms' median nearest-neighbour distance


def image_contact_axes(atoms: Atoms, indices) -> list[int]:
    """The cell axes (0, 1, 2) along which the atoms ``indices``, bonded to each other,
    reach their own periodic image; [] for an isolated cluster or a non-periodic cell.

    Bonds are pairs closer than BOND_FACTOR x the median nearest-neighbour distance among
    those atoms (Å), so the test is the same for metals and for argon.
    """
    indices = np.asarray(indices, dtype=int)
    if len(indices) < 2 or not atoms.pbc.any():
        return []
    placed = atoms[indices]
    distances = placed.get_all_distances(mic=True)
    np.fill_diagonal(distances, np.inf)
    bond = BOND_FACTOR * float(np.median(distances.min(axis=1)))
    i, j, shifts = neighbor_list("ijS", placed, bond)
    image = {}  # the periodic image (integer cell shift) of each atom reached
    axes = np.zeros(3, dtype=bool)
    edges = {}
    for a, b, shift in zip(i, j, shifts):
        edges.setdefault(int(a), []).append((int(b), shift))
    for root in range(len(placed)):
        if root in image:
            continue
        image[root], stack = np.zeros(3, dtype=int), [root]
        while stack:
            a = stack.pop()
            for b, shift in edges.get(a, []):
                reached = image[a] + shift
                if b not in image:
                    image[b] = reached
                    stack.append(b)
                else:
                    axes |= reached != image[b]
    return [int(axis) for axis in np.flatnonzero(axes)]



def image_contact_warning(atoms: Atoms | None, indices) -> str | None:
    """What to tell a user whose best structure ``atoms`` has the atoms ``indices`` bonded to
    their own periodic image; None when they are not (or there is no structure yet)."""
    axes = [] if atoms is None else image_contact_axes(atoms, indices)
    if not axes:
        return None
    names = " and ".join(f"a{axis + 1}" for axis in axes)
    return (f"the best structure's placed atoms bond to their own periodic image along cell "
            f"vector {names}: in this cell they form an endless stripe or film, not an isolated "
            "cluster. For a cluster, search on a larger cell (for a slab, repeat it, e.g. "
            "slab.repeat((2, 2, 1)))")
