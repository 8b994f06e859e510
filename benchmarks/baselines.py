"""Classical baselines in the same counting as GO-Diff: every force call is one evaluation.

- Random structure search (RSS): random placement in the generation box (atoms at least
  0.7 x bond length apart), BFGS to fmax 0.05 eV/Å (at most 200 steps), repeat
  (``local="lbfgsb"``: scipy's L-BFGS-B instead, at most 200 calls).
- Basin hopping: a Metropolis walk over the free atoms (each coordinate displaced
  uniformly in [-1, 1] Å, kT = 0.1 eV on relaxed energies), same relaxation; with
  ``swap`` > 0 (several elements), that share of the moves exchanges two unlike atoms. Written here
  rather than wrapping ase.optimize.basin.BasinHopping, which draws from the global
  np.random and cannot stop mid-relaxation when the budget ends.

Both thresholds are in eV for metals; ``energy_scale`` (a task's, e.g. 0.01 for argon)
multiplies fmax and the hopping kT, the per-system tuning these methods need.
"""

from __future__ import annotations

import numpy as np
from ase.data import covalent_radii
from ase.geometry import get_distances
from ase.optimize import BFGS

from ase_godiff.evaluate import Evaluation
from ase_godiff.evaluate import relax as lbfgsb
from ase_godiff.space import SearchSpace

FMAX = 0.05  # eV/Å
MAX_RELAX_STEPS = 200
SEPARATION = 0.7  # x bond length (sum of covalent radii)
HOP = 1.0  # Å
HOP_KT = 0.1  # eV


class Budget(Exception):
    """Raised when the evaluation budget is spent (or, if asked, at the first success)."""


class Counter:
    """Counts calculator calls, tracks the best energy and the first success.

    ``record`` is called once per calculator call and tests success on that structure
    (relaxation intermediates included); ``rejected`` counts placements refused before the
    calculator (free of cost). ``observer(evaluation, energy, free_positions)``, if given,
    sees every evaluation. ``best_positions``: the free positions of the lowest-energy
    structure evaluated (for the harness's relaxation of the best, counted apart).
    ``stop_at_success``: end the search (as the budget does) at the first success.
    """

    def __init__(self, space: SearchSpace, success, max_evaluations: int, observer=None,
                 stop_at_success: bool = False):
        self.space, self.success, self.max_evaluations = space, success, max_evaluations
        self.observer, self.stop_at_success = observer, stop_at_success
        self.evaluations, self.rejected, self.best, self.first_success = 0, 0, np.inf, None
        self.trace: list[list[float]] = []  # (evaluation, best energy) at each improvement
        self.best_positions: np.ndarray | None = None

    def record(self, atoms, energy: float) -> None:
        self.evaluations += 1
        if self.observer is not None:
            self.observer(self.evaluations, energy, self.space.free_positions_of(atoms))
        if energy < self.best:
            self.best = energy
            self.best_positions = self.space.free_positions_of(atoms)
            self.trace.append([self.evaluations, float(energy)])
        if self.first_success is None and self.success(atoms, self.space.free_indices):
            self.first_success = self.evaluations
        if self.evaluations >= self.max_evaluations or (self.stop_at_success and self.first_success is not None):
            raise Budget


def relax(atoms, calc, counter: Counter, energy_scale: float = 1.0, local: str = "bfgs") -> float:
    """A local relaxation to fmax ``FMAX * energy_scale`` with every force call counted, in
    place; returns the energy (eV). ``local``: ``bfgs`` (ASE's, at most MAX_RELAX_STEPS
    steps, as the recorded rows ran) or ``lbfgsb`` (scipy's, as GO-Diff's relaxations; at
    most MAX_RELAX_STEPS calls; ends at the lowest structure of its path)."""
    if local == "lbfgsb":
        def counted(structure):  # unchecked: a line search's probe onto a 1e12 eV wall backtracks
            structure = structure.copy()
            structure.calc = calc
            result = Evaluation(structure, structure.get_potential_energy(), structure.get_forces())
            counter.record(structure, result.energy)
            return result

        made = lbfgsb(atoms, counted, fmax=FMAX * energy_scale, max_calls=MAX_RELAX_STEPS)
        lowest = min(made, key=lambda result: result.energy)
        atoms.positions = lowest.atoms.positions
        return lowest.energy
    if local != "bfgs":
        raise ValueError(f"local must be 'bfgs' or 'lbfgsb', got {local!r}")
    atoms.calc = calc
    optimizer = BFGS(atoms, logfile=None)
    for _ in optimizer.irun(fmax=FMAX * energy_scale, steps=MAX_RELAX_STEPS):
        counter.record(atoms, atoms.get_potential_energy())
    return atoms.get_potential_energy()


def well_separated(space: SearchSpace, free_positions: np.ndarray) -> bool:
    """Free atoms at least SEPARATION x bond length from every other atom (minimum image)."""
    atoms = space.to_atoms(free_positions)
    radii = covalent_radii[atoms.numbers]
    free = space.free_indices
    _, dist = get_distances(atoms.positions[free], atoms.positions, cell=atoms.cell, pbc=atoms.pbc)
    limit = SEPARATION * (radii[free][:, None] + radii[None, :])
    dist[np.arange(len(free)), free] = np.inf
    return bool(np.all(dist >= limit))


def random_placement(space: SearchSpace, rng: np.random.Generator,
                     counter: Counter | None = None) -> np.ndarray:
    """Free positions uniform in the box, redrawn until ``well_separated`` (no evaluation)."""
    while True:
        candidate = space.box.sample_uniform(1, space.n_free, rng)[0]
        if well_separated(space, candidate):
            return candidate
        if counter is not None:
            counter.rejected += 1


def run_rss(space: SearchSpace, calc, rng: np.random.Generator, counter: Counter,
            energy_scale: float = 1.0, local: str = "bfgs") -> None:
    try:
        while True:
            relax(space.to_atoms(random_placement(space, rng, counter)), calc, counter, energy_scale, local)
    except Budget:
        return


def run_basin_hopping(space: SearchSpace, calc, rng: np.random.Generator, counter: Counter,
                      energy_scale: float = 1.0, hop: float = HOP, kT: float | None = None,
                      swap: float = 0.0, separate: bool = False, local: str = "bfgs") -> None:
    """``hop`` (Å): each coordinate's displacement bound; ``kT`` (eV): the walk's temperature,
    default HOP_KT x ``energy_scale``; ``swap``: the probability that a move exchanges two
    placed atoms of different elements instead of displacing them (the homotop move);
    ``separate``: refuse, uncounted, a hop that puts atoms closer than RSS's placements
    allow (``well_separated``). A potential with a short-range hole (CHGNet binds two Pt
    0.3 Å apart) needs it; off by default, as the recorded EMT rows ran. ``local``: see
    :func:`relax`."""
    kT = HOP_KT * energy_scale if kT is None else kT
    box_inverse = np.linalg.inv(space.box.vectors)
    numbers = space.free_numbers
    try:
        current = space.to_atoms(random_placement(space, rng, counter))
        current_energy = relax(current, calc, counter, energy_scale, local)
        while True:
            trial = current.copy()
            free = space.free_positions_of(trial)
            if swap > 0 and len(set(numbers)) > 1 and rng.random() < swap:
                i = rng.integers(len(numbers))
                j = rng.choice(np.flatnonzero(numbers != numbers[i]))
                free[[i, j]] = free[[j, i]]
            else:
                free = free + rng.uniform(-hop, hop, (space.n_free, 3))
            u = (free - space.box.corner) @ box_inverse  # keep the hop inside the box
            u = np.where(space.periodic_box_axes, u % 1.0, np.clip(u, 0.0, 1.0))
            trial.positions[space.free_indices] = space.box.corner + u @ space.box.vectors
            if separate and not well_separated(space, trial.positions[space.free_indices]):
                counter.rejected += 1
                continue
            trial_energy = relax(trial, calc, counter, energy_scale, local)
            if rng.random() < np.exp(-(trial_energy - current_energy) / kT):
                current, current_energy = trial, trial_energy
    except Budget:
        return
