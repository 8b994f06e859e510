"""Calculator calls: one energy + forces evaluation per structure, failures recorded."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass

import numpy as np
from ase import Atoms
from ase.calculators.singlepoint import SinglePointCalculator

__all__ = ["Evaluation", "evaluate", "evaluate_many"]

log = logging.getLogger(__name__)

BATCH = 32  # structures per batched potential call


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


def evaluate_many(structures: Sequence[Atoms], calc, executor: Executor | None = None
                  ) -> Iterator[Evaluation]:
    """Evaluate structures, yielding each result in input order as soon as it exists.

    A calculator with a batched path (a MACE model, anything with ``evaluate_batch``;
    see :mod:`ase_godiff.batched`) scores ``BATCH`` structures per call; a chunk whose
    batched call fails is evaluated one by one. With an ``executor`` (any
    ``concurrent.futures.Executor``: a process pool, Dask's
    ``client.get_executor()``), each structure is one task running :func:`evaluate` on a
    worker; a task that dies (a lost worker, a broken pool) is recorded as a failure.
    """
    if executor is None:
        from .batched import batched_potential_for

        batched = batched_potential_for(calc)
        if batched is None:
            for atoms in structures:
                yield evaluate(atoms, calc)
            return
        for start in range(0, len(structures), BATCH):
            chunk = structures[start:start + BATCH]
            try:
                results = list(batched.evaluate_batch(chunk))
                if len(results) != len(chunk):
                    raise RuntimeError(f"{len(results)} results for {len(chunk)} structures")
            except Exception as error:  # a broken batched path: this chunk one by one
                log.warning("batched evaluation failed (%s); evaluating one by one", error)
                results = [evaluate(atoms, calc) for atoms in chunk]
            yield from results
        return
    futures = [executor.submit(evaluate, atoms, calc) for atoms in structures]
    for atoms, future in zip(structures, futures):
        try:
            yield future.result()
        except Exception as error:  # the worker, not the calculator, failed
            log.warning("evaluation task failed: %s: %s", type(error).__name__, error)
            yield Evaluation(atoms.copy(), error=f"{type(error).__name__}: {error}")
