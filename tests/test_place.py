"""Saying what to place: place=, relaxable slabs, and the default region on stepped surfaces."""

import numpy as np
import pytest
from ase import Atoms
from ase.build import fcc111
from ase.calculators.emt import EMT
from ase.constraints import FixAtoms
from ase.io import read

from ase_godiff import GODiffOptimizer, ScoreNetConfig, SearchSpace
from ase_godiff.examples import heptamer_atoms, step_adatom_atoms
from ase_godiff.space import slab_box

from systems import FAST
from tasks import STEP_ADATOM_SITE, template_translations

NET = ScoreNetConfig(features=8, blocks=1, cutoff=4.0, radial_basis=6)


def relaxable_slab():
    """The usual ASE slab: 3 layers, the bottom one fixed, plus Au2 to place (indices 27, 28)."""
    slab = fcc111("Pt", (3, 3, 3), vacuum=6.0)
    slab.set_constraint(FixAtoms(mask=[atom.tag == 3 for atom in slab]))
    return slab + Atoms("Au2")


def test_place_takes_indices_or_a_mask():
    atoms = relaxable_slab()
    by_index = SearchSpace(atoms, place=[27, 28])
    by_mask = SearchSpace(atoms, place=[atom.symbol == "Au" for atom in atoms])
    by_range = SearchSpace(atoms, place=range(27, 29))
    for space in (by_index, by_mask, by_range):
        np.testing.assert_array_equal(space.free_indices, [27, 28])
        assert len(space.template_indices) == 27  # the relaxable layers are template too


def test_a_relaxable_slab_without_place_is_refused_naming_place():
    with pytest.raises(ValueError, match=r"18 atoms not fixed .* whole layers .* place=\[i for i, a in "
                                         r"enumerate\(atoms\) if a.symbol == 'Au'\] or place=range\(27, 29\)"):
        GODiffOptimizer(relaxable_slab(), EMT())


@pytest.mark.parametrize("place, message", [
    ([], "selects no atom"), ([27, 27], "twice"), ([27, 29], "out of range"),
    ([True, False], "one bool per atom"), ([1.5], "indices"), ("Au", "indices")])
def test_bad_place_is_a_clear_error(place, message):
    with pytest.raises(ValueError, match=message):
        SearchSpace(relaxable_slab(), place=place)


def test_adatoms_given_at_real_positions_are_placed_without_place():
    atoms = relaxable_slab()[:27] + Atoms("Au2")
    atoms.set_constraint(FixAtoms(indices=range(27)))
    top = atoms.positions[:27, 2].max()
    atoms.positions[27:] = [[1.4, 0.8, top + 2.1], [4.2, 2.4, top + 2.1]]
    np.testing.assert_array_equal(SearchSpace(atoms).free_indices, [27, 28])


def test_the_relaxable_layers_stay_put_during_the_search_and_the_polish_relaxes_them(tmp_path):
    atoms = relaxable_slab()
    with GODiffOptimizer(atoms, EMT(), place=[27, 28], settings=FAST, network=NET, relax_top=1,
                         trajectory=str(tmp_path / "t.traj")) as opt:
        best = opt.run()
        polish_stage = opt.settings.stages
    frames = read(tmp_path / "t.traj", ":")
    stages = opt.state.buffer.stages
    assert len(frames) == len(stages)
    for frame, stage in zip(frames, stages):
        moved = np.abs(frame.positions[:27] - atoms.positions[:27]).max()
        assert (moved == 0.0) if stage < polish_stage else True
        assert frame.constraints[0].get_indices().tolist() == list(range(9))  # as given
    relaxed = np.abs(best.positions[9:27] - atoms.positions[9:27]).max()
    assert relaxed > 1e-3 and np.abs(best.positions[:9] - atoms.positions[:9]).max() == 0.0


def test_a_stepped_template_s_global_minimum_site_lies_in_the_default_region():
    atoms = step_adatom_atoms()
    space = SearchSpace(atoms)
    sites = STEP_ADATOM_SITE + template_translations(atoms, space.free_indices)
    height = space.box.to_fractional(sites)[:, 2]
    assert np.all((height > 0) & (height < 1))
    assert np.all(slab_box(atoms, (1.0, 6.0)).to_fractional(sites)[:, 2] < 0)  # the old default missed it


def test_on_a_flat_slab_the_default_region_is_the_paper_s_box():
    atoms = heptamer_atoms()
    region, paper = SearchSpace(atoms).box, slab_box(atoms, (1.0, 6.0))
    np.testing.assert_allclose(region.corner, paper.corner, atol=1e-12)
    np.testing.assert_allclose(region.vectors, paper.vectors, atol=1e-12)


def test_toml_places_exactly_the_free_formula_on_a_relaxable_template(tmp_path):
    from ase_godiff.runconfig import load_run_config

    relaxable_slab()[:27].write(tmp_path / "slab.extxyz")
    (tmp_path / "search.toml").write_text('[system]\ntemplate = "slab.extxyz"\nfree = "Au2"\n')
    config = load_run_config(tmp_path / "search.toml")
    assert config.place == [27, 28]
    space = SearchSpace(config.atoms, place=config.place)
    assert len(space.template_indices) == 27
