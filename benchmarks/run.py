"""Benchmark GO-Diff on the paper's tasks (EMT), seed by seed, with the counting of TASKS.md.

    python benchmarks/run.py --task pt111-heptamer --seeds 0-7 --workers 2 \
        --out benchmarks/results/b_godiff.json [--set samples_per_stage=64 ...]

Prints per seed: evaluations used, the evaluation index of the first success, best
energy, wall seconds; then successes/N, mean first success, median wall, the machine,
versions and commit. One evaluation = one calculator call.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from common import machine_info, parse_seeds, summarise


def run_godiff(task_name: str, seed: int, overrides: dict, max_evaluations: int | None) -> dict:
    import torch
    from ase.calculators.emt import EMT

    from ase_godiff import GODiffOptimizer
    from ase_godiff.tasks import TASKS

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    task = TASKS[task_name]
    atoms, box = task.atoms_and_box()
    started = time.perf_counter()
    opt = GODiffOptimizer(atoms, EMT(), settings=task.settings, box=box, seed=seed, **overrides)
    first_success, last_stage_hits = None, 0.0
    for _ in opt.irun(max_evaluations=max_evaluations):
        stage = opt.stage - 1
        mine = np.flatnonzero(opt.buffer.stages >= stage)  # the final polish is stage N
        hits = [task.success(opt.space.to_atoms(opt.buffer.positions[i]), opt.space.free_indices)
                for i in mine]
        last_stage_hits = float(np.mean(hits)) if hits else 0.0
        if first_success is None and any(hits):
            first_success = int(opt.buffer.evaluations[mine[int(np.argmax(hits))]])
    energies, evaluations = opt.buffer.energies, opt.buffer.evaluations
    return {
        "seed": seed,
        "evaluations": opt.nevaluations,
        "rejected": opt.nrejected,
        "first_success": first_success,
        "best_energy": float(energies.min()),
        "wall_seconds": time.perf_counter() - started,
        "last_stage_success_fraction": last_stage_hits,
        "trace": [[int(n), float(e)] for n, e in zip(evaluations, np.minimum.accumulate(energies))],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", required=True, choices=["pt-step-adatom", "pt111-heptamer"])
    parser.add_argument("--seeds", default="0-7")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--max-evaluations", type=int, default=None)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="a SearchSettings field, e.g. samples_per_stage=64")
    parser.add_argument("--label", default="GO-Diff")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    overrides = {k: ast.literal_eval(v) for k, v in (item.split("=", 1) for item in args.set)}
    seeds = parse_seeds(args.seeds)
    if args.workers > 1:
        os.environ["OMP_NUM_THREADS"] = "1"
    with ProcessPoolExecutor(args.workers) as pool:
        futures = [pool.submit(run_godiff, args.task, s, overrides, args.max_evaluations) for s in seeds]
        records = []
        for future in futures:
            record = future.result()
            records.append(record)
            print(f"seed {record['seed']}: evaluations {record['evaluations']}, first success "
                  f"{record['first_success']}, best {record['best_energy']:.4f} eV, "
                  f"wall {record['wall_seconds']:.0f} s", flush=True)
    report = {"task": args.task, "method": args.label, "overrides": overrides,
              "max_evaluations": args.max_evaluations, "workers": args.workers,
              "machine": machine_info(), "records": records, "summary": summarise(records)}
    print(json.dumps({k: report[k] for k in ("task", "method", "overrides", "summary", "machine")}, indent=1))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
