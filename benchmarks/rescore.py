"""First successes of recorded runs against a task's best-known energy as it is now.

    python benchmarks/rescore.py --tolerance 0.01 benchmarks/results/local_samples/pt13_*.json

A best-known that comes down moves the line every run must reach. Each record's trace holds
its best energy at every improvement ([calls, eV]), so a run made before can be scored again
without rerunning it: its first success is the first call at which its best energy is at
most ``--tolerance`` eV above the task's reference energy (tasks.py). Prints, per file, the
method, the settings, each seed's first success (or its best energy) and the count.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from tasks import TASKS


def first_success(trace: list[list[float]], line: float) -> int | None:
    """The first call whose best energy (eV) is at most ``line``; None if none is."""
    return next((int(calls) for calls, energy in trace if energy <= line), None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path, nargs="+", help="run.py result files (JSON)")
    parser.add_argument("--tolerance", type=float, required=True,
                        help="eV above the reference energy that still counts as a success")
    args = parser.parse_args()
    for path in args.results:
        report = json.loads(path.read_text())
        task = TASKS[report["task"]]
        line = task.reference_energy + args.tolerance
        cells, successes = [], 0
        for record in sorted(report["records"], key=lambda r: r["seed"]):
            first = first_success(record["trace"], line)
            successes += first is not None
            cells.append(f"s{record['seed']} {first}" if first is not None
                         else f"s{record['seed']} - ({record['best_energy']:.4f})")
        settings = ", ".join(f"{k}={v}" for k, v in report["overrides"].items()) or "defaults"
        print(f"{path} [{report['method']}, {settings}; success at most {line:.4f} eV]: "
              f"{successes}/{len(cells)}: " + ", ".join(cells))


if __name__ == "__main__":
    main()
