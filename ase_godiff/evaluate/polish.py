"""Final polish: local relaxation of the best distinct structures with ASE's BFGS."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator, all_changes
from ase.optimize import BFGS

from .result import Evaluation

__all__ = ["distinct_lowest", "relax"]


def distinct_lowest(energies: np.ndarray, count: int, tolerance: float = 1e-3) -> list[int]:
    """Indices of the ``count`` lowest energies that differ pairwise by more than ``tolerance`` eV."""
    chosen: list[int] = []
    for index in np.argsort(energies):
        if len(chosen) == count:
            break
        if all(abs(energies[index] - energies[other]) > tolerance for other in chosen):
            chosen.append(int(index))
    return chosen


class _Failed(Exception):
    """A calculator call of the relaxation failed; it ends the relaxation."""


class _Checked(Calculator):
    """An ASE calculator over ``evaluate_one(atoms) -> Evaluation``; remembers the last one."""

    implemented_properties = ["energy", "forces"]

    def __init__(self, evaluate_one: Callable[[Atoms], Evaluation]):
        super().__init__()
        self.evaluate_one = evaluate_one
        self.last: Evaluation | None = None

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        self.last = self.evaluate_one(self.atoms)
        if not self.last.ok:
            raise _Failed(self.last.error)
        self.results = {"energy": self.last.energy, "forces": self.last.forces}


def relax(atoms: Atoms, evaluate_one: Callable[[Atoms], Evaluation], *, fmax: float,
          steps: int) -> Iterator[Evaluation]:
    """BFGS to ``fmax`` eV/Å; yields the Evaluation of every calculator call, a failure ends it."""
    atoms = atoms.copy()
    atoms.calc = calc = _Checked(evaluate_one)
    try:
        for _ in BFGS(atoms, logfile=None).irun(fmax=fmax, steps=steps):
            yield calc.last
    except _Failed:
        yield calc.last
