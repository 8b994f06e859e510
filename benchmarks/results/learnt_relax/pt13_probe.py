"""Pt13 on Pt(111): five stages at the defaults with and without the descent (run from the project root)."""
import sys, time, json
sys.path.insert(0, "benchmarks")
import torch; torch.set_num_threads(1)
from tasks import TASKS
from ase_godiff import GODiffOptimizer
task = TASKS["pt13-pt111"]
out = {}
for steps in (0, 150):
    atoms, box = task.atoms_and_box()
    opt = GODiffOptimizer(atoms, task.calculator(), box=box, seed=0, learnt_relax_steps=steps)
    t = time.time()
    opt.run(steps=5)
    s = opt.state
    out[steps] = {"evaluations": s.nevaluations, "rejected": s.nrejected, "best": float(s.buffer.energies.min()),
                  "stage_mins": [float(s.buffer.energies[s.buffer.stages == k].min()) for k in range(5)],
                  "sample_s": [round(x["sample"], 1) for x in s.timings], "wall": round(time.time() - t)}
    print(steps, out[steps], flush=True)
json.dump(out, open("benchmarks/results/learnt_relax/pt13_probe_5_stages.json", "w"), indent=1)
