"""Batched MACE evaluation against per-structure ASE calls, on small MACE models made here."""

import subprocess
import sys

import numpy as np
import pytest
import torch

mace = pytest.importorskip("mace")

from ase import Atom  # noqa: E402
from ase.calculators.emt import EMT  # noqa: E402

from ase_godiff.evaluate import MACEBatchedPotential, batched_potential_for  # noqa: E402
from ase_godiff.evaluate import evaluate, evaluate_many  # noqa: E402
from ase_godiff.space import SearchSpace  # noqa: E402

from systems import small_slab  # noqa: E402


def _save_small_mace(path, seed):
    """A random-weight ScaleShiftMACE for Pt and Au (8x0e+8x1o, 2 interactions, 4.5 Å)."""
    from e3nn import o3
    from mace import modules

    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        torch.manual_seed(seed)
        block = modules.interaction_classes["RealAgnosticResidualInteractionBlock"]
        model = modules.ScaleShiftMACE(
            r_max=4.5, num_bessel=6, num_polynomial_cutoff=5, max_ell=2, interaction_cls=block,
            interaction_cls_first=block, num_interactions=2, num_elements=2,
            hidden_irreps=o3.Irreps("8x0e+8x1o"), MLP_irreps=o3.Irreps("8x0e"),
            atomic_energies=np.array([-3.0, -5.0]), avg_num_neighbors=12.0,
            atomic_numbers=[78, 79], correlation=2, gate=torch.nn.functional.silu,
            atomic_inter_scale=1.0, atomic_inter_shift=0.0)
        torch.save(model, path)
    finally:
        torch.set_default_dtype(previous)
    return str(path)


@pytest.fixture(scope="module")
def model_files(tmp_path_factory):
    torch.serialization.add_safe_globals([slice])  # e3nn 0.4.4's constants under torch >= 2.6
    folder = tmp_path_factory.mktemp("mace")
    return [_save_small_mace(folder / f"small-{seed}.model", seed) for seed in (0, 1)]


@pytest.fixture(scope="module")
def mace_calculator(model_files):
    """Loaded the way a user's model file is."""
    from mace.calculators import MACECalculator

    return MACECalculator(model_paths=model_files[0], device="cpu", default_dtype="float64")


def _structures(n=6, seed=0):
    atoms = small_slab("PtAu2")
    space = SearchSpace(atoms)
    return [space.to_atoms(x) for x in space.box.sample_uniform(n, space.n_free, np.random.default_rng(seed))]


def _assert_matches_ase(structures, results, calc, atol):
    assert len(results) == len(structures)
    for atoms, result in zip(structures, results):
        reference = evaluate(atoms, calc)
        assert result.ok and reference.ok
        assert result.energy == pytest.approx(reference.energy, abs=atol)
        np.testing.assert_allclose(result.forces, reference.forces, atol=atol)
        assert np.all(result.forces[:-3] == 0.0)  # FixAtoms applied, as in atoms.get_forces()
        np.testing.assert_allclose(result.atoms.positions, atoms.positions)
        assert result.atoms.get_potential_energy() == result.energy


def test_batched_mace_matches_per_structure_ase_calls(mace_calculator):
    structures = _structures()
    batched = batched_potential_for(mace_calculator)
    assert isinstance(batched, MACEBatchedPotential)
    results = list(evaluate_many(structures, mace_calculator))
    _assert_matches_ase(structures, results, mace_calculator, atol=1e-8)
    assert len({r.energy for r in results}) == len(results)


def test_chunks_keep_input_order(mace_calculator):
    structures = _structures(5)
    results = list(evaluate_many(structures, mace_calculator, batch_size=2))
    _assert_matches_ase(structures, results, mace_calculator, atol=1e-8)


def test_float32_and_ensembles_through_mace_mp(model_files):
    from mace.calculators import mace_mp

    calc = mace_mp(model=model_files[0], device="cpu", default_dtype="float32")
    structures = _structures(3)
    _assert_matches_ase(structures, list(evaluate_many(structures, calc)), calc, atol=1e-4)
    from mace.calculators import MACECalculator

    ensemble = MACECalculator(model_paths=model_files, device="cpu", default_dtype="float64")
    assert len(ensemble.models) == 2
    _assert_matches_ase(structures, list(evaluate_many(structures, ensemble)), ensemble, atol=1e-8)


def test_a_structure_the_model_cannot_take_is_recorded_and_the_rest_go_on(mace_calculator):
    structures = _structures(4)
    structures[2] += Atom("Cu", (1.0, 1.0, 12.0))  # not in the model's elements
    results = list(evaluate_many(structures, mace_calculator))
    assert [r.ok for r in results] == [True, True, False, True]
    assert results[2].energy is None and results[2].error
    good = [0, 1, 3]
    _assert_matches_ase([structures[i] for i in good], [results[i] for i in good],
                        mace_calculator, atol=1e-8)


def test_a_failing_batch_falls_back_to_one_by_one(mace_calculator, monkeypatch):
    structures = _structures(3)

    def out_of_memory(self, chunk):
        raise RuntimeError("CUDA out of memory")

    monkeypatch.setattr(MACEBatchedPotential, "_forward", out_of_memory)
    results = list(evaluate_many(structures, mace_calculator))
    _assert_matches_ase(structures, results, mace_calculator, atol=1e-8)


class _BrokenBatchEMT(EMT):
    """An ASE calculator whose batched path always fails."""

    def evaluate_batch(self, structures):
        raise RuntimeError("broken batch")


class _ShortBatchEMT(EMT):
    """A batched path that loses a structure per chunk."""

    def evaluate_batch(self, structures):
        return [evaluate(atoms, self) for atoms in structures[1:]]


@pytest.mark.parametrize("calc_class", [_BrokenBatchEMT, _ShortBatchEMT])
def test_evaluate_many_survives_a_broken_batched_potential(calc_class):
    structures = _structures(10, seed=1)
    calc = calc_class()
    assert batched_potential_for(calc) is calc
    results = list(evaluate_many(structures, calc, batch_size=4))
    expected = [evaluate(atoms, EMT()).energy for atoms in structures]
    assert [r.energy for r in results] == pytest.approx(expected, abs=1e-10)


def test_other_calculators_keep_the_ase_path():
    assert batched_potential_for(EMT()) is None


def test_the_package_imports_without_mace():
    code = ("import sys; sys.modules['mace'] = None\n"
            "import ase_godiff, ase_godiff.evaluate\n"
            "from ase.calculators.emt import EMT\n"
            "assert ase_godiff.evaluate.batched_potential_for(EMT()) is None\n"
            "assert 'e3nn' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)
