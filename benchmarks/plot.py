"""Best energy against evaluations (or, with --wall, wall seconds), median and spread over
seeds, one line per method.

    python benchmarks/plot.py benchmarks/results/b_godiff_64x20.json benchmarks/results/b_rss.json [--wall]

writes docs/figures/<task>_convergence.png (<task>_wall.png with --wall) unless --out says
otherwise. With --wall, an evaluation's time is read off the run's stage marks, else
interpolated over its evaluations (common.wall_at). Result files of
one method run apart (e.g. seeds 0-3 and 4-7) are joined into one line.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from common import merge_reports, wall_at  # noqa: E402

from tasks import TASKS  # noqa: E402


def best_so_far(trace: list, grid: np.ndarray) -> np.ndarray:
    """The best energy at each point of ``grid`` (evaluation counts, or seconds: as the
    trace's first column); NaN before the first."""
    counts = np.array([n for n, _ in trace])
    energies = np.minimum.accumulate(np.array([e for _, e in trace]))
    index = np.searchsorted(counts, grid, side="right") - 1
    return np.where(index >= 0, energies[np.maximum(index, 0)], np.nan)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("results", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, default=None,
                        help="PNG path (default docs/figures/<task>_convergence.png)")
    parser.add_argument("--reference", type=float, default=None, help="global-minimum energy (eV)")
    parser.add_argument("--wall", action="store_true", help="wall seconds on the x axis")
    args = parser.parse_args()
    figure, axes = plt.subplots(figsize=(7, 4.5))
    reports = merge_reports([json.loads(path.read_text()) for path in args.results])
    tasks = {report["task"] for report in reports}
    if len(tasks) > 1:
        parser.error(f"the result files are of several tasks ({', '.join(sorted(tasks))}): plot one")
    task = tasks.pop()
    for report in reports:
        reference = args.reference
        if reference is None:
            reference = TASKS[task].reference_energy
        if args.wall:
            grid = np.geomspace(1.0, max(r["wall_seconds"] for r in report["records"]), 200)
            curves = np.array([best_so_far([[wall_at(r, n), e] for n, e in r["trace"]], grid)
                               for r in report["records"]]) - reference
        else:
            horizon = max(r["evaluations"] for r in report["records"])
            grid = np.unique(np.geomspace(1, horizon, 200).astype(int))
            curves = np.array([best_so_far(r["trace"], grid) for r in report["records"]]) - reference
        curves = np.maximum(curves, 1e-4)
        summary = report["summary"]
        label = f"{report['method']} ({summary['successes']}/{summary['seeds']} solved)"
        line, = axes.plot(grid, np.nanmedian(curves, axis=0), label=label)
        axes.fill_between(grid, np.nanmin(curves, axis=0), np.nanmax(curves, axis=0),
                          color=line.get_color(), alpha=0.2)
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("wall seconds" if args.wall else "evaluations (calculator calls)")
    axes.set_ylabel("best energy - global minimum (eV, floor 1e-4)")
    axes.set_title(f"{TASKS[task].description}: median and min-max over seeds", fontsize=10)
    axes.legend()
    axes.grid(alpha=0.3, which="both")
    name = f"{task}_wall.png" if args.wall else f"{task}_convergence.png"
    out = args.out or Path(__file__).resolve().parent.parent / "docs" / "figures" / name
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    figure.savefig(out, dpi=120)
    print(out)


if __name__ == "__main__":
    main()
