"""The score network: a PaiNN backbone over free atoms with a score head and a force head.

Elements enter by atomic number, so one model moves between systems; the diffusion time
enters as an embedding of log sigma. The network is E(3)-equivariant: rotating the free
atoms together with the template (and cell) rotates the predicted score and forces.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

import torch
from torch import nn

from ..elements import MAX_ATOMIC_NUMBER
from .graph import TemplateEnvironment
from .painn import PaiNNMessage, PaiNNUpdate, RadialBasis

__all__ = ["ScoreNetConfig", "ScoreNetwork", "with_force_scale"]

TIME_FREQUENCIES = 16
LARGE_GRAPH = 20  # free atoms from which the default network's free-free pairs end at SHORT_FREE_CUTOFF
SHORT_FREE_CUTOFF = 6.0  # Å: argon's first two neighbour shells, platinum's first four


@dataclass(frozen=True)
class ScoreNetConfig:
    """The whole architecture; round-trips through ``to_dict``/``from_dict``.

    ``cutoff`` (Å) bounds free-template pairs, ``free_cutoff`` (Å) free-free pairs. The
    paper's network: 4 blocks, 64 features, 6 Å cutoff, 7x slower on a 2-core CPU.
    """

    features: int = 32
    blocks: int = 3
    cutoff: float = 5.0
    free_cutoff: float = 10.0
    radial_basis: int = 16

    def __post_init__(self):
        """Sizes are whole numbers from 1 to their bound, cutoffs finite lengths in (0, 20] Å:
        a config.json read from anywhere cannot ask for a network that fills the memory."""
        bounds = {"features": 1024, "blocks": 16, "radial_basis": 128, "cutoff": 20.0,
                  "free_cutoff": 20.0}
        for name, bound in bounds.items():
            value, whole = getattr(self, name), isinstance(bound, int)
            kinds = (int,) if whole else (int, float)
            if isinstance(value, bool) or not isinstance(value, kinds) or not 0 < value <= bound:
                allowed = (f"a whole number from 1 to {bound}" if whole
                           else f"a finite length above 0 and up to {bound} Å")
                raise ValueError(f"network setting {name} = {value!r}: must be {allowed}")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def for_free_atoms(cls, n_free: int) -> "ScoreNetConfig":
        """The default network for ``n_free`` free atoms. Up to 19, free atoms see each other
        within 10 Å: a complete graph for clusters this small, and the pull that gathers
        scattered atoms at high noise. From LARGE_GRAPH (20), where a complete graph's n(n - 1)
        edges make the cost quadratic, within SHORT_FREE_CUTOFF (6 Å): edges grow as n."""
        return cls(free_cutoff=SHORT_FREE_CUTOFF) if n_free >= LARGE_GRAPH else cls()

    @classmethod
    def from_dict(cls, data: dict) -> "ScoreNetConfig":
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown network setting(s) {unknown}: known are {sorted(known)}")
        return cls(**data)


def with_force_scale(state: dict) -> dict:
    """``state`` (a saved state dict) with a force scale: one saved before the scale existed
    predicted forces in eV/Å directly, so its scale is 1 eV/Å."""
    state.setdefault("force_scale", torch.ones(()))
    return state


class ScoreNetwork(nn.Module):
    """s_theta(x, sigma) for the free atoms, and a force head F_theta(x) (eV/Å).

    The force head predicts forces in units of ``force_scale`` (eV/Å), set before each
    stage's training: 1, or in an adaptive search a typical force of the training
    structures, so its target is of order one for platinum (about 1 eV/Å) and argon
    (about 0.03 eV/Å) alike.
    """

    def __init__(self, config: ScoreNetConfig = ScoreNetConfig()):
        super().__init__()
        self.config = config
        width = config.features
        self.embedding = nn.Embedding(MAX_ATOMIC_NUMBER + 1, width)
        self.template_flag = nn.Parameter(torch.zeros(width))
        self.register_buffer("time_frequencies",
                             torch.logspace(math.log10(0.5), math.log10(16.0), TIME_FREQUENCIES))
        self.time_embedding = nn.Sequential(
            nn.Linear(2 * TIME_FREQUENCIES, width), nn.SiLU(), nn.Linear(width, width)
        )
        self.radial = RadialBasis(size=config.radial_basis, cutoff=config.cutoff)
        # Free-free pairs share the free-template filters within ``cutoff`` (an adatom model
        # then knows how two placed atoms bind); a long-range term, zero at the start, adds
        # what only free-free pairs out to ``free_cutoff`` can teach.
        self.free_radial = RadialBasis(size=config.radial_basis, cutoff=config.free_cutoff)
        self.long_range = nn.Linear(config.radial_basis, config.radial_basis, bias=False)
        nn.init.zeros_(self.long_range.weight)
        self.messages = nn.ModuleList(
            PaiNNMessage(features=width, radial_basis=config.radial_basis) for _ in range(config.blocks)
        )
        self.updates = nn.ModuleList(PaiNNUpdate(features=width) for _ in range(config.blocks))
        self.score_head = nn.Linear(width, 1, bias=False)
        self.force_head = nn.Linear(width, 1, bias=False)
        self.register_buffer("force_scale", torch.tensor(1.0))

    def forward(self, x: torch.Tensor, sigma: torch.Tensor, env: TemplateEnvironment,
                numbers: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Scores (1/Å) and forces (eV/Å) for free positions ``x`` (B, n_free, 3) at noise ``sigma`` (B,).

        Both heads read the same backbone pass; the force head is trained on evaluated
        structures at random noise levels, so it predicts the forces at ``x`` whatever
        ``sigma`` is.
        """
        v = self.backbone(x, sigma, env, numbers)
        score = self.score_head(v).squeeze(-1).reshape(x.shape) / sigma.reshape(-1, 1, 1)
        return score, self.force_head(v).squeeze(-1).reshape(x.shape) * self.force_scale

    def backbone(self, x, sigma, env: TemplateEnvironment, numbers) -> torch.Tensor:
        """Vector features (B * n_free, 3, F) of the free atoms."""
        batch, n_free, _ = x.shape
        n_nodes = batch * n_free
        phases = torch.log(sigma)[:, None] * self.time_frequencies
        time = self.time_embedding(torch.cat([torch.sin(phases), torch.cos(phases)], dim=-1))
        s = (self.embedding(numbers)[None, :, :] + time[:, None, :]).reshape(n_nodes, -1)
        v = torch.zeros(n_nodes, 3, s.shape[-1], dtype=s.dtype, device=s.device)

        graph = env.graph(x)
        free_distances, free_unit = self._distances(graph.free_vectors)
        free_radial = self.radial(free_distances) + self.long_range(self.free_radial(free_distances))
        template_distances, template_unit = self._distances(graph.template_vectors)
        template_radial = self.radial(template_distances)
        template_s = self.embedding(env.halo_species) + self.template_flag
        template_species = env.halo_species_index[graph.template_src]

        # index_select, not x[index]: its backward adds in a fixed order on a multi-core
        # CPU, so a seed gives the same model bytes from run to run (at one thread count)
        for message, update in zip(self.messages, self.updates):
            ds, dv = message(message.sender_context(s).index_select(0, graph.free_src),
                             v.index_select(0, graph.free_src),
                             free_radial, free_unit, graph.free_dst, n_nodes)
            template_context = message.sender_context(template_s).index_select(0, template_species)
            ts, tv = message(template_context, None, template_radial, template_unit,
                             graph.template_dst, n_nodes)
            s, v = update(s + ds + ts, v + dv + tv)
        return v

    @staticmethod
    def _distances(vectors: torch.Tensor):
        """Lengths (Å) and unit vectors of the edges."""
        distances = torch.linalg.norm(vectors, dim=-1)
        return distances, vectors / distances[:, None]
