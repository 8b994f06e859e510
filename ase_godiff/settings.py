"""Search settings: one dataclass, validated, with defaults planned for a 2-core CPU."""

from __future__ import annotations

import math
import numbers
from dataclasses import asdict, dataclass, fields, replace

from .diffusion.sde import SCHEDULES as NOISE_SCHEDULES
from .schedule import SCHEDULES as TEMPERATURE_SCHEDULES

__all__ = ["SearchSettings", "check_seed", "stage_size_for"]

SAMPLES_PER_FREE_ATOM = 4
LARGE_SYSTEM = 8  # free atoms from which the defaults relax within stages (the paper's have up to 7)
LARGE_SAMPLES_PER_FREE_ATOM = 1  # a stage's samples there; the relaxation paths add the rest
LARGE_STAGE_RELAX_TOP = 2
LARGE_LEARNT_RELAX_STEPS = 150  # descent steps of every sample in the learnt forces there
LARGE_LOCAL_FRACTION = 0.5  # of a trained stage's samples there, started from evaluated structures
LARGE_REGROW_FRACTION = 0.5  # of those local starts, regrowing one or two atoms
STAGES = 40  # the paper's run
LONG_RUN_FROM, LONG_RUN_STAGES = 20, 80  # free atoms from which a run has twice the stages
FORCE_SCALES = ("fixed", "adaptive")  # F_0 = 1 eV/Å, or the training set's typical force
SMALLEST_STAGE, LARGEST_STAGE = 8, 128
LARGEST_SEED = 2**64 - 1  # torch.manual_seed's limit


def check_seed(seed) -> int:
    """``seed`` as an int; a ValueError unless it is an integer (not a bool) from 0 to 2**64 - 1."""
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool) and 0 <= seed <= LARGEST_SEED:
        return int(seed)
    raise ValueError(f"seed must be an integer from 0 to 2**64 - 1, got {seed!r} ({type(seed).__name__})")


def stage_size_for(n_free: int, per_atom: int = SAMPLES_PER_FREE_ATOM) -> int:
    """Samples per stage (or buffer size) when none is set: ``per_atom`` per free atom,
    rounded up to a power of two, from 8 to 128 (4 per atom: one adatom 8, seven atoms 32).
    Small stages retrain often, which is what a search from scratch needs (docs/benchmarks.md)."""
    wanted = per_atom * max(int(n_free), 1)
    return min(LARGEST_STAGE, max(SMALLEST_STAGE, 1 << math.ceil(math.log2(wanted))))


def _at_least(low: int, unit: str = ""):
    return (lambda value: value >= low), f"at least {low}{unit}"


def _positive(unit: str = ""):
    return (lambda value: value > 0), f"positive{unit}"


def _one_of(names: tuple[str, ...]):
    return (lambda value: value in names), f"one of {names}"


# Each field's range: (test, what is allowed). Types come from the annotations.
RANGES = {
    "stages": _at_least(1), "samples_per_stage": _at_least(1), "buffer_size": _at_least(1),
    "kT_start": _positive(" (eV)"), "kT_end": _positive(" (eV)"),
    "schedule": _one_of(TEMPERATURE_SCHEDULES),
    "target_ess_fraction": ((lambda value: 0 < value <= 1), "in (0, 1]"),
    "train_steps": _at_least(0), "batch_size": _at_least(1), "learning_rate": _positive(),
    "grad_clip": _positive(" (the gradient norm's clip)"), "sampling_steps": _at_least(1),
    "t_min": ((lambda value: 0 < value < 1), "in (0, 1)"),
    "sigma_min": _positive(" (Å)"), "sigma_max": _positive(" (Å)"),
    "noise_schedule": _one_of(NOISE_SCHEDULES),
    "min_distance_ratio": ((lambda value: 0 <= value < 2), "in [0, 2) (x the covalent-radius sum)"),
    "guidance": _at_least(0, " (Å²/eV)"), "force_weight": _at_least(0),
    "force_clip": _positive(" (eV/Å at a force scale of 1 eV/Å)"),
    "force_scale": _one_of(FORCE_SCALES), "relax_top": _at_least(0),
    "relax_fmax": _positive(" (eV/Å)"), "relax_calls": _at_least(1),
    "stage_relax_top": _at_least(0), "stage_relax_fmax": _positive(" (eV/Å)"),
    "stage_relax_calls": _at_least(1), "learnt_relax_steps": _at_least(0),
    "local_fraction": ((lambda value: 0 <= value <= 1), "in [0, 1]"),
    "regrow_fraction": ((lambda value: 0 <= value <= 1), "in [0, 1]"),
    "cycles": _at_least(1),
}
KINDS = {"int": (int, "an integer"), "float": (numbers.Real, "a number"), "str": (str, "a string")}


def _checked(name: str, value, annotation: str):
    """``value`` for the field ``name`` (floats as float); a ValueError naming what is allowed."""
    kind, *optional = annotation.split(" | ")
    if value is None and optional:
        return None
    types, words = KINDS[kind]
    if isinstance(value, bool) or not isinstance(value, types):
        allowed = words + (" or None" if optional else "")
        raise ValueError(f"{name} must be {allowed}, got {value!r} ({type(value).__name__})")
    test, allowed = RANGES[name]
    if kind == "float":
        value, allowed = float(value), f"finite and {allowed}"
    if not (test(value) and (kind != "float" or math.isfinite(value))):
        raise ValueError(f"{name} must be {allowed}, got {value!r}")
    return value


@dataclass(frozen=True)
class SearchSettings:
    """Everything the GO-Diff loop needs besides the system and the network.

    Temperatures kT in eV, noise scales in Å. ``schedule``: ``exponential`` (kT from
    ``kT_start`` to ``kT_end``, default 0.02 eV) or ``adaptive`` (below ``kT_start``, and
    above ``kT_end`` only if one is set, each stage's kT gives the weights of all
    evaluated structures an effective sample size of ``target_ess_fraction`` x
    ``buffer_size``). ``samples_per_stage``, ``buffer_size``, ``force_scale`` and
    ``stage_relax_top`` left at None follow the system (:meth:`for_free_atoms`): the
    paper's loop up to 7 free atoms, the hybrid with relaxation within stages from 8.
    ``stages`` left at None is 40 (the paper's), and 80 from 20 free atoms.
    ``guidance`` (Å²/eV) scales the force-field corrector step alpha (1 - t) F_theta(x) x
    (1 eV/Å) / F_0 after every reverse step (0: off). The force head is fitted to every
    evaluated structure's forces in units of the force scale F_0, each atom's force
    clipped to ``force_clip`` x F_0 / (1 eV/Å). ``force_scale``: ``fixed`` (F_0 = 1 eV/Å,
    the paper's absolute units) or ``adaptive`` (F_0 the weighted median RMS force of the
    structures a stage trains on, so one alpha serves metals and argon). ``relax_top`` > 0
    relaxes that many of the best distinct structures with L-BFGS-B (to ``relax_fmax`` eV/Å,
    at most ``relax_calls`` calls) after the last stage; every force call counts as an
    evaluation. ``stage_relax_top`` > 0 does the same within every stage once the model
    samples (not from the prior's random structures), from that many of the stage's lowest
    distinct samples (to ``stage_relax_fmax`` eV/Å, at most ``stage_relax_calls``
    calls each), and trains on the whole path. ``learnt_relax_steps`` > 0 moves every sample
    of a trained model that many steps downhill in the learnt forces before it is evaluated
    (no calculator calls; needs the force head, ``force_weight`` > 0). ``local_fraction`` of
    a trained stage's samples start not from the prior but from evaluated structures drawn by
    their Boltzmann weights, noised to a fraction of their bond length (each atom, and all
    together along the periodic axes): reverse diffusion
    from there rearranges the low-energy structures locally; ``regrow_fraction`` of those keep
    every atom but one or two of the least coordinated, which the model regrows around the
    kept ones (inpainting). ``cycles``: how many times the search anneals, each cycle from
    the first model again and trained only on what it evaluates (independent searches that
    share the record of calls and the best structure); None: one, or with
    ``run(max_evaluations=...)`` as many as the budget holds. The paper's values, where ours differ: 8,000 training steps per stage at
    learning rate 1e-4 and 500 reverse steps (a GPU budget); ours reach the same
    structures on a CPU with fewer, larger steps (``docs/benchmarks.md``).

    Every field is checked on creation, for the Python API and the TOML alike: its type (int
    fields take ints, float fields ints or floats, never bools), finiteness and range; a bad
    one is a ValueError naming the field, the value and what is allowed.
    """

    stages: int | None = None
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
    force_scale: str | None = None
    relax_top: int = 0
    relax_fmax: float = 0.05
    relax_calls: int = 100
    stage_relax_top: int | None = None
    stage_relax_fmax: float = 0.001
    stage_relax_calls: int = 20
    learnt_relax_steps: int | None = None
    local_fraction: float | None = None
    regrow_fraction: float | None = None
    cycles: int | None = None

    def __post_init__(self):
        for f in fields(self):
            object.__setattr__(self, f.name, _checked(f.name, getattr(self, f.name), f.type))
        if not self.sigma_max > self.sigma_min:
            raise ValueError(f"sigma_max must be greater than sigma_min = {self.sigma_min} Å, "
                             f"got {self.sigma_max!r}")

    def with_overrides(self, **overrides) -> "SearchSettings":
        """A copy with some fields changed; an unknown name is a ValueError listing the known ones."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise ValueError(f"unknown search setting(s) {unknown}: known are {sorted(known)}")
        return replace(self, **overrides)

    def for_free_atoms(self, n_free: int, *, on_template: bool) -> "SearchSettings":
        """A copy with the fields left at None set for ``n_free`` free atoms, placed on a
        template (a surface: ``on_template``) or alone (the gas phase).

        Up to 7 free atoms, the paper's loop: 4 samples per free atom a stage, forces in eV/Å,
        no relaxation within stages. From LARGE_SYSTEM (8) free atoms, where raw samples stop
        short of a basin's bottom, the hybrid: 1 sample per free atom a stage, half of them
        started from evaluated structures (on a template, half of those regrowing one or two
        atoms; in the gas phase none, docs/benchmarks.md "LJ38 without regrowing"), the
        adaptive force scale, every sample moved 150 steps downhill in the learnt forces,
        and L-BFGS-B from the 2 lowest samples of every trained stage. The buffer holds a
        stage, and at least 4 structures per free atom (docs/method.md, "Stage sizes").
        From LONG_RUN_FROM (20) free atoms the run has LONG_RUN_STAGES (80) stages instead of
        STAGES (40): a search there can sit in a trap of another funnel for a dozen stages
        before it leaves (docs/benchmarks.md, LJ26).
        """
        large = n_free >= LARGE_SYSTEM
        per_atom = LARGE_SAMPLES_PER_FREE_ATOM if large else SAMPLES_PER_FREE_ATOM
        samples = self.samples_per_stage or stage_size_for(n_free, per_atom)
        return replace(
            self, stages=self.stages or (LONG_RUN_STAGES if n_free >= LONG_RUN_FROM else STAGES),
            samples_per_stage=samples,
            buffer_size=self.buffer_size or max(samples, stage_size_for(n_free)),
            force_scale=self.force_scale or ("adaptive" if large else "fixed"),
            stage_relax_top=(LARGE_STAGE_RELAX_TOP if large else 0)
            if self.stage_relax_top is None else self.stage_relax_top,
            learnt_relax_steps=(LARGE_LEARNT_RELAX_STEPS if large else 0)
            if self.learnt_relax_steps is None else self.learnt_relax_steps,
            local_fraction=(LARGE_LOCAL_FRACTION if large else 0.0)
            if self.local_fraction is None else self.local_fraction,
            regrow_fraction=(LARGE_REGROW_FRACTION if large and on_template else 0.0)
            if self.regrow_fraction is None else self.regrow_fraction)

    def to_dict(self) -> dict:
        return asdict(self)
