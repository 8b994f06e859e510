"""Temperature schedules: kT (eV) for each stage of the search."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["ExponentialSchedule"]


@dataclass(frozen=True)
class ExponentialSchedule:
    """kT lowered geometrically from ``kT_start`` to ``kT_end`` (eV) over ``stages`` stages."""

    kT_start: float
    kT_end: float
    stages: int

    def __post_init__(self):
        if not (self.kT_start > 0 and self.kT_end > 0):
            raise ValueError("temperatures kT_start and kT_end must be positive (eV)")
        if self.stages < 1:
            raise ValueError("the schedule needs at least one stage")

    def kT(self, stage: int) -> float:
        if self.stages == 1:
            return self.kT_end
        fraction = min(stage, self.stages - 1) / (self.stages - 1)
        return float(self.kT_start * (self.kT_end / self.kT_start) ** fraction)

    def values(self) -> np.ndarray:
        return np.array([self.kT(i) for i in range(self.stages)])
