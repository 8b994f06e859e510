"""Stage checkpoints: a SearchState on disk, written atomically, read back exactly.

``DIR/checkpoint`` holds the model (safetensors), the torch optimizer's state (tensors
only, loaded with ``weights_only=True``), every evaluated structure (npz), the random
generators' states, the counters and the description of the search (JSON). It is written
beside the old one and swapped in with a rename, so a kill at any moment leaves one
complete checkpoint.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from .nn.score import with_force_scale
from .state import SearchState

__all__ = ["CheckpointError", "find_checkpoint", "load_checkpoint", "save_checkpoint"]

FOLDER = "checkpoint"
STATE_FILE = "state.json"


class CheckpointError(ValueError):
    """A checkpoint file is missing or damaged; the message names it and the fix."""


def save_checkpoint(state: SearchState, search: dict, directory) -> Path:
    """Write ``state`` (after a completed stage) and the ``search`` description into ``directory``."""
    directory = Path(directory)
    final, staging = directory / FOLDER, directory / f"{FOLDER}.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    weights = {k: v.detach().cpu().contiguous() for k, v in state.model.state_dict().items()}
    save_file(weights, str(staging / "model.safetensors"))
    torch.save(state.torch_optimizer.state_dict(), staging / "optimizer.pt")
    torch.save(state.generator.get_state(), staging / "torch_generator.pt")
    buffer = state.buffer
    np.savez(staging / "buffer.npz", positions=buffer.positions, forces=buffer.forces,
             energies=buffer.energies, stages=buffer.stages, evaluations=buffer.evaluations)
    meta = {**state.counters(), "numpy_rng": state.rng.bit_generator.state, "search": search}
    (staging / STATE_FILE).write_text(json.dumps(meta, indent=1))
    backup = directory / f"{FOLDER}.old"
    shutil.rmtree(backup, ignore_errors=True)
    if final.exists():
        final.rename(backup)
    staging.rename(final)
    shutil.rmtree(backup, ignore_errors=True)
    return final


def find_checkpoint(directory) -> Path | None:
    """The complete checkpoint folder in ``directory`` (the backup after a kill between the
    two renames), or None."""
    for name in (FOLDER, f"{FOLDER}.old"):
        folder = Path(directory) / name
        if (folder / STATE_FILE).is_file():
            return folder
    return None


def load_checkpoint(state: SearchState, folder: Path) -> dict:
    """Restore ``state`` (built for the same search) from a checkpoint folder; returns the
    search description saved with it. CheckpointError names a damaged file."""
    meta = _read(folder, STATE_FILE, lambda path: json.loads(path.read_text()))
    if not isinstance(meta, dict) or "search" not in meta:
        raise _damaged(folder, STATE_FILE, "it holds no search state")
    weights = _read(folder, "model.safetensors", lambda path: with_force_scale(load_file(str(path))))
    optimizer = _read(folder, "optimizer.pt", lambda path: torch.load(
        path, weights_only=True, map_location=next(state.model.parameters()).device))
    generator = _read(folder, "torch_generator.pt", lambda path: torch.load(path, weights_only=True))
    data = _read(folder, "buffer.npz", lambda path: dict(np.load(path)))
    try:
        state.model.load_state_dict(weights, strict=True)
        state.torch_optimizer.load_state_dict(optimizer)
        state.generator.set_state(generator)
        state.rng.bit_generator.state = meta["numpy_rng"]
        for i in range(len(data["energies"])):
            state.buffer.add(data["positions"][i], data["energies"][i], data["forces"][i],
                             data["stages"][i], data["evaluations"][i])
        for name in SearchState.COUNTERS:
            setattr(state, name, meta[name] if name in meta else SearchState.COUNTERS_ADDED[name])
    except (KeyError, ValueError, RuntimeError, TypeError) as error:
        raise _damaged(folder, STATE_FILE, f"{type(error).__name__}: {error}") from None
    return meta["search"]


def _read(folder: Path, name: str, reader):
    try:
        return reader(folder / name)
    except Exception as error:  # a truncated or missing file, whatever the format's error
        first_line = (str(error).splitlines() or [""])[0]
        raise _damaged(folder, name, f"{type(error).__name__}: {first_line}") from None


def _damaged(folder: Path, name: str, reason: str) -> CheckpointError:
    return CheckpointError(f"the checkpoint file {folder / name} is damaged or missing ({reason}); "
                           f"remove {folder} to resume from the calls in the run's database")
