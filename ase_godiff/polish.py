"""Final polish: local relaxation of the best distinct structures with an ASE optimizer."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import numpy as np
from ase import Atoms
from ase.calculators.singlepoint import SinglePointCalculator
from ase.optimize import BFGS

from .evaluate import Evaluation

__all__ = ["distinct_lowest", "relax"]

log = logging.getLogger(__name__)


def distinct_lowest(energies: np.ndarray, count: int, tolerance: float = 1e-3) -> list[int]:
    """Indices of the ``count`` lowest energies that differ pairwise by more than ``tolerance`` eV."""
    chosen: list[int] = []
    for index in np.argsort(energies):
        if len(chosen) == count:
            break
        if all(abs(energies[index] - energies[other]) > tolerance for other in chosen):
            chosen.append(int(index))
    return chosen


def relax(atoms: Atoms, calc, *, fmax: float, steps: int) -> Iterator[Evaluation]:
    """BFGS to ``fmax`` eV/Å; yields one Evaluation per calculator call, a failure ends it."""
    atoms = atoms.copy()
    atoms.calc = calc
    optimizer = BFGS(atoms, logfile=None)
    try:
        for _ in optimizer.irun(fmax=fmax, steps=steps):
            energy, forces = atoms.get_potential_energy(), atoms.get_forces()
            if not (np.isfinite(energy) and np.all(np.isfinite(forces))):
                yield Evaluation(atoms.copy(), error="non-finite energy or forces")
                return
            snapshot = atoms.copy()
            snapshot.calc = SinglePointCalculator(snapshot, energy=energy, forces=forces)
            yield Evaluation(snapshot, energy, forces)
    except Exception as error:  # a calculator failure ends this relaxation, not the search
        log.warning("relaxation stopped: %s: %s", type(error).__name__, error)
        yield Evaluation(atoms.copy(), error=f"{type(error).__name__}: {error}")
