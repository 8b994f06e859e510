"""Benchmark GO-Diff and the baselines on the tasks of benchmarks/tasks.py, with TASKS.md's counting.

    python benchmarks/run.py --task pt111-heptamer --method godiff --seeds 0-7 --workers 2 \
        --out benchmarks/results/b_godiff.json [--set samples_per_stage=64 ...]
    python benchmarks/run.py --task pt111-heptamer --method rss --max-evaluations 10000

Prints per seed: evaluations used, the evaluation index of the first success, best
energy, wall seconds; then successes/N, mean first success, median wall, the machine,
versions and commit. One evaluation = one calculator call.

After the search, outside its count: the best structure is relaxed (BFGS to fmax
0.005 eV/Å x the task's energy scale), its calls recorded apart as ``relax_calls``, with
``relaxed_best_energy`` and ``relaxed_success`` (the weaker figure: the best structure
relaxes into the global minimum's basin), and ``relaxed_best_image_contact_axes``: the cell
axes along which its placed atoms bond to their own periodic image ([] for an isolated
cluster; a stripe through the boundary otherwise). A GO-Diff search that stops with a
SearchStalledError is a record with ``stalled`` set to the message, not a crash. Its
``anneal_ends`` lists each finished cycle's [calls, lowest energy (eV)]: how deep each
independent anneal went, where the trace shows only the best so far. With
``--out NAME.json``, each running GO-Diff seed rewrites ``NAME.seedN.running.json`` after
every stage (its record so far, without the relaxation), so a run cut short still reports.
With ``--carry DIR``, each GO-Diff seed is kept in ``DIR/seedN`` at every cycle's end and a
later run with the same arguments continues it exactly from there (benchmarks/carry.py): a
50,000-call seed can span sessions.
"""

from __future__ import annotations

import os
import sys

if "--workers" in sys.argv and sys.argv[sys.argv.index("--workers") + 1] != "1":
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(variable, "1")  # before numpy loads BLAS: one thread per worker

import argparse
import ast
import json
import multiprocessing
import shutil
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import numpy as np

from common import count_calls, current_commit, machine_info, parse_seeds, summarise, write_atomically

POST_RELAX_FMAX = 0.005  # eV/Å x the task's energy_scale (TASKS.md's references: 0.005 eV/Å)
POST_RELAX_STEPS = 1000
BELOW_REFERENCE = 0.01  # eV x the task's energy_scale: a best this far below the reference is news


def relax_best(task, space, free_positions) -> dict:
    """Post-processing, never counted in ``evaluations``: BFGS on the best structure found,
    every calculator call counted in ``relax_calls``; whether the result passes the task's
    test, and its free atoms' positions (Å; the template is the task's)."""
    from ase.optimize import BFGS

    from ase_godiff.periodic_contact import image_contact_axes

    if free_positions is None:
        return {"relaxed_best_energy": None, "relax_calls": 0, "relaxed_success": False,
                "relaxed_best_image_contact_axes": None, "relaxed_best_free_positions": None}
    atoms = space.to_atoms(free_positions)
    calc = task.calculator()
    calls = count_calls(calc)
    atoms.calc = calc
    BFGS(atoms, logfile=None).run(fmax=POST_RELAX_FMAX * task.energy_scale, steps=POST_RELAX_STEPS)
    energy = float(atoms.get_potential_energy())
    return {"relaxed_best_energy": energy, "relax_calls": calls[0],
            "relaxed_success": bool(task.success(atoms, space.free_indices)),
            "relaxed_best_image_contact_axes": image_contact_axes(atoms, space.free_indices),
            "relaxed_best_free_positions": atoms.positions[space.free_indices].round(5).tolist()}


def run_godiff(task_name: str, seed: int, overrides: dict, max_evaluations: int | None,
               stop_at_success: bool = False, progress: Path | None = None,
               carry: Path | None = None) -> dict:
    """One GO-Diff seed; ``carry``: a folder to keep it in at each cycle's end and continue
    it from (benchmarks/carry.py)."""
    from ase_godiff import GODiffOptimizer
    from ase_godiff.stall import SearchStalledError
    from carry import carried_record, carry_out, run_folder_from
    from tasks import TASKS

    task = TASKS[task_name]
    atoms, box = task.atoms_and_box()
    carried = carried_record(carry) if carry else None
    earlier = carried or {"first_success": None, "wall_seconds": 0.0, "stage_marks": [], "trace": []}
    run_folder = run_folder_from(carry) if carry else None
    started = time.perf_counter() - earlier["wall_seconds"]
    try:
        opt = GODiffOptimizer(atoms, task.calculator(), box=box, seed=seed, restart=run_folder, **overrides)
    except ValueError as error:  # a carried seed of another search
        if run_folder is None:
            raise
        shutil.rmtree(run_folder)
        raise ValueError(f"cannot continue the seed carried in {carry}: {error}") from None
    first_success, last_stage_hits, stalled = earlier["first_success"], 0.0, None
    marks, trace = list(earlier["stage_marks"]), earlier["trace"]
    ends = list(earlier.get("anneal_ends", []))  # absent from records carried before it existed
    here = current_commit()  # a carried seed's record names each commit whose code ran it
    commits = [c for c in earlier.get("commits", []) if c != here] + [here]
    done = stop_at_success and first_success is not None
    try:
        for _ in ([] if done else opt.irun(max_evaluations=max_evaluations)):
            marks.append([opt.state.nevaluations, time.perf_counter() - started])
            if opt.finished and len(opt.state.cycle_buffer):  # a cycle's end, its polish done
                ends.append([opt.state.nevaluations, float(opt.state.cycle_buffer.energies.min())])
            stage = opt.state.stage - 1
            stages = opt.state.buffer.stages
            mine = np.flatnonzero(stages >= stage)  # this stage and the final polish (stage N)
            hits = np.array([task.success(opt.space.to_atoms(opt.state.buffer.positions[i]),
                                          opt.space.free_indices) for i in mine], dtype=bool)
            sampled = stages[mine] == stage  # the stage's diffusion samples, not the polish
            last_stage_hits = float(hits[sampled].mean()) if sampled.any() else 0.0
            if first_success is None and hits.any():  # buffer order is evaluation order
                first_success = int(opt.state.buffer.evaluations[mine[int(np.argmax(hits))]])
            so_far = search_record(opt, seed, first_success, started, marks, trace, ends)
            if progress is not None:
                write_atomically(progress, so_far)
            if carry is not None and opt.finished:
                carry_out(opt, {**so_far, "commits": commits}, carry)
            if stop_at_success and first_success is not None:
                break  # at the end of the stage that succeeded
    except SearchStalledError as error:  # a failed seed, recorded with its message
        # the stage that raised evaluated nothing; every earlier one was tested in the loop
        stalled, last_stage_hits = str(error), 0.0
    record = search_record(opt, seed, first_success, started, marks, trace, ends)
    opt.close()
    if run_folder is not None:
        shutil.rmtree(run_folder)
    best = opt.state.buffer.positions[int(np.argmin(opt.state.buffer.energies))] if len(opt.state.buffer) else None
    return {**record, **({"commits": commits} if carry else {}), **relax_best(task, opt.space, best),
            **({"stalled": stalled, "stages_run": int(opt.state.stage)} if stalled else {}),
            "last_stage_success_fraction": last_stage_hits}


def search_record(opt, seed: int, first_success: int | None, started: float, marks: list,
                  earlier_trace: list = (), anneal_ends: list = ()) -> dict:
    """A GO-Diff seed's figures so far: calls, first success, best energy (eV), wall (s),
    seconds by part, the best-so-far trace (after ``earlier_trace``, a carried seed's) and
    each finished cycle's [calls, lowest energy (eV)] (``anneal_ends``)."""
    import torch

    from carry import joined_trace

    energies, evaluations = opt.state.buffer.energies, opt.state.buffer.evaluations
    improved = np.flatnonzero(energies < np.minimum.accumulate(np.r_[np.inf, energies[:-1]]))
    return {
        "seed": seed,
        "evaluations": opt.state.nevaluations,
        "cycles": opt.state.cycle + 1,  # anneals begun (docs/method.md, "Cycles")
        "rejected": opt.state.nrejected,
        "first_success": first_success,
        "best_energy": float(energies.min()) if len(energies) else float("inf"),
        "wall_seconds": time.perf_counter() - started,
        "seconds": {part: float(sum(t[part] for t in opt.state.timings))
                    for part in ("sample", "evaluate", "train")},
        "torch_threads": torch.get_num_threads(),
        "stage_marks": marks,  # [evaluations, wall seconds] at the end of each stage
        "anneal_ends": list(anneal_ends),  # how deep each independent anneal went
        # (evaluation number, best energy so far) at each improvement: the whole best-so-far curve
        "trace": joined_trace(earlier_trace, [[int(evaluations[i]), float(energies[i])] for i in improved]),
    }


def run_baseline(task_name: str, method: str, seed: int, max_evaluations: int,
                 overrides: dict | None = None, stop_at_success: bool = False) -> dict:
    from ase_godiff.space import SearchSpace
    from tasks import TASKS
    from baselines import Counter, run_basin_hopping, run_rss

    task = TASKS[task_name]
    atoms, box = task.atoms_and_box()
    space = SearchSpace(atoms, box=box)
    counter = Counter(space, task.success, max_evaluations, stop_at_success=stop_at_success)
    started = time.perf_counter()
    search = run_rss if method == "rss" else run_basin_hopping
    # overrides: basin hopping's hop (Å), kT (eV), swap and separate, and either's local
    # relaxation ('bfgs' or 'lbfgsb'), e.g. --set kT=0.00832 --set hop=1.36 --set "local='lbfgsb'"
    search(space, task.calculator(), np.random.default_rng(seed), counter, task.energy_scale,
           **(overrides or {}))
    wall = time.perf_counter() - started
    return {"seed": seed, "evaluations": counter.evaluations, "rejected": counter.rejected,
            "first_success": counter.first_success, "best_energy": float(counter.best),
            "wall_seconds": wall, **relax_best(task, space, counter.best_positions),
            "trace": counter.trace}


def run_one(task_name, method, seed, overrides, max_evaluations, stop_at_success, progress=None,
            carry=None):
    import torch  # the network's threads, and a torch potential's (CHGNet) in the baselines too

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    if method == "godiff":
        record = run_godiff(task_name, seed, overrides, max_evaluations, stop_at_success, progress,
                            carry and carry / f"seed{seed}")
        if progress is not None:
            progress.unlink(missing_ok=True)  # the finished record goes into --out
        return record
    return run_baseline(task_name, method, seed, max_evaluations or 10_000, overrides, stop_at_success)


def relaxed_summary(records: list[dict]) -> dict:
    """The weaker figure over seeds: how many best structures relax into the GM's basin, the
    relaxation's calls (apart from ``evaluations``), and how many searches stalled."""
    if not all("relaxed_success" in r for r in records):
        return {}
    return {"relaxed_successes": int(sum(r["relaxed_success"] for r in records)),
            "mean_relax_calls": float(np.mean([r["relax_calls"] for r in records])),
            "stalled": int(sum(bool(r.get("stalled")) for r in records))}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    from tasks import TASKS

    parser.add_argument("--task", required=True, choices=sorted(TASKS))
    parser.add_argument("--method", default="godiff", choices=["godiff", "rss", "basin"])
    parser.add_argument("--seeds", default="0-7")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--max-evaluations", type=int, default=None)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="a SearchSettings field, e.g. samples_per_stage=64; for basin "
                             "hopping hop=ANGSTROM, kT=EV, swap=PROBABILITY or separate=True; for "
                             "either baseline local='lbfgsb' (scipy's L-BFGS-B, not ASE's BFGS)")
    parser.add_argument("--stop-at-success", action="store_true",
                        help="end each seed at its first success (GO-Diff: at the end of that "
                             "stage); saves CPU when only the calls to the GM are wanted")
    parser.add_argument("--carry", type=Path, default=None,
                        help="GO-Diff: a folder in which each seed is kept at every cycle's end "
                             "(CARRY/seedN) and from which a later run continues it exactly "
                             "(benchmarks/carry.py); the same task, settings and seeds")
    parser.add_argument("--label", default=None, help="the method's name in tables and plots")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    if args.carry and args.method != "godiff":
        parser.error("--carry keeps GO-Diff seeds at their cycles' ends; the baselines have none")
    overrides = {k: ast.literal_eval(v) for k, v in (item.split("=", 1) for item in args.set)}
    seeds = parse_seeds(args.seeds)
    # at the start: the commit whose code runs; run_godiff's torch thread count
    machine = machine_info(torch_threads=int(os.environ.get("OMP_NUM_THREADS", "1")))
    # spawn: a forked worker cannot initialise CUDA (--set "device='cuda'")
    with ProcessPoolExecutor(args.workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(run_one, args.task, args.method, s, overrides, args.max_evaluations,
                               args.stop_at_success, progress_path(args.out, s), args.carry)
                   for s in seeds]
        records, task = [], TASKS[args.task]
        for future in as_completed(futures):  # each seed reported as it ends, not in turn
            record = future.result()
            records = sorted([*records, record], key=lambda r: r["seed"])
            write_report(args, overrides, machine, records, complete=False)
            print(f"seed {record['seed']}: evaluations {record['evaluations']}, first success "
                  f"{record['first_success']}, best {record['best_energy']:.4f} eV, "
                  f"wall {record['wall_seconds']:.0f} s"
                  + (f", last stage at the GM {record['last_stage_success_fraction']:.0%}"
                     if "last_stage_success_fraction" in record else "")
                  + (f"; best relaxed: {record['relaxed_best_energy']:.6f} eV in "
                     f"{record['relax_calls']} more calls, at the GM: {record['relaxed_success']}"
                     if record.get("relaxed_best_energy") is not None else "")
                  + (f"; STALLED: {record['stalled']}" if record.get("stalled") else ""), flush=True)
            below = task.reference_energy - record["best_energy"]
            if below > BELOW_REFERENCE * task.energy_scale:
                print(f"seed {record['seed']}: {below:.4f} eV below the task's reference energy "
                      f"{task.reference_energy} eV: a new best-known (benchmarks/best_known.py)", flush=True)
    report = write_report(args, overrides, machine, records, complete=True)
    print(json.dumps({k: report[k] for k in ("task", "method", "overrides", "summary", "machine")}, indent=1))


def progress_path(out: Path | None, seed: int) -> Path | None:
    """Where a running GO-Diff seed keeps its record so far, beside ``--out``
    (``NAME.seedN.running.json``, removed when the seed finishes): a run cut short still
    tells how far each unfinished seed got."""
    if out is None:
        return None
    out.parent.mkdir(parents=True, exist_ok=True)
    return out.with_name(f"{out.stem}.seed{seed}.running.json")


def write_report(args, overrides: dict, machine: dict, records: list[dict], complete: bool) -> dict:
    """The report over the seeds finished so far, written to ``--out`` after every seed so
    that a run cut short keeps its finished seeds; ``complete`` says whether all ran."""
    label = args.label or {"godiff": "GO-Diff", "rss": "RSS", "basin": "Basin hopping"}[args.method]
    report = {"task": args.task, "method": label, "overrides": overrides,
              "max_evaluations": args.max_evaluations, "workers": args.workers,
              "stop_at_success": args.stop_at_success,
              "machine": machine, "complete": complete, "records": records,
              "summary": {**summarise(records), **relaxed_summary(records)}}
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(args.out, report)  # rewritten as each seed ends: never half a report
    return report


if __name__ == "__main__":
    main()
