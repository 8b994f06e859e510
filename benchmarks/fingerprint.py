"""Exact fingerprint of short GO-Diff runs, to prove a refactor changes no figure.

    python benchmarks/fingerprint.py before.json     # on the old commit
    python benchmarks/fingerprint.py after.json      # on the new one; the files must be equal

Runs Task A (8 stages), Task B (3 stages) and Ar7 (5 stages) at the defaults with a
polish of the best structure, seed 3, one torch thread, and records a hash of every
evaluated energy and of the final model's bytes. Equal hashes mean the same samples,
calls and training, bit for bit, on this machine.
"""

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).parent))
from tasks import TASKS  # noqa: E402

from ase_godiff import GODiffOptimizer  # noqa: E402

RUNS = [("pt-step-adatom", 8), ("pt111-heptamer", 3), ("ar7-lj", 5)]


def fingerprint(name: str, stages: int) -> dict:
    task = TASKS[name]
    atoms, box = task.atoms_and_box()
    opt = GODiffOptimizer(atoms, task.calculator(), box=box, seed=3, stages=stages, relax_top=1)
    opt.run()
    state = opt.state
    # every tensor but the force scale, which models before 46f0593 did not have
    weights = b"".join(v.detach().cpu().numpy().tobytes() for name, v in state.model.state_dict().items()
                       if name != "force_scale")
    return {"evaluations": state.nevaluations, "best": float(state.buffer.energies.min()), "kT": state.kT,
            "energies_sha256": hashlib.sha256(np.round(state.buffer.energies, 10).tobytes()).hexdigest()[:16],
            "weights_sha256": hashlib.sha256(weights).hexdigest()[:16]}


if __name__ == "__main__":
    torch.set_num_threads(1)
    result = {name: fingerprint(name, stages) for name, stages in RUNS}
    print(json.dumps(result, indent=1))
    Path(sys.argv[1]).write_text(json.dumps(result, indent=1))
