"""Shared pieces of the benchmark scripts: seeds, summaries, the machine and versions."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from pathlib import Path

import numpy as np


def parse_seeds(text: str) -> list[int]:
    """'0-7' or '0,3,5' -> a list of seeds."""
    if "-" in text:
        first, last = (int(part) for part in text.split("-"))
        return list(range(first, last + 1))
    return [int(part) for part in text.split(",")]


def count_calls(calc) -> list[int]:
    """Counts ``calc``'s calculations from now on: the returned list's one item."""
    calls, calculate = [0], calc.calculate

    def counted(*args, **kwargs):
        calls[0] += 1
        return calculate(*args, **kwargs)

    calc.calculate = counted
    return calls


def summarise(records: list[dict]) -> dict:
    """successes/N, mean first-success evaluation over successful seeds, median wall seconds."""
    firsts = [r["first_success"] for r in records if r["first_success"] is not None]
    return {
        "seeds": len(records),
        "successes": len(firsts),
        "mean_first_success": float(np.mean(firsts)) if firsts else None,
        "max_first_success": max(firsts) if firsts else None,
        "median_wall_seconds": float(np.median([r["wall_seconds"] for r in records])),
        "mean_evaluations": float(np.mean([r["evaluations"] for r in records])),
        "best_energy_min": float(min(r["best_energy"] for r in records)),
        **({"rejected_total": int(sum(r["rejected"] for r in records))}
           if all("rejected" in r for r in records) else {}),
        **({"mean_last_stage_success_fraction":
            float(np.mean([r["last_stage_success_fraction"] for r in records]))}
           if all("last_stage_success_fraction" in r for r in records) else {}),
    }


def wall_at(record: dict, evaluations) -> np.ndarray:
    """Wall seconds (s) into a run at the given evaluation counts: from the run's stage marks
    ``[evaluations, seconds]`` where it has them, else interpolated linearly over its
    evaluations (each call about as long as the next)."""
    marks = np.array(record.get("stage_marks") or [[0, 0.0], [record["evaluations"], record["wall_seconds"]]])
    return np.interp(evaluations, np.r_[0, marks[:, 0]], np.r_[0.0, marks[:, 1]])


def median_wall_to_success(records: list[dict]) -> tuple[float, bool]:
    """The median over seeds of the wall seconds to the first success, a failed seed counted
    as its whole run; and whether that median is only a lower bound (it falls on a failure)."""
    walls = sorted((float(wall_at(r, r["first_success"])), False) if r["first_success"] is not None
                   else (r["wall_seconds"], True) for r in records)
    middle = walls[(len(walls) - 1) // 2: len(walls) // 2 + 1]
    return float(np.mean([w for w, _ in middle])), any(bound for _, bound in middle)


def machine_info(torch_threads: int | None = None) -> dict:
    """CPU, cores, GPU, versions and the commit (``-dirty`` when the package or these scripts
    differ from it). A seed repeats bit for bit only with the same builds.

    ``torch_threads`` is the thread count each worker runs torch with (default: this process's).
    """
    import ase
    import numpy
    import torch

    import ase_godiff

    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as handle:
            cpu = next(line.split(":", 1)[1].strip() for line in handle if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "torch_threads_per_worker": torch.get_num_threads() if torch_threads is None else torch_threads,
        "gpu": "none" if not torch.cuda.is_available() else torch.cuda.get_device_name(),
        "python": platform.python_version(),
        "ase": ase.__version__,
        "numpy": numpy.__version__,  # EMT's last digits, and so a seed's path, depend on it
        "torch": torch.__version__,
        "ase_godiff": ase_godiff.__version__,
        "commit": current_commit(),
    }


def current_commit() -> str:
    """The commit whose code runs (``-dirty`` when the package or these scripts differ from it)."""
    try:
        commit = _git("rev-parse", "--short", "HEAD")
        if _git("status", "--porcelain", "--untracked-files=no", "--", "../ase_godiff", "*.py"):
            commit += "-dirty"
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    return commit


def write_atomically(path: Path, record: dict) -> None:
    """``record`` as JSON at ``path``, swapped in whole so a kill leaves the last complete one."""
    staging = path.with_suffix(".tmp")
    staging.write_text(json.dumps(record, indent=1))
    staging.replace(path)


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], capture_output=True, text=True, check=True,
                          cwd=os.path.dirname(os.path.abspath(__file__))).stdout.strip()


def merge_reports(reports: list[dict]) -> list[dict]:
    """Join reports of one task, method, settings and budget (e.g. seeds 0-3 and 4-7 run
    apart) into one, its summary recomputed; a seed present twice is kept once (the first)."""
    merged: dict[str, dict] = {}
    for report in reports:
        key = json.dumps([report["task"], report["method"], report["overrides"],
                          report.get("max_evaluations")], sort_keys=True)
        if key not in merged:
            merged[key] = {**report, "records": list(report["records"])}
            continue
        into = merged[key]
        seeds = {r["seed"] for r in into["records"]}
        into["records"] += [r for r in report["records"] if r["seed"] not in seeds]
        into["records"].sort(key=lambda r: r["seed"])
        into["summary"] = summarise(into["records"])
        commits = {into["machine"]["commit"], report["machine"]["commit"]}
        into["machine"] = {**into["machine"], "commit": "+".join(sorted(commits))}
    return list(merged.values())
