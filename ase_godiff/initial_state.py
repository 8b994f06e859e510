"""A new search's state: the model (new, or a warm start), its device, the seeded generators."""

from __future__ import annotations

import logging

import numpy as np
import torch

from .buffer import ReplayBuffer
from .model_io import load_model, trained_elements
from .nn.score import ScoreNetConfig, ScoreNetwork
from .state import SearchState
from .zoo import resolve_model

__all__ = ["DTYPE", "initial_state", "resolve_device"]

log = logging.getLogger(__name__)

DTYPE = torch.float32


def initial_state(*, n_free: int, seed: int, learning_rate: float, network: ScoreNetConfig | None,
                  model, device: torch.device, elements=()) -> tuple[SearchState, str | None]:
    """The state before the first stage, and where its model came from: 'zoo', 'hub',
    'shipped' or 'local' (None: a new model).

    ``model``: a zoo name, a Hub repo id or a model folder to warm-start from; ``network``:
    the architecture of a new model (default: :meth:`ScoreNetConfig.for_free_atoms`). The
    model is built on the CPU from ``seed``.
    ``elements``: the system's chemical symbols; those a pretrained model never saw are logged.
    """
    if model is not None and network is not None:
        raise ValueError("give either network= (a new model) or model= (a pretrained one)")
    numpy_seed, torch_seed = np.random.SeedSequence(seed).spawn(2)
    source = None
    if model is not None:
        pulled = resolve_model(model)
        if pulled.note:
            log.warning(pulled.note)
        score_model, source = load_model(pulled.path), pulled.origin
        _note_new_elements(model, trained_elements(pulled.path), elements)
    else:
        with torch.random.fork_rng():
            torch.manual_seed(seed)
            score_model = ScoreNetwork(network or ScoreNetConfig.for_free_atoms(n_free)).eval()
    score_model.to(device=device, dtype=DTYPE)  # whatever torch's default dtype (MACE sets float64)
    state = SearchState(
        model=score_model,
        torch_optimizer=torch.optim.AdamW(score_model.parameters(), lr=learning_rate),
        rng=np.random.default_rng(numpy_seed),
        generator=torch.Generator().manual_seed(int(torch_seed.generate_state(1)[0])),
        buffer=ReplayBuffer(n_free),
        model_trained=model is not None)
    return state, source


def _note_new_elements(model, trained: list[str] | None, elements) -> None:
    new = sorted(set(elements) - set(trained or ()))
    if trained and new:
        log.warning("model %s was trained on %s; new to it: %s (embeddings that start "
                    "untrained and are learnt by this search)", model, ", ".join(trained),
                    ", ".join(new))


def resolve_device(device: str) -> torch.device:
    """``'cpu'``, ``'cuda'`` (or ``'cuda:N'``), or ``'auto'`` (a GPU when torch sees one)."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(f"unknown device {device!r}: use 'cpu', 'cuda' or 'auto'") from None
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} asked for, but torch sees no GPU: use 'cpu' or 'auto'")
    return resolved
