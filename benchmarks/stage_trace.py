"""Per-stage trace of one GO-Diff search of a harness task: where a search stops improving.

    python benchmarks/stage_trace.py --task pt13-pt111 --seed 2 --stages 20 [--set local_fraction=0]
        [--best best.extxyz]

Prints after every stage: calls so far, the stage's kT (eV), the effective sample size of
all evaluated structures at that kT, the lowest and median energy of the stage's own
structures (samples and relaxation paths, eV) and the search's best (eV); ``--best``
writes the best structure at the end (extended XYZ, energy and forces attached).
"""

import argparse
import ast
import sys
import time
from pathlib import Path

import numpy as np
import torch
from ase.io import write

sys.path.insert(0, str(Path(__file__).parent))
from tasks import TASKS  # noqa: E402

from ase_godiff import GODiffOptimizer  # noqa: E402
from ase_godiff.buffer import boltzmann_weights, effective_sample_size  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", required=True, choices=sorted(TASKS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--stages", type=int, default=20, help="stages to run")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="a SearchSettings field, e.g. local_fraction=0")
    parser.add_argument("--best", help="an extended XYZ file for the best structure at the end")
    args = parser.parse_args()
    overrides = {k: ast.literal_eval(v) for k, v in (item.split("=", 1) for item in args.set)}
    torch.set_num_threads(1)
    task = TASKS[args.task]
    atoms, box = task.atoms_and_box()
    opt = GODiffOptimizer(atoms, task.calculator(), box=box, seed=args.seed, **overrides)
    started = time.perf_counter()
    for _ in opt.irun(steps=args.stages):
        state, buffer = opt.state, opt.state.buffer
        energies = buffer.energies
        mine = energies[buffer.stages == state.stage - 1]
        ess = effective_sample_size(boltzmann_weights(energies, state.kT))
        print(f"stage {state.stage - 1:3d}  calls {state.nevaluations:5d}  kT {state.kT:.4g} eV  "
              f"ESS {ess:5.1f}  stage lowest {mine.min(initial=np.inf):.4f}  median "
              f"{np.median(mine) if len(mine) else np.nan:.4f}  best {energies.min():.4f} eV  "
              f"{time.perf_counter() - started:.0f} s", flush=True)
    if args.best:
        write(args.best, opt.get_minimum()[1])


if __name__ == "__main__":
    main()
