"""How GO-Diff's cost per stage grows with the number of placed atoms (issue 15, item 5).

    python benchmarks/scaling.py [--sizes 1,7,13,19,26,38] [--repeats 3] [--threads 2] \
        [--out benchmarks/results/scaling.json] [--plot docs/figures/scaling.png]

Gas-phase argon clusters Ar_n (no template; n = 1 is a single Ar atom, whose energy is
always 0), Lennard-Jones as in the LJ ladder tasks, the default cluster box, the default
settings except a FIXED stage: ``samples_per_stage`` and ``buffer_size`` (32 each), so
that the network's cost per structure is compared across n. For each n: one stage is run
untimed (stage 0 samples the prior, then the model is trained), then ``repeats`` stages
are timed, each sampling with the trained network (100 reverse steps with guidance),
evaluating and training (300 steps); the median of each part is reported. Log-log fits
over n >= 7 and over n >= 13 give each part's growth exponent; the second compares one set
of resolved settings (from 8 free atoms the defaults add the descent in the learnt forces
and two relaxations a stage).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

PARTS = ("sample", "evaluate", "train")


def time_stages(n: int, repeats: int, samples: int, buffer: int, seed: int = 0) -> dict:
    """Seconds per part of ``repeats`` stages after a trained one, for Ar_n."""
    from ase import Atoms

    from ase_godiff import GODiffOptimizer
    from tasks import argon_lj

    opt = GODiffOptimizer(Atoms(f"Ar{n}"), argon_lj(), seed=seed,
                          samples_per_stage=samples, buffer_size=buffer)
    started = time.perf_counter()
    opt.step()  # stage 0: prior samples, evaluations, the first training
    first = time.perf_counter() - started
    for _ in range(repeats):
        opt.step()
    timed = opt.state.timings[1:]
    evaluated = [int(np.sum(opt.state.buffer.stages == stage)) for stage in range(1, repeats + 1)]
    return {"n": n, "first_stage_seconds": first,
            "stages": [{part: float(t[part]) for part in PARTS} for t in timed],
            "evaluated_per_stage": evaluated,
            "median": {part: float(np.median([t[part] for t in timed])) for part in PARTS},
            "edges_free_free": n * (n - 1)}


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
                   f"{s['threads']} threads", fontsize=9)
    axes.legend(fontsize=8)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1,7,13,19,26,38")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--samples", type=int, default=32)
    parser.add_argument("--buffer", type=int, default=32)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/scaling.json"))
    parser.add_argument("--plot", type=Path, default=Path("docs/figures/scaling.png"))
    args = parser.parse_args()
    for variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = str(args.threads)
    import torch

    from common import machine_info

    torch.set_num_threads(args.threads)
    machine = machine_info(torch_threads=args.threads)
    rows = []
    print(f"{'n':>3} | {'sample s':>9} | {'evaluate s':>10} | {'train s':>8} | "
          f"{'sample ms/structure':>19} | evaluated", flush=True)
    for n in (int(part) for part in args.sizes.split(",")):
        row = time_stages(n, args.repeats, args.samples, args.buffer)
        rows.append(row)
        m = row["median"]
        print(f"{n:>3} | {m['sample']:>9.2f} | {m['evaluate']:>10.3f} | {m['train']:>8.2f} | "
              f"{1000 * m['sample'] / args.samples:>19.1f} | {row['evaluated_per_stage']}", flush=True)
    report = {"settings": {"samples_per_stage": args.samples, "buffer_size": args.buffer,
                           "threads": args.threads, "repeats": args.repeats,
                           "system": "Ar_n, Lennard-Jones sigma 3.4 Å, epsilon 0.0104 eV, rc 10 sigma; "
                                     "the default cluster box; n = 1 is a single Ar atom",
                           "defaults": "everything else at SearchSettings() and ScoreNetConfig()"},
              "machine": machine, "rows": rows}
    for smallest in (7, 13):
        exponents = report[f"growth_exponents_n_ge_{smallest}"] = growth_exponents(rows, smallest)
        print(f"growth exponents (log-log slope over n >= {smallest}):",
              {k: round(v, 2) for k, v in exponents.items()})
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1))
    if args.plot:
        plot(report, args.plot)


if __name__ == "__main__":
    main()
