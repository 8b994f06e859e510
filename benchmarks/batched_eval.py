"""Evaluations per second for one stage of Pt7/Pt(111) structures: batched MACE vs one by one
(or, with --calculator chgnet, CHGNet's own batching, ``predict_structure``, vs one by one).

    python benchmarks/batched_eval.py [--structures 128] [--channels 128] [--elements 89]
                                      [--batch-size 32] [--dtype float64] [--threads N]
                                      [--calculator mace|chgnet]

The MACE model has random weights (MACE-MP-0's weights cannot be downloaded here) and
MACE-MP-0 medium's shape by default: ScaleShiftMACE, 2 residual interactions, max_ell 3,
correlation 3, r_max 6 Å, 10 Bessel functions, radial MLP [64, 64, 64], hidden irreps
128x0e + 128x1o, MLP irreps 16x0e, 89 elements. Both paths are warmed up before timing;
one by one is :func:`ase_godiff.evaluate.evaluate` per structure (one ASE call each),
batched is :func:`ase_godiff.evaluate.evaluate_many` (what the optimizer calls).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np
import torch

from common import machine_info


def build_model(path: str, channels: int, elements: int) -> int:
    """Save a random-weight MACE-MP-0-shaped model to ``path``; its number of parameters."""
    from e3nn import o3
    from mace import modules

    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    torch.manual_seed(0)
    numbers = sorted(set(range(1, elements)) | {78})[:elements]  # Pt always among them
    block = modules.interaction_classes["RealAgnosticResidualInteractionBlock"]
    model = modules.ScaleShiftMACE(
        r_max=6.0, num_bessel=10, num_polynomial_cutoff=5, max_ell=3, interaction_cls=block,
        interaction_cls_first=block, num_interactions=2, num_elements=len(numbers),
        hidden_irreps=o3.Irreps(f"{channels}x0e+{channels}x1o"), MLP_irreps=o3.Irreps("16x0e"),
        atomic_energies=np.full(len(numbers), -6.0), avg_num_neighbors=60.0,
        atomic_numbers=numbers, correlation=3, gate=torch.nn.functional.silu,
        radial_MLP=[64, 64, 64], atomic_inter_scale=1.0, atomic_inter_shift=0.0)
    torch.save(model, path)
    torch.set_default_dtype(previous)
    return sum(p.numel() for p in model.parameters())


def chgnet_batched(structures, batch_size: int) -> list:
    """CHGNet's own batched inference on ``structures``: (energy eV, forces eV/Å with the
    structure's constraints applied) each."""
    from pymatgen.io.ase import AseAtomsAdaptor

    from tasks import chgnet_calculator

    model = chgnet_calculator().model
    predictions = model.predict_structure([AseAtomsAdaptor.get_structure(a) for a in structures],
                                          task="ef", batch_size=batch_size)
    results = []
    for prediction, atoms in zip(predictions, structures):
        forces = np.array(prediction["f"], dtype=float)
        for constraint in atoms.constraints:  # as atoms.get_forces() would: the template is fixed
            constraint.adjust_forces(atoms, forces)
        results.append((float(prediction["e"]) * len(atoms), forces))
    return results


def compare_chgnet(structures, batch_size: int) -> None:
    """One by one through ASE (what a search does today) against CHGNet's predict_structure."""
    from ase_godiff.evaluate import evaluate

    from tasks import chgnet_calculator

    calc = chgnet_calculator()
    evaluate(structures[0], calc)  # warm-up both paths
    chgnet_batched(structures[:2], batch_size)
    started = time.perf_counter()
    single = [evaluate(a, calc) for a in structures]
    one_by_one = time.perf_counter() - started
    started = time.perf_counter()
    batched = chgnet_batched(structures, batch_size)
    batched_time = time.perf_counter() - started
    error = max(abs(a.energy - e) for a, (e, _) in zip(single, batched))
    force_error = max(np.abs(a.forces - f).max() for a, (_, f) in zip(single, batched))
    n = len(structures)
    print(f"CHGNet, torch threads {torch.get_num_threads()}: {n} structures of {len(structures[0])} "
          f"atoms: one by one {one_by_one:.1f} s ({n / one_by_one:.2f} evaluations/s); "
          f"predict_structure (batch {batch_size}) {batched_time:.1f} s ({n / batched_time:.2f} "
          f"evaluations/s); batched / one by one {one_by_one / batched_time:.2f}x; "
          f"max |dE| {error:.1e} eV, max |dF| {force_error:.1e} eV/Å")


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--structures", type=int, default=128)
    parser.add_argument("--channels", type=int, default=128)
    parser.add_argument("--elements", type=int, default=89)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    parser.add_argument("--calculator", choices=["mace", "chgnet"], default="mace")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    from ase_godiff.evaluate import evaluate, evaluate_many
    from ase_godiff.space import SearchSpace
    from ase_godiff.examples import heptamer_atoms

    atoms = heptamer_atoms()
    space = SearchSpace(atoms)
    rng = np.random.default_rng(0)
    structures = [space.to_atoms(x) for x in space.box.sample_uniform(args.structures, space.n_free, rng)]
    if args.calculator == "chgnet":
        compare_chgnet(structures, args.batch_size)
        print(machine_info())
        return
    torch.serialization.add_safe_globals([slice])  # e3nn 0.4.4 under torch >= 2.6
    from mace.calculators import MACECalculator

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "mace.model")
        parameters = build_model(path, args.channels, args.elements)
        calc = MACECalculator(model_paths=path, device=args.device, default_dtype=args.dtype)
    edges = np.mean([len(calc._atoms_to_batch(a)["edge_index"][0]) for a in structures[:8]])

    evaluate(structures[0], calc)  # warm-up: first calls build e3nn code and caches
    list(evaluate_many(structures[:2], calc))
    started = time.perf_counter()
    single = [evaluate(a, calc) for a in structures]
    one_by_one = time.perf_counter() - started
    started = time.perf_counter()
    batched = list(evaluate_many(structures, calc, batch_size=args.batch_size))
    batched_time = time.perf_counter() - started

    error = max(abs(a.energy - b.energy) for a, b in zip(single, batched))
    force_error = max(np.abs(a.forces - b.forces).max() for a, b in zip(single, batched))
    n = args.structures
    print(f"MACE model: random weights, {parameters:,} parameters, {args.channels}x0e+"
          f"{args.channels}x1o, {args.elements} elements, {args.dtype}, {args.device}, "
          f"torch threads {torch.get_num_threads()}")
    print(f"{n} structures of {len(atoms)} atoms ({edges:.0f} edges each): "
          f"one by one {one_by_one:.1f} s ({n / one_by_one:.2f} evaluations/s); "
          f"batched ({args.batch_size} per pass) {batched_time:.1f} s "
          f"({n / batched_time:.2f} evaluations/s); speed-up {one_by_one / batched_time:.2f}x; "
          f"max |dE| {error:.1e} eV, max |dF| {force_error:.1e} eV/Å")
    print(machine_info())


if __name__ == "__main__":
    main()
