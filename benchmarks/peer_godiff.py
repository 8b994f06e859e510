"""Run the published GO-Diff package (go-diff 1.1.0 on agedi 1.4.0) at its own defaults on a
task of benchmarks/tasks.py and record it as run.py does, every calculator call counted.

go-diff needs Python >= 3.12, so it lives in a venv of its own, outside this project's:

    python3.12 -m venv /tmp/godiff-peer && /tmp/godiff-peer/bin/pip install go-diff==1.1.0

    python benchmarks/peer_godiff.py --task pt-step-adatom --seed 0 \\
        [--stages N] [--wall-limit S] [--max-evaluations N] \\
        --out benchmarks/results/peer/a_seed0.json [--python /tmp/godiff-peer/bin/python]

The peer Python is --python, else $GODIFF_PEER_PYTHON, else /tmp/godiff-peer/bin/python.
This builds the task (its atoms, fixed template, free atoms and box), writes them to a work
folder beside --out (``a_seed0/``: input.extxyz, input.json), runs peer_godiff_worker.py there
with one thread and no GPU (worker.log: its output), then reads back every evaluated structure
(evaluations.extxyz, in calculator-call order) and applies the task's success test to each.
The worker's docstring lists the go-diff settings (its defaults, and what the task sets).

The record is run.py's (seed, evaluations, first_success, best_energy, wall_seconds, seconds
{sample, evaluate, train}, trace) plus: evaluation_wall_seconds (seconds since the search
started, at the end of each call), rejected (samples go-diff's MinDistFilter dropped before
evaluation), stages_completed, stopped_by, per-stage seconds, settings and versions. Without
--stages go-diff runs its default 100 stages; --wall-limit / --max-evaluations stop it earlier
(checked before each call and each phase). --set group.key=VALUE changes one setting (groups:
godiff, sample_controller, temperature_schedule, buffer_controller, training_controller,
sample_config, diffusion, buffer), e.g. --set sample_controller.initial_N=4 for a smoke test;
the record's overrides list them. go-diff's TensorBoard logs and checkpoints are deleted
unless --keep-logs (then: WORK/godiff_logs).
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from ase.calculators.emt import EMT
from ase.io import read, write

from common import machine_info, summarise

WORKER = Path(__file__).resolve().with_name("peer_godiff_worker.py")
DEFAULT_PYTHON = "/tmp/godiff-peer/bin/python"
SINGLE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                 "NUMEXPR_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": "", "PYTHONUNBUFFERED": "1"}


def run_peer(task, seed: int, work: Path, python: str, stages=None, wall_limit=None,
             max_evaluations=None, overrides=None, keep_logs=False) -> dict:
    from ase_godiff.space import atoms_to_place

    if task.calculator is not EMT:
        raise SystemExit(f"{task.name}: the peer driver runs EMT tasks only")
    atoms, box = task.atoms_and_box()
    free = atoms_to_place(atoms)
    work.mkdir(parents=True, exist_ok=True)
    written = atoms.copy()
    written.info = {}  # ase.build's adsorbate_info does not go into extxyz
    write(work / "input.extxyz", written)
    logs = work / "godiff_logs" if keep_logs else Path(tempfile.mkdtemp(prefix="godiff-peer-"))
    spec = {"atoms": str(work / "input.extxyz"), "free_indices": free.tolist(),
            "box": {"corner": box.corner.tolist(), "vectors": box.vectors.tolist()},
            "calculator": "EMT", "seed": seed, "stages": stages, "wall_limit": wall_limit,
            "max_evaluations": max_evaluations, "overrides": overrides or {}, "logs": str(logs)}
    (work / "input.json").write_text(json.dumps(spec, indent=1))
    started = time.perf_counter()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with open(work / "worker.log", "w") as log:
        try:
            returncode = subprocess.run([python, str(WORKER), str(work / "input.json")], cwd=work,
                                        stdout=log, stderr=subprocess.STDOUT,
                                        env={**os.environ, **SINGLE_THREAD}).returncode
        except (KeyboardInterrupt, SystemExit):  # cut off: the worker is killed, its files kept
            returncode = "interrupted"
    process_wall = time.perf_counter() - started
    if returncode not in (0, "interrupted") and not (work / "worker.json").exists():
        raise SystemExit(f"the go-diff worker failed (exit {returncode}) before its first stage "
                         f"ended: see {work / 'worker.log'}")
    if not keep_logs:
        shutil.rmtree(logs, ignore_errors=True)
    path = work / "worker.json"  # rewritten after each stage: absent if cut off in the first
    peer = json.loads(path.read_text()) if path.exists() else {}
    if returncode == "interrupted":
        peer["stopped_by"] = "interrupted"

    path = work / "evaluations.extxyz"
    evaluated = read(path, ":") if path.exists() and path.stat().st_size else []
    n_template = len(atoms) - len(free)
    for structure in evaluated[:1]:  # go-diff's order: the template first, as in the task
        deviation = np.abs(structure.positions[:n_template] - atoms.positions[:n_template]).max()
        if deviation > 1e-3:
            raise SystemExit(f"evaluated template moved by {deviation:.2g} Å: atom order differs")
    energies = np.array([s.get_potential_energy() for s in evaluated])
    hits = [bool(task.success(s, free)) for s in evaluated]
    first_success = hits.index(True) + 1 if any(hits) else None
    improved = np.flatnonzero(energies < np.minimum.accumulate(np.r_[np.inf, energies[:-1]]))
    return {
        "seed": seed,
        "evaluations": len(evaluated),
        "rejected": peer.get("rejected"),
        "first_success": first_success,
        "best_energy": float(energies.min()) if len(energies) else float("inf"),
        "wall_seconds": max([peer.get("wall_seconds", 0.0)] + [s.info["wall"] for s in evaluated[-1:]]),
        "seconds": peer.get("seconds"),
        "trace": [[int(i + 1), float(energies[i])] for i in improved],
        "evaluation_wall_seconds": [float(s.info["wall"]) for s in evaluated],
        "process_wall_seconds": process_wall,
        "worker_returncode": returncode,
        **{key: peer.get(key) for key in ("stages_completed", "stopped_by", "error", "stages",
                                          "settings", "in_effect", "versions")},
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    from tasks import TASKS

    parser.add_argument("--task", required=True, choices=sorted(TASKS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--stages", type=int, default=None, help="go-diff's max_iterations (default: its 100)")
    parser.add_argument("--wall-limit", type=float, default=None, metavar="SECONDS")
    parser.add_argument("--max-evaluations", type=int, default=None)
    parser.add_argument("--python", default=os.environ.get("GODIFF_PEER_PYTHON", DEFAULT_PYTHON))
    parser.add_argument("--set", action="append", default=[], metavar="GROUP.KEY=VALUE")
    parser.add_argument("--keep-logs", action="store_true")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    overrides = {}
    for item in args.set:
        key, value = item.split("=", 1)
        group, name = key.split(".", 1)
        overrides.setdefault(group, {})[name] = ast.literal_eval(value)
    machine = machine_info(torch_threads=1)
    record = run_peer(TASKS[args.task], args.seed, args.out.with_suffix("").resolve(), args.python,
                      args.stages, args.wall_limit, args.max_evaluations, overrides, args.keep_logs)
    print(f"seed {record['seed']}: evaluations {record['evaluations']}, first success "
          f"{record['first_success']}, best {record['best_energy']:.4f} eV, wall "
          f"{record['wall_seconds']:.0f} s, stages {record['stages_completed']}, stopped by "
          f"{record['stopped_by']}; seconds " + ", ".join(f"{k} {v:.1f}" for k, v in (record["seconds"] or {}).items()),
          flush=True)
    if record.get("error"):
        print(record["error"])
    label = f"go-diff {(record['versions'] or {}).get('go-diff', '1.1.0')} (published)"
    report = {"task": args.task, "method": label, "overrides": overrides, "max_evaluations":
              args.max_evaluations, "stages": args.stages, "wall_limit": args.wall_limit,
              "workers": 1, "machine": machine, "records": [record], "summary": summarise([record])}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
