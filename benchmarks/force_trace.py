"""Per stage of a default GO-Diff run (seed 0): the RMS atomic force (eV/Å) of every evaluated
structure, the same weighted by the Boltzmann weights at the stage's kT, and the median of
the structures' RMS forces; each atom's force clipped to 5 eV/Å.

    python benchmarks/force_trace.py pt111-heptamer 8
    python benchmarks/force_trace.py lj13 5
"""

import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).parent))
from tasks import TASKS  # noqa: E402

from ase_godiff import GODiffOptimizer  # noqa: E402
from ase_godiff.buffer import boltzmann_weights  # noqa: E402

if __name__ == "__main__":
    torch.set_num_threads(1)
    task, stages = TASKS[sys.argv[1]], int(sys.argv[2])
    atoms, box = task.atoms_and_box()
    opt = GODiffOptimizer(atoms, task.calculator(), box=box, seed=0)
    for _ in opt.irun(steps=stages):
        buffer = opt.state.buffer
        norms = np.clip(np.linalg.norm(buffer.forces, axis=-1), 0.0, 5.0)
        weights = boltzmann_weights(buffer.energies, opt.state.kT)
        weighted = np.sqrt((weights[:, None] * norms ** 2).sum() / weights.sum() / norms.shape[1])
        print(f"stage {opt.state.stage} kT {opt.state.kT:.4g} eV, {len(buffer)} structures: "
              f"RMS {np.sqrt((norms ** 2).mean()):.4f}, weighted {weighted:.4f}, "
              f"median {np.median(np.sqrt((norms ** 2).mean(1))):.4f} eV/Å", flush=True)
