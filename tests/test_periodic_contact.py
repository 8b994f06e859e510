"""Placed atoms bonded to their own periodic image are told apart from isolated clusters."""

import numpy as np
import pytest
from ase import Atoms
from ase.build import fcc111

from ase_godiff.periodic_contact import image_contact_axes, image_contact_warning

ARGON_BOND = 3.4 * 2 ** (1 / 6)  # Å, the Lennard-Jones pair minimum of argon


def adatoms_on_hollows(size: int, sites) -> tuple[Atoms, range]:
    """A ``size`` x ``size`` Pt(111) slab with Pt adatoms on the fcc hollows at lattice
    ``sites`` (steps along a1 and a2), 2.3 Å above the top layer; and the adatoms' indices."""
    slab = fcc111("Pt", size=(size, size, 2), vacuum=8.0)
    step1, step2 = slab.cell[0] / size, slab.cell[1] / size
    top = slab.positions[np.argmax(slab.positions[:, 2])]
    hollow = top + (step1 + step2) / 3 + [0.0, 0.0, 2.3]
    adatoms = Atoms("Pt" * len(sites), positions=[hollow + i * step1 + j * step2 for i, j in sites])
    return slab + adatoms, range(len(slab), len(slab) + len(sites))


@pytest.mark.parametrize("sites, axes", [
    ([(0, 0), (1, 0), (2, 0)], [0]),  # a row as long as the cell along a1: endless
    ([(0, 0), (0, 1), (0, 2)], [1]),  # the same along a2
    ([(0, 0), (1, 0), (0, 1)], []),   # a compact trimer
])
def test_a_row_across_a_narrow_cell_reaches_its_image_and_a_trimer_does_not(sites, axes):
    atoms, placed = adatoms_on_hollows(3, sites)
    assert image_contact_axes(atoms, placed) == axes


def test_the_same_row_on_a_wider_cell_has_ends():
    atoms, placed = adatoms_on_hollows(6, [(0, 0), (1, 0), (2, 0)])
    assert image_contact_axes(atoms, placed) == []


def test_bonds_follow_the_atoms_spacing_so_argon_chains_count_too():
    chain = Atoms("Ar3", positions=[[i * ARGON_BOND, 5.0, 5.0] for i in range(3)],
                  cell=[3 * ARGON_BOND, 10.0, 10.0], pbc=[True, False, False])
    assert image_contact_axes(chain, range(3)) == [0]
    chain.cell[0, 0] = 6 * ARGON_BOND  # a gap of three bonds at the boundary
    assert image_contact_axes(chain, range(3)) == []
    chain.pbc = False
    assert image_contact_axes(chain, range(3)) == []


def test_the_warning_names_the_axis_and_the_fix_and_is_silent_for_a_cluster():
    row, placed = adatoms_on_hollows(3, [(0, 0), (1, 0), (2, 0)])
    message = image_contact_warning(row, placed)
    assert "own periodic image along cell vector a1" in message and "repeat" in message
    trimer, placed = adatoms_on_hollows(3, [(0, 0), (1, 0), (0, 1)])
    assert image_contact_warning(trimer, placed) is None
    assert image_contact_warning(None, placed) is None


def test_an_island_across_the_boundary_is_made_whole_by_its_bonded_images():
    from ase_godiff.periodic_contact import bonded_images

    atoms, placed = adatoms_on_hollows(6, [(5, 0), (0, 0), (5, 1), (0, 1)])  # a rhombus cut by a1's face
    shifts, axes = bonded_images(atoms, placed)
    whole = atoms.positions[placed] + shifts @ atoms.cell.array
    bonds = np.linalg.norm(whole[:, None] - whole[None], axis=-1)[np.triu_indices(4, 1)]
    assert axes == [] and np.sort(bonds)[:5] == pytest.approx(np.full(5, 2.77), abs=0.01)
    assert np.ptp(whole[:, 0]) < 6.0  # Å: together, not a cell apart
