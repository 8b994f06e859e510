"""Figures from a run folder's database: convergence, energies per stage, the best structure.

Figures are :class:`matplotlib.figure.Figure` objects saved by their own ``savefig``:
no pyplot, no backend switch, nothing that outlives the call.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import ase.db
import numpy as np
from ase import Atoms
from ase.constraints import FixAtoms
from ase.data import atomic_numbers, covalent_radii
from ase.data.colors import jmol_colors
from matplotlib.colors import to_rgb
from matplotlib.collections import PatchCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle

from .resume import DISCARDED

__all__ = ["RunRecord", "analyze_run", "draw_structure", "placed_indices", "read_run"]

log = logging.getLogger(__name__)

RADIUS_SCALE = 0.9     # of the covalent radius: neighbours touch but stay apart
FAINT = 0.7            # how far periodic images are washed towards white
TEMPLATE_EDGE, PLACED_EDGE = ("0.35", 0.5), ("black", 2.5)  # edge colour, width (pt)


@dataclass
class RunRecord:
    """Every calculator call of a run once: evaluation number, stage, energy (eV; NaN if
    failed); the best structure and the indices of its placed atoms; how many database rows
    repeated an evaluation number and were dropped."""

    evaluations: np.ndarray
    stages: np.ndarray
    energies: np.ndarray
    best_atoms: Atoms
    placed: np.ndarray
    duplicate_rows: int = 0

    @property
    def best_so_far(self) -> np.ndarray:
        return np.fmin.accumulate(self.energies)

    def summary(self) -> dict:
        ok = np.isfinite(self.energies)
        return {"evaluations": int(len(self.energies)), "failed": int((~ok).sum()),
                "duplicate_rows": self.duplicate_rows,
                "best_energy_eV": float(np.nanmin(self.energies)),
                "best_evaluation": int(self.evaluations[np.nanargmin(self.energies)]),
                "stages": {int(s): {"evaluated": int(ok[self.stages == s].sum()),
                                    "mean_energy_eV": float(np.nanmean(self.energies[self.stages == s])),
                                    "min_energy_eV": float(np.nanmin(self.energies[self.stages == s]))}
                           for s in np.unique(self.stages[ok])}}


def placed_indices(atoms: Atoms, data) -> np.ndarray:
    """The atoms the search placed: ``data['placed']`` if the row has it, else every atom
    no FixAtoms constraint fixes."""
    if "placed" in data:
        return np.asarray(data["placed"], dtype=int)
    fixed = [i for c in atoms.constraints if isinstance(c, FixAtoms) for i in c.get_indices()]
    return np.setdiff1d(np.arange(len(atoms)), fixed)


def read_run(folder) -> RunRecord:
    """The calls in a run folder's search.db, one per evaluation number: the first row
    written (a resumed run may have written one twice); rows marked discarded are left out."""
    path = Path(folder) / "search.db"
    if not path.is_file():
        raise ValueError(f"{folder} has no search.db: give the folder of a godiff run")
    first, written = {}, 0
    try:
        rows = list(ase.db.connect(str(path)).select(sort="id"))
    except sqlite3.DatabaseError as error:
        raise ValueError(f"{path} is not a readable ASE database ({error})") from None
    for row in rows:
        if row.get("status") != DISCARDED:
            written += 1
            first.setdefault(row.evaluation, row)
    if not first:
        raise ValueError(f"{path} holds no evaluations yet")
    rows = [first[n] for n in sorted(first)]
    duplicates = written - len(rows)
    if duplicates:
        log.warning("%s: %d row(s) repeat an evaluation number; kept the first of each", path, duplicates)
    energies = np.array([row.get("energy", np.nan) if row.status == "ok" else np.nan for row in rows])
    if not np.isfinite(energies).any():
        raise ValueError(f"every evaluation in {path} failed: nothing to plot")
    best = rows[int(np.nanargmin(energies))]
    atoms = best.toatoms()
    return RunRecord(np.array([row.evaluation for row in rows]), np.array([row.stage for row in rows]),
                     energies, atoms, placed_indices(atoms, best.data), duplicates)


def _image_shifts(atoms: Atoms) -> np.ndarray:
    """Translations to the cell itself (first) and its in-plane neighbours along periodic a and b."""
    steps = [(0, -1, 1) if periodic else (0,) for periodic in atoms.pbc[:2]]
    return np.array([i * atoms.cell[0] + j * atoms.cell[1] for i in steps[0] for j in steps[1]])


def _draw(axes, numbers, points, toward, placed, faint) -> None:
    """Atoms as circles at 2D ``points`` (Å), the nearest the viewer (largest ``toward``) last;
    ``placed`` and ``faint`` are masks: the faint atoms are washed towards white."""
    order = np.argsort(toward, kind="stable")
    faces = jmol_colors[numbers]
    edges = np.where(placed[:, None], to_rgb(PLACED_EDGE[0]), to_rgb(TEMPLATE_EDGE[0]))
    wash = FAINT * faint[:, None]
    radii = covalent_radii[numbers] * RADIUS_SCALE
    axes.add_collection(PatchCollection(
        [Circle(points[i], radii[i]) for i in order],
        facecolors=(faces + wash * (1 - faces))[order], edgecolors=(edges + wash * (1 - edges))[order],
        linewidths=np.where(placed, PLACED_EDGE[1], TEMPLATE_EDGE[1])[order]))


def _legend(figure: Figure, symbols) -> None:
    def marker(label, face, edge):
        return Line2D([], [], linestyle="", marker="o", markersize=12, label=label,
                      markerfacecolor=face, markeredgecolor=edge[0], markeredgewidth=edge[1])

    handles = [marker(s, jmol_colors[atomic_numbers[s]], TEMPLATE_EDGE) for s in dict.fromkeys(symbols)]
    figure.legend(handles=handles + [marker("placed", "white", PLACED_EDGE)], loc="outside right upper")


def draw_structure(figure: Figure, atoms: Atoms, placed) -> tuple:
    """Top view, with the neighbouring periodic images washed out, above side view of
    ``atoms`` in jmol colours, the ``placed`` atoms edged in black, and a legend of the
    elements; returns the two axes."""
    atoms = atoms.copy()
    atoms.wrap()
    n, xyz, numbers = len(atoms), atoms.positions, atoms.numbers
    is_placed = np.isin(np.arange(n), placed)
    shifts = _image_shifts(atoms)
    tiled = np.concatenate([xyz + shift for shift in shifts])
    margin = covalent_radii[numbers].max()
    if len(shifts) > 1:
        corners = np.array([[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]) @ atoms.cell[:2, :2]
        reach = np.ptp(corners, axis=0).max() / 4 + margin
        lower, upper = corners.min(axis=0) - reach, corners.max(axis=0) + reach
    else:
        lower, upper = xyz[:, :2].min(axis=0) - margin, xyz[:, :2].max(axis=0) + margin
    heights = [upper[1] - lower[1], np.ptp(xyz[:, 2]) + 2 * margin]
    figure.set_size_inches(7, min(5.5 * sum(heights) / (upper[0] - lower[0]) + 1.5, 9))  # 5.5 in wide
    top, side = figure.subplots(2, 1, height_ratios=heights)
    _draw(top, np.tile(numbers, len(shifts)), tiled[:, :2], tiled[:, 2], np.tile(is_placed, len(shifts)),
          np.arange(len(tiled)) >= n)
    _draw(side, numbers, xyz[:, [0, 2]], -xyz[:, 1], is_placed, np.zeros(n, dtype=bool))
    if len(shifts) > 1:
        top.plot(*corners.T, color="0.5", linestyle="--", linewidth=0.8)
    top.set(xlim=(lower[0], upper[0]), ylim=(lower[1], upper[1]), title="top view")
    side.set(xlim=(lower[0], upper[0]), ylim=(xyz[:, 2].min() - margin, xyz[:, 2].max() + margin),
             title="side view")
    for axes in (top, side):
        axes.set_aspect("equal")
        axes.set_axis_off()
    _legend(figure, atoms.get_chemical_symbols())
    return top, side


def analyze_run(folder, out=None) -> tuple[dict, dict]:
    """Write convergence.png, energies.png and best.png into ``out`` (default: the run folder).

    Returns (summary numbers, {name: matplotlib figure}).
    """
    record = read_run(folder)
    summary = record.summary()
    out = Path(out or folder)
    out.mkdir(parents=True, exist_ok=True)
    figures = {name: Figure(figsize=(6, 4), layout="constrained")  # draw_structure sizes "best"
               for name in ("convergence", "energies", "best")}

    axes = figures["convergence"].subplots()
    axes.plot(record.evaluations, record.best_so_far, drawstyle="steps-post")
    axes.set(xlabel="evaluations", ylabel="best energy (eV)", title="best energy found")

    axes = figures["energies"].subplots()
    ok = np.isfinite(record.energies)
    stages = np.unique(record.stages[ok])
    axes.boxplot([record.energies[(record.stages == s) & ok] for s in stages],
                 positions=stages, widths=0.6, showfliers=False)
    axes.set(xlabel="stage", ylabel="energy (eV)", title="energies of the evaluated structures per stage")

    draw_structure(figures["best"], record.best_atoms, record.placed)
    figures["best"].suptitle(f"best structure: {summary['best_energy_eV']:.4f} eV "
                             f"(evaluation {summary['best_evaluation']})")
    for name, figure in figures.items():
        figure.savefig(out / f"{name}.png", dpi=100)
    return summary, figures
