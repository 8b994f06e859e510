"""Stage checkpoints and exact resume.

After every stage the whole search state goes into ``DIR/checkpoint``: the model
(safetensors), the torch optimizer's state (tensors only, loaded with
``weights_only=True``), every evaluated structure (npz), the random generators' states,
the stage counters and the failures (JSON). The folder is written beside the old one and
swapped in with a rename, so a kill at any moment leaves one complete checkpoint.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file

__all__ = ["load_checkpoint", "save_checkpoint"]

FOLDER = "checkpoint"


def save_checkpoint(opt, directory) -> Path:
    """Write the state of GODiffOptimizer ``opt`` after its last completed stage."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    final, staging = directory / FOLDER, directory / f"{FOLDER}.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    state = {k: v.detach().cpu().contiguous() for k, v in opt.model.state_dict().items()}
    save_file(state, str(staging / "model.safetensors"))
    torch.save(opt.torch_optimizer.state_dict(), staging / "optimizer.pt")
    torch.save(opt.generator.get_state(), staging / "torch_generator.pt")
    buffer = opt.buffer
    np.savez(staging / "buffer.npz", positions=buffer.positions, forces=buffer.forces,
             energies=buffer.energies, stages=buffer.stages, evaluations=buffer.evaluations)
    meta = {"stage": opt.stage, "nevaluations": opt.nevaluations, "nrejected": opt.nrejected,
            "kT": opt.kT, "model_trained": opt.model_trained, "failures": opt.failures,
            "timings": opt.timings, "numpy_rng": opt.rng.bit_generator.state,
            "run": opt.todict()}
    (staging / "state.json").write_text(json.dumps(meta, indent=1))
    backup = directory / f"{FOLDER}.old"
    shutil.rmtree(backup, ignore_errors=True)
    if final.exists():
        final.rename(backup)
    staging.rename(final)
    shutil.rmtree(backup, ignore_errors=True)
    return final


def load_checkpoint(opt, directory) -> None:
    """Restore ``opt`` (built with the same atoms, settings and seed) from ``directory``."""
    folder = Path(directory) / FOLDER
    if not (folder / "state.json").is_file():
        backup = Path(directory) / f"{FOLDER}.old"  # a kill between the two renames
        if not (backup / "state.json").is_file():
            raise ValueError(f"no checkpoint in {directory}: resume needs the run folder of a "
                             "search started with restart=DIR")
        folder = backup
    meta = json.loads((folder / "state.json").read_text())
    if meta["run"]["settings"] != opt.settings.to_dict() or meta["run"]["seed"] != opt.seed:
        raise ValueError(f"the checkpoint in {directory} belongs to a search with other settings "
                         "or another seed: resume with the same settings and seed")
    opt.model.load_state_dict(load_file(str(folder / "model.safetensors")), strict=True)
    opt.torch_optimizer.load_state_dict(
        torch.load(folder / "optimizer.pt", weights_only=True, map_location=opt.device))
    opt.generator.set_state(torch.load(folder / "torch_generator.pt", weights_only=True))
    opt.rng.bit_generator.state = meta["numpy_rng"]
    data = np.load(folder / "buffer.npz")
    for i in range(len(data["energies"])):
        opt.buffer.add(data["positions"][i], data["energies"][i], data["forces"][i],
                       data["stages"][i], data["evaluations"][i])
    opt.stage, opt.nevaluations, opt.nrejected = meta["stage"], meta["nevaluations"], meta["nrejected"]
    opt.kT, opt.model_trained = meta["kT"], meta["model_trained"]
    opt.failures, opt.timings = meta["failures"], meta["timings"]
