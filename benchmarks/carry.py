"""Carry a long GO-Diff seed from one session to the next, at the end of a cycle.

A new cycle starts from the first model's weights with a fresh torch optimizer and learns
only from what it evaluates itself (docs/method.md, "Cycles"), so what it does depends on
the random generators' states, the counters and the settings, not on the structures of
earlier cycles. At each cycle's end the harness therefore keeps, in a folder ``CARRY``:

- ``checkpoint/``: the search state (ase_godiff.checkpoint) with only the best structure
  left in its buffer, a few hundred kB where the whole record of a 50,000-call seed is tens
  of MB;
- ``record.json``: the harness's record so far (calls, first success, trace, stage marks,
  wall seconds).

A later run given the same folder continues that seed exactly where the uninterrupted run
would have gone on: the next cycle, call for call. Work done after the last cycle's end is
lost and done again.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import tempfile
from pathlib import Path

import numpy as np

from ase_godiff.buffer import ReplayBuffer
from ase_godiff.checkpoint import FOLDER, find_checkpoint, save_checkpoint
from common import write_atomically

RECORD = "record.json"


def carried_record(carry: Path) -> dict | None:
    """The harness's record at the last cycle's end kept in ``carry``, or None."""
    path = carry / RECORD
    return json.loads(path.read_text()) if path.is_file() and find_checkpoint(carry) else None


def run_folder_from(carry: Path) -> Path:
    """A new temporary run folder for the optimizer's ``restart``: empty, or holding the
    checkpoint carried in ``carry`` (the optimizer refuses it if the search differs)."""
    folder = Path(tempfile.mkdtemp(prefix="godiff-carried-run-"))
    checkpoint = find_checkpoint(carry)
    if checkpoint is not None:
        shutil.copytree(checkpoint, folder / FOLDER)
    return folder


def carry_out(opt, record: dict, carry: Path) -> None:
    """Keep ``opt``'s state at the end of a cycle, with its best structure only, and the
    harness's ``record`` in ``carry``."""
    if not opt.finished:
        raise ValueError("a search is carried only at the end of a cycle")
    state, buffer = opt.state, opt.state.buffer
    best = ReplayBuffer(buffer.n_free)
    if len(buffer):
        i = int(np.argmin(buffer.energies))
        best.add(buffer.positions[i], buffer.energies[i], buffer.forces[i], int(buffer.stages[i]),
                 int(buffer.evaluations[i]))
    save_checkpoint(dataclasses.replace(state, buffer=best, cycle_start=len(best)), opt.files.search, carry)
    write_atomically(carry / RECORD, record)


def joined_trace(earlier: list, trace: list) -> list:
    """The best-so-far trace of a carried seed: the earlier sessions' then this one's
    improvements (this session's buffer starts with the carried best, already in ``earlier``)."""
    last = earlier[-1][0] if earlier else 0
    return list(earlier) + [point for point in trace if point[0] > last]
