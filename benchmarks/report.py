"""Markdown tables from benchmark result files.

The wall time to first success is read off a run's stage marks, else interpolated over its
evaluations (benchmarks/common.py, ``wall_at``); a failed seed counts its whole run, and a
median that falls on one is marked as a lower bound (≥).

    python benchmarks/report.py benchmarks/results/*.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from common import median_wall_to_success, merge_reports


def row(report: dict) -> str:
    s = report["summary"]
    settings = ", ".join(f"{k}={v}" for k, v in report["overrides"].items()) or "defaults"
    budget = report["max_evaluations"] or round(s["mean_evaluations"])
    first = f"{s['mean_first_success']:.0f} (max {s['max_first_success']})" if s["successes"] else "-"
    parts = [r.get("seconds") for r in report["records"] if r.get("seconds")]
    split = ""
    if parts:
        totals = {k: np.mean([p[k] for p in parts]) for k in parts[0]}
        split = " / ".join(f"{totals[k]:.0f}" for k in ("sample", "evaluate", "train"))
    to_success, bound = median_wall_to_success(report["records"])
    return (f"| {report['method']} | {settings} | {budget} | {s['successes']}/{s['seeds']} | {first} "
            f"| {s['best_energy_min']:.4f} | {s['median_wall_seconds']:.0f} "
            f"| {'≥ ' if bound else ''}{to_success:.0f} | {split} "
            f"| {report['machine']['commit']} |")


def main(paths):
    reports = merge_reports([json.loads(Path(p).read_text()) for p in paths])
    for task in sorted({r["task"] for r in reports}):
        print(f"\n### {task}\n")
        print("| method | settings | evaluations per run | success | mean first success (max) "
              "| best energy (eV) | median wall (s) | median wall to first success (s) "
              "| sample / evaluate / train (s) | commit |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for report in reports:
            if report["task"] == task:
                print(row(report))


if __name__ == "__main__":
    main(sys.argv[1:])
