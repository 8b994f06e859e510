"""ase_godiff: global structure optimisation by GO-Diff diffusion models, for ASE."""

from .nn.score import ScoreNetConfig
from .optimizer import GODiffOptimizer
from .settings import SearchSettings
from .space import Box, SearchSpace

__all__ = ["Box", "GODiffOptimizer", "ScoreNetConfig", "SearchSettings", "SearchSpace"]
__version__ = "0.1.0"
