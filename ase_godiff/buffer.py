"""Every evaluated structure, Boltzmann weights, and weighted draws of the training buffer."""

from __future__ import annotations

import numpy as np
from ase.calculators.singlepoint import SinglePointCalculator

__all__ = ["ReplayBuffer", "boltzmann_weights", "effective_sample_size", "weighted_draw"]


def boltzmann_weights(energies: np.ndarray, kT: float) -> np.ndarray:
    """exp(-(E - E_min) / kT), normalised to sum 1; energies and kT in eV, any offset or sign."""
    if kT <= 0:
        raise ValueError(f"kT must be positive (eV), got {kT}")
    energies = np.asarray(energies, dtype=float)
    weights = np.exp(-(energies - energies.min()) / kT)
    return weights / weights.sum()


def effective_sample_size(weights: np.ndarray) -> float:
    """Kish's effective sample size (sum w)^2 / sum w^2."""
    weights = np.asarray(weights, dtype=float)
    return float(weights.sum() ** 2 / (weights**2).sum())


def weighted_draw(weights: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of ``size`` items drawn without replacement with probabilities ~ ``weights``.

    Efraimidis-Spirakis: keep the largest keys u^(1/w), compared as log(u) / w so that
    tiny weights neither underflow nor tie; zero weights are drawn last.
    """
    weights = np.asarray(weights, dtype=float)
    size = min(size, len(weights))
    with np.errstate(divide="ignore", over="ignore"):
        keys = np.log(rng.random(len(weights))) / weights
    return np.argsort(-keys, kind="stable")[:size]


class ReplayBuffer:
    """All evaluated structures: free-atom positions (Å), energies (eV), free-atom forces
    (eV/Å), the stage that made each and its calculator-call number (1-based)."""

    def __init__(self, n_free: int):
        self.n_free = n_free
        self._positions: list[np.ndarray] = []
        self._forces: list[np.ndarray] = []
        self._energies: list[float] = []
        self._stages: list[int] = []
        self._evaluations: list[int] = []

    def __len__(self) -> int:
        return len(self._energies)

    def add(self, positions: np.ndarray, energy: float, forces: np.ndarray, stage: int,
            evaluation: int | None = None) -> None:
        self._positions.append(np.asarray(positions, dtype=float).reshape(self.n_free, 3))
        self._forces.append(np.asarray(forces, dtype=float).reshape(self.n_free, 3))
        self._energies.append(float(energy))
        self._stages.append(int(stage))
        self._evaluations.append(len(self) if evaluation is None else int(evaluation))

    def since(self, start: int) -> "ReplayBuffer":
        """The entries from index ``start`` on, sharing their arrays (self when ``start`` is 0)."""
        if start == 0:
            return self
        part = ReplayBuffer(self.n_free)
        part._positions, part._forces = self._positions[start:], self._forces[start:]
        part._energies, part._stages = self._energies[start:], self._stages[start:]
        part._evaluations = self._evaluations[start:]
        return part

    @property
    def positions(self) -> np.ndarray:
        return np.array(self._positions).reshape(-1, self.n_free, 3)

    @property
    def forces(self) -> np.ndarray:
        return np.array(self._forces).reshape(-1, self.n_free, 3)

    @property
    def energies(self) -> np.ndarray:
        return np.array(self._energies)

    @property
    def stages(self) -> np.ndarray:
        return np.array(self._stages, dtype=int)

    @property
    def evaluations(self) -> np.ndarray:
        return np.array(self._evaluations, dtype=int)

    def best_atoms(self, space):
        """The lowest-energy structure as a ``space`` Atoms, free-atom forces attached; None if empty."""
        return self.atoms(space, int(np.argmin(self._energies))) if len(self) else None

    def atoms(self, space, index: int):
        """Structure ``index`` as a ``space`` Atoms with its energy and free-atom forces attached."""
        atoms = space.to_atoms(self._positions[index])
        forces = np.zeros((len(atoms), 3))
        forces[space.free_indices] = self._forces[index]
        atoms.calc = SinglePointCalculator(atoms, energy=self._energies[index], forces=forces)
        return atoms

    def draw(self, kT: float, size: int, rng: np.random.Generator):
        """A training buffer: (indices, their normalised Boltzmann weights) at ``kT`` (eV)."""
        if len(self) == 0:
            raise ValueError("the replay buffer is empty: no structure has been evaluated yet")
        weights = boltzmann_weights(self.energies, kT)
        chosen = weighted_draw(weights, size, rng)
        return chosen, weights[chosen] / weights[chosen].sum()
