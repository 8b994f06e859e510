"""Local relaxation with every call handed back: the final polish and the stages' relaxations."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from ase import Atoms
from scipy.optimize import minimize

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


class _Stop(Exception):
    """Ends the relaxation: converged, out of calls, or a failed call."""


def relax(atoms: Atoms, evaluate_one: Callable[[Atoms], Evaluation], *, fmax: float,
          max_calls: int, known: Evaluation | None = None) -> list[Evaluation]:
    """L-BFGS-B (scipy) on the positions until no atom's force exceeds ``fmax`` eV/Å.

    ``known``: the evaluation of ``atoms`` if one was made; it serves the first step, so
    no structure is evaluated twice. Makes at most ``max_calls`` calls of ``evaluate_one``
    (each one a structure the caller books as it returns) and returns their Evaluations in
    order; a failed call ends it.
    Positions move as ``atoms.set_positions`` allows, so constraints hold. Its steps scale
    themselves to the surface's curvature, so the same ``fmax`` needs about as many calls
    on a meV argon cluster as on a Pt slab (ASE's BFGS starts from a 70 eV/Å² guess and
    creeps on soft surfaces: 57-75 calls against 14-17 on LJ13, docs/method.md).
    """
    atoms = atoms.copy()
    made: list[Evaluation] = []
    first = atoms.positions.ravel()

    def energy_and_gradient(x: np.ndarray) -> tuple[float, np.ndarray]:
        if known is not None and not made and np.array_equal(x, first):
            result = known
        elif len(made) >= max_calls:
            raise _Stop
        else:
            atoms.set_positions(x.reshape(-1, 3))
            made.append(result := evaluate_one(atoms))
        if not result.ok or np.linalg.norm(result.forces, axis=1).max(initial=0.0) <= fmax:
            raise _Stop
        return result.energy, -result.forces.ravel()

    try:
        minimize(energy_and_gradient, first, jac=True, method="L-BFGS-B",
                 options={"maxfun": max_calls + 2, "maxiter": 10 * max_calls, "ftol": 0.0, "gtol": 0.0})
    except _Stop:
        pass
    return made
