"""Stage by stage on LJ19: kT, the ESS and the weight near the best, to watch a trap form.

    python benchmarks/results/continue/diagnostics/trap.py SEED MAX_EVALUATIONS > trap.log
"""
from pathlib import Path
import sys, numpy as np, torch
sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
torch.set_num_threads(1)
from tasks import TASKS
from ase_godiff import GODiffOptimizer
from ase_godiff.buffer import boltzmann_weights, effective_sample_size
seed = int(sys.argv[1]); eps = 0.0104
task = TASKS["lj19"]
atoms, box = task.atoms_and_box()
opt = GODiffOptimizer(atoms, task.calculator(), box=box, seed=seed)
for _ in opt.irun(max_evaluations=int(sys.argv[2])):
    b, st = opt.state.buffer, opt.state
    e = b.energies / eps
    w = boltzmann_weights(b.energies, st.kT)
    trap = e < -71.0
    near = e < e.min() + 0.5
    print(f"stage {st.stage-1:2d} calls {st.nevaluations:5d} kT {st.kT/eps:7.3f} eps  best {e.min():8.3f}  "
          f"ESS {effective_sample_size(w):5.1f}  n<-71 {trap.sum():4d} weight<-71 {w[trap].sum():.2f}  "
          f"n within 0.5 of best {near.sum():4d} weight {w[near].sum():.2f}", flush=True)
