"""Batched MACE evaluation against per-structure ASE calls, on a small MACE model made here."""

import numpy as np
import pytest
import torch

mace = pytest.importorskip("mace")

from ase.calculators.emt import EMT  # noqa: E402

from ase_godiff.batched import MACEBatchedPotential, batched_potential_for  # noqa: E402
from ase_godiff.evaluate import evaluate, evaluate_many  # noqa: E402
from ase_godiff.space import SearchSpace  # noqa: E402

from systems import small_slab  # noqa: E402


@pytest.fixture(scope="module")
def mace_calculator(tmp_path_factory):
    """A random-weight MACE model for Pt and Au, saved and loaded the way a user's file is."""
    torch.serialization.add_safe_globals([slice])  # e3nn 0.4.4's constants under torch >= 2.6
    from e3nn import o3
    from mace import modules
    from mace.calculators import MACECalculator

    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    torch.manual_seed(0)
    block = modules.interaction_classes["RealAgnosticResidualInteractionBlock"]
    model = modules.ScaleShiftMACE(
        r_max=4.5, num_bessel=6, num_polynomial_cutoff=5, max_ell=2, interaction_cls=block,
        interaction_cls_first=block, num_interactions=2, num_elements=2,
        hidden_irreps=o3.Irreps("8x0e+8x1o"), MLP_irreps=o3.Irreps("8x0e"),
        atomic_energies=np.array([-3.0, -5.0]), avg_num_neighbors=12.0, atomic_numbers=[78, 79],
        correlation=2, gate=torch.nn.functional.silu, atomic_inter_scale=1.0,
        atomic_inter_shift=0.0)
    path = tmp_path_factory.mktemp("mace") / "small.model"
    torch.save(model, path)
    torch.set_default_dtype(previous)
    return MACECalculator(model_paths=str(path), device="cpu", default_dtype="float64")


def _structures(n=6):
    atoms = small_slab("PtAu2")
    space = SearchSpace(atoms)
    return [space.to_atoms(x) for x in space.sample_prior(n, np.random.default_rng(0))]


def test_batched_mace_matches_per_structure_ase_calls(mace_calculator):
    structures = _structures()
    batched = batched_potential_for(mace_calculator)
    assert isinstance(batched, MACEBatchedPotential)
    results = list(evaluate_many(structures, mace_calculator))
    for atoms, result in zip(structures, results):
        reference = evaluate(atoms, mace_calculator)
        assert result.ok and result.energy == pytest.approx(reference.energy, abs=1e-8)
        np.testing.assert_allclose(result.forces, reference.forces, atol=1e-8)
        assert np.all(result.forces[:-3] == 0.0)  # FixAtoms applied, as in atoms.get_forces()
        np.testing.assert_allclose(result.atoms.positions, atoms.positions)
    assert len({r.energy for r in results}) == len(results)


def test_a_failing_batch_falls_back_to_one_by_one(mace_calculator, monkeypatch):
    structures = _structures(3)
    batched = MACEBatchedPotential(mace_calculator)
    monkeypatch.setattr(batched, "_forward", lambda chunk: (_ for _ in ()).throw(RuntimeError("OOM")))
    results = batched.evaluate_batch(structures)
    assert [r.ok for r in results] == [True, True, True]


def test_other_calculators_keep_the_ase_path():
    assert batched_potential_for(EMT()) is None
