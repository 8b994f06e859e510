"""The search space in torch, built once: the template environment, the box, the free atoms' numbers."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .diffusion.box import TorchBox
from .nn.graph import TemplateEnvironment
from .nn.score import ScoreNetConfig
from .space import SearchSpace

__all__ = ["SpaceTensors"]


@dataclass
class SpaceTensors:
    """What the score network, the sampler and the trainer read of a :class:`SearchSpace`."""

    env: TemplateEnvironment
    box: TorchBox
    numbers: torch.Tensor

    @classmethod
    def from_space(cls, space: SearchSpace, network: ScoreNetConfig, dtype: torch.dtype,
                   device: torch.device) -> "SpaceTensors":
        env = TemplateEnvironment.from_space(space, network.cutoff, network.free_cutoff, dtype)
        box = TorchBox(space.box.corner, space.box.vectors, space.periodic_box_axes, dtype)
        numbers = torch.as_tensor(space.free_numbers, dtype=torch.long)
        return cls(env.to(device), box.to(device), numbers.to(device))
