"""GODiffOptimizer: the GO-Diff search loop behind an ASE-style optimizer interface.

Each stage samples structures by reverse diffusion, rejects those with atoms too close,
evaluates the rest with the calculator, keeps every evaluated structure, draws a training
buffer by Boltzmann weights at the stage's kT and trains the score model on it.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import ase.db
import numpy as np
import torch
from ase import Atoms
from ase.calculators.singlepoint import SinglePointCalculator
from ase.io.trajectory import Trajectory

from .checkpoint import load_checkpoint, save_checkpoint
from .buffer import ReplayBuffer, effective_sample_size, boltzmann_weights
from .diffusion.box import BoxGeometry
from .diffusion.sampler import reverse_diffusion
from .diffusion.sde import VESDE
from .evaluate import evaluate_many
from .nn.graph import TemplateEnvironment
from .model_io import CardInfo, load_model, save_model
from .nn.score import ScoreNetConfig, ScoreNetwork
from .polish import distinct_lowest, relax
from .replay import InterruptedStage
from .schedule import make_schedule
from .settings import SearchSettings
from .space import Box, SearchSpace
from .train import TrainingData, train_stage
from .zoo import resolve_model

__all__ = ["GODiffOptimizer"]

log = logging.getLogger(__name__)

SAMPLING_CHUNK = 128  # structures denoised together; bounds memory for large systems
DTYPE = torch.float32


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
        restart: a run folder: a checkpoint is written there after every stage, and a search
            created with the same atoms, settings and seed continues from it exactly.
    """

    def __init__(self, atoms: Atoms, calc, *, settings: SearchSettings | None = None,
                 network: ScoreNetConfig | None = None, box: Box | None = None, seed: int = 0,
                 logfile=None, trajectory: str | None = None, database: str | None = None,
                 model=None, restart=None,
                 executor=None, device: str = "cpu", **overrides):
        requested = (settings or SearchSettings()).with_overrides(**overrides)
        self.space = SearchSpace(atoms, box=box, min_distance_ratio=requested.min_distance_ratio)
        self.settings = requested.for_free_atoms(self.space.n_free)
        if calc is None:
            raise ValueError("no calculator: pass an ASE calculator, e.g. EMT() from ase.calculators.emt")
        self.calc = calc
        self.executor = executor
        self.seed = int(seed)
        numpy_seed, torch_seed = np.random.SeedSequence(self.seed).spawn(2)
        self.rng = np.random.default_rng(numpy_seed)
        self.generator = torch.Generator().manual_seed(int(torch_seed.generate_state(1)[0]))
        self.model_source = None
        if model is not None:
            if network is not None:
                raise ValueError("give either network= (a new model) or model= (a pretrained one)")
            pulled = resolve_model(model)
            self.model, self.model_source = load_model(pulled.path), f"{model} ({pulled.origin})"
            self.network_config = self.model.config
        else:
            self.network_config = network or ScoreNetConfig()
            with torch.random.fork_rng():
                torch.manual_seed(self.seed)
                self.model = ScoreNetwork(self.network_config).eval()
        self.device = _resolve_device(device)
        self.model.to(device=self.device, dtype=DTYPE)  # whatever torch's default dtype (MACE sets float64)
        self.env = TemplateEnvironment.from_space(self.space, self.network_config.cutoff,
                                                  self.network_config.free_cutoff, DTYPE).to(self.device)
        self.box = BoxGeometry.from_space(self.space, DTYPE).to(self.device)
        self.numbers = torch.as_tensor(self.space.free_numbers, dtype=torch.long, device=self.device)
        s = self.settings
        self.sde = VESDE(s.sigma_min, s.sigma_max, s.noise_schedule)
        self.schedule = make_schedule(s.schedule, kT_start=s.kT_start, kT_end=s.kT_end,
                                      stages=s.stages,
                                      target_ess=s.target_ess_fraction * s.buffer_size)
        self.kT: float | None = None
        self.torch_optimizer = torch.optim.AdamW(self.model.parameters(), lr=s.learning_rate)
        self.buffer = ReplayBuffer(self.space.n_free)
        self.stage = 0
        self.nevaluations = 0
        self.nrejected = 0
        self.failures: list[dict] = []
        self.timings: list[dict] = []  # seconds per stage spent sampling, evaluating, training
        self.model_trained = model is not None
        self._best: Atoms | None = None
        self._observers: list[tuple] = []
        self._logfile, self._owns_logfile = _open_logfile(logfile)
        self._trajectory_path = trajectory
        self._trajectory: Trajectory | None = None
        self._database = None if database is None else ase.db.connect(str(database))
        self._header_written = False
        self.restart = restart
        self._interrupted: InterruptedStage | None = None
        if restart is not None and any((Path(restart) / name).exists()
                                       for name in ("checkpoint", "checkpoint.old")):
            load_checkpoint(self, restart)
            self._best = self._best_from_buffer()
            if self._database is not None:
                self._interrupted = InterruptedStage(self._database, self.stage)

    # ------------------------------------------------------------------ ASE contract
    def attach(self, function: Callable, interval: int = 1, *args, **kwargs) -> None:
        """Call ``function(*args, **kwargs)`` after every ``interval``-th stage."""
        if not callable(function):
            function = function.write
        self._observers.append((function, interval, args, kwargs))

    def irun(self, steps: int | None = None, max_evaluations: int | None = None,
             max_seconds: float | None = None):
        """Run stages, yielding after each whether the run has ended.

        Args:
            steps: at most this many stages (default: to the end of the schedule).
            max_evaluations: stop once this many calculator calls have been made; the
                last stage is shortened so the count is never exceeded.
            max_seconds: do not start a stage that would, at the pace of the last one,
                end after this many seconds from the call (a batch job's wall limit).
        """
        started = time.perf_counter()
        remaining = self.settings.stages - self.stage
        if steps is not None:
            remaining = min(remaining, steps)
        for done_stages in range(1, remaining + 1):
            budget = None if max_evaluations is None else max_evaluations - self.nevaluations
            if budget is not None and budget <= 0:
                break
            if max_seconds is not None and self.timings:
                elapsed, last = time.perf_counter() - started, sum(self.timings[-1].values())
                if elapsed + last > max_seconds:
                    log.info("stopping before stage %d: the time limit would be passed", self.stage)
                    break
            self.step(max_samples=budget)
            over_budget = max_evaluations is not None and self.nevaluations >= max_evaluations
            if self.stage == self.settings.stages and not over_budget:
                self.polish(max_evaluations)
            yield done_stages == remaining or over_budget
            if over_budget:
                break

    def run(self, steps: int | None = None, max_evaluations: int | None = None,
            max_seconds: float | None = None) -> Atoms:
        """Run the search; returns the lowest-energy structure found (energy and forces attached)."""
        for _ in self.irun(steps=steps, max_evaluations=max_evaluations, max_seconds=max_seconds):
            pass
        return self.get_minimum()[1]

    def get_minimum(self) -> tuple[float, Atoms]:
        """(energy in eV, structure) of the best evaluated structure."""
        if self._best is None:
            detail = f" (first failure: {self.failures[0]['error']})" if self.failures else ""
            raise RuntimeError(f"no structure has been evaluated successfully yet{detail}")
        return self._best.get_potential_energy(), _copy_with_results(self._best)

    def todict(self) -> dict:
        return {
            "type": "optimization",
            "optimizer": type(self).__name__,
            "seed": self.seed,
            "settings": self.settings.to_dict(),
            "network": self.network_config.to_dict(),
            "model": self.model_source,
            "box": {"corner": self.space.box.corner.tolist(), "vectors": self.space.box.vectors.tolist()},
        }

    def save_model(self, folder, *, name: str | None = None, description: str = "",
                   benchmark: str = "") -> None:
        """Write the current model as a folder (config, safetensors weights, model card)."""
        from ase.data import chemical_symbols

        energies = self.buffer.energies
        template = self.space.atoms[self.space.template_indices]
        card = CardInfo(
            name=name or str(folder).rstrip("/").split("/")[-1], description=description,
            elements=sorted({chemical_symbols[z] for z in self.space.atoms.numbers}),
            template=f"{template.get_chemical_formula() or 'none'}, pbc {self.space.pbc.tolist()}, "
                     f"cell {np.round(self.space.cell.diagonal(), 3).tolist()} Å; free atoms "
                     f"{self.space.atoms[self.space.free_indices].get_chemical_formula()}",
            energy_function=type(self.calc).__name__,
            temperatures=f"{self.settings.kT_start} to {self.kT or self.settings.kT_end or 'none yet'} "
                         f"({self.settings.schedule})",
            evaluations=self.nevaluations,
            benchmark=benchmark or (f"best energy {energies.min():.4f} eV after "
                                    f"{self.nevaluations} evaluations" if len(energies) else ""))
        save_model(self.model, folder, card)

    def close(self) -> None:
        if self._trajectory is not None:
            self._trajectory.close()
            self._trajectory = None
        if self._owns_logfile and self._logfile is not None:
            self._logfile.close()
            self._logfile = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ------------------------------------------------------------------ one stage
    def step(self, max_samples: int | None = None) -> None:
        """One stage: sample, reject, evaluate, record, draw the buffer, train."""
        s = self.settings
        started = time.perf_counter()
        n_samples = s.samples_per_stage if max_samples is None else min(s.samples_per_stage, max_samples)
        candidates, rejected = [], 0
        for free_positions in self.sample(n_samples):
            if not np.all(np.isfinite(free_positions)) or self.space.too_close(free_positions):
                rejected += 1
            else:
                candidates.append(free_positions)
        sampled = time.perf_counter()
        energies, failed = [], 0
        structures = [self.space.to_atoms(x) for x in candidates]
        results = self._evaluate(structures)
        for free_positions, result in zip(candidates, results):
            if self._count(result, free_positions):
                energies.append(result.energy)
            else:
                failed += 1
        evaluated = time.perf_counter()
        self.nrejected += rejected
        energies_so_far = self.buffer.energies if len(self.buffer) else None
        kT = self.kT = self.schedule.kT(self.stage, energies_so_far, self.kT)
        if len(self.buffer) and s.train_steps:
            self._train(kT)
        trained = time.perf_counter()
        self.timings.append({"sample": sampled - started, "evaluate": evaluated - sampled,
                             "train": trained - evaluated})
        self._log_stage(kT, energies, rejected, failed, time.perf_counter() - started)
        self.stage += 1
        if self.restart is not None:
            save_checkpoint(self, self.restart)
        self._call_observers()

    def sample(self, n_samples: int) -> np.ndarray:
        """Free positions (n_samples, n_free, 3) in Å: reverse diffusion, or the prior before training."""
        prior = self.space.sample_prior(n_samples, self.rng)
        if not self.model_trained:
            return prior
        chunks = [self._denoise(torch.as_tensor(prior[i:i + SAMPLING_CHUNK], dtype=DTYPE,
                                                device=self.device))
                  for i in range(0, n_samples, SAMPLING_CHUNK)]
        return np.concatenate(chunks).astype(float) if chunks else prior

    def polish(self, max_evaluations: int | None = None) -> None:
        """Relax the ``relax_top`` best distinct structures with BFGS; every call is recorded."""
        s = self.settings
        if not s.relax_top or not len(self.buffer):
            return
        positions = self.buffer.positions
        for index in distinct_lowest(self.buffer.energies, s.relax_top):
            start = self.space.to_atoms(positions[index])
            for result in relax(start, self.calc, fmax=s.relax_fmax, steps=s.relax_steps):
                if max_evaluations is not None and self.nevaluations >= max_evaluations:
                    return
                self._count(result, self.space.free_positions_of(result.atoms))

    # ------------------------------------------------------------------ internals
    def _evaluate(self, structures):
        """Calculator results in order; after a crash, the interrupted stage's recorded calls are reused."""
        evaluate = partial(evaluate_many, calc=self.calc, executor=self.executor)
        interrupted, self._interrupted = self._interrupted, None
        if interrupted is None or not len(interrupted):
            return evaluate(structures)
        log.info("stage %d: reusing the %d calls the database holds from before the crash",
                 self.stage, len(interrupted))
        return interrupted.replay_or_evaluate(structures, evaluate)

    def _count(self, result, free_positions: np.ndarray) -> bool:
        """Book one calculator call: record a success, or the failure; True on success."""
        self.nevaluations += 1
        if self._database is not None and not result.recorded:
            status = {"status": "ok"} if result.ok else {"status": "failed", "error": result.error[:500]}
            self._database.write(result.atoms, stage=self.stage, evaluation=self.nevaluations, **status)
        if not result.ok:
            self.failures.append({"stage": self.stage, "evaluation": self.nevaluations,
                                  "error": result.error})
            return False
        self._record(free_positions, result)
        return True

    def _denoise(self, x: torch.Tensor) -> torch.Tensor:
        s = self.settings
        guided = s.guidance > 0 and s.force_weight > 0

        def model_fn(x, t):
            score, forces = self.model(x, self.sde.sigma(t).expand(len(x)), self.env, self.numbers)
            return (score, forces) if guided else score

        return reverse_diffusion(model_fn, self.sde, x, steps=s.sampling_steps, t_min=s.t_min,
                                 generator=self.generator, project=self.box.confine,
                                 guidance=s.guidance if guided else 0.0).cpu().numpy()

    def _train(self, kT: float) -> None:
        s = self.settings
        chosen, weights = self.buffer.draw(kT, s.buffer_size, self.rng)
        tensor = lambda array: torch.as_tensor(array, dtype=DTYPE, device=self.device)  # noqa: E731
        positions = tensor(self.buffer.positions)  # every evaluated structure, built once
        data = TrainingData(positions[chosen], tensor(weights), positions,
                            tensor(_clip_norms(self.buffer.forces, s.force_clip)))
        self.last_loss = train_stage(self.model, self.torch_optimizer, data, sde=self.sde,
                                     env=self.env, box=self.box, numbers=self.numbers,
                                     steps=s.train_steps,
                                     batch_size=s.batch_size, t_min=s.t_min,
                                     grad_clip=s.grad_clip, generator=self.generator,
                                     force_weight=s.force_weight)
        self.model_trained = True

    def _record(self, free_positions: np.ndarray, result) -> None:
        atoms, energy = result.atoms, result.energy
        self.buffer.add(free_positions, energy, result.forces[self.space.free_indices], self.stage,
                        self.nevaluations)
        if self._trajectory_path is not None and not result.recorded:
            if self._trajectory is None:
                mode = "a" if self.restart is not None else "w"
                self._trajectory = Trajectory(self._trajectory_path, mode)
            self._trajectory.write(atoms)
        if self._best is None or energy < self._best.get_potential_energy():
            self._best = atoms

    def _best_from_buffer(self) -> Atoms | None:
        if not len(self.buffer):
            return None
        energies = self.buffer.energies
        index = int(np.argmin(energies))
        atoms = self.space.to_atoms(self.buffer.positions[index])
        forces = np.zeros((len(atoms), 3))
        forces[self.space.free_indices] = self.buffer.forces[index]
        atoms.calc = SinglePointCalculator(atoms, energy=energies[index], forces=forces)
        return atoms

    def _log_stage(self, kT, energies, rejected, failed, seconds) -> None:
        ess = effective_sample_size(boltzmann_weights(self.buffer.energies, kT)) if len(self.buffer) else 0.0
        best = self._best.get_potential_energy() if self._best is not None else float("nan")
        mean = float(np.mean(energies)) if energies else float("nan")
        log.info("stage %d kT %.4g eV: %d evaluations, best %.4f eV", self.stage, kT,
                 self.nevaluations, best)
        if self._logfile is None:
            return
        if not self._header_written:
            self._logfile.write(f"{'':8s}{'stage':>6s} {'kT/eV':>8s} {'evals':>7s} {'rejected':>8s} "
                                f"{'failed':>6s} {'best/eV':>12s} {'mean/eV':>12s} {'ESS':>7s} {'time/s':>7s}\n")
            self._header_written = True
        self._logfile.write(f"GODiff: {self.stage:6d} {kT:8.4f} {self.nevaluations:7d} {rejected:8d} "
                            f"{failed:6d} {best:12.4f} {mean:12.4f} {ess:7.1f} {seconds:7.1f}\n")
        self._logfile.flush()

    def _call_observers(self) -> None:
        for function, interval, args, kwargs in self._observers:
            if self.stage % interval == 0:
                function(*args, **kwargs)


def _resolve_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except RuntimeError:
        raise ValueError(f"unknown device {device!r}: use 'cpu', 'cuda' or 'auto'") from None
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} asked for, but torch sees no GPU: use 'cpu' or 'auto'")
    return resolved


def _clip_norms(vectors: np.ndarray, limit: float) -> np.ndarray:
    """Scale each row vector down to at most ``limit`` in norm."""
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors * np.minimum(1.0, limit / np.maximum(norms, 1e-12))


def _open_logfile(logfile):
    if logfile is None:
        return None, False
    if logfile == "-":
        return sys.stdout, False
    if hasattr(logfile, "write"):
        return logfile, False
    return open(logfile, "a"), True


def _copy_with_results(atoms: Atoms) -> Atoms:
    copy = atoms.copy()
    copy.calc = atoms.calc.__class__(copy, **atoms.calc.results)
    return copy
