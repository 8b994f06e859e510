"""Reference minima of Task A and Task B under CHGNet (issue 16).

    python benchmarks/chgnet_reference.py [--part all|dimer|clusters] [--grid 12 8] [--starts 16]

- CHGNet's Pt2 dimer from 0.2 to 2.8 Å (it binds two Pt 0.3 Å apart: a hole of the potential).
- Task A: a brute-force grid. One Pt adatom is dropped 2.3 Å above the highest template
  atom within 2 Å (in the plane) at every point of a ``--grid`` of the cell and relaxed
  with BFGS; the lowest relaxed site is the candidate.
- Task B: both centred hexagons of the EMT references (fcc and hcp hollow, in
  ../shared/benchmarks/reference) relaxed with CHGNet, and ``--starts`` random compact
  Pt7 clusters (no two atoms closer than 2.3 Å, within 3.5 Å of their centre, 1.5-5 Å
  above the surface) relaxed the same way: the 3D shapes a 2D hexagon competes with.
Every relaxation is BFGS to fmax 0.01 eV/Å (CHGNet computes in float32). Prints each
energy (eV) and writes the lowest structures to benchmarks/results/chgnet/reference/. Long
runs of every method in the harness then check the candidates (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from ase import Atoms
from ase.io import read, write
from ase.optimize import BFGS

from tasks import CHGNET_REFERENCES, chgnet_calculator
from ase_godiff.bondgraph import is_centred_hexagon
from ase_godiff.examples import heptamer_atoms, step_adatom_atoms

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "benchmarks" / "reference"
FMAX = 0.01  # eV/Å
DROP_HEIGHT, NEIGHBOURHOOD = 2.3, 2.0  # Å


def relaxed(atoms: Atoms, calc) -> Atoms:
    atoms = atoms.copy()
    atoms.calc = calc
    BFGS(atoms, logfile=None).run(fmax=FMAX, steps=500)
    atoms.get_potential_energy()
    return atoms


def adatom_grid(shape: tuple[int, int], calc) -> list[Atoms]:
    """Task A relaxed from every point of a ``shape`` grid over the cell's a and b."""
    template = step_adatom_atoms()
    top = template.positions[:-1]
    results = []
    for i in range(shape[0]):
        for j in range(shape[1]):
            xy = (i / shape[0]) * template.cell[0, :2] + (j / shape[1]) * template.cell[1, :2]
            near = np.linalg.norm(top[:, :2] - xy, axis=1) < NEIGHBOURHOOD
            z = (top[near, 2].max() if near.any() else top[:, 2].max()) + DROP_HEIGHT
            atoms = template.copy()
            atoms.positions[-1] = [xy[0], xy[1], z]
            results.append(relaxed(atoms, calc))
    return results


def compact_clusters(count: int, rng: np.random.Generator) -> list[Atoms]:
    """Task B's slab with Pt7 at random in a compact 3D cluster above the middle of the cell."""
    template = heptamer_atoms()
    top = template.positions[:-7, 2].max()
    centre = template.cell[:2, :2].sum(axis=0) / 2
    clusters = []
    while len(clusters) < count:
        points = rng.uniform(-3.5, 3.5, (7, 3))
        points = points[np.linalg.norm(points, axis=1) < 3.5]
        if len(points) < 7:
            continue
        distances = np.linalg.norm(points[:, None] - points[None], axis=-1)[np.triu_indices(7, 1)]
        if distances.min() < 2.3:
            continue
        atoms = template.copy()
        atoms.positions[-7:, :2] = centre + points[:, :2]
        atoms.positions[-7:, 2] = top + 1.5 + (points[:, 2] - points[:, 2].min()) * 3.5 / 7
        clusters.append(atoms)
    return clusters


def dimer_energies(calc) -> None:
    """Print CHGNet's energy (eV) of a gas-phase Pt2 at separations from 0.2 to 2.8 Å: the
    short-range hole basin hopping fell into on Task B."""
    for distance in (0.2, 0.3, 0.5, 0.8, 1.2, 1.6, 2.0, 2.35, 2.8):
        dimer = Atoms("Pt2", positions=[[0, 0, 0], [0, 0, distance]], cell=[15, 15, 15])
        dimer.center()
        dimer.calc = calc
        print(f"Pt2 at {distance:.2f} Å: {dimer.get_potential_energy():.3f} eV", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--part", choices=("all", "dimer", "clusters"), default="all",
                        help="dimer: only the Pt2 curve; clusters: only the compact Pt7 starts")
    parser.add_argument("--grid", type=int, nargs=2, default=(12, 8))
    parser.add_argument("--starts", type=int, default=16, help="random compact Pt7 clusters")
    args = parser.parse_args()
    calc = chgnet_calculator()
    CHGNET_REFERENCES.mkdir(parents=True, exist_ok=True)
    if args.part in ("all", "dimer"):
        dimer_energies(calc)
    if args.part == "all":
        task_a_and_hexagons(tuple(args.grid), calc)
    if args.part in ("all", "clusters"):
        relax_clusters(args.starts, calc)


def task_a_and_hexagons(grid: tuple[int, int], calc) -> None:
    """Task A's grid and both relaxed hexagons: print the energies (eV), write the lowest."""
    sites = adatom_grid(grid, calc)
    energies = np.array([a.get_potential_energy() for a in sites])
    best = sites[int(np.argmin(energies))]
    emt_site = read(SHARED / "pt_step122_adatom_emt_gm.extxyz").positions[-1]
    print(f"Task A: {len(sites)} relaxed adatoms, lowest {energies.min():.4f} eV at "
          f"{np.round(best.positions[-1], 4).tolist()} (EMT's site: {np.round(emt_site, 4).tolist()}); "
          f"distinct minima (meV above the lowest): "
          f"{sorted({round(1000 * (e - energies.min())) for e in energies})}")
    write(CHGNET_REFERENCES / "pt_step_adatom_chgnet_gm.extxyz", best)
    hexagons = {name: relaxed(read(SHARED / f"{name}.extxyz"), calc)
                for name in ("pt7_pt111_emt_gm", "pt7_pt111_emt_hexagon_other_hollow")}
    for name, atoms in hexagons.items():
        print(f"Task B: {name} relaxed with CHGNet: {atoms.get_potential_energy():.4f} eV")
    lowest = min(hexagons.values(), key=lambda a: a.get_potential_energy())
    write(CHGNET_REFERENCES / "pt7_pt111_chgnet_hexagon.extxyz", lowest)


def relax_clusters(count: int, calc) -> None:
    """Relax ``count`` compact clusters; print each energy (eV), whether it is a centred hexagon
    and its atoms per layer above the surface; write the lowest."""
    results = []
    for k, atoms in enumerate(compact_clusters(count, np.random.default_rng(0))):
        atoms = relaxed(atoms, calc)
        free = range(len(atoms) - 7, len(atoms))
        heights = atoms.positions[-7:, 2] - atoms.positions[:-7, 2].max()
        print(f"Task B: compact start {k}: {atoms.get_potential_energy():.4f} eV, centred hexagon "
              f"{is_centred_hexagon(atoms, free)}, layers above the surface "
              f"{np.bincount(np.round(heights / 2.2).astype(int)).tolist()}", flush=True)
        results.append(atoms)
    lowest = min(results, key=lambda a: a.get_potential_energy())
    write(CHGNET_REFERENCES / "pt7_pt111_chgnet_compact.extxyz", lowest)


if __name__ == "__main__":
    main()
