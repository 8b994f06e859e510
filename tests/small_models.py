"""Small score networks for fast model-folder and zoo tests."""

from __future__ import annotations

import numpy as np
import torch

from ase_godiff.nn.graph import TemplateEnvironment
from ase_godiff.nn.score import ScoreNetConfig, ScoreNetwork
from ase_godiff.space import SearchSpace

from systems import small_slab

SMALL = ScoreNetConfig(features=8, blocks=1, cutoff=4.0, radial_basis=6)


def small_model(seed: int = 0, config: ScoreNetConfig = SMALL) -> ScoreNetwork:
    torch.manual_seed(seed)
    return ScoreNetwork(config).eval()


def outputs(model: ScoreNetwork) -> tuple[np.ndarray, np.ndarray]:
    """Scores and forces of ``model`` on three fixed prior samples of Pt2 on a Pt(111) slab."""
    space = SearchSpace(small_slab("Pt2"))
    env = TemplateEnvironment.from_space(space, model.config.cutoff, model.config.free_cutoff)
    x = torch.as_tensor(space.box.sample_uniform(3, space.n_free, np.random.default_rng(0)), dtype=torch.float32)
    with torch.no_grad():
        score, forces = model(x, torch.full((3,), 0.3), env, torch.as_tensor(space.free_numbers))
    return score.numpy(), forces.numpy()
