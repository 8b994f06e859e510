"""Temperature schedules: kT (eV) for each stage of the search.

``ExponentialSchedule`` lowers kT geometrically (the paper's schedule). ``AdaptiveSchedule``
needs no hand tuning: each stage it picks the kT at which the Boltzmann weights of all
evaluated structures have a target effective sample size, so the same settings work for
energies in eV (Pt clusters) and in meV (Lennard-Jones argon): it has no floor in eV.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from .buffer import boltzmann_weights, effective_sample_size

__all__ = ["AdaptiveSchedule", "ExponentialSchedule", "make_schedule"]

SCHEDULES = ("adaptive", "exponential")
EXPONENTIAL_KT_END = 0.02  # eV: the exponential schedule's last kT unless one is given
LOWEST_KT_FRACTION = 1e-9  # adaptive, no floor given: bisection bound, x the ceiling
COLLAPSED_ESS = 2.0  # structures: below this at the ceiling, training would copy one structure
HIGHEST_KT_FACTOR = 1e9  # adaptive, collapse: bisection bound, x the ceiling

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExponentialSchedule:
    """kT lowered geometrically from ``kT_start`` to ``kT_end`` (eV) over ``stages`` stages."""

    kT_start: float
    kT_end: float
    stages: int

    def __post_init__(self):
        _check_temperatures(self.kT_start, self.kT_end)
        if self.stages < 1:
            raise ValueError("the schedule needs at least one stage")

    def kT(self, stage: int, energies: np.ndarray | None = None, previous: float | None = None) -> float:
        if self.stages == 1:
            return self.kT_end
        fraction = min(stage, self.stages - 1) / (self.stages - 1)
        return float(self.kT_start * (self.kT_end / self.kT_start) ** fraction)


@dataclass(frozen=True)
class AdaptiveSchedule:
    """kT such that the weights of all evaluated energies have ESS = ``target_ess`` structures.

    kT never rises from one stage to the next and never exceeds ``kT_start`` (eV); when
    fewer than ``target_ess`` structures exist yet, kT = kT_start. ``kT_end`` (eV), if
    given, is a floor; by default there is none, so no energy scale is built in.
    """

    kT_start: float
    kT_end: float | None
    target_ess: float

    def __post_init__(self):
        _check_temperatures(self.kT_start, self.kT_end)
        if self.target_ess < 1:
            raise ValueError("the target effective sample size must be at least 1 structure")

    def kT(self, stage: int, energies: np.ndarray | None = None, previous: float | None = None) -> float:
        ceiling = self.kT_start if previous is None else min(previous, self.kT_start)
        if energies is None or len(energies) <= self.target_ess:
            return ceiling
        ess = lambda kT: effective_sample_size(boltzmann_weights(energies, kT))  # noqa: E731
        at_ceiling = ess(ceiling)
        if at_ceiling < COLLAPSED_ESS and ceiling >= self.kT_start:  # not yet cooled: collapse
            kT = _kT_for_ess(ess, COLLAPSED_ESS, ceiling, ceiling * HIGHEST_KT_FACTOR)
            log.warning("stage %d: the energies spread over %.4g eV, so at kT %.4g eV the "
                        "training buffer holds %.2f effective structures; kT raised to %.4g eV "
                        "for this stage", stage, np.ptp(energies), ceiling, at_ceiling, kT)
            return kT
        if at_ceiling <= self.target_ess:
            return ceiling
        floor = self.kT_end if self.kT_end is not None else ceiling * LOWEST_KT_FRACTION
        if ess(floor) >= self.target_ess:
            return floor
        return _kT_for_ess(ess, self.target_ess, floor, ceiling)


def _kT_for_ess(ess, target: float, low: float, high: float) -> float:
    """The lowest kT in [low, high] (eV) with ess(kT) >= target: bisection on log kT (ESS
    grows with kT); ``high`` if none is lower."""
    low, high = np.log(low), np.log(high)
    for _ in range(50):
        middle = 0.5 * (low + high)
        low, high = (middle, high) if ess(np.exp(middle)) < target else (low, middle)
    return float(np.exp(high))


def _check_temperatures(kT_start: float, kT_end: float | None) -> None:
    if not (kT_start > 0 and (kT_end is None or kT_end > 0)):
        raise ValueError("temperatures kT_start and kT_end must be positive (eV)")


def make_schedule(kind: str, *, kT_start: float, kT_end: float | None, stages: int,
                  target_ess: float):
    """The schedule ``kind``; ``kT_end`` None: 0.02 eV for the exponential one, no floor for
    the adaptive one."""
    if kind == "exponential":
        return ExponentialSchedule(kT_start, EXPONENTIAL_KT_END if kT_end is None else kT_end, stages)
    if kind == "adaptive":
        return AdaptiveSchedule(kT_start, kT_end, target_ess)
    raise ValueError(f"unknown temperature schedule {kind!r}: choose one of {SCHEDULES}")
