"""Every path that calls the calculator recognises a failure the same way."""

import numpy as np
import pytest
from ase.calculators.calculator import Calculator, all_changes
from ase.calculators.emt import EMT

from ase_godiff import GODiffOptimizer, ScoreNetConfig
from ase_godiff.evaluate import evaluate, evaluate_many, relax

from systems import FAST, small_slab


class Returns(Calculator):
    """A calculator that returns EMT's forces and a fixed energy, or raises."""

    implemented_properties = ["energy", "forces"]

    def __init__(self, energy, force_scale=1.0):
        super().__init__()
        self.energy, self.force_scale = energy, force_scale

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        if isinstance(self.energy, Exception):
            raise self.energy
        emt = EMT()
        emt.calculate(atoms, ["energy", "forces"], all_changes)
        self.results = {"energy": self.energy, "forces": emt.results["forces"] * self.force_scale}


@pytest.mark.parametrize("calc, message", [
    (Returns(float("nan")), "non-finite"), (Returns(float("inf")), "non-finite"),
    (Returns(1e300), "absurd"), (Returns(-1e300), "absurd"), (Returns(1.0, 1e300), "absurd"),
    (Returns(1.0, float("nan")), "non-finite"), (Returns(RuntimeError("SCF")), "RuntimeError: SCF")])
def test_absurd_results_are_failures(calc, message):
    atoms = small_slab("Pt2")
    atoms.positions[-2:] = [[1.0, 1.0, 7.0], [3.0, 2.0, 7.5]]
    assert message in evaluate(atoms, calc).error
    assert all(message in r.error for r in evaluate_many([atoms, atoms], calc))
    calc.evaluate_batch = lambda structures: [evaluate(a, calc) for a in structures]
    assert all(message in r.error for r in evaluate_many([atoms] * 3, calc, batch_size=2))
    polished = relax(atoms, lambda a: evaluate(a, calc), fmax=0.05, max_calls=5)
    assert len(polished) == 1 and message in polished[0].error


def test_a_search_with_absurd_energies_records_them_and_keeps_a_finite_model():
    class SometimesAbsurd(EMT):
        calls = 0

        def calculate(self, *args, **kwargs):
            super().calculate(*args, **kwargs)
            SometimesAbsurd.calls += 1
            if SometimesAbsurd.calls % 2:
                self.results["energy"] = 1e300

    net = ScoreNetConfig(features=8, blocks=1, cutoff=4.0, radial_basis=6)
    opt = GODiffOptimizer(small_slab("Pt2"), SometimesAbsurd(), settings=FAST, network=net, stages=3)
    opt.run()
    assert len(opt.state.failures) > 0 and all("absurd" in f["error"] for f in opt.state.failures)
    assert np.all(np.abs(opt.state.buffer.energies) < 1e3)
    assert all(bool(p.isfinite().all()) for p in opt.state.model.parameters())


def test_a_relaxation_from_an_evaluated_structure_does_not_evaluate_it_again():
    atoms = small_slab("Pt2")
    atoms.positions[-2:] = [[1.0, 1.0, 7.0], [3.0, 2.0, 7.5]]
    calc = EMT()
    start, seen = evaluate(atoms, calc), []

    def watched(structure):
        seen.append(structure.positions.copy())
        return evaluate(structure, calc)

    made = relax(atoms, watched, fmax=0.05, max_calls=5, known=start)
    assert 1 <= len(made) == len(seen) <= 5
    assert not any(np.array_equal(positions, atoms.positions) for positions in seen)
    assert min(result.energy for result in made) < start.energy
    assert relax(atoms, watched, fmax=1e6, max_calls=5, known=start) == []  # converged: no call
    assert len(relax(atoms, watched, fmax=1e6, max_calls=5)) == 1  # unknown: one call to see it
