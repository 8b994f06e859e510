"""Search settings: one dataclass, validated, with defaults planned for a 2-core CPU."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace

__all__ = ["SearchSettings", "stage_size_for"]

SAMPLES_PER_FREE_ATOM = 4
SMALLEST_STAGE, LARGEST_STAGE = 8, 128


def stage_size_for(n_free: int) -> int:
    """Samples per stage when none is set: 4 per free atom, rounded up to a power of two,
    from 8 to 128 (one adatom: 8; seven atoms: 32). Small stages retrain often, which is
    what a small system needs (docs/benchmarks.md)."""
    wanted = SAMPLES_PER_FREE_ATOM * max(int(n_free), 1)
    return min(LARGEST_STAGE, max(SMALLEST_STAGE, 1 << math.ceil(math.log2(wanted))))


@dataclass(frozen=True)
class SearchSettings:
    """Everything the GO-Diff loop needs besides the system and the network.

    Temperatures kT in eV, noise scales in Å. ``schedule``: ``exponential`` (kT from
    ``kT_start`` to ``kT_end``, default 0.02 eV) or ``adaptive`` (below ``kT_start``, and
    above ``kT_end`` only if one is set, each stage's kT gives the weights of all
    evaluated structures an effective sample size of ``target_ess_fraction`` x
    ``buffer_size``). ``samples_per_stage`` and ``buffer_size`` left at None follow the
    system (:meth:`for_free_atoms`): :func:`stage_size_for` samples, a buffer as large.
    ``guidance`` (Å^2/eV) scales the force-field corrector step alpha (1 - t) F_theta(x)
    after every reverse step (0: off); the force head is fitted to every evaluated
    structure's forces, each atom's force clipped to ``force_clip`` eV/Å. ``relax_top`` > 0
    relaxes that many of the best distinct structures with BFGS (to ``relax_fmax`` eV/Å,
    at most ``relax_steps`` steps) after the last stage; every force call counts as an
    evaluation. The paper's values, where ours differ: 8,000 training steps per stage at
    learning rate 1e-4 and 500 reverse steps (a GPU budget); ours reach the same
    structures on a CPU with fewer, larger steps (``docs/benchmarks.md``).
    """

    stages: int = 40
    samples_per_stage: int | None = None
    buffer_size: int | None = None
    kT_start: float = 5.0
    kT_end: float | None = None
    schedule: str = "adaptive"
    target_ess_fraction: float = 0.5
    train_steps: int = 300
    batch_size: int = 16
    learning_rate: float = 1e-3
    grad_clip: float = 10.0
    sampling_steps: int = 100
    t_min: float = 0.005
    sigma_min: float = 0.01
    sigma_max: float = 5.0
    noise_schedule: str = "geometric"
    min_distance_ratio: float = 0.5
    guidance: float = 0.2
    force_weight: float = 1.0
    force_clip: float = 5.0
    relax_top: int = 0
    relax_fmax: float = 0.05
    relax_steps: int = 100

    def __post_init__(self):
        positive = ("stages", "samples_per_stage", "buffer_size", "batch_size", "sampling_steps")
        for name in positive:
            if getattr(self, name) is not None and getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.relax_top < 0 or self.relax_steps < 1 or self.relax_fmax <= 0:
            raise ValueError("relax_top must be >= 0, relax_steps >= 1 and relax_fmax > 0 (eV/Å)")
        if self.train_steps < 0:
            raise ValueError(f"train_steps must be >= 0, got {self.train_steps}")
        if self.kT_start <= 0 or (self.kT_end is not None and self.kT_end <= 0):
            raise ValueError("kT_start and kT_end must be positive temperatures in eV")
        if not 0.0 < self.target_ess_fraction <= 1.0:
            raise ValueError("target_ess_fraction must lie in (0, 1]")
        if not 0.0 < self.t_min < 1.0:
            raise ValueError("t_min must lie in (0, 1)")
        if self.guidance < 0 or self.force_weight < 0 or self.force_clip <= 0:
            raise ValueError("guidance and force_weight must be >= 0 and force_clip > 0 (eV/Å)")
        if self.learning_rate <= 0:
            raise ValueError("learning_rate must be positive")

    def with_overrides(self, **overrides) -> "SearchSettings":
        """A copy with some fields changed; an unknown name is a ValueError listing the known ones."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise ValueError(f"unknown search setting(s) {unknown}: known are {sorted(known)}")
        return replace(self, **overrides)

    def for_free_atoms(self, n_free: int) -> "SearchSettings":
        """A copy with the stage and buffer sizes left at None set for ``n_free`` free atoms."""
        samples = self.samples_per_stage or stage_size_for(n_free)
        return replace(self, samples_per_stage=samples, buffer_size=self.buffer_size or samples)

    def to_dict(self) -> dict:
        return asdict(self)
