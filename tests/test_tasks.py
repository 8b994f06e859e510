"""The benchmark tasks: reference energies and success tests."""

import numpy as np
import pytest
from ase import Atoms
from ase.optimize import BFGS

from tasks import ARGON_SIGMA, TASKS

ARGON = TASKS["ar7-lj"]


def _relaxed_argon(positions) -> Atoms:
    atoms = Atoms("Ar7", positions=positions)
    atoms.calc = ARGON.calculator()
    BFGS(atoms, logfile=None).run(fmax=1e-4, steps=2000)
    return atoms


def _bipyramid() -> np.ndarray:
    bond = 2 ** (1 / 6) * ARGON_SIGMA
    radius = bond / (2 * np.sin(np.pi / 5))
    height = np.sqrt(bond**2 - radius**2)
    ring = [[radius * np.cos(a), radius * np.sin(a), 0.0] for a in 2 * np.pi * np.arange(5) / 5]
    return np.array(ring + [[0.0, 0.0, height], [0.0, 0.0, -height]])


def test_argon_reference_is_the_relaxed_pentagonal_bipyramid():
    atoms = _relaxed_argon(_bipyramid())
    assert atoms.get_potential_energy() == pytest.approx(ARGON.reference_energy, abs=1e-5)
    assert atoms.get_potential_energy() / 0.0104 == pytest.approx(-16.505, abs=0.002)  # in epsilon
    assert ARGON.success(atoms, range(7))


def test_argon_success_rejects_the_other_minima():
    """Relaxed random Ar7: the bipyramid passes, every higher minimum (capped octahedron...) fails."""
    outcomes = {}
    for seed in range(12):
        atoms = _relaxed_argon(np.random.default_rng(seed).uniform(0.0, 7.0, (7, 3)))
        energy = round(atoms.get_potential_energy(), 4)
        outcomes.setdefault(energy, ARGON.success(atoms, range(7)))
    assert any(e > ARGON.reference_energy + 0.001 for e in outcomes)  # other minima were reached
    for energy, success in outcomes.items():
        assert success == (energy < ARGON.reference_energy + 0.001), energy


def test_the_default_cluster_box_holds_the_argon_minimum():
    """The Ar7 task runs in the default box: it must be able to hold the pentagonal bipyramid."""
    from ase_godiff import SearchSpace

    atoms, box = ARGON.atoms_and_box()
    assert box is None
    bond = 2 ** (1 / 6) * ARGON_SIGMA  # Å, the pair minimum
    ring = bond / (2 * np.sin(np.pi / 5))  # radius of the pentagon of side ``bond``
    height = np.sqrt(bond**2 - ring**2)  # each apex above the ring's plane
    angles = 2 * np.pi * np.arange(5) / 5
    bipyramid = np.r_[np.c_[ring * np.cos(angles), ring * np.sin(angles), np.zeros(5)],
                      [[0, 0, height], [0, 0, -height]]]
    diameter = np.linalg.norm(bipyramid[:, None] - bipyramid[None], axis=-1).max()
    side = np.linalg.norm(SearchSpace(atoms).box.vectors, axis=1).min()
    assert diameter < side  # it fits in any orientation


def test_the_pt211_success_test_accepts_the_minimum_and_its_images_and_rejects_other_sites():
    task = TASKS["pt211-adatom"]
    atoms, box = task.atoms_and_box()
    assert box is None  # run in the default region
    from ase.calculators.emt import EMT

    for y in (0.0, 2.7719):  # the template repeats every 2.77 Å along y
        atoms.positions[-1] = [6.6646, y, 7.0011]
        assert task.success(atoms, [len(atoms) - 1])
        atoms.calc = EMT()
        assert atoms.get_potential_energy() == pytest.approx(task.reference_energy, abs=1e-3)
    atoms.positions[-1] = [6.6646 - 1.5, 0.0, 7.0011]
    assert not task.success(atoms, [len(atoms) - 1])
