"""Everything that calls the calculator: single and batched evaluations, the final polish.

Every path makes its results through :func:`result.checked`, so a failure, a non-finite
or an absurd number is recognised the same way wherever it comes from.
"""

from .batched import BatchedPotential, MACEBatchedPotential, batched_potential_for
from .calls import BATCH_SIZE, evaluate, evaluate_many
from .polish import distinct_lowest, relax
from .result import Evaluation, checked, failed

__all__ = ["BATCH_SIZE", "BatchedPotential", "Evaluation", "MACEBatchedPotential",
           "batched_potential_for", "checked", "distinct_lowest", "evaluate", "evaluate_many",
           "failed", "relax"]
