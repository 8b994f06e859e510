"""The search space: template and free atoms, default boxes, distance checks, clear errors."""

import numpy as np
import pytest
from ase import Atoms
from ase.constraints import FixAtoms

from ase_godiff import Box, SearchSpace
from ase_godiff.space import slab_box

from systems import gas_cluster, small_slab


def test_fixed_atoms_are_the_template_and_the_rest_are_free():
    atoms = small_slab("Pt2")
    space = SearchSpace(atoms)
    assert space.n_free == 2 and len(space.template_indices) == len(atoms) - 2
    np.testing.assert_array_equal(space.free_indices, [len(atoms) - 2, len(atoms) - 1])


def test_default_slab_box_spans_the_cell_one_to_six_angstrom_above_the_top():
    atoms = small_slab("Pt")
    space = SearchSpace(atoms)
    top = atoms.positions[:-1, 2].max()
    samples = space.box.sample_uniform(2000, space.n_free, np.random.default_rng(0))
    assert samples[..., 2].min() >= top + 1.0 and samples[..., 2].max() <= top + 6.0
    frac = samples.reshape(-1, 3) @ np.linalg.inv(atoms.cell.array)
    assert frac[:, :2].min() >= 0.0 and frac[:, :2].max() <= 1.0
    assert np.all(space.periodic_box_axes == [True, True, False])


def test_custom_slab_box_range():
    atoms = small_slab("Pt")
    box = slab_box(atoms, (0.0, 4.0))
    assert box.corner[2] == pytest.approx(atoms.positions[:-1, 2].max())
    assert box.vectors[2, 2] == pytest.approx(4.0)


def test_cluster_box_is_centred_and_sized_from_covalent_radii():
    space = SearchSpace(gas_cluster("Pt7"))
    samples = space.box.sample_uniform(500, space.n_free, np.random.default_rng(0)).reshape(-1, 3)
    np.testing.assert_allclose(samples.mean(axis=0), [6.0, 6.0, 6.0], atol=0.3)
    side = np.diag(space.box.vectors)
    assert np.all(side > 5.0) and np.all(side < 15.0)


def test_distances_use_the_minimum_image_and_the_template():
    atoms = small_slab("Pt2")
    space = SearchSpace(atoms)
    top = atoms.positions[:-2, 2].max()
    a = atoms.cell[0]
    near_across_boundary = np.array([[0.2, 0.5, top + 3.0], [0.0, 0.5, top + 3.0] + a - [0.3, 0, 0]])
    assert space.too_close(near_across_boundary)
    np.testing.assert_allclose(space.nearest_neighbour_distances(near_across_boundary), [0.5, 0.5], atol=1e-9)
    apart = np.array([[0.2, 0.5, top + 3.0], [2.9, 0.5, top + 3.0]])
    assert not space.too_close(apart)
    assert space.too_close(np.array([[0.0, 0.0, top + 0.5], [2.9, 0.5, top + 3.0]]))  # into the slab
    template_atom = atoms.positions[np.argmax(atoms.positions[:-2, 2])]
    above = np.array([template_atom + [0, 0, 2.5], template_atom + [0, 0, 6.0]])
    np.testing.assert_allclose(space.nearest_neighbour_distances(above), [2.5, 3.5], atol=1e-9)


def test_to_atoms_keeps_order_and_constraints():
    atoms = small_slab("Pt2")
    space = SearchSpace(atoms)
    free = np.array([[1.0, 1.0, 9.0], [2.0, 2.0, 9.5]])
    built = space.to_atoms(free)
    np.testing.assert_array_equal(built.numbers, atoms.numbers)
    np.testing.assert_allclose(built.positions[-2:], free)
    assert built.constraints[0].get_indices().tolist() == atoms.constraints[0].get_indices().tolist()


def test_all_atoms_fixed_is_a_clear_error():
    atoms = small_slab("Pt")
    atoms.set_constraint(FixAtoms(indices=range(len(atoms))))
    with pytest.raises(ValueError, match="all atoms are fixed"):
        SearchSpace(atoms)


def test_unknown_element_is_a_clear_error():
    atoms = small_slab("Pt") + Atoms("X")
    with pytest.raises(ValueError, match="unknown element"):
        SearchSpace(atoms)


def test_empty_box_is_a_clear_error():
    with pytest.raises(ValueError, match="empty"):
        Box.from_bounds([0, 0, 0], [1, 1, 0])
    with pytest.raises(ValueError, match="empty"):
        Box(np.zeros(3), np.zeros((3, 3)))
    with pytest.raises(ValueError, match="empty"):
        slab_box(small_slab("Pt"), (3.0, 3.0))
