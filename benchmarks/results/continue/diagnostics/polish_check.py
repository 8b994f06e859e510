"""Every energy of short Ar7 and Task A runs with a polish, to compare two commits call by call.

    python benchmarks/results/continue/diagnostics/polish_check.py OUT.json
"""
from pathlib import Path
import json, sys, numpy as np, torch
sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
torch.set_num_threads(1)
from tasks import TASKS
from ase_godiff import GODiffOptimizer
out = {}
for name, stages in (("ar7-lj", 4), ("pt-step-adatom", 5)):
    task = TASKS[name]
    atoms, box = task.atoms_and_box()
    opt = GODiffOptimizer(atoms, task.calculator(), box=box, seed=3, stages=stages, relax_top=2)
    opt.run()
    b = opt.state.buffer
    out[name] = {"energies": b.energies.tolist(), "stages": b.stages.tolist(), "kT": opt.state.kT}
json.dump(out, open(sys.argv[1], "w"))
