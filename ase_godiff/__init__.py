"""ase_godiff: global structure optimisation by GO-Diff diffusion models, for ASE."""

from ._version import __version__
from .nn.score import ScoreNetConfig
from .optimizer import GODiffOptimizer
from .settings import SearchSettings
from .space import Box, SearchSpace

__all__ = ["Box", "GODiffOptimizer", "ScoreNetConfig", "SearchSettings", "SearchSpace"]
