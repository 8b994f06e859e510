"""Run the published GO-Diff package (go-diff 1.1.0 on agedi 1.4.0) on one task, counting
every calculator call. Runs under the peer venv's Python (3.12); benchmarks/peer_godiff.py
writes its input and reads what it leaves behind:

    python peer_godiff_worker.py WORK_DIR/input.json

input.json: ``atoms`` (extxyz: the fixed template first, then the free atoms), ``free_indices``,
``box`` ({"corner", "vectors"}, Å), ``calculator`` ("EMT"), ``seed``, ``stages`` (None: go-diff's
default), ``wall_limit`` (s) and ``max_evaluations`` (None: none), ``overrides`` ({group: {key:
value}}, empty for go-diff's defaults), ``logs`` (go-diff's own log folder).

Writes to WORK_DIR: ``evaluations.extxyz`` (every structure the calculator evaluated, in
order, with its energy, evaluation number, stage, wall seconds since the search started and
the call's own seconds, appended and flushed as each call ends), ``worker.json`` (settings,
versions, per-stage seconds, stop reason; rewritten after every stage).

The search is ``GODiff(calculator, diffusion, ...).run(max_iterations=stages)`` with go-diff's
defaults everywhere (16 samples per call of agedi's 500-step Euler-Maruyama sampler; 32
structures in stage 0, then until their ESS at the stage's temperature reaches 16, at most 64;
at most 500 training steps a stage; 100 stages), except what the task and this machine need:
  * sample_config: ``template`` (the fixed atoms), ``atomic_numbers`` (the free atoms) and
    ``confinement``: the box's z range in absolute Å (go-diff confines z only; the box must
    span the whole cell in x and y, as the slab boxes of tasks.py do);
  * dataset_config: ``mask="MaskFixed"`` (the template, FixAtoms in every sample, is not
    noised in training) and the same ``confinement``, as go-diff's README sets them;
  * the diffusion model: ``agedi.create_diffusion(noisers=(WeightedConfinedCellPositions(),))``,
    the confined, Boltzmann-weighted noiser go-diff ships for slabs (agedi's default noiser
    ignores the weights go-diff trains with); every other argument at agedi's defaults (PaiNN,
    64 features, 4 blocks, 6 Å cutoff, VE SDE, no force-field head, so no guidance);
  * ``device="cpu"`` (GODiff's default is "cuda"), one torch thread;
  * ``buffer_filters=[]``: go-diff's default ``[MaxEnergyFilter(0.0)]`` keeps only structures
    below 0 eV, meant for total energies of MLIPs; every EMT energy here is positive, so the
    default empties the replay buffer, every stage skips training, and go-diff's final
    checkpoint then fails (no model was ever fit). Restore it with ``buffer.max_energy=0.0``;
  * bookkeeping only: go-diff's TensorBoard logs and checkpoints go to ``logs``; agedi's
    DataLoader worker processes are set to 0 (default min(4, cores); they only batch graphs,
    so no number changes); ``lightning.seed_everything(seed)`` as go-diff's own scripts do.
The clock starts after the imports, before the model is built. Phase seconds come from
wrapping GODiff's ``sample``, ``evaluate`` and ``train_diffusion_stage`` on the instance (and
the optimizer steps each stage took); the stage's rest (filters, buffer, go-diff's TensorBoard
figures) is ``other``.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from pathlib import Path

GROUPS = ("godiff", "sample_controller", "temperature_schedule", "buffer_controller",
          "training_controller", "sample_config", "diffusion", "buffer")


class StopSearch(Exception):
    """The wall limit or the evaluation limit is reached."""


def versions() -> dict:
    from importlib.metadata import version

    return {name: version(name) for name in ("go-diff", "agedi", "torch", "lightning", "ase", "numpy")}


def main(input_path: Path):
    spec = json.loads(input_path.read_text())
    work = input_path.parent
    import torch

    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    import numpy as np
    from ase.calculators.calculator import all_changes
    from ase.calculators.emt import EMT
    from ase.calculators.singlepoint import SinglePointCalculator
    from ase.io import read, write
    from lightning.pytorch import seed_everything

    import agedi.api.dataset
    from agedi import create_diffusion
    from go_diff import GODiff, MaxEnergyFilter
    from go_diff.controllers import (BufferController, MomentumConsensusStop, SampleController,
                                     TemperatureSchedule)
    from go_diff.noisers import WeightedConfinedCellPositions

    assert spec["calculator"] == "EMT", "the peer driver runs EMT tasks only"
    overrides = {group: spec.get("overrides", {}).get(group, {}) for group in GROUPS}
    atoms = read(spec["atoms"])
    free = np.asarray(spec["free_indices"])
    n_template = len(atoms) - len(free)
    if not np.array_equal(free, np.arange(n_template, len(atoms))):
        raise SystemExit("go-diff puts the template first: the free atoms must be the last ones")
    template = atoms[:n_template]
    template.set_constraint()
    corner, vectors = np.asarray(spec["box"]["corner"]), np.asarray(spec["box"]["vectors"])
    if not (np.allclose(corner[:2], 0) and np.allclose(vectors[:2], atoms.cell[:2])
            and np.allclose(vectors[2, :2], 0)):
        raise SystemExit("go-diff confines z only: the box must span the cell in x and y")
    confinement = [float(corner[2]), float(corner[2] + vectors[2, 2])]

    # agedi's DataLoaders: no worker processes (one core; they only batch graphs)
    dataset_class = agedi.api.dataset.Dataset
    agedi.api.dataset.Dataset = lambda *a, **k: dataset_class(*a, **{**k, "num_workers": 0})

    state = {"evaluations": 0, "stage": -1}
    stages: list[dict] = []
    wall_limit, max_evaluations = spec.get("wall_limit"), spec.get("max_evaluations")
    log = open(work / "evaluations.extxyz", "w")

    def check_limits():
        if wall_limit is not None and time.perf_counter() - started > wall_limit:
            raise StopSearch("wall_limit")
        if max_evaluations is not None and state["evaluations"] >= max_evaluations:
            raise StopSearch("max_evaluations")

    calc = EMT()
    calculate = calc.calculate

    def counted(atoms=None, properties=("energy",), system_changes=all_changes):
        check_limits()  # before the call: a stopped run evaluates nothing more
        t0 = time.perf_counter()
        calculate(atoms, properties, system_changes)
        t1 = time.perf_counter()
        state["evaluations"] += 1
        copy = atoms.copy()
        copy.set_constraint()
        copy.calc = SinglePointCalculator(copy, energy=float(calc.results["energy"]))
        copy.info.update(evaluation=state["evaluations"], stage=state["stage"],
                         wall=t1 - started, call_seconds=t1 - t0)
        write(log, copy, format="extxyz")
        log.flush()

    calc.calculate = counted
    seed_everything(spec["seed"])
    started = time.perf_counter()
    diffusion = create_diffusion(
        **{"noisers": (WeightedConfinedCellPositions(),), "device": "cpu", **overrides["diffusion"]})
    max_energy = overrides["buffer"].get("max_energy")
    settings = {
        "godiff": {"device": "cpu", **overrides["godiff"]},
        "sample_config": {"template": f"{template.get_chemical_formula()} (the task's fixed atoms)",
                          "atomic_numbers": atoms.numbers[free].tolist(),
                          "confinement": confinement, **overrides["sample_config"]},
        "dataset_config": {"mask": "MaskFixed", "confinement": confinement},
        "diffusion": {"noisers": ["WeightedConfinedCellPositions()"], "device": "cpu",
                      **overrides["diffusion"]},
        "buffer_filters": [] if max_energy is None else [f"MaxEnergyFilter({max_energy})"],
        "sample_controller": overrides["sample_controller"],
        "temperature_schedule": overrides["temperature_schedule"],
        "buffer_controller": overrides["buffer_controller"],
        "training_controller": overrides["training_controller"],
        "max_iterations": spec.get("stages") or "default",
        "note": "every key not listed is go-diff's or agedi's default",
    }
    godiff = GODiff(
        calculator=calc, diffusion=diffusion,
        temperature_schedule=TemperatureSchedule(**overrides["temperature_schedule"]),
        sample_controller=SampleController(**overrides["sample_controller"]),
        buffer_controller=BufferController(**overrides["buffer_controller"]),
        training_controller=MomentumConsensusStop(**overrides["training_controller"]),
        sample_config={"template": template, "atomic_numbers": atoms.numbers[free].tolist(),
                       "confinement": confinement, **overrides["sample_config"]},
        dataset_config={"mask": "MaskFixed", "confinement": confinement},
        trainer_config={"log_dir": spec["logs"], "name": "godiff"},
        buffer_filters=[] if max_energy is None else [MaxEnergyFilter(max_energy)],
        **{"device": "cpu", **overrides["godiff"]},
    )
    in_effect = {
        "samples_per_call": godiff.sample_batch_size,
        "max_training_steps_per_stage": godiff.max_steps_per_loop,
        "training_batch_size_for_epochs": godiff.batch_size,
        "sample_controller": vars(godiff.sample_controller),
        "temperature_schedule": {k: getattr(godiff.temperature_schedule, k) for k in ("k", "fast", "slow")},
        "buffer_controller": vars(godiff.buffer_controller),
        "training_controller": {k: getattr(godiff.training_controller, k)
                                for k in ("min_steps", "patience", "drop_factor")},
        "after_sample_filters": [f"MinDistFilter({f.min_dist})" for f in godiff.after_sample_filters],
    }

    def timed(name, function):
        def wrapper(*args, **kwargs):
            check_limits()
            t0 = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                stages[-1][name] += time.perf_counter() - t0
        return wrapper

    def sample(*args, **kwargs):
        structures = timed("sample", sample_)(*args, **kwargs)
        stages[-1]["sampled"] += len(structures)
        return structures

    def evaluate(structures, *args, **kwargs):
        stages[-1]["rejected"] = stages[-1]["sampled"] - stages[-1]["evaluated"] - len(structures)
        stages[-1]["evaluated"] += len(structures)
        return timed("evaluate", evaluate_)(structures, *args, **kwargs)

    def sample_stage(iteration, *args, **kwargs):
        if stages:
            finish_stage()
        state["stage"] = iteration
        stages.append({"stage": iteration, "sampled": 0, "rejected": 0, "evaluated": 0,
                       "sample": 0.0, "evaluate": 0.0, "train": 0.0, "completed": False,
                       "started": time.perf_counter()})
        info = sample_stage_(iteration, *args, **kwargs)
        stages[-1].update(temperature=godiff.temperature_schedule.temperature,
                          buffer_size=len(godiff.buffer), ess=info["ess"])
        if not godiff.buffer:  # go-diff skips this stage's training
            stages[-1]["completed"] = "skipped training"
        return info

    def train(*args, **kwargs):
        steps = godiff.trainer.global_step
        timed("train", train_)(*args, **kwargs)
        stages[-1].update(completed=True, train_steps=godiff.trainer.global_step - steps)

    def finish_stage(save=True):
        stage = stages[-1]
        stage["seconds"] = time.perf_counter() - stage.pop("started")
        stage["other"] = stage["seconds"] - stage["sample"] - stage["evaluate"] - stage["train"]
        if save:
            dump("running")

    sample_, evaluate_, sample_stage_ = godiff.sample, godiff.evaluate, godiff.sample_stage
    train_ = godiff.train_diffusion_stage
    godiff.sample, godiff.evaluate, godiff.sample_stage = sample, evaluate, sample_stage
    godiff.train_diffusion_stage = train

    def dump(stopped_by, error=None):
        report = {
            "settings": settings, "in_effect": in_effect, "versions": versions(),
            "seed": spec["seed"], "evaluations": state["evaluations"],
            "rejected": int(sum(s["rejected"] for s in stages)),
            "stages_completed": sum(bool(s["completed"]) for s in stages),
            "stopped_by": stopped_by, "error": error,
            "wall_seconds": time.perf_counter() - started,
            "seconds": {k: float(sum(s[k] for s in stages)) for k in ("sample", "evaluate", "train")},
            "stages": [{k: v for k, v in s.items() if k != "started"} for s in stages],
        }
        tmp = work / "worker.json.tmp"
        tmp.write_text(json.dumps(report, indent=1, default=float))
        tmp.replace(work / "worker.json")

    stopped_by, error = "max_iterations", None
    dump("running")
    try:
        godiff.run(**({"max_iterations": spec["stages"]} if spec.get("stages") else {}))
    except StopSearch as stop:
        stopped_by = str(stop)
    except Exception:
        stopped_by, error = "error", traceback.format_exc()
        print(error, file=sys.stderr)
    if stages and "started" in stages[-1]:
        finish_stage(save=False)
    log.close()
    dump(stopped_by, error)
    return 1 if error else 0


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    sys.exit(main(Path(sys.argv[1])))
