"""Which recorded best structures are isolated clusters and which close through the cell boundary.

    python benchmarks/image_contact.py benchmarks/results/regrowth/pt13_*.json

For each record's relaxed best structure (``relaxed_best_free_positions`` on the task's
template): its energy (eV) and the cell axes along which its placed atoms bond to their own
periodic image (ase_godiff.periodic_contact), "island" when there are none. A reference
structure file (extended XYZ) given with ``--reference`` for the task is classified too.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ase.io import read

from ase_godiff.periodic_contact import image_contact_axes
from best_known import task_space
from tasks import TASKS


def shape(axes: list[int]) -> str:
    """'island', or the stripe and the cell axes it closes along."""
    return "stripe (closes along " + " and ".join(f"a{axis + 1}" for axis in axes) + ")" if axes else "island"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path, nargs="+", help="run.py result files (JSON)")
    parser.add_argument("--reference", type=Path, help="a task's reference structure (extxyz)")
    parser.add_argument("--task", help="the reference's task (tasks.py name)")
    args = parser.parse_args()
    if args.reference and args.task not in TASKS:
        parser.error("--reference needs --task, the tasks.py name of its system")
    if args.reference:
        reference = read(args.reference)
        axes = image_contact_axes(reference, task_space(args.task).free_indices)
        print(f"{args.reference}: {reference.get_potential_energy():.4f} eV, {shape(axes)}")
    for path in args.results:
        report = json.loads(path.read_text())
        space = task_space(report["task"])
        cells = []
        for record in sorted(report["records"], key=lambda r: r["seed"]):
            if record.get("relaxed_best_free_positions") is None:
                continue
            axes = image_contact_axes(space.to_atoms(record["relaxed_best_free_positions"]),
                                      space.free_indices)
            cells.append(f"s{record['seed']} {record['relaxed_best_energy']:.4f} {shape(axes)}")
        print(f"{path} [{report['method']}]: " + "; ".join(cells))


if __name__ == "__main__":
    main()
