"""A small search with a polish that a test kills at its K-th event, then resumes.

    python crash_child.py RUN_FOLDER K [--in-polish] [--stages N] [--seed S]

Events are the starts of fresh calculator calls and the writes inside a checkpoint
(between the staging folder and the swap). At event K (K > 0) the process writes
RUN_FOLDER/../killed-at (what it was doing) and waits to be killed. Each completed fresh
call appends a line to RUN_FOLDER/../paid. ``--in-polish`` counts only the polish's
events. At the end it prints the result as JSON.
"""

import argparse
import json
import sys
import threading
from pathlib import Path

import torch
from ase.calculators.emt import EMT

sys.path.insert(0, str(Path(__file__).parent))

from systems import FAST, small_slab  # noqa: E402

from ase_godiff import GODiffOptimizer, ScoreNetConfig  # noqa: E402
from ase_godiff import checkpoint  # noqa: E402

NET = ScoreNetConfig(features=8, blocks=1, cutoff=4.0, radial_basis=6)


class Events:
    def __init__(self, kill_at: int, folder: Path, in_polish: bool):
        self.count, self.kill_at, self.folder = 0, kill_at, folder
        self.in_polish, self.optimizer = in_polish, None

    def __call__(self, what: str) -> None:
        state, stages = self.optimizer.state, self.optimizer.settings.stages
        if self.in_polish and state.stage < stages:
            return
        self.count += 1
        if self.count == self.kill_at:
            (self.folder.parent / "killed-at").write_text(what)
            threading.Event().wait()  # until the test's kill -9


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("folder", type=Path)
    parser.add_argument("kill_at", type=int)
    parser.add_argument("--in-polish", action="store_true")
    parser.add_argument("--stages", type=int, default=3)
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args()
    torch.set_num_threads(1)
    events = Events(args.kill_at, args.folder, args.in_polish)
    paid = args.folder.parent / "paid"

    class Counted(EMT):
        def calculate(self, atoms=None, properties=("energy",), system_changes=()):
            events("a calculator call")
            super().calculate(atoms, properties, system_changes)
            with open(paid, "a") as handle:
                handle.write("1\n")

    savez = checkpoint.np.savez

    def savez_then_event(*a, **k):
        savez(*a, **k)
        events("a checkpoint write")

    checkpoint.np.savez = savez_then_event
    with GODiffOptimizer(small_slab("Pt2"), Counted(), settings=FAST, network=NET, seed=args.seed,
                         stages=args.stages, relax_top=1, relax_calls=8, restart=args.folder) as opt:
        events.optimizer = opt
        opt.run()
        energy = opt.get_minimum()[0]
    print(json.dumps({"evaluations": opt.state.nevaluations, "best": energy,
                      "energies": opt.state.buffer.energies.tolist()}))


if __name__ == "__main__":
    main()
