"""The model's side of a stage: sample by reverse diffusion, train on the Boltzmann-drawn buffer."""

from __future__ import annotations

import numpy as np
import torch

from .buffer import boltzmann_weights
from .diffusion.descent import descend
from .diffusion.sampler import reverse_diffusion
from .diffusion.sde import VESDE
from .settings import SearchSettings
from .space import SearchSpace
from .space_tensors import SpaceTensors
from .state import SearchState
from .train import TrainingData, train_stage

__all__ = ["Learner", "SAMPLING_CHUNK", "typical_force"]

SAMPLING_CHUNK = 128  # structures denoised together; bounds memory for large systems
LOCAL_NOISE = (0.15, 0.6)  # a local start's noise sigma, x its median nearest-neighbour distance
REGROWN_ATOMS = (1, 2)  # how many atoms a regrowing local start regrows, drawn uniformly
FORCE_SCALE_FLOOR = 1e-4  # eV/Å: a training set of relaxed structures still gets a finite scale


class Learner:
    """Samples and trains a SearchState's model for one search space, in ``dtype`` on ``device``."""

    def __init__(self, space: SearchSpace, settings: SearchSettings, tensors: SpaceTensors,
                 dtype: torch.dtype, device: torch.device):
        s = settings
        self.space, self.settings, self.tensors = space, s, tensors
        self.dtype, self.device = dtype, device
        self.sde = VESDE(s.sigma_min, s.sigma_max, s.noise_schedule)

    def prior(self, state: SearchState, n_samples: int) -> np.ndarray:
        """Free positions (n_samples, n_free, 3) in Å drawn from the prior (uniform in the box)."""
        return self.sde.prior(self.space.box, n_samples, self.space.n_free, state.rng)

    def sample(self, state: SearchState, n_samples: int, n_local: int = 0) -> np.ndarray:
        """Free positions (n_samples, n_free, 3) in Å: reverse diffusion (then ``learnt_relax_steps``
        of descent in the learnt forces), or the prior before training. ``n_local`` of a trained
        model's samples start from evaluated structures instead of the prior (:meth:`local_starts`)."""
        if not state.model_trained:
            return self.prior(state, n_samples)
        n_local = n_local if len(state.cycle_buffer) else 0  # a warm start's model, nothing evaluated yet
        prior = self.prior(state, n_samples - n_local)
        chunks = [self._denoise(state, self._tensor(prior[i:i + SAMPLING_CHUNK]))
                  for i in range(0, len(prior), SAMPLING_CHUNK)]
        for i in range(0, n_local, SAMPLING_CHUNK):
            chunks.append(self._denoise(state, *self.local_starts(state, min(SAMPLING_CHUNK, n_local - i))))
        return np.concatenate(chunks).astype(float) if chunks else prior

    def local_starts(self, state: SearchState, n: int) -> tuple[
            torch.Tensor, torch.Tensor, tuple[torch.Tensor, torch.Tensor] | None]:
        """``n`` evaluated structures drawn (with replacement) by their Boltzmann weights at kT,
        each made a start of reverse diffusion that rearranges it locally. A share
        ``regrow_fraction`` keeps all atoms but REGROWN_ATOMS, drawn with weights exp(-their
        coordination number), which the model regrows from the prior around the kept ones
        (inpainting from t = 1): an edge atom moved to a new site. The rest are noised, each atom
        by N(0, sigma^2) and all together by one more N(0, sigma^2) shift along the periodic box
        axes (on a surface, towards sites of another registry; none in the gas phase), sigma
        between LOCAL_NOISE x the structure's median nearest-neighbour distance (log-uniform),
        and start at that sigma's time. Returns (positions (n, n_free, 3) in Å, start times (n,),
        (kept positions (n, n_free, 3) in Å, kept mask (n, n_free)) or None if none regrows)."""
        space, rng, buffer = self.space, state.rng, state.cycle_buffer
        weights = boltzmann_weights(buffer.energies, state.kT)
        structures = buffer.positions[rng.choice(len(weights), size=n, p=weights)]
        spacing = np.array([np.median(space.nearest_neighbour_distances(x)) for x in structures])
        sigma = spacing * np.exp(rng.uniform(*np.log(LOCAL_NOISE), n))
        kept = np.zeros(structures.shape[:2], dtype=bool)
        regrowing = (np.flatnonzero(rng.random(n) < self.settings.regrow_fraction)
                     if space.n_free > 1 else [])  # one atom alone has nothing to regrow around
        for i in regrowing:
            kept[i] = True
            kept[i, self._regrown(structures[i], rng)] = False
        sigma[regrowing] = self.sde.sigma_max
        x = self._tensor(structures)
        noise = torch.randn((n, space.n_free + 1, 3), generator=state.generator, dtype=x.dtype).to(x.device)
        noise = noise[:, 1:] + self.tensors.box.along_periodic_axes(noise[:, :1])  # own part, shared shift
        starts = self.tensors.box.confine(x + self._tensor(sigma)[:, None, None] * noise)
        times = self.sde.time(self._tensor(sigma))
        if not len(regrowing):
            return starts, times, None
        fresh = self._tensor(self.sde.prior(space.box, len(regrowing), space.n_free, rng))
        regrown = torch.as_tensor(~kept[regrowing], device=x.device)[..., None]
        starts[regrowing] = torch.where(regrown, fresh, starts[regrowing])  # from the prior
        return starts, times, (x, torch.as_tensor(kept, device=x.device))

    def _regrown(self, structure: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Indices of the free atoms a regrowing start regrows: REGROWN_ATOMS of them (at most
        all but one), drawn without replacement with weights exp(-coordination number)."""
        count = min(int(rng.integers(REGROWN_ATOMS[0], REGROWN_ATOMS[1] + 1)), len(structure) - 1)
        weights = np.exp(-self.space.coordination_numbers(structure).astype(float))
        return rng.choice(len(structure), size=count, replace=False, p=weights / weights.sum())

    def train(self, state: SearchState, kT: float) -> float:
        """Train on a buffer drawn at ``kT`` (eV) and the forces of every structure this cycle
        evaluated; the mean loss.

        First sets the model's force scale (eV/Å): 1, or with ``force_scale="adaptive"`` the
        typical force of the structures at ``kT``.
        """
        s, t = self.settings, self.tensors
        buffer = state.cycle_buffer
        chosen, weights = buffer.draw(kT, s.buffer_size, state.rng)
        scale = (typical_force(buffer.forces, boltzmann_weights(buffer.energies, kT))
                 if s.force_scale == "adaptive" else 1.0)
        state.model.force_scale.fill_(scale)
        positions = self._tensor(buffer.positions)  # every evaluated structure, built once
        data = TrainingData(positions[chosen], self._tensor(weights), positions,
                            self._tensor(_clip_norms(buffer.forces, s.force_clip * scale)))
        loss = train_stage(state.model, state.torch_optimizer, data, sde=self.sde, env=t.env, box=t.box,
                           numbers=t.numbers, steps=s.train_steps, batch_size=s.batch_size,
                           t_min=s.t_min, grad_clip=s.grad_clip, generator=state.generator,
                           force_weight=s.force_weight)
        state.model_trained = True
        return loss

    def _denoise(self, state: SearchState, x: torch.Tensor, t_start: torch.Tensor | None = None,
                 kept: tuple[torch.Tensor, torch.Tensor] | None = None) -> np.ndarray:
        s, t = self.settings, self.tensors
        guided = s.guidance > 0 and s.force_weight > 0

        def model_fn(x, time):  # the score (1/Å) and the forces in units of the force scale
            score, forces = state.model(x, self.sde.sigma(time).expand(len(x)), t.env, t.numbers)
            return score, forces / state.model.force_scale

        x = reverse_diffusion(model_fn if guided else lambda x, time: model_fn(x, time)[0], self.sde, x,
                              steps=s.sampling_steps, t_min=s.t_min, generator=state.generator,
                              project=t.box.confine, guidance=s.guidance if guided else 0.0,
                              t_start=t_start, kept=kept)
        if s.learnt_relax_steps and s.force_weight > 0:
            last = torch.as_tensor(s.t_min, dtype=x.dtype, device=x.device)
            x = descend(lambda x: model_fn(x, last)[1], x, steps=s.learnt_relax_steps, project=t.box.confine)
        return x.cpu().numpy()

    def _tensor(self, array) -> torch.Tensor:
        return torch.as_tensor(array, dtype=self.dtype, device=self.device)


def typical_force(forces: np.ndarray, weights: np.ndarray) -> float:
    """The force scale (eV/Å) of a training set: the ``weights``-weighted median over
    structures of each one's RMS atomic force ``forces`` (N, n, 3), at least FORCE_SCALE_FLOOR.

    A median, so the huge forces of a few overlapping atoms in random structures do not set it.
    """
    rms = np.sqrt((forces ** 2).sum(-1).mean(-1))
    order = np.argsort(rms)
    cumulative = np.cumsum(weights[order])
    median = rms[order][np.searchsorted(cumulative, 0.5 * cumulative[-1])]
    return float(max(median, FORCE_SCALE_FLOOR))


def _clip_norms(vectors: np.ndarray, limit: float) -> np.ndarray:
    """Scale each row vector down to at most ``limit`` in norm."""
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors * np.minimum(1.0, limit / np.maximum(norms, 1e-12))
