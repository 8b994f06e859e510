"""A seeded end-to-end search on Task A (Pt adatom on stepped Pt, EMT) with a small budget."""

import numpy as np
import pytest
import torch
from ase.calculators.emt import EMT

from ase_godiff import GODiffOptimizer
from tasks import TASKS


@pytest.fixture
def one_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)  # the benchmark's setting: same seed, same floating-point path
    yield
    torch.set_num_threads(previous)


@pytest.mark.slow
def test_task_a_finds_the_step_site_and_learns_to_sample_it(one_thread):
    task = TASKS["pt-step-adatom"]
    atoms, box = task.atoms_and_box()
    opt = GODiffOptimizer(atoms, EMT(), box=box, seed=1, stages=5)
    best = opt.run()
    found = [task.success(opt.space.to_atoms(x), opt.space.free_indices) for x in opt.state.buffer.positions]
    assert any(found), "the global-minimum site was not sampled within 40 evaluations"
    assert best.get_potential_energy() == pytest.approx(task.reference_energy, abs=0.02)
    first, last = (opt.state.buffer.energies[opt.state.buffer.stages == s] for s in (0, opt.state.stage - 1))
    assert np.mean(last) < np.mean(first) - 2.0  # the model samples low-energy sites, not the prior
    assert np.mean(found[-len(last):]) > 0.1  # and a good share of its samples sit at the GM site
