"""SearchState: everything a search changes as it runs, and all a checkpoint needs."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from .buffer import ReplayBuffer
from .nn.score import ScoreNetwork

__all__ = ["SearchState"]


@dataclass
class SearchState:
    """The model and its torch optimizer, the random generators, every evaluated structure,
    and the counters: ``stage`` (completed stages), ``nevaluations`` (calculator calls),
    ``nrejected`` (samples refused before evaluation), ``kT`` (eV, the last stage's),
    ``polished`` (the final relaxation has run), ``idle_stages`` (consecutive stages that
    evaluated no new structure), ``failures`` and per-stage ``timings`` (s); ``cycle`` (the
    anneals completed before this one) and ``cycle_start`` (the buffer index where this
    cycle's structures begin: :attr:`cycle_buffer`)."""

    model: ScoreNetwork
    torch_optimizer: torch.optim.Optimizer
    rng: np.random.Generator
    generator: torch.Generator
    buffer: ReplayBuffer
    model_trained: bool = False
    stage: int = 0
    nevaluations: int = 0
    nrejected: int = 0
    kT: float | None = None
    polished: bool = False
    idle_stages: int = 0
    failures: list[dict] = field(default_factory=list)
    timings: list[dict] = field(default_factory=list)
    cycle: int = 0
    cycle_start: int = 0

    COUNTERS = ("model_trained", "stage", "nevaluations", "nrejected", "kT", "polished",
                "idle_stages", "failures", "timings", "cycle", "cycle_start")
    COUNTERS_ADDED = {"cycle": 0, "cycle_start": 0}  # a checkpoint written before them: the first cycle

    @property
    def cycle_buffer(self) -> ReplayBuffer:
        """The structures this cycle evaluated: what it trains on and starts from."""
        return self.buffer.since(self.cycle_start)

    def counters(self) -> dict:
        """The JSON-serialisable part of the state."""
        return {name: getattr(self, name) for name in self.COUNTERS}
