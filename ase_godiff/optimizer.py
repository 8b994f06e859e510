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
import torch
from ase import Atoms

from .evaluate import Evaluation, distinct_lowest, evaluate, evaluate_many, relax
from .initial_state import DTYPE, initial_state, resolve_device
from .learner import Learner
from .model_io import energy_function_name, save_model, search_card
from .nn.score import ScoreNetConfig
from .observers import Call, StageReport
from .periodic_contact import image_contact_warning
from .run_files import RunFiles
from .schedule import make_schedule
from .settings import SearchSettings, check_seed
from .space import Box, SearchSpace
from .space_tensors import SpaceTensors
from .stall import SearchStalledError, check_progress

__all__ = ["GODiffOptimizer", "SearchStalledError"]

log = logging.getLogger(__name__)


def _kT_text(kT: float | None) -> str:
    """A card's final kT (eV), three significant figures."""
    return "none yet" if kT is None else f"{kT:.3g}"


class GODiffOptimizer:
    """Global optimisation of the free atoms of ``atoms`` by GO-Diff (arXiv 2510.13448).

    Args:
        atoms: the template (fixed or relaxable) plus the atoms to place; ``place``: their
            indices, a range or a mask (default: those ``FixAtoms`` leaves free; :class:`SearchSpace`).
        calc: any ASE calculator; one call per evaluated structure.
        settings: a :class:`SearchSettings`; keyword ``overrides`` change fields (``stages=10``).
        network: the score network's architecture for a new model (default:
            :meth:`ScoreNetConfig.for_free_atoms`, which follows the number of free atoms).
        model: warm start from a pretrained model: a zoo name (``"pt111-adatom"``), a Hub
            repo id ``"user/name[@revision]"`` or a model folder; stage 0 samples from it.
        box: the generation box (:class:`Box`); default: see :class:`SearchSpace`.
        seed: the one seed of every random draw; same seed, same result on a CPU.
        logfile: ``'-'`` for stdout, a path, an open file, or None for silence.
        trajectory: a path; every evaluated structure is appended with its energy and forces.
        database: a path to an ASE database: a row per calculator call as it returns
            (:class:`~ase_godiff.observers.DatabaseWriter`), written by this process only.
        device: where the score network runs: ``"cpu"``, ``"cuda"`` or ``"auto"``; random
            draws stay on the CPU generator, so a seed gives the same draws on any device.
        executor: a ``concurrent.futures.Executor`` for parallel calls (Dask: ``client.get_executor()``);
            ``call_timeout`` (s) then records a call that hangs as a failure.
        restart: a run folder, locked to this search: a checkpoint after every stage, every
            call in its ``search.db`` (unless ``database`` is given). The same search (atoms,
            box, network, model, settings, seed) continues from it exactly, reusing the calls
            made; another search is refused with the differences named.
    """

    def __init__(self, atoms: Atoms, calc, *, place=None, settings: SearchSettings | None = None,
                 network: ScoreNetConfig | None = None, box: Box | None = None, seed: int = 0,
                 logfile=None, trajectory: str | None = None, database: str | None = None,
                 model=None, restart=None, executor=None, call_timeout: float | None = None,
                 device: str = "cpu", **overrides):
        if calc is None or (call_timeout is not None and executor is None):
            raise ValueError("no calculator: pass an ASE calculator, e.g. EMT() from ase.calculators.emt"
                             if calc is None else "call_timeout needs an executor= to run the calls on")
        requested = (settings or SearchSettings()).with_overrides(**overrides)
        self.space = SearchSpace(atoms, place=place, box=box, min_distance_ratio=requested.min_distance_ratio)
        self.settings = s = requested.for_free_atoms(
            self.space.n_free, on_template=len(self.space.template_indices) > 0)
        self.calc, self.executor, self.call_timeout, self.seed = calc, executor, call_timeout, check_seed(seed)
        self.model_source = None if model is None else str(model)
        self.device = resolve_device(device)
        self.state, self.model_origin = initial_state(
            n_free=self.space.n_free, seed=self.seed, learning_rate=s.learning_rate,
            network=network, model=model, device=self.device,
            elements=atoms.get_chemical_symbols())
        self.network_config = self.state.model.config
        self._initial_weights = {k: v.detach().clone() for k, v in self.state.model.state_dict().items()}
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
        """Run stages (each cycle's last then its polish), yielding after each whether the run has ended.

        Args:
            steps: at most this many stages (default: to the end of the last cycle).
            max_evaluations: stop once this many calculator calls have been made; the
                last stage is shortened so the count is never exceeded. With ``cycles``
                None, the search anneals again from a fresh model while calls are left.
            max_seconds: do not start a stage that would, at the pace of the last one,
                end after this many seconds from the call (a batch job's wall limit).
        """
        started, done, state, stages = time.perf_counter(), 0, self.state, self.settings.stages
        while steps is None or done < steps:
            if self.finished:
                if not self._another_cycle(max_evaluations):
                    break
                self._start_cycle()
            budget = None if max_evaluations is None else max_evaluations - state.nevaluations
            if budget is not None and budget <= 0:
                break
            if self.cycle_stage < stages:
                if max_seconds is not None and state.timings:
                    elapsed, last = time.perf_counter() - started, sum(state.timings[-1].values())
                    if elapsed + last > max_seconds:
                        log.info("stopping before stage %d: the time limit would be passed", state.stage)
                        break
                self.step(max_samples=budget)
            over_budget = max_evaluations is not None and state.nevaluations >= max_evaluations
            if self.cycle_stage == stages and not over_budget:
                self.polish(max_evaluations)
            done += 1
            yield over_budget or (self.finished and not self._another_cycle(max_evaluations))
            if over_budget:
                break

    def run(self, steps: int | None = None, max_evaluations: int | None = None,
            max_seconds: float | None = None) -> Atoms:
        """Run the search; returns the lowest-energy structure found (energy and forces attached)."""
        for _ in self.irun(steps=steps, max_evaluations=max_evaluations, max_seconds=max_seconds):
            pass
        return self.get_minimum()[1]

    @property
    def finished(self) -> bool:  # every stage of this cycle has run, and its polish too
        return self.cycle_stage >= self.settings.stages and self.state.polished

    @property
    def cycle_stage(self) -> int:
        """The stage within this cycle: 0 to ``stages`` - 1, then ``stages`` for its polish."""
        return self.state.stage - self.state.cycle * (self.settings.stages + 1)

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
        box = self.space.box
        return {"type": "optimization", "optimizer": type(self).__name__, "seed": self.seed,
                "atoms": self.space.describe(), "settings": self.settings.to_dict(),
                "network": self.network_config.to_dict(), "model": self.model_source,
                "model_origin": self.model_origin,
                "box": {"corner": box.corner.tolist(), "vectors": box.vectors.tolist()}}

    def save_model(self, folder, *, name: str | None = None, description: str = "",
                   benchmark: str = "") -> None:
        """Write the current model as a folder (config, safetensors weights, model card)."""
        s, state = self.settings, self.state
        card = search_card(
            name=name or str(folder).rstrip("/").split("/")[-1], description=description,
            atoms=self.space.atoms, free_indices=self.space.free_indices,
            energy_function=energy_function_name(self.calc),
            temperatures=f"{s.kT_start:.3g} to {_kT_text(state.kT or s.kT_end)} ({s.schedule})",
            evaluations=state.nevaluations, benchmark=benchmark,
            best_energy=float(state.buffer.energies.min()) if len(state.buffer) else None)
        save_model(state.model, folder, card)

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
        candidates = self._apart(self.learner.sample(state, n_samples, round(s.local_fraction * n_samples)))
        rejected = n_samples - len(candidates)
        if state.model_trained and rejected > n_samples / 2:  # the model has collapsed: recover
            fresh = self._apart(self.learner.prior(state, rejected))
            log.warning("stage %d: %d of %d samples had atoms too close; %d fresh samples from "
                        "the prior take their place", state.stage, rejected, n_samples, len(fresh))
            candidates += fresh
            rejected = n_samples - len(candidates)
        sampled = time.perf_counter()
        structures = [self.space.to_atoms(x) for x in candidates]
        evaluate_all = partial(evaluate_many, calc=self.calc, executor=self.executor, timeout=self.call_timeout)
        results = self.files.replay_or_evaluate(state.stage, structures, evaluate_all)
        ok = [result for result in results if self._book(result)]  # booked as each call returns
        energies = [result.energy for result in ok]
        if s.stage_relax_top and state.model_trained:  # the prior's samples are random starts
            left = None if max_samples is None else max_samples - len(structures)
            self._relax_booked(self._stage_relax_starts(ok), fmax=s.stage_relax_fmax,
                               calls=s.stage_relax_calls, budget=left)
        evaluated = time.perf_counter()
        state.nrejected += rejected
        mine = state.cycle_buffer
        state.kT = self.schedule.kT(self.cycle_stage, mine.energies if len(mine) else None, state.kT)
        if len(mine) and s.train_steps:
            self.learner.train(state, state.kT)
        state.timings.append({"sample": sampled - started, "evaluate": evaluated - sampled,
                              "train": time.perf_counter() - evaluated})
        self.files.report(StageReport.of(state, self._best, energies, rejected,
                                         len(candidates) - len(energies), time.perf_counter() - started))
        log.info("stage %d: kT %.4g eV, %d evaluations", state.stage, state.kT, state.nevaluations)
        state.stage += 1
        self.files.stage_done(state, state.stage - 1)
        for function, interval, args, kwargs in self._observers:
            if state.stage % interval == 0:
                function(*args, **kwargs)
        check_progress(state, stage=state.stage - 1, samples=n_samples, rejected=rejected,
                       evaluated=len(energies))

    def polish(self, max_evaluations: int | None = None) -> None:
        """L-BFGS-B from this cycle's ``relax_top`` best distinct structures; every call
        booked, the budget kept."""
        s, state = self.settings, self.state
        lowest = distinct_lowest(state.cycle_buffer.energies, s.relax_top)
        budget = None if max_evaluations is None else max_evaluations - state.nevaluations
        self._relax_booked([self._recorded(state.cycle_start + i) for i in lowest], fmax=s.relax_fmax,
                           calls=s.relax_calls, budget=budget)
        state.polished = True
        self.files.stage_done(state, state.stage)
        if not self._another_cycle(max_evaluations):  # once, at the end of the run
            contact = image_contact_warning(self._best, self.space.free_indices)
            if contact:
                log.warning(contact)

    def _another_cycle(self, max_evaluations: int | None) -> bool:
        """Whether a finished cycle is followed by another: ``cycles`` in all, or with
        ``cycles`` None as long as ``max_evaluations`` leaves calls (one cycle without it)."""
        state, cycles = self.state, self.settings.cycles
        calls_left = max_evaluations is None or state.nevaluations < max_evaluations
        if cycles is None:
            return max_evaluations is not None and calls_left
        return state.cycle + 1 < cycles and calls_left

    def _start_cycle(self) -> None:
        """Anneal again: the first stage's model weights, a new torch optimizer, kT from the
        top, trained and started only from what the new cycle evaluates (an independent
        search that shares the calls' record and the best structure so far)."""
        state, s = self.state, self.settings
        state.cycle += 1
        state.stage += 1  # past the polish's stage number
        state.cycle_start = len(state.buffer)
        state.model.load_state_dict(self._initial_weights)
        state.torch_optimizer = torch.optim.AdamW(state.model.parameters(), lr=s.learning_rate)
        state.model_trained = self.model_source is not None
        state.kT, state.polished, state.idle_stages = None, False, 0
        log.info("cycle %d from stage %d: the first model again, after %d calculator calls",
                 state.cycle, state.stage, state.nevaluations)

    def _stage_relax_starts(self, stage_results: list[Evaluation]) -> list[Evaluation]:
        """Where a stage's ``stage_relax_top`` relaxations start: the cycle's lowest structure
        first if its relaxation is unfinished (an atom's force above ``stage_relax_fmax``)
        and no sample of this stage is lower, so a relaxation cut short by its call limit
        goes on; then the stage's lowest distinct samples."""
        s, state = self.settings, self.state
        best = self._recorded(state.cycle_start + int(np.argmin(state.cycle_buffer.energies)))
        energies = np.array([result.energy for result in stage_results])
        unfinished = np.linalg.norm(best.forces, axis=-1).max() > s.stage_relax_fmax
        starts = [best] if unfinished and best.energy < energies.min(initial=np.inf) else []
        lowest = distinct_lowest(energies, s.stage_relax_top - len(starts))
        return starts + [stage_results[i] for i in lowest]

    def _recorded(self, index: int) -> Evaluation:
        """Buffer entry ``index`` as an Evaluation: its energy (eV), its free atoms' forces (eV/Å)."""
        atoms = self.state.buffer.atoms(self.space, index)
        return Evaluation(atoms, atoms.get_potential_energy(), atoms.get_forces())

    def _relax_booked(self, starts: list[Evaluation], *, fmax: float, calls: int,
                      budget: int | None) -> None:
        """L-BFGS-B from each evaluated start to ``fmax`` eV/Å in at most ``calls`` calls; every
        call booked (kept, trained on, counted), at most ``budget`` calls in all."""
        spent = self.state.nevaluations
        for start in starts:
            left = None if budget is None else budget - (self.state.nevaluations - spent)
            if left is not None and left < 1:
                break
            relax(start.atoms, self._evaluate_and_book, fmax=fmax, known=start,
                  max_calls=calls if left is None else min(calls, left))

    # ------------------------------------------------------------------ internals
    def _apart(self, samples: np.ndarray) -> list[np.ndarray]:
        """The samples (free positions, Å) that are finite with no two atoms too close."""
        return [x for x in samples if np.all(np.isfinite(x)) and not self.space.too_close(x)]

    def _evaluate_and_book(self, atoms: Atoms) -> Evaluation:
        result = self.files.replay(self.state.stage, atoms) or evaluate(atoms, self.calc)
        self._book(result)
        return result

    def _book(self, result) -> bool:
        """Count one calculator call, hand it to the observers, keep a success; True on success."""
        state = self.state
        state.nevaluations += 1
        call = Call(result, state.stage, state.nevaluations, tuple(self.space.free_indices.tolist()))
        self.files.record(call)
        if not result.ok:
            state.failures.append({"stage": call.stage, "evaluation": call.evaluation, "error": result.error})
            return False
        free_forces = result.forces[self.space.free_indices]
        state.buffer.add(self.space.free_positions_of(result.atoms), result.energy, free_forces,
                         state.stage, state.nevaluations)
        if self._best is None or result.energy < self._best.get_potential_energy():
            self._best = result.atoms
        return True

