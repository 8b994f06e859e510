"""How GO-Diff's cost per stage grows with the number of placed atoms (issue 15, item 5).

    python benchmarks/scaling.py [--sizes 1,7,13,19,26,38,55] [--repeats 3] [--threads 2] \
        [--device cpu] [--free-cutoff ANGSTROM] \
        [--out benchmarks/results/scaling.json] [--plot docs/figures/scaling.png]

Gas-phase argon clusters Ar_n (no template; n = 1 is a single Ar atom, whose energy is
always 0), Lennard-Jones as in the LJ ladder tasks, the default cluster box, the default
settings except a FIXED stage: ``samples_per_stage`` and ``buffer_size`` (32 each), so
that the network's cost per structure is compared across n. For each n: one stage is run
untimed (stage 0 samples the prior, then the model is trained), then ``repeats`` stages
are timed, each sampling with the trained network (100 reverse steps with guidance),
evaluating and training (300 steps); the median of each part is reported. Log-log fits
over n >= 7, n >= 13 and n >= 20 give each part's growth exponent; from 8 free atoms the
defaults add the descent in the learnt forces and two relaxations a stage, and from 20 the
default network's free-free pairs end at 6 Å instead of 10 Å, so the last fit compares one
set of resolved settings and network. ``--free-cutoff`` holds that cutoff for every n (the
network's cost at a fixed graph rule); ``--device cuda`` runs the network on a GPU.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

PARTS = ("sample", "evaluate", "train")


def time_stages(n: int, repeats: int, samples: int, buffer: int, seed: int = 0,
                device: str = "cpu", free_cutoff: float | None = None) -> dict:
    """Seconds per part of ``repeats`` stages after a trained one, for Ar_n."""
    import torch
    from ase import Atoms

    from ase_godiff import GODiffOptimizer, ScoreNetConfig
    from tasks import argon_lj

    network = None if free_cutoff is None else ScoreNetConfig(free_cutoff=free_cutoff)
    opt = GODiffOptimizer(Atoms(f"Ar{n}"), argon_lj(), seed=seed, device=device, network=network,
                          samples_per_stage=samples, buffer_size=buffer)
    started = time.perf_counter()
    opt.step()  # stage 0: prior samples, evaluations, the first training
    first = time.perf_counter() - started
    for _ in range(repeats):
        opt.step()
    timed = opt.state.timings[1:]
    evaluated = [int(np.sum(opt.state.buffer.stages == stage)) for stage in range(1, repeats + 1)]
    timed_positions = opt.state.buffer.positions[opt.state.buffer.stages >= 1]
    graph = opt.learner.tensors.env.graph(torch.as_tensor(timed_positions, dtype=torch.float32,
                                                          device=opt.device))
    return {"n": n, "first_stage_seconds": first,
            "stages": [{part: float(t[part]) for part in PARTS} for t in timed],
            "evaluated_per_stage": evaluated,
            "median": {part: float(np.median([t[part] for t in timed])) for part in PARTS},
            "free_cutoff": opt.network_config.free_cutoff, "complete_graph_edges": n * (n - 1),
            "free_edges_per_structure": len(graph.free_src) / max(len(timed_positions), 1)}


def growth_exponents(rows: list[dict], smallest: int = 7) -> dict:
    """The slope of log(seconds) against log(n) for each part, over n >= ``smallest``."""
    chosen = [r for r in rows if r["n"] >= smallest]
    if len(chosen) < 2:
        return {}
    logn = np.log([r["n"] for r in chosen])
    return {part: float(np.polyfit(logn, np.log([r["median"][part] for r in chosen]), 1)[0])
            for part in PARTS}


def plot(report: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    rows = report["rows"]
    n = np.array([r["n"] for r in rows], dtype=float)
    figure = Figure(figsize=(5.5, 4.0), layout="constrained")
    axes = figure.add_subplot()
    for part, marker in zip(PARTS, "osd"):
        axes.plot(n, [r["median"][part] for r in rows], marker=marker, label=part)
    train = np.array([r["median"]["train"] for r in rows])
    anchor = int(np.flatnonzero(n >= 7)[0])
    guide = np.linspace(n[anchor], n[-1], 20)
    for power, style in ((1, ":"), (2, "--")):
        axes.plot(guide, train[anchor] * (guide / n[anchor]) ** power, "k" + style, lw=0.8,
                  label=f"n^{power} (from train at n = {int(n[anchor])})")
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("placed atoms n (Ar_n, Lennard-Jones)")
    axes.set_ylabel("seconds per stage (median)")
    s = report["settings"]
    axes.set_title(f"GO-Diff stage of {s['samples_per_stage']} samples, buffer {s['buffer_size']}, "
                   f"{s['threads']} threads, {s.get('device', 'cpu')}", fontsize=9)
    axes.legend(fontsize=8)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1,7,13,19,26,38,55")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--samples", type=int, default=32)
    parser.add_argument("--buffer", type=int, default=32)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--free-cutoff", type=float, default=None,
                        help="free-free cutoff (Å) for every n (default: the default network's)")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/scaling.json"))
    parser.add_argument("--plot", type=lambda value: Path(value) if value else None,
                        default=Path("docs/figures/scaling.png"), help="the figure (\"\": none)")
    args = parser.parse_args()
    for variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = str(args.threads)
    import torch

    from common import machine_info

    torch.set_num_threads(args.threads)
    machine = machine_info(torch_threads=args.threads)
    rows = []
    print(f"{'n':>3} | {'sample s':>9} | {'evaluate s':>10} | {'train s':>8} | "
          f"{'sample ms/structure':>19} | free-free edges/structure | evaluated", flush=True)
    for n in (int(part) for part in args.sizes.split(",")):
        row = time_stages(n, args.repeats, args.samples, args.buffer, device=args.device,
                          free_cutoff=args.free_cutoff)
        rows.append(row)
        m = row["median"]
        print(f"{n:>3} | {m['sample']:>9.2f} | {m['evaluate']:>10.3f} | {m['train']:>8.2f} | "
              f"{1000 * m['sample'] / args.samples:>19.1f} | {row['free_edges_per_structure']:>25.0f} | "
              f"{row['evaluated_per_stage']}", flush=True)
    report = {"settings": {"samples_per_stage": args.samples, "buffer_size": args.buffer,
                           "threads": args.threads, "repeats": args.repeats, "device": args.device,
                           "free_cutoff": args.free_cutoff or "the default network's",
                           "system": "Ar_n, Lennard-Jones sigma 3.4 Å, epsilon 0.0104 eV, rc 10 sigma; "
                                     "the default cluster box; n = 1 is a single Ar atom",
                           "defaults": "everything else at SearchSettings() and "
                                       "ScoreNetConfig.for_free_atoms(n)"},
              "machine": machine, "rows": rows}
    for smallest in (7, 13, 20):
        exponents = report[f"growth_exponents_n_ge_{smallest}"] = growth_exponents(rows, smallest)
        print(f"growth exponents (log-log slope over n >= {smallest}):",
              {k: round(v, 2) for k, v in exponents.items()})
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1))
    if args.plot:
        plot(report, args.plot)


if __name__ == "__main__":
    main()
