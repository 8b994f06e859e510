"""Calculator calls per second for one stage of Task B structures: serial, a process pool, Dask.

    python benchmarks/parallel_eval.py [--calculator chgnet|emt] [--structures 32] [--workers 2]

The structures are Pt7 placed uniformly in Task B's default region on Pt(111) (atoms
not too close), as a first stage makes them. Each mode evaluates them through
:func:`ase_godiff.evaluate.evaluate_many`, as the optimizer does: ``serial`` in this
process (torch at 1 thread, then at ``--workers`` threads); ``pool``, a
``ProcessPoolExecutor`` of ``--workers`` processes at 1 torch thread each; ``dask``, a
``LocalCluster`` of ``--workers`` single-threaded worker processes. Every mode, with a
fresh calculator (a used one may not pickle), first evaluates a warm-up set of as many
other structures (workers start, load the model, make first calls), reported apart, then
the timed set; two sets, since Dask hands back its results for a repeated task. Energies
must agree across modes to 1e-6 eV.
"""

from __future__ import annotations

import argparse
import os
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from common import machine_info
from ase_godiff import runconfig


def structures(n: int, seed: int = 0):
    from ase_godiff.examples import heptamer_atoms
    from ase_godiff.space import SearchSpace

    space = SearchSpace(heptamer_atoms())
    rng = np.random.default_rng(seed)
    kept = []
    while len(kept) < n:
        x = space.box.sample_uniform(1, space.n_free, rng)[0]
        if not space.too_close(x):
            kept.append(space.to_atoms(x))
    return kept


def make_calculator(name: str):
    from tasks import chgnet_calculator

    return chgnet_calculator() if name == "chgnet" else runconfig.make_calculator({"name": name})


def _one_thread():
    import torch
    torch.set_num_threads(1)


def timed(warm_up, atoms, calc, executor=None) -> tuple[float, float, np.ndarray]:
    """(seconds for ``warm_up``, seconds for ``atoms``, energies of ``atoms`` in eV) through
    evaluate_many; two sets, since Dask would hand back its results for the same tasks."""
    from ase_godiff.evaluate import evaluate_many

    passes, energies = [], None
    for chunk in (warm_up, atoms):
        started = time.perf_counter()
        results = list(evaluate_many(chunk, calc, executor=executor))
        passes.append(time.perf_counter() - started)
        if not all(r.ok for r in results):
            raise RuntimeError(next(r.error for r in results if not r.ok))
        energies = np.array([r.energy for r in results])
    return passes[0], passes[1], energies


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calculator", choices=("chgnet", "emt"), default="chgnet")
    parser.add_argument("--structures", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    import torch

    warm_up, atoms = structures(args.structures, seed=1), structures(args.structures)
    rows, reference = [], None

    def report(mode, first, second, energies):
        nonlocal reference
        reference = energies if reference is None else reference
        agree = float(np.abs(energies - reference).max())
        rows.append((mode, first, second, agree))
        print(f"{mode:<28} warm-up {first:7.2f} s | timed {second:7.2f} s, "
              f"{1000 * second / len(atoms):7.1f} ms a structure | energies differ by {agree:.1e} eV",
              flush=True)

    for threads in sorted({1, args.workers}):
        torch.set_num_threads(threads)
        report(f"serial, {threads} torch thread(s)", *timed(warm_up, atoms, make_calculator(args.calculator)))
    torch.set_num_threads(1)
    with ProcessPoolExecutor(args.workers, initializer=_one_thread) as pool:
        report(f"process pool, {args.workers} workers", *timed(warm_up, atoms, make_calculator(args.calculator), pool))
    from dask.distributed import Client, LocalCluster

    with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        client.run(_one_thread)
        report(f"dask LocalCluster, {args.workers} workers", *timed(warm_up, atoms, make_calculator(args.calculator),
                                                                          client.get_executor()))
    serial = rows[0][2]
    print("speed-up over serial at 1 thread:", {mode: round(serial / second, 2) for mode, _, second, _ in rows})
    print(machine_info(torch_threads=1), f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}")
    if max(agree for *_, agree in rows) > 1e-6:
        raise SystemExit("the modes disagree on the energies")


if __name__ == "__main__":
    main()
