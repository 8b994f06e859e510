"""On resume, the calls of the stage a crash cut short are read back, not paid for again.

A checkpoint is written after each stage, but the run's database gets every call as it
returns. Resuming from the checkpoint samples the interrupted stage again with the same
random state, so it proposes the same structures (same seed, same thread count); those
the database already holds are taken from it instead of the calculator.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence

import numpy as np
from ase import Atoms

from .evaluate import Evaluation

__all__ = ["InterruptedStage"]

DECIMALS = 6  # positions agree to 1e-6 Å when they come from the same sample


def _key(atoms: Atoms) -> bytes:
    return np.round(atoms.positions, DECIMALS).tobytes()


class InterruptedStage:
    """The database rows of one stage, looked up by positions."""

    def __init__(self, database, stage: int):
        self._calls: dict[bytes, Evaluation] = {}
        for row in database.select(stage=stage):
            atoms = row.toatoms()  # with a SinglePointCalculator holding the row's results
            if row.get("status") == "ok":
                result = Evaluation(atoms, float(row.energy), np.array(row.forces), recorded=True)
            else:
                result = Evaluation(atoms, error=row.get("error", "failed"), recorded=True)
            self._calls[_key(atoms)] = result

    def __len__(self) -> int:
        return len(self._calls)

    def replay_or_evaluate(self, structures: Sequence[Atoms],
                           evaluate: Callable[[list[Atoms]], Iterable[Evaluation]]
                           ) -> Iterator[Evaluation]:
        """Results in input order: recorded ones from the database, the rest from
        ``evaluate(list_of_atoms)`` (an iterator, consumed as results are needed)."""
        recorded = [self._calls.pop(_key(atoms), None) for atoms in structures]
        fresh = iter(evaluate([atoms for atoms, result in zip(structures, recorded) if result is None]))
        for result in recorded:
            yield result if result is not None else next(fresh)
