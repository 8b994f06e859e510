"""Islands found on one cell, made whole and put on a wider cell's slab: a first best-known.

    python benchmarks/island_transplant.py --task pt13-pt111-8x8 \\
        benchmarks/results/regrowth/pt13_*.json --out benchmarks/results/pt_islands/reference/pt13_pt111_8x8_best.extxyz

Both tasks place their atoms on the same Pt(111) lattice (fcc111 slabs from the same
origin), so an island's positions carry over. Every record's relaxed best structure that
is an island (its atoms not bonded to their own periodic image) is made whole across its
cell's boundary (ase_godiff.periodic_contact.bonded_images), set on the wider task's
template, and relaxed there with BFGS to fmax 0.001 eV/Å. Prints each island's energy on
the new cell and writes the lowest (extxyz, energy attached).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from ase.io import write
from ase.optimize import BFGS

from ase_godiff.periodic_contact import bonded_images
from ase_godiff.space import SearchSpace
from tasks import TASKS

FMAX = 0.001  # eV/Å


def whole_islands(path: Path) -> list[tuple[str, np.ndarray]]:
    """(label, free positions in Å made whole) of each record's relaxed best that is an island."""
    report = json.loads(path.read_text())
    atoms, box = TASKS[report["task"]].atoms_and_box()
    space = SearchSpace(atoms, box=box)
    islands = []
    for record in report["records"]:
        if record.get("relaxed_best_free_positions") is None:
            continue
        structure = space.to_atoms(record["relaxed_best_free_positions"])
        shifts, axes = bonded_images(structure, space.free_indices)
        if not axes:
            positions = structure.positions[space.free_indices] + shifts @ structure.cell.array
            islands.append((f"{path.name} seed {record['seed']}", positions))
    return islands


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", required=True, choices=sorted(TASKS), help="the wider cell's task")
    parser.add_argument("results", type=Path, nargs="+", help="run.py result files (JSON) of another cell")
    parser.add_argument("--out", type=Path, required=True, help="the lowest island (extxyz)")
    args = parser.parse_args()
    task = TASKS[args.task]
    atoms, box = task.atoms_and_box()
    space = SearchSpace(atoms, box=box)
    best = (np.inf, None, "")
    for path in args.results:
        for label, positions in whole_islands(path):
            structure = space.to_atoms(positions)
            structure.calc = task.calculator()
            BFGS(structure, logfile=None).run(fmax=FMAX * task.energy_scale, steps=2000)
            energy = structure.get_potential_energy()
            print(f"{label}: {energy:.4f} eV")
            if energy < best[0]:
                best = (energy, structure, label)
    if best[1] is None:
        raise SystemExit("no record holds an island")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write(args.out, best[1])
    print(f"lowest: {best[0]:.4f} eV (from {best[2]}) -> {args.out}")


if __name__ == "__main__":
    main()
