"""Calculator calls: one energy + forces evaluation per structure, failures recorded."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from ase import Atoms
from ase.calculators.singlepoint import SinglePointCalculator

__all__ = ["Evaluation", "evaluate", "evaluate_many"]

log = logging.getLogger(__name__)


@dataclass
class Evaluation:
    """The outcome of one calculator call; ``atoms`` carries a SinglePointCalculator on success."""

    atoms: Atoms
    energy: float | None = None
    forces: np.ndarray | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def evaluate(atoms: Atoms, calc) -> Evaluation:
    """Energy (eV) and forces (eV/Å) of ``atoms``; an exception or a non-finite result is recorded."""
    atoms = atoms.copy()
    atoms.calc = calc
    try:
        energy = float(atoms.get_potential_energy())
        forces = np.array(atoms.get_forces())
    except Exception as error:  # any calculator failure is recorded, the search goes on
        log.warning("calculator failed: %s: %s", type(error).__name__, error)
        atoms.calc = None
        return Evaluation(atoms, error=f"{type(error).__name__}: {error}")
    atoms.calc = None
    if not (np.isfinite(energy) and np.all(np.isfinite(forces))):
        log.warning("calculator returned a non-finite energy or force")
        return Evaluation(atoms, error="non-finite energy or forces")
    atoms.calc = SinglePointCalculator(atoms, energy=energy, forces=forces)
    return Evaluation(atoms, energy, forces)


def evaluate_many(structures: Sequence[Atoms], calc) -> Iterator[Evaluation]:
    """Evaluate structures one by one, yielding each result (in input order) as soon as it exists."""
    for atoms in structures:
        yield evaluate(atoms, calc)
