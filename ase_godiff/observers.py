"""What a search reports as it runs: every calculator call, and one summary per stage.

The trajectory, the database and the logfile are observers, as in ase.optimize: the
optimizer hands each :class:`Call` to its call observers and each :class:`StageReport`
to its stage observers, and they write. Calls read back from the database after a crash
(``recorded``) are not written again.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import ase.db
import numpy as np
from ase.io.trajectory import Trajectory

from .buffer import boltzmann_weights, effective_sample_size
from .evaluate import Evaluation

__all__ = ["Call", "DatabaseWriter", "StageLog", "StageReport", "TrajectoryWriter"]


@dataclass(frozen=True)
class Call:
    """One calculator call: its result, the stage that made it, its 1-based number, and the
    indices of the placed (generated) atoms."""

    result: Evaluation
    stage: int
    evaluation: int
    placed: tuple[int, ...]


@dataclass(frozen=True)
class StageReport:
    """One stage: kT (eV), calls so far, samples rejected, calls failed, best energy so
    far and mean of the stage (eV; NaN if none), effective sample size, wall seconds."""

    stage: int
    kT: float
    nevaluations: int
    rejected: int
    failed: int
    best: float
    mean: float
    ess: float
    seconds: float

    @classmethod
    def of(cls, state, best, energies, rejected: int, failed: int, seconds: float) -> "StageReport":
        """The report of the stage ``state`` has just run (before its counter moves on);
        ``best``: the best Atoms so far (or None), ``energies``: the stage's (eV)."""
        buffer = state.cycle_buffer
        ess = effective_sample_size(boltzmann_weights(buffer.energies, state.kT)) if len(buffer) else 0.0
        return cls(state.stage, state.kT, state.nevaluations, rejected, failed,
                   best.get_potential_energy() if best is not None else float("nan"),
                   float(np.mean(energies)) if energies else float("nan"), ess, seconds)


class TrajectoryWriter:
    """Appends every successfully evaluated structure, energy and forces attached, to an ASE trajectory."""

    def __init__(self, path, append: bool = False):
        self.path, self.mode = path, "a" if append else "w"
        self._trajectory: Trajectory | None = None

    def __call__(self, call: Call) -> None:
        if call.result.recorded or not call.result.ok:
            return
        if self._trajectory is None:  # opened at the first call: no empty file for a failed start
            self._trajectory = Trajectory(self.path, self.mode)
        self._trajectory.write(call.result.atoms)

    def close(self) -> None:
        if self._trajectory is not None:
            self._trajectory.close()
            self._trajectory = None


class DatabaseWriter:
    """Writes every call to an ASE database as soon as it returns: key-value pairs stage,
    evaluation and status ('ok', or 'failed' with the error); data: the placed indices."""

    def __init__(self, path):
        self.path = path
        self.database = ase.db.connect(str(path))

    def __call__(self, call: Call) -> None:
        if call.result.recorded:
            return
        result = call.result
        status = {"status": "ok"} if result.ok else {"status": "failed", "error": result.error[:500]}
        self.database.write(result.atoms, stage=call.stage, evaluation=call.evaluation,
                            data={"placed": np.array(call.placed)}, **status)

    def close(self) -> None:
        pass


class StageLog:
    """One line per stage, ASE style: ``'-'`` is stdout, a path is appended to, an open
    file is written to and left open."""

    def __init__(self, logfile):
        self._owned = isinstance(logfile, (str, bytes)) and logfile != "-" or hasattr(logfile, "__fspath__")
        self.file = sys.stdout if logfile == "-" else open(logfile, "a") if self._owned else logfile
        self._header_written = False

    def __call__(self, report: StageReport) -> None:
        if not self._header_written:
            self.file.write(f"{'':8s}{'stage':>6s} {'kT/eV':>8s} {'evals':>7s} {'rejected':>8s} "
                            f"{'failed':>6s} {'best/eV':>12s} {'mean/eV':>12s} {'ESS':>7s} {'time/s':>7s}\n")
            self._header_written = True
        r = report
        self.file.write(f"GODiff: {r.stage:6d} {r.kT:8.4f} {r.nevaluations:7d} {r.rejected:8d} "
                        f"{r.failed:6d} {r.best:12.4f} {r.mean:12.4f} {r.ess:7.1f} {r.seconds:7.1f}\n")
        self.file.flush()

    def close(self) -> None:
        if self._owned:
            self.file.close()
