"""PaiNN message passing (Schütt, Unke, Gastegger, ICML 2021, arXiv 2102.03150).

Scalar features s (N, F) and vector features v (N, 3, F) of the free atoms; the template's
atoms send messages from static scalar features and zero vectors.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch_geometric.utils import scatter

__all__ = ["PaiNNMessage", "PaiNNUpdate", "RadialBasis"]


class RadialBasis(nn.Module):
    """sin(n pi r / r_c) / r expansion times a cosine cutoff; r in Å."""

    def __init__(self, *, size: int, cutoff: float):
        super().__init__()
        self.cutoff = cutoff
        self.register_buffer("frequencies", torch.arange(1, size + 1) * math.pi / cutoff)

    def forward(self, distances: torch.Tensor) -> torch.Tensor:
        r = distances[:, None]
        envelope = 0.5 * (torch.cos(math.pi * r / self.cutoff) + 1.0) * (r < self.cutoff)
        return torch.sin(self.frequencies * r) / r * envelope


class PaiNNMessage(nn.Module):
    """Equivariant messages from senders into receiving free atoms."""

    def __init__(self, *, features: int, radial_basis: int):
        super().__init__()
        self.features = features
        self.scalar_net = nn.Sequential(
            nn.Linear(features, features), nn.SiLU(), nn.Linear(features, 3 * features)
        )
        self.filter = nn.Linear(radial_basis, 3 * features)

    def sender_context(self, s: torch.Tensor) -> torch.Tensor:
        """phi(s) for senders; computed once per species for the static template."""
        return self.scalar_net(s)

    def forward(self, context, v_src, radial, unit, dst, n_nodes):
        """Sum messages at receivers.

        Args:
            context: phi(s) of each edge's sender, (E, 3F).
            v_src: the sender's vectors (E, 3, F), or None for template senders.
            radial: radial basis of each edge, (E, R); unit: unit edge vectors (E, 3).
        """
        ds, dvv, dvs = torch.split(context * self.filter(radial), self.features, dim=-1)
        dv = dvs[:, None, :] * unit[:, :, None]
        if v_src is not None:
            dv = dv + dvv[:, None, :] * v_src
        return (scatter(ds, dst, dim=0, dim_size=n_nodes, reduce="sum"),
                scatter(dv, dst, dim=0, dim_size=n_nodes, reduce="sum"))


class PaiNNUpdate(nn.Module):
    """The atom-wise update mixing scalar and vector channels.

    Both channels are normalised on the way in (layer norm on scalars, an equivariant RMS
    norm on vectors), so that strongly overlapping atoms at high noise cannot make the
    quadratic scalar-vector coupling blow up.
    """

    def __init__(self, *, features: int):
        super().__init__()
        self.features = features
        self.scalar_norm = nn.LayerNorm(features)
        self.mix = nn.Linear(features, 2 * features, bias=False)
        self.update_net = nn.Sequential(
            nn.Linear(2 * features, features), nn.SiLU(), nn.Linear(features, 3 * features)
        )

    def forward(self, s: torch.Tensor, v: torch.Tensor):
        s = self.scalar_norm(s)
        v = v / torch.sqrt((v**2).sum(dim=1).mean(dim=-1) + 1.0)[:, None, None]
        u_v, v_v = torch.split(self.mix(v), self.features, dim=-1)
        norm = torch.sqrt((v_v**2).sum(dim=1) + 1e-8)
        a_vv, a_sv, a_ss = torch.split(self.update_net(torch.cat([s, norm], -1)), self.features, -1)
        return s + a_sv * (u_v * v_v).sum(dim=1) + a_ss, v + a_vv[:, None, :] * u_v
