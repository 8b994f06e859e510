"""Our batched free-atom graph against ASE's and vesin's neighbour lists: python benchmarks/neighbours.py CUTOFF_Å (needs pip install vesin)."""
import time, numpy as np, torch
from ase.neighborlist import neighbor_list
import vesin
from ase_godiff.examples import heptamer_atoms, step_adatom_atoms
from ase_godiff.space import SearchSpace
from ase_godiff.nn.graph import TemplateEnvironment
from ase_godiff.nn.score import ScoreNetConfig, ScoreNetwork
torch.set_num_threads(2)
import sys
CUT = float(sys.argv[1])

def median_time(fn, repeats=15):
    fn(); ts = []
    for _ in range(repeats):
        t = time.perf_counter(); fn(); ts.append(time.perf_counter() - t)
    return 1000 * float(np.median(ts))

for label, atoms, B in [("Task B (79 atoms, 7 placed)", heptamer_atoms(), 32), ("Task A (1 placed)", step_adatom_atoms(), 8)]:
    space = SearchSpace(atoms)
    env = TemplateEnvironment.from_space(space, 5.0, 10.0)
    x = torch.as_tensor(space.box.sample_uniform(B, space.n_free, np.random.default_rng(0)), dtype=torch.float32)
    ours = median_time(lambda: env.graph(x))
    structures = [space.to_atoms(p) for p in x.numpy().astype(float)]
    # the same edges from a library: every pair within 5 Å (10 Å among placed atoms) per structure
    def ase_lists():
        for a in structures:
            neighbor_list("ijD", a, CUT)
    def vesin_lists():
        calc = vesin.NeighborList(cutoff=CUT, full_list=True)
        for a in structures:
            calc.compute(points=a.positions, box=a.cell.array, periodic=bool(a.pbc.any()), quantities="ijD")
    ase_ms, vesin_ms = median_time(ase_lists, 3), median_time(vesin_lists, 5)
    model = ScoreNetwork(ScoreNetConfig())
    numbers = torch.as_tensor(space.free_numbers)
    sigma = torch.full((B,), 1.0)
    with torch.no_grad():
        forward = median_time(lambda: model(x, sigma, env, numbers), 10)
    print(f"{label}, batch {B}: ours {ours:.2f} ms; ASE neighbor_list {ase_ms:.1f} ms; vesin {vesin_ms:.2f} ms; "
          f"score network forward {forward:.1f} ms (ours = {100*ours/forward:.0f} % of it)")
