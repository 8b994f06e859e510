"""Figures from a run folder's database: convergence, energies per stage, the best structure."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import ase.db
import numpy as np

__all__ = ["RunRecord", "analyze_run", "read_run"]


@dataclass
class RunRecord:
    """Every calculator call of a run: evaluation number, stage, energy (eV; NaN if failed)."""

    evaluations: np.ndarray
    stages: np.ndarray
    energies: np.ndarray
    best_atoms: object

    @property
    def best_so_far(self) -> np.ndarray:
        return np.fmin.accumulate(self.energies)

    def summary(self) -> dict:
        ok = np.isfinite(self.energies)
        return {"evaluations": int(len(self.energies)), "failed": int((~ok).sum()),
                "best_energy_eV": float(np.nanmin(self.energies)),
                "best_evaluation": int(self.evaluations[np.nanargmin(self.energies)]),
                "stages": {int(s): {"evaluated": int(ok[self.stages == s].sum()),
                                    "mean_energy_eV": float(np.nanmean(self.energies[self.stages == s])),
                                    "min_energy_eV": float(np.nanmin(self.energies[self.stages == s]))}
                           for s in np.unique(self.stages[ok])}}


def read_run(folder) -> RunRecord:
    path = Path(folder) / "search.db"
    if not path.is_file():
        raise ValueError(f"{folder} has no search.db: give the folder of a godiff run")
    rows = sorted(ase.db.connect(str(path)).select(), key=lambda row: row.evaluation)
    if not rows:
        raise ValueError(f"{path} holds no evaluations yet")
    energies = np.array([row.get("energy", np.nan) if row.status == "ok" else np.nan for row in rows])
    if not np.isfinite(energies).any():
        raise ValueError(f"every evaluation in {path} failed: nothing to plot")
    best = rows[int(np.nanargmin(energies))].toatoms()
    return RunRecord(np.array([row.evaluation for row in rows]), np.array([row.stage for row in rows]),
                     energies, best)


def analyze_run(folder, out=None) -> tuple[dict, dict]:
    """Write convergence.png, energies.png and best.png into ``out`` (default: the run folder).

    Returns (summary numbers, {name: matplotlib figure}).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from ase.visualize.plot import plot_atoms

    record = read_run(folder)
    out = Path(out or folder)
    out.mkdir(parents=True, exist_ok=True)
    figures = {}

    figure, axes = plt.subplots(figsize=(6, 4))
    axes.plot(record.evaluations, record.best_so_far, drawstyle="steps-post")
    axes.set_xlabel("evaluations")
    axes.set_ylabel("best energy (eV)")
    axes.set_title("best energy found")
    figures["convergence"] = figure

    figure, axes = plt.subplots(figsize=(6, 4))
    stages = np.unique(record.stages[np.isfinite(record.energies)])
    axes.boxplot([record.energies[(record.stages == s) & np.isfinite(record.energies)] for s in stages],
                 positions=stages, widths=0.6, showfliers=False)
    axes.set_xlabel("stage")
    axes.set_ylabel("energy (eV)")
    axes.set_title("energies of the evaluated structures per stage")
    figures["energies"] = figure

    figure, (top, side) = plt.subplots(1, 2, figsize=(9, 4))
    plot_atoms(record.best_atoms, top, rotation="0x,0y,0z")
    plot_atoms(record.best_atoms, side, rotation="-90x,0y,0z")
    top.set_title("best structure, top view")
    side.set_title("side view")
    for axes in (top, side):
        axes.set_axis_off()
    figures["best"] = figure

    for name, figure in figures.items():
        figure.tight_layout()
        figure.savefig(out / f"{name}.png", dpi=100)
        plt.close(figure)
    return record.summary(), figures
