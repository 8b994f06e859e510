"""Candidate minima of Pt_n on Pt(111) built from a motif, to check the long runs' best-known.

    python benchmarks/pt_island_reference.py --task pt19-pt111 \\
        --out benchmarks/results/pt_islands/reference/pt19_pt111_best.extxyz

Builds the centred hexagonal island with ``shells`` rings around one atom (19 atoms for two
shells: a size no search has to be told) on each hollow of the task's slab, 2.2 Å above
the top layer, relaxes it with BFGS to fmax 0.001 eV/Å under the task's calculator, prints
both energies and writes the lower one (extxyz, energy attached). The hollow is named by
the layer below: above a second-layer atom it is hcp, else fcc.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from ase.io import write
from ase.optimize import BFGS

from tasks import TASKS

FMAX = 0.001  # eV/Å
HEIGHT = 2.2  # Å above the top layer


def hexagon_offsets(shells: int) -> list[tuple[int, int]]:
    """Lattice steps (i, j) of a centred hexagon: 1 + 3 shells (shells + 1) points."""
    return [(i, j) for i in range(-shells, shells + 1) for j in range(-shells, shells + 1)
            if abs(i + j) <= shells]


def island_on_hollows(task_name: str, shells: int):
    """{hollow name: relaxed Atoms} for the centred hexagonal island on both hollows."""
    task = TASKS[task_name]
    islands = {}
    for third in (1, 2):
        atoms = task.build()
        free = np.arange(len(atoms.constraints[0].index), len(atoms))
        template = atoms.positions[:free[0]]
        top_z = template[:, 2].max()
        top = template[template[:, 2] > top_z - 0.5]
        below = template[(template[:, 2] < top_z - 0.5) & (template[:, 2] > top_z - 3.0)]
        gaps = np.linalg.norm(top[:, None] - top[None], axis=-1)
        spacing = gaps[gaps > 0.1].min()  # Å: the surface's nearest-neighbour distance
        a1, a2 = (spacing * v / np.linalg.norm(v) for v in atoms.cell[:2])  # 60° apart on (111)
        centre = top[np.argmin(np.linalg.norm(top[:, :2] - atoms.cell[:2, :2].sum(0) / 2, axis=1))]
        hollow = centre + third * (a1 + a2) / 3
        points = [hollow + i * a1 + j * a2 for i, j in hexagon_offsets(shells)]
        if len(points) != len(free):
            raise SystemExit(f"{task_name} places {len(free)} atoms; a {shells}-shell hexagon has {len(points)}")
        atoms.positions[free] = np.array(points) + [0.0, 0.0, HEIGHT]
        atoms.wrap()
        lateral = atoms.cell[:2, :2]
        shift = np.linalg.solve(lateral.T, (below[:, :2] - hollow[:2]).T).T
        shift -= np.round(shift)
        name = "hcp" if np.linalg.norm(shift @ lateral, axis=1).min() < 0.3 else "fcc"
        atoms.calc = task.calculator()
        BFGS(atoms, logfile=None).run(fmax=FMAX, steps=2000)
        islands[name] = atoms
    return islands


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", required=True, choices=sorted(TASKS))
    parser.add_argument("--shells", type=int, default=2)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    islands = island_on_hollows(args.task, args.shells)
    for name, atoms in islands.items():
        print(f"{args.shells}-shell hexagon on the {name} hollow: {atoms.get_potential_energy():.4f} eV")
    name, best = min(islands.items(), key=lambda item: item[1].get_potential_energy())
    write(args.out, best)
    print(f"lowest: the {name} hollow, {best.get_potential_energy():.4f} eV -> {args.out}")


if __name__ == "__main__":
    main()
