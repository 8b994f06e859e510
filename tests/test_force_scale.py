"""The force scale: the force head and guidance in units of the training set's typical force."""

import copy

import numpy as np
import pytest
import torch
from ase.calculators.emt import EMT

from ase_godiff import GODiffOptimizer
from ase_godiff.buffer import boltzmann_weights
from ase_godiff.diffusion.sde import VESDE
from ase_godiff.learner import FORCE_SCALE_FLOOR, typical_force
from ase_godiff.space import SearchSpace
from ase_godiff.space_tensors import SpaceTensors
from ase_godiff.train import TrainingData, train_stage

from small_models import SMALL, small_model
from systems import FAST, small_slab


def _forces_with_rms(values, n_atoms=3):
    """(len(values), n_atoms, 3) forces whose per-structure RMS atomic force is each value (eV/Å)."""
    forces = np.zeros((len(values), n_atoms, 3))
    forces[:, :, 0] = np.asarray(values, dtype=float)[:, None]
    return forces


def test_typical_force_is_a_weighted_median_that_overlapping_atoms_do_not_set():
    forces = _forces_with_rms([1.0, 2.0, 3.0, 1e4])
    assert typical_force(forces, np.ones(4)) == pytest.approx(2.0)
    assert typical_force(forces, np.array([10.0, 1.0, 1.0, 1.0])) == pytest.approx(1.0)
    assert typical_force(forces, np.array([0.0, 0.0, 1.0, 0.1])) == pytest.approx(3.0)
    assert typical_force(np.zeros((2, 3, 3)), np.ones(2)) == FORCE_SCALE_FLOOR


def _train_in_units(unit: float) -> tuple[float, torch.nn.Module]:
    """Five training steps of one seeded model on fixed data whose forces are in ``unit`` eV/Å."""
    space = SearchSpace(small_slab("Pt2"))
    tensors = SpaceTensors.from_space(space, SMALL, torch.float64, torch.device("cpu"))
    rng = np.random.default_rng(1)
    positions = torch.as_tensor(space.box.sample_uniform(6, space.n_free, rng))
    forces = torch.as_tensor(rng.normal(size=(6, space.n_free, 3))) * unit
    model = small_model().double()
    model.force_scale.fill_(0.7 * unit)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    loss = train_stage(model, optimizer, TrainingData(positions, torch.full((6,), 1 / 6), positions, forces),
                       sde=VESDE(0.01, 5.0, "geometric"), env=tensors.env, box=tensors.box, numbers=tensors.numbers,
                       steps=5, batch_size=4, t_min=0.005, grad_clip=10.0,
                       generator=torch.Generator().manual_seed(0))
    return loss, model


def test_training_is_the_same_whatever_unit_the_forces_come_in():
    """Argon's forces are about 100x smaller than platinum's: in units of the force scale the
    force head learns the same from both, where an absolute loss would barely see argon's."""
    loss_one, model_one = _train_in_units(1.0)
    loss_small, model_small = _train_in_units(0.01)
    assert loss_small == pytest.approx(loss_one, rel=1e-9)
    for (name, a), b in zip(model_one.state_dict().items(), model_small.state_dict().values()):
        if name != "force_scale":
            torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-12)


def test_an_adaptive_stage_sets_the_force_scale_of_the_structures_it_trains_on():
    opt = GODiffOptimizer(small_slab("Pt2"), EMT(), settings=FAST, seed=0, force_scale="adaptive")
    opt.step()
    buffer = opt.state.buffer
    expected = typical_force(buffer.forces, boltzmann_weights(buffer.energies, opt.state.kT))
    assert float(opt.state.model.force_scale) == pytest.approx(expected)
    assert 0.01 < expected < 100.0 and expected != 1.0  # EMT platinum: of order 1 eV/Å


def test_a_fixed_force_scale_is_one_ev_per_angstrom_whatever_the_forces():
    opt = GODiffOptimizer(small_slab("Pt2"), EMT(), settings=FAST, seed=0)
    opt.state.model.force_scale.fill_(0.25)  # e.g. a warm start from an adaptive run
    opt.step()
    assert opt.settings.force_scale == "fixed" and float(opt.state.model.force_scale) == 1.0


def test_an_unknown_force_scale_is_a_clear_error():
    with pytest.raises(ValueError, match="force_scale must be one of \\('fixed', 'adaptive'\\)"):
        GODiffOptimizer(small_slab("Pt2"), EMT(), settings=FAST, force_scale="auto")


def test_a_saved_model_keeps_its_force_scale_and_an_older_file_loads_with_one(tmp_path):
    from safetensors.torch import load_file, save_file

    from ase_godiff.model_io import load_model, save_model

    model = small_model()
    model.force_scale.fill_(0.03)
    folder = save_model(model, tmp_path / "m")
    assert float(load_model(folder).force_scale) == pytest.approx(0.03)
    weights = load_file(str(folder / "model.safetensors"))
    del weights["force_scale"]  # as saved before the force head had a scale: it predicted eV/Å
    save_file(weights, str(folder / "model.safetensors"))
    older = load_model(folder)
    assert float(older.force_scale) == 1.0
    reference = copy.deepcopy(model)
    reference.force_scale.fill_(1.0)
    for a, b in zip(reference.state_dict().values(), older.state_dict().values()):
        torch.testing.assert_close(a, b)
