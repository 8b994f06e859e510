"""On resume, calls already made are read back from the run's database, not paid for again.

A checkpoint is written after each stage, but the database gets every call as it returns.
A resumed search samples again from the checkpointed random state (or from the seed, when
no checkpoint exists yet), so it proposes the same structures (same seed, same thread
count); those the database already holds are taken from it instead of the calculator.
Rows that the resumed search never proposes again are marked ``status='discarded'``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence

import numpy as np
from ase import Atoms

from .evaluate import Evaluation, checked

__all__ = ["RecordedCalls"]

log = logging.getLogger(__name__)

DECIMALS = 6  # positions agree to 1e-6 Å when they come from the same sample
DISCARDED = "discarded"


def _key(stage: int, atoms: Atoms) -> tuple[int, bytes]:
    return int(stage), np.round(atoms.positions, DECIMALS).tobytes()


class RecordedCalls:
    """The database rows of the calls made after the ``after``-th, looked up by stage and positions."""

    def __init__(self, database, after: int):
        self._database = database
        self._calls: dict[tuple[int, bytes], tuple[int, Evaluation]] = {}
        for row in database.select(f"evaluation>{after}"):
            if row.get("status") == DISCARDED:
                continue
            atoms = row.toatoms()
            if row.get("status") == "ok":
                result = checked(atoms, row.energy, row.forces)
            else:
                result = Evaluation(atoms, error=row.get("error", "failed"))
            result.recorded = True
            self._calls[_key(row.stage, atoms)] = (row.id, result)

    def __len__(self) -> int:
        return len(self._calls)

    def take(self, stage: int, atoms: Atoms) -> Evaluation | None:
        """The recorded result of ``atoms`` at ``stage``, once; None if there is none."""
        found = self._calls.pop(_key(stage, atoms), None)
        return None if found is None else found[1]

    def replay_or_evaluate(self, stage: int, structures: Sequence[Atoms],
                           evaluate: Callable[[list[Atoms]], Iterable[Evaluation]]
                           ) -> Iterator[Evaluation]:
        """Results in input order: recorded ones from the database, the rest from
        ``evaluate(list_of_atoms)`` (an iterator, consumed as results are needed)."""
        recorded = [self.take(stage, atoms) for atoms in structures]
        fresh = iter(evaluate([atoms for atoms, result in zip(structures, recorded) if result is None]))
        for result in recorded:
            yield result if result is not None else next(fresh)

    def discard_up_to(self, stage: int) -> int:
        """Mark the rows of stages up to ``stage`` that were not proposed again; returns how many."""
        stale = [key for key in self._calls if key[0] <= stage]
        for key in stale:
            row_id, _ = self._calls.pop(key)
            self._database.update(row_id, status=DISCARDED)
        if stale:
            log.warning("%d call(s) recorded before the crash were not proposed again (another "
                        "thread count?); their database rows are marked %r", len(stale), DISCARDED)
        return len(stale)


def differences(saved: dict, current: dict, prefix: str = "") -> list[str]:
    """The keys (dotted paths) where two search descriptions differ, with both values."""
    found = []
    for key in sorted(set(saved) | set(current), key=str):
        old, new = saved.get(key), current.get(key)
        if isinstance(old, dict) and isinstance(new, dict):
            found += differences(old, new, f"{prefix}{key}.")
        elif old != new:
            show = lambda value: repr(value) if len(repr(value)) < 40 else "(another value)"  # noqa: E731
            found.append(f"{prefix}{key}: {show(old)} there, {show(new)} here")
    return found
