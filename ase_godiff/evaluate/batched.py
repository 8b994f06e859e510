"""Batched evaluation for machine-learned potentials: one forward pass for many structures.

A stage evaluates up to a hundred structures of the same system. A torch potential can
score them together instead of one ASE call each; anything that implements
:class:`BatchedPotential` plugs in, and :func:`batched_potential_for` recognises
mace-torch's ``MACECalculator`` (``mace_mp``, ``mace_off``, or a model file). The batching
loop and its one-by-one fallback are :func:`ase_godiff.evaluate.evaluate_many`'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
from ase import Atoms

from .result import Evaluation, checked

__all__ = ["BatchedPotential", "MACEBatchedPotential", "batched_potential_for"]


class BatchedPotential(Protocol):
    """Energies (eV) and forces (eV/Å) of many structures at once, as Evaluations in order."""

    def evaluate_batch(self, structures: Sequence[Atoms]) -> list[Evaluation]: ...


def batched_potential_for(calc) -> BatchedPotential | None:
    """A batched evaluator for ``calc`` when one exists (mace-torch's MACECalculator), else None."""
    if hasattr(calc, "evaluate_batch"):
        return calc
    if type(calc).__name__ == "MACECalculator" and type(calc).__module__.startswith("mace."):
        if getattr(calc, "use_compile", False):
            return None  # compiled models pad to one structure; keep the ASE path
        if getattr(calc, "model_type", "MACE") != "MACE":
            return None  # dipole and polar variants take other inputs or give no energy
        return MACEBatchedPotential(calc)
    return None


class MACEBatchedPotential:
    """Runs a MACECalculator's own model(s) on a batch of structures (ensembles averaged)."""

    def __init__(self, calc):
        self.calc = calc

    def evaluate_batch(self, structures: Sequence[Atoms]) -> list[Evaluation]:
        return self._forward(structures)

    def _forward(self, structures: Sequence[Atoms]) -> list[Evaluation]:
        import torch
        from mace import data as mace_data
        from mace.tools import torch_geometric, torch_tools

        calc = self.calc
        keyspec = mace_data.KeySpecification(  # the keys MACECalculator._atoms_to_batch reads
            info_keys=calc.info_keys, arrays_keys={**calc.arrays_keys, calc.charges_key: "charges"})
        with torch_tools.default_dtype(calc.default_dtype):
            graphs = [mace_data.AtomicData.from_config(
                mace_data.config_from_atoms(atoms, key_specification=keyspec, head_name=calc.head),
                z_table=calc.z_table, cutoff=calc.r_max, heads=calc.available_heads)
                for atoms in structures]
        batch = torch_geometric.Batch.from_data_list(graphs).to(calc.device)
        energies, forces = 0.0, 0.0
        for model in calc.models:
            dtype = next(model.parameters()).dtype
            inputs = batch.clone()
            for key in inputs.keys:
                if torch.is_tensor(inputs[key]) and torch.is_floating_point(inputs[key]):
                    inputs[key] = inputs[key].to(dtype=dtype)
            out = model(inputs.to_dict(), compute_stress=False, training=False)
            energies = energies + out["energy"].detach().double().cpu().numpy()
            forces = forces + out["forces"].detach().double().cpu().numpy()
        energies = energies / len(calc.models) * calc.energy_units_to_eV
        forces = forces / len(calc.models) * calc.energy_units_to_eV / calc.length_units_to_A
        offsets = np.cumsum([0] + [len(atoms) for atoms in structures])
        return [self._result(atoms, float(energies[i]), forces[offsets[i]:offsets[i + 1]])
                for i, atoms in enumerate(structures)]

    @staticmethod
    def _result(atoms: Atoms, energy: float, forces: np.ndarray) -> Evaluation:
        forces = forces.copy()
        for constraint in atoms.constraints:  # as atoms.get_forces() would
            constraint.adjust_forces(atoms, forces)
        return checked(atoms, energy, forces)
