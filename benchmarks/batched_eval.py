"""Evaluations per second for one stage of Pt7/Pt(111) structures: batched MACE vs one by one.

    python benchmarks/batched_eval.py [--structures 128] [--channels 64]

The MACE model has random weights (MACE-MP-0's weights cannot be downloaded here) and a
MACE-MP-0-like shape: 2 interactions, max_ell 3, correlation 3, r_max 6 Å, hidden irreps
CHANNELSx0e + CHANNELSx1o (MACE-MP-0 small/medium: 128 channels; default here 64).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np
import torch

from common import machine_info


def build_model(path: str, channels: int):
    from e3nn import o3
    from mace import modules

    torch.set_default_dtype(torch.float64)
    torch.manual_seed(0)
    block = modules.interaction_classes["RealAgnosticResidualInteractionBlock"]
    model = modules.ScaleShiftMACE(
        r_max=6.0, num_bessel=8, num_polynomial_cutoff=5, max_ell=3, interaction_cls=block,
        interaction_cls_first=block, num_interactions=2, num_elements=1,
        hidden_irreps=o3.Irreps(f"{channels}x0e+{channels}x1o"), MLP_irreps=o3.Irreps("16x0e"),
        atomic_energies=np.array([-6.0]), avg_num_neighbors=30.0, atomic_numbers=[78],
        correlation=3, gate=torch.nn.functional.silu, atomic_inter_scale=1.0, atomic_inter_shift=0.0)
    torch.save(model, path)
    return sum(p.numel() for p in model.parameters())


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--structures", type=int, default=128)
    parser.add_argument("--channels", type=int, default=64)
    args = parser.parse_args()
    torch.serialization.add_safe_globals([slice])
    from mace.calculators import MACECalculator

    from ase_godiff.batched import MACEBatchedPotential
    from ase_godiff.evaluate import evaluate
    from ase_godiff.space import SearchSpace
    from ase_godiff.tasks import heptamer_atoms

    path = os.path.join(tempfile.mkdtemp(), "mace.model")
    parameters = build_model(path, args.channels)
    calc = MACECalculator(model_paths=path, device="cpu", default_dtype="float64")
    atoms = heptamer_atoms()
    space = SearchSpace(atoms)
    structures = [space.to_atoms(x) for x in space.sample_prior(args.structures, np.random.default_rng(0))]
    started = time.perf_counter()
    single = [evaluate(a, calc) for a in structures]
    one_by_one = time.perf_counter() - started
    batched_potential = MACEBatchedPotential(calc, batch_size=32)
    started = time.perf_counter()
    batched = batched_potential.evaluate_batch(structures)
    batched_time = time.perf_counter() - started
    error = max(abs(a.energy - b.energy) for a, b in zip(single, batched))
    print(f"MACE model: {parameters} parameters, {args.channels} channels, float64, CPU, "
          f"torch threads {torch.get_num_threads()}")
    print(f"{args.structures} structures of {len(atoms)} atoms: one by one {one_by_one:.1f} s "
          f"({args.structures / one_by_one:.1f} evaluations/s); batched (32 per pass) "
          f"{batched_time:.1f} s ({args.structures / batched_time:.1f} evaluations/s); "
          f"speed-up {one_by_one / batched_time:.2f}x; max energy difference {error:.1e} eV")
    print(machine_info())


if __name__ == "__main__":
    main()
