"""A search that evaluates nothing new: warned about at once, stopped after a few stages."""

from __future__ import annotations

import logging

__all__ = ["IDLE_LIMIT", "SearchStalledError", "check_progress"]

log = logging.getLogger(__name__)

IDLE_LIMIT = 3  # consecutive stages that evaluate nothing new before the search stops


class SearchStalledError(RuntimeError):
    """Several stages in a row evaluated no new structure; the message says why."""


def check_progress(state, *, stage: int, samples: int, rejected: int, evaluated: int) -> None:
    """Count ``stage`` in ``state.idle_stages`` if it evaluated nothing: a warning, and after
    IDLE_LIMIT such stages in a row a SearchStalledError naming the cause and the fixes."""
    state.idle_stages = 0 if evaluated else state.idle_stages + 1
    if evaluated or not samples:
        return
    reason = (f"all {samples} samples had atoms too close" if rejected == samples
              else f"{rejected} of {samples} samples had atoms too close and every calculator call failed")
    log.warning("stage %d evaluated no new structure: %s", stage, reason)
    if state.idle_stages >= IDLE_LIMIT:
        raise SearchStalledError(
            f"the search stalled: {state.idle_stages} stages in a row evaluated no new structure "
            f"(last: {reason}). The model has collapsed or the calculator fails: look at the "
            "failures, give a larger box or a lower min_distance_ratio, or start again with another seed")
