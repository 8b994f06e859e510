"""Best energy against evaluations, median and spread over seeds, one line per method.

    python benchmarks/plot.py benchmarks/results/b_godiff_64x20.json benchmarks/results/b_rss.json

writes docs/figures/<task>_convergence.png unless --out says otherwise. Result files of
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
from common import merge_reports  # noqa: E402

from tasks import TASKS  # noqa: E402


def best_so_far(trace: list, grid: np.ndarray) -> np.ndarray:
    """The best energy after each evaluation count in ``grid`` (NaN before the first)."""
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
    axes.set_xlabel("evaluations (calculator calls)")
    axes.set_ylabel("best energy - global minimum (eV, floor 1e-4)")
    axes.set_title(f"{TASKS[task].description}: median and min-max over seeds", fontsize=10)
    axes.legend()
    axes.grid(alpha=0.3, which="both")
    out = args.out or Path(__file__).resolve().parent.parent / "docs" / "figures" / f"{task}_convergence.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    figure.savefig(out, dpi=120)
    print(out)


if __name__ == "__main__":
    main()
