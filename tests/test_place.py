"""Saying what to place: place=, relaxable slabs, TOML, and the default region on stepped,
kinked and covered surfaces."""

import numpy as np
import pytest
from ase import Atoms
from ase.build import add_adsorbate, fcc111, molecule
from ase.calculators.calculator import Calculator
from ase.calculators.emt import EMT
from ase.constraints import FixAtoms
from ase.io import read

from ase_godiff import GODiffOptimizer, ScoreNetConfig, SearchSpace
from ase_godiff.examples import heptamer_atoms, step_adatom_atoms
from ase_godiff.runconfig import load_run_config
from ase_godiff.space import slab_box

from systems import FAST
from tasks import PT211_ADATOM_SITE, PT321_ADATOM_SITE, STEP_ADATOM_SITE, TASKS, template_translations

NET = ScoreNetConfig(features=8, blocks=1, cutoff=4.0, radial_basis=6)


def relaxable_slab(free: str = "Au2") -> Atoms:
    """The usual ASE slab: 3 layers, the bottom one fixed, plus the atoms to place (27, ...)."""
    slab = fcc111("Pt", (3, 3, 3), vacuum=6.0)
    slab.set_constraint(FixAtoms(mask=[atom.tag == 3 for atom in slab]))
    return slab + Atoms(free)


class NoCalls(Calculator):
    implemented_properties = ["energy", "forces"]

    def calculate(self, *args, **kwargs):
        raise AssertionError("the calculator was called")


def test_place_takes_indices_a_range_or_a_mask():
    atoms = relaxable_slab()
    for place in ([27, 28], [-2, -1], range(27, 29), [atom.symbol == "Au" for atom in atoms]):
        space = SearchSpace(atoms, place=place)
        np.testing.assert_array_equal(space.free_indices, [27, 28])
        assert len(space.template_indices) == 27  # the relaxable layers are template too


def test_a_relaxable_slab_without_place_is_refused_before_any_evaluation():
    with pytest.raises(ValueError) as error:
        GODiffOptimizer(relaxable_slab(), NoCalls())
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith("18 atoms that FixAtoms leaves free are part of the slab")
    assert "place=[i for i, a in enumerate(atoms) if a.symbol == 'Au'] or place=range(27, 29)" in message


def test_the_hint_never_names_an_element_the_slab_shares():
    with pytest.raises(ValueError, match=r"e\.g\. place=range\(27, 34\)$"):
        SearchSpace(relaxable_slab("Pt7"))


def test_a_slab_with_no_fixatoms_is_refused():
    atoms = relaxable_slab()
    atoms.set_constraint()
    with pytest.raises(ValueError, match=r"^27 atoms .* part of the slab .* place=range\(27, 29\)"):
        SearchSpace(atoms)


@pytest.mark.parametrize("place, message", [
    ([], "selects no atom"), ([False] * 29, "selects no atom"), ([27, 27], "twice"), ([27, -2], "twice"),
    ([27, 29], "out of range"), ([True, False], "one bool per atom"), ([1.5], "indices"),
    ("Au", "indices"), ([0, 27], "FixAtoms fixes")])
def test_bad_place_is_a_clear_error(place, message):
    with pytest.raises(ValueError, match=message):
        SearchSpace(relaxable_slab(), place=place)


def test_adatoms_and_islands_given_at_real_positions_are_placed_without_place():
    atoms = relaxable_slab()[:27]
    atoms.set_constraint(FixAtoms(indices=range(27)))
    top = atoms.positions[:, 2].max()
    island = Atoms("Pt3", positions=[[1.39, 0.80, top + 2.3], [4.16, 0.80, top + 2.3],
                                     [2.77, 3.20, top + 2.3]])
    np.testing.assert_array_equal(SearchSpace(atoms + island).free_indices, [27, 28, 29])
    relaxable = relaxable_slab()[:27] + island  # the island is not a layer of the relaxable slab
    with pytest.raises(ValueError, match=r"^18 atoms .* e\.g\. place=range\(27, 30\)$"):
        SearchSpace(relaxable)


def test_the_relaxable_layers_stay_put_during_the_search_and_the_polish_relaxes_them(tmp_path):
    atoms = relaxable_slab()
    with GODiffOptimizer(atoms, EMT(), place=[27, 28], settings=FAST, network=NET, relax_top=1, relax_calls=5,
                         trajectory=str(tmp_path / "t.traj")) as opt:
        best = opt.run()
        polish_stage = opt.settings.stages
    frames = read(tmp_path / "t.traj", ":")
    stages = opt.state.buffer.stages
    assert len(frames) == len(stages) and (stages < polish_stage).sum() > 0
    for frame, stage in zip(frames, stages):
        if stage < polish_stage:  # sampled and evaluated: the template exactly as given
            np.testing.assert_array_equal(frame.positions[:27], atoms.positions[:27])
        assert [c.get_indices().tolist() for c in frame.constraints] == [list(range(9))]  # as given
    assert [c.get_indices().tolist() for c in best.constraints] == [list(range(9))]
    assert np.abs(best.positions[9:27] - atoms.positions[9:27]).max() > 1e-3  # the polish relaxed them
    np.testing.assert_array_equal(best.positions[:9], atoms.positions[:9])


@pytest.mark.parametrize("task, site", [("pt-step-adatom", STEP_ADATOM_SITE),
                                        ("pt211-adatom", PT211_ADATOM_SITE),
                                        ("pt321-adatom", PT321_ADATOM_SITE)])
def test_a_stepped_or_kinked_template_s_global_minimum_site_lies_in_the_default_region(task, site):
    atoms = TASKS[task].build()
    space = SearchSpace(atoms)
    atoms.positions[-1], atoms.calc = site, EMT()
    assert TASKS[task].success(atoms, space.free_indices)
    assert atoms.get_potential_energy() == pytest.approx(TASKS[task].reference_energy, abs=1e-3)
    sites = site + template_translations(atoms, space.free_indices)
    height = space.box.to_fractional(sites)[:, 2]
    assert np.all((height > 0) & (height < 1))
    assert np.all(slab_box(atoms, (1.0, 6.0)).to_fractional(sites)[:, 2] < 0)  # the paper's box misses it


def test_on_a_flat_slab_the_default_region_is_the_paper_s_box():
    atoms = heptamer_atoms()
    region, paper = SearchSpace(atoms).box, slab_box(atoms, (1.0, 6.0))
    np.testing.assert_array_equal(region.corner, paper.corner)
    np.testing.assert_array_equal(region.vectors, paper.vectors)


def test_on_a_slab_that_carries_an_adsorbate_the_region_starts_above_the_bare_surface():
    slab = fcc111("Pt", (3, 3, 3), vacuum=8.0)
    top = slab.positions[:, 2].max()
    covered = slab.copy()
    add_adsorbate(covered, molecule("CO"), 1.85, "ontop")  # C 1.85 Å, O 3 Å above the top layer
    covered.set_constraint(FixAtoms(indices=range(len(covered))))
    box = SearchSpace(covered + Atoms("Pt")).box
    assert box.corner[2] == pytest.approx(top + 1.0)
    assert box.corner[2] + box.vectors[2, 2] == pytest.approx(covered.positions[:, 2].max() + 6.0)


def test_the_step_default_region_in_numbers():
    atoms = step_adatom_atoms()
    top = atoms.positions[:-1, 2].max()
    box = SearchSpace(atoms).box
    assert box.corner[2] - top == pytest.approx(-0.307, abs=1e-3)
    assert box.corner[2] + box.vectors[2, 2] - top == pytest.approx(6.0)


def _toml(tmp_path, slab: Atoms, system: str):
    slab.write(tmp_path / "slab.traj")
    (tmp_path / "search.toml").write_text('[system]\ntemplate = "slab.traj"\n' + system)
    return load_run_config(tmp_path / "search.toml")


@pytest.mark.parametrize("system", ["place = [27, 28]\n", 'place = "Au2"\n', "place = [-2, -1]\n"])
def test_toml_place_picks_the_template_file_s_atoms(tmp_path, system):
    config = _toml(tmp_path, relaxable_slab(), system)
    assert config.place == [27, 28]
    assert [c.get_indices().tolist() for c in config.atoms.constraints] == [list(range(9))]  # as given


def test_toml_free_atoms_are_placed_and_a_file_without_fixatoms_fixes_the_rest(tmp_path):
    config = _toml(tmp_path, relaxable_slab()[:27], 'free = "Au2"\n')
    assert config.place == [27, 28]
    assert len(SearchSpace(config.atoms, place=config.place).template_indices) == 27
    bare = relaxable_slab()
    bare.set_constraint()
    config = _toml(tmp_path, bare, 'place = "Au2"\nbox_z = [1.0, 5.0]\n')
    assert config.atoms.constraints[0].get_indices().tolist() == list(range(27))
    assert config.box.corner[2] == pytest.approx(bare.positions[:27, 2].max() + 1.0)


def test_toml_a_relaxable_slab_without_place_is_one_line_naming_place(tmp_path):
    with pytest.raises(ValueError) as error:
        _toml(tmp_path, relaxable_slab(), "")
    message = str(error.value)
    assert "\n" not in message and "18 atoms its FixAtoms leaves free are part of the slab" in message
    assert message.endswith("e.g. place = [27, 28]")


@pytest.mark.parametrize("system, message", [
    ('place = "Au3"', "place = 'Au3': the template holds Au2 of those elements"),
    ('place = "Ag"', "the template holds no atom"),
    ("place = [27, 27]", "names an atom twice"),
    ("place = [0, 27]", "FixAtoms fixes"),
    ("place = [27, true]", "place must be a list of atom indices"),
    ("place = 27", "place must be a list of atom indices"),
    ('place = [27]\nfree = "Au"', "not both"),
])
def test_toml_bad_place_is_one_line(tmp_path, system, message):
    with pytest.raises(ValueError, match=r"^\[system\] .*" + message.replace("[", r"\[")):
        _toml(tmp_path, relaxable_slab(), system + "\n")


def test_toml_place_is_refused_with_an_example(tmp_path):
    (tmp_path / "search.toml").write_text('[system]\nexample = "pt-step-adatom"\nplace = [20]\n')
    with pytest.raises(ValueError, match="takes either example = NAME"):
        load_run_config(tmp_path / "search.toml")
