"""Calculator calls: one energy + forces evaluation per structure, failures recorded."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor

from ase import Atoms

from .batched import batched_potential_for
from .result import Evaluation, checked, failed

__all__ = ["BATCH_SIZE", "evaluate", "evaluate_many"]

log = logging.getLogger(__name__)

BATCH_SIZE = 32  # structures per batched potential call


def evaluate(atoms: Atoms, calc) -> Evaluation:
    """Energy (eV) and forces (eV/Å) of ``atoms``; an exception or a non-finite result is recorded."""
    atoms = atoms.copy()
    atoms.calc = calc
    try:
        energy, forces = atoms.get_potential_energy(), atoms.get_forces()
    except Exception as error:  # any calculator failure is recorded, the search goes on
        return failed(atoms, f"{type(error).__name__}: {error}")
    finally:
        atoms.calc = None
    return checked(atoms, energy, forces)


def evaluate_many(structures: Sequence[Atoms], calc, executor: Executor | None = None,
                  batch_size: int = BATCH_SIZE, timeout: float | None = None) -> Iterator[Evaluation]:
    """Evaluate structures, yielding each result in input order as soon as it exists.

    A calculator with a batched path (a MACE model, anything with ``evaluate_batch``;
    see :mod:`ase_godiff.evaluate.batched`) scores ``batch_size`` structures per call; a
    chunk whose batched call fails is evaluated one by one. With an ``executor`` (any
    ``concurrent.futures.Executor``: a process pool, Dask's ``client.get_executor()``),
    each structure is one task running :func:`evaluate` on a worker; a task that dies (a
    lost worker, a broken pool), or gives no result within ``timeout`` seconds of the
    previous one, is recorded as a failure (a hung worker stays busy: the executor cannot
    stop it).
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, not {batch_size}")
    if executor is not None:
        yield from _on_executor(structures, calc, executor, timeout)
        return
    batched = batched_potential_for(calc)
    if batched is None:
        for atoms in structures:
            yield evaluate(atoms, calc)
        return
    for start in range(0, len(structures), batch_size):
        chunk = structures[start:start + batch_size]
        try:
            results = list(batched.evaluate_batch(chunk))
            if len(results) != len(chunk):
                raise RuntimeError(f"{len(results)} results for {len(chunk)} structures")
        except Exception as error:  # a broken batched path: this chunk one by one
            log.warning("batched evaluation failed (%s); evaluating one by one", error)
            results = [evaluate(atoms, calc) for atoms in chunk]
        yield from results


def _on_executor(structures: Sequence[Atoms], calc, executor: Executor,
                 timeout: float | None) -> Iterator[Evaluation]:
    futures = [executor.submit(evaluate, atoms, calc) for atoms in structures]
    for atoms, future in zip(structures, futures):
        try:
            yield future.result(timeout=timeout)
        except TimeoutError:
            future.cancel()
            yield failed(atoms, f"no result within {timeout} s (call_timeout)")
        except Exception as error:  # the worker, not the calculator, failed
            yield failed(atoms, f"evaluation task failed: {type(error).__name__}: {error}")
