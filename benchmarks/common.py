"""Shared pieces of the benchmark scripts: seeds, summaries, the machine and versions."""

from __future__ import annotations

import os
import platform
import subprocess

import numpy as np


def parse_seeds(text: str) -> list[int]:
    """'0-7' or '0,3,5' -> a list of seeds."""
    if "-" in text:
        first, last = (int(part) for part in text.split("-"))
        return list(range(first, last + 1))
    return [int(part) for part in text.split(",")]


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
    }


def machine_info() -> dict:
    import ase
    import torch

    import ase_godiff

    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as handle:
            cpu = next(line.split(":", 1)[1].strip() for line in handle if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "torch_threads_per_worker": int(os.environ.get("OMP_NUM_THREADS", torch.get_num_threads())),
        "gpu": "none" if not torch.cuda.is_available() else torch.cuda.get_device_name(),
        "python": platform.python_version(),
        "ase": ase.__version__,
        "torch": torch.__version__,
        "ase_godiff": ase_godiff.__version__,
        "commit": commit,
    }
