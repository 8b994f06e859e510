"""GODiffOptimizer: the GO-Diff search loop behind an ASE-style optimizer interface.

Each stage samples structures by reverse diffusion, rejects those with atoms too close,
evaluates the rest with the calculator, keeps every evaluated structure, draws a training
buffer by Boltzmann weights at the stage's kT and trains the score model on it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import partial

import numpy as np
from ase import Atoms

from .buffer import boltzmann_weights, effective_sample_size
from .evaluate import Evaluation, distinct_lowest, evaluate, evaluate_many, relax
from .initial_state import DTYPE, initial_state, resolve_device
from .learner import Learner
from . import model_io
from .nn.score import ScoreNetConfig
from .observers import Call, StageReport
from .run_files import RunFiles
from .schedule import make_schedule
from .settings import SearchSettings
from .space import Box, SearchSpace
from .space_tensors import SpaceTensors

__all__ = ["GODiffOptimizer", "SearchStalledError"]

log = logging.getLogger(__name__)

IDLE_LIMIT = 3  # consecutive stages that evaluate nothing new before the search stops


class SearchStalledError(RuntimeError):
    """Several stages in a row evaluated no new structure; the message says why."""


class GODiffOptimizer:
    """Global optimisation of the free atoms of ``atoms`` by GO-Diff (arXiv 2510.13448).

    Args:
        atoms: template atoms fixed by ``FixAtoms`` plus the free atoms to place.
        calc: any ASE calculator; one call per evaluated structure.
        settings: a :class:`SearchSettings`; keyword ``overrides`` change single fields
            (e.g. ``stages=10``).
        network: the score network's architecture (for a new model).
        model: warm start from a pretrained model: a zoo name (``"pt111-adatom"``), a Hub
            repo id ``"user/name[@revision]"``, or a local model folder. The first stage
            then samples from the model instead of the prior.
        box: the generation box (:class:`Box`); default: see :class:`SearchSpace`.
        seed: the one seed of every random draw; same seed, same result on a CPU.
        logfile: ``'-'`` for stdout, a path, an open file, or None for silence.
        trajectory: a path; every evaluated structure is appended with its energy and forces.
        database: a path to an ASE database (``ase.db``); every calculator call becomes a
            row with key-value pairs stage, evaluation and status ('ok' or 'failed', with
            the error). Written only by this process, never by evaluation workers.
        device: where the score network runs: ``"cpu"`` (default), ``"cuda"``, or
            ``"auto"`` (a GPU when there is one). Random draws stay on the CPU generator,
            so a seed gives the same draws on any device.
        executor: a ``concurrent.futures.Executor`` that evaluates a stage's structures in
            parallel (a process pool, or Dask: ``client.get_executor()``).
        restart: a run folder, locked to this search: a checkpoint is written there after
            every stage and every call goes to its ``search.db`` (unless ``database`` is
            given). A search created with the same atoms, box, network, model, settings and
            seed continues from it exactly, reusing the calls already made; another search
            is refused with the differences named.
    """

    def __init__(self, atoms: Atoms, calc, *, settings: SearchSettings | None = None,
                 network: ScoreNetConfig | None = None, box: Box | None = None, seed: int = 0,
                 logfile=None, trajectory: str | None = None, database: str | None = None,
                 model=None, restart=None, executor=None, device: str = "cpu", **overrides):
        if calc is None:
            raise ValueError("no calculator: pass an ASE calculator, e.g. EMT() from ase.calculators.emt")
        requested = (settings or SearchSettings()).with_overrides(**overrides)
        self.space = SearchSpace(atoms, box=box, min_distance_ratio=requested.min_distance_ratio)
        self.settings = s = requested.for_free_atoms(self.space.n_free)
        self.calc, self.executor, self.seed = calc, executor, int(seed)
        self.model_source = None if model is None else str(model)
        self.device = resolve_device(device)
        self.state, self.model_origin = initial_state(
            n_free=self.space.n_free, seed=self.seed, learning_rate=s.learning_rate,
            network=network, model=model, device=self.device)
        self.network_config = self.state.model.config
        tensors = SpaceTensors.from_space(self.space, self.network_config, DTYPE, self.device)
        self.learner = Learner(self.space, s, tensors, DTYPE, self.device)
        self.schedule = make_schedule(s.schedule, kT_start=s.kT_start, kT_end=s.kT_end, stages=s.stages,
                                      target_ess=s.target_ess_fraction * s.buffer_size)
        self._observers: list[tuple] = []
        self.files = RunFiles(self.todict(), logfile=logfile, trajectory=trajectory,
                              database=database, restart=restart)
        self.files.restore(self.state)
        self._best = self.state.buffer.best_atoms(self.space)

    # ------------------------------------------------------------------ ASE contract
    def attach(self, function: Callable, interval: int = 1, *args, **kwargs) -> None:
        """Call ``function(*args, **kwargs)`` after every ``interval``-th stage."""
        if not callable(function):
            function = function.write
        self._observers.append((function, interval, args, kwargs))

    def attach_evaluation(self, function: Callable[[Call], None]) -> None:
        """Call ``function(call)`` after every calculator call (:class:`~ase_godiff.observers.Call`)."""
        self.files.call_observers.append(function)

    def irun(self, steps: int | None = None, max_evaluations: int | None = None,
             max_seconds: float | None = None):
        """Run stages (the last one followed by the polish), yielding after each whether the run has ended.

        Args:
            steps: at most this many stages (default: to the end of the schedule).
            max_evaluations: stop once this many calculator calls have been made; the
                last stage is shortened so the count is never exceeded.
            max_seconds: do not start a stage that would, at the pace of the last one,
                end after this many seconds from the call (a batch job's wall limit).
        """
        started, done, state = time.perf_counter(), 0, self.state
        while not self.finished and (steps is None or done < steps):
            budget = None if max_evaluations is None else max_evaluations - state.nevaluations
            if budget is not None and budget <= 0:
                break
            if state.stage < self.settings.stages:
                if max_seconds is not None and state.timings:
                    elapsed, last = time.perf_counter() - started, sum(state.timings[-1].values())
                    if elapsed + last > max_seconds:
                        log.info("stopping before stage %d: the time limit would be passed", state.stage)
                        break
                self.step(max_samples=budget)
            over_budget = max_evaluations is not None and state.nevaluations >= max_evaluations
            if state.stage == self.settings.stages and not over_budget:
                self.polish(max_evaluations)
            done += 1
            yield self.finished or over_budget
            if over_budget:
                break

    def run(self, steps: int | None = None, max_evaluations: int | None = None,
            max_seconds: float | None = None) -> Atoms:
        """Run the search; returns the lowest-energy structure found (energy and forces attached)."""
        for _ in self.irun(steps=steps, max_evaluations=max_evaluations, max_seconds=max_seconds):
            pass
        return self.get_minimum()[1]

    @property
    def finished(self) -> bool:
        """Every stage has run, and the polish too."""
        return self.state.stage >= self.settings.stages and self.state.polished

    def get_minimum(self) -> tuple[float, Atoms]:
        """(energy in eV, structure) of the best evaluated structure."""
        if self._best is None:
            failures = self.state.failures
            detail = f" (first failure: {failures[0]['error']})" if failures else ""
            raise RuntimeError(f"no structure has been evaluated successfully yet{detail}")
        best = self._best.copy()
        best.calc = self._best.calc.__class__(best, **self._best.calc.results)
        return self._best.get_potential_energy(), best

    def todict(self) -> dict:
        return {"type": "optimization", "optimizer": type(self).__name__, "seed": self.seed,
                "atoms": self.space.describe(), "settings": self.settings.to_dict(),
                "network": self.network_config.to_dict(), "model": self.model_source,
                "model_origin": self.model_origin,
                "box": {"corner": self.space.box.corner.tolist(),
                        "vectors": self.space.box.vectors.tolist()}}

    def save_model(self, folder, *, name: str | None = None, description: str = "",
                   benchmark: str = "") -> None:
        """Write the current model as a folder (config, safetensors weights, model card)."""
        s, state = self.settings, self.state
        card = model_io.search_card(
            name=name or str(folder).rstrip("/").split("/")[-1], description=description,
            atoms=self.space.atoms, free_indices=self.space.free_indices,
            energy_function=type(self.calc).__name__,
            temperatures=f"{s.kT_start} to {state.kT or s.kT_end or 'none yet'} ({s.schedule})",
            evaluations=state.nevaluations, benchmark=benchmark,
            best_energy=float(state.buffer.energies.min()) if len(state.buffer) else None)
        model_io.save_model(state.model, folder, card)

    def close(self) -> None:
        self.files.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ------------------------------------------------------------------ one stage
    def step(self, max_samples: int | None = None) -> None:
        """One stage: sample, reject, evaluate, record, draw the buffer, train."""
        s, state = self.settings, self.state
        started = time.perf_counter()
        n_samples = s.samples_per_stage if max_samples is None else min(s.samples_per_stage, max_samples)
        candidates = [x for x in self.sample(n_samples)
                      if np.all(np.isfinite(x)) and not self.space.too_close(x)]
        rejected = n_samples - len(candidates)
        sampled = time.perf_counter()
        structures = [self.space.to_atoms(x) for x in candidates]
        evaluate_all = partial(evaluate_many, calc=self.calc, executor=self.executor)
        results = self.files.replay_or_evaluate(state.stage, structures, evaluate_all)
        energies = [result.energy for result in results if self._book(result)]
        evaluated = time.perf_counter()
        state.nrejected += rejected
        state.kT = self.schedule.kT(state.stage, state.buffer.energies if len(state.buffer) else None,
                                    state.kT)
        if len(state.buffer) and s.train_steps:
            self.learner.train(state, state.kT)
        state.timings.append({"sample": sampled - started, "evaluate": evaluated - sampled,
                              "train": time.perf_counter() - evaluated})
        self._report(energies, rejected, len(candidates) - len(energies), time.perf_counter() - started)
        state.stage += 1
        self.files.stage_done(state, state.stage - 1)
        for function, interval, args, kwargs in self._observers:
            if state.stage % interval == 0:
                function(*args, **kwargs)
        self._check_progress(energies, rejected, n_samples)

    def sample(self, n_samples: int) -> np.ndarray:
        """Free positions (n_samples, n_free, 3) in Å: reverse diffusion, or the prior before training."""
        return self.learner.sample(self.state, n_samples)

    def polish(self, max_evaluations: int | None = None) -> None:
        """Relax the ``relax_top`` best distinct structures with BFGS; every call is recorded."""
        s, state = self.settings, self.state
        starts = [state.buffer.positions[i] for i in distinct_lowest(state.buffer.energies, s.relax_top)]
        for start in starts if s.relax_top else []:
            for result in relax(self.space.to_atoms(start), self._evaluate_one, fmax=s.relax_fmax,
                                steps=s.relax_steps):
                if max_evaluations is not None and state.nevaluations >= max_evaluations:
                    break
                self._book(result)
        state.polished = True
        self.files.stage_done(state, state.stage)

    # ------------------------------------------------------------------ internals
    def _evaluate_one(self, atoms: Atoms) -> Evaluation:
        return self.files.replay(self.state.stage, atoms) or evaluate(atoms, self.calc)

    def _book(self, result) -> bool:
        """Count one calculator call, hand it to the observers, keep a success; True on success."""
        state = self.state
        state.nevaluations += 1
        self.files.record(Call(result, state.stage, state.nevaluations, tuple(self.space.free_indices.tolist())))
        if not result.ok:
            state.failures.append({"stage": state.stage, "evaluation": state.nevaluations,
                                   "error": result.error})
            return False
        free_forces = result.forces[self.space.free_indices]
        state.buffer.add(self.space.free_positions_of(result.atoms), result.energy, free_forces,
                         state.stage, state.nevaluations)
        if self._best is None or result.energy < self._best.get_potential_energy():
            self._best = result.atoms
        return True

    def _report(self, energies, rejected: int, failed: int, seconds: float) -> None:
        state = self.state
        ess = effective_sample_size(boltzmann_weights(state.buffer.energies, state.kT)) if len(state.buffer) else 0.0
        best = self._best.get_potential_energy() if self._best is not None else float("nan")
        log.info("stage %d kT %.4g eV: %d evaluations, best %.4f eV", state.stage, state.kT,
                 state.nevaluations, best)
        self.files.report(StageReport(state.stage, state.kT, state.nevaluations, rejected, failed, best,
                                      float(np.mean(energies)) if energies else float("nan"), ess, seconds))

    def _check_progress(self, energies, rejected: int, n_samples: int) -> None:
        """Warn about a stage that evaluated nothing new; stop after IDLE_LIMIT such stages."""
        state = self.state
        state.idle_stages = 0 if energies else state.idle_stages + 1
        if not state.idle_stages or not n_samples:
            return
        reason = (f"all {n_samples} samples had atoms too close" if rejected == n_samples
                  else f"{rejected} of {n_samples} samples had atoms too close and every other "
                       f"calculator call failed")
        log.warning("stage %d evaluated no new structure: %s", state.stage - 1, reason)
        if state.idle_stages >= IDLE_LIMIT:
            raise SearchStalledError(
                f"the search stalled: {state.idle_stages} stages in a row evaluated no new structure "
                f"(last: {reason}); the model has collapsed or the calculator fails: look at the "
                "failures, give a larger box, or a lower min_distance_ratio")

