"""The outcome of one calculator call, checked once for every path that makes one."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from ase import Atoms
from ase.calculators.singlepoint import SinglePointCalculator

__all__ = ["Evaluation", "checked", "failed"]

log = logging.getLogger(__name__)

ABSURD = 1e12  # eV or eV/Å: no physical structure, and such numbers overflow the training


@dataclass
class Evaluation:
    """The outcome of one calculator call; ``atoms`` carries a SinglePointCalculator on success.

    ``recorded``: the call was made before a crash and read back from the run's database.
    """

    atoms: Atoms
    energy: float | None = None
    forces: np.ndarray | None = None
    error: str | None = None
    recorded: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None


def checked(atoms: Atoms, energy: float, forces: np.ndarray) -> Evaluation:
    """An Evaluation of a copy of ``atoms`` with energy (eV) and forces (eV/Å); a non-finite
    or absurd value (|E| or |F| above 1e12) is a failure."""
    atoms = atoms.copy()
    energy, forces = float(energy), np.array(forces, dtype=float)
    if not (np.isfinite(energy) and np.all(np.isfinite(forces))):
        return failed(atoms, "non-finite energy or forces")
    if abs(energy) > ABSURD or np.abs(forces).max(initial=0.0) > ABSURD:
        return failed(atoms, f"absurd energy or forces (|E| or |F| above {ABSURD:g})")
    atoms.calc = SinglePointCalculator(atoms, energy=energy, forces=forces)
    return Evaluation(atoms, energy, forces)


def failed(atoms: Atoms, error: str) -> Evaluation:
    """A failed call on a copy of ``atoms``, logged as a warning."""
    log.warning("calculator call failed: %s", error)
    atoms = atoms.copy()
    atoms.calc = None
    return Evaluation(atoms, error=error)

