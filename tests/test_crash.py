"""Fault injection: kill -9 at random moments of a search with a polish, then resume.

Each run is a subprocess (tests/crash_child.py) that stops at a chosen event (the start
of a calculator call, or inside a checkpoint write) and waits; the test waits for the
file that says so, not for a time, and kills it.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import ase.db
import numpy as np
import pytest

CHILD = Path(__file__).parent / "crash_child.py"
ENV = {**os.environ, "OMP_NUM_THREADS": "1"}


def _run_until_killed(folder: Path, kill_at: int, *options: str) -> str | None:
    """Run the child to its ``kill_at``-th event and kill it there; the event's name, or None
    if the child finished first."""
    marker = folder.parent / "killed-at"
    marker.unlink(missing_ok=True)
    process = subprocess.Popen([sys.executable, str(CHILD), str(folder), str(kill_at), *options],
                               env=ENV, stdout=subprocess.DEVNULL)
    while process.poll() is None and not marker.exists():
        time.sleep(0.02)  # polling the marker file, which appears at the event
    if process.poll() is not None:
        assert process.returncode == 0
        return None
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    return marker.read_text()


def _finish(folder: Path) -> dict:
    done = subprocess.run([sys.executable, str(CHILD), str(folder), "0"], env=ENV,
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.splitlines()[-1])


def _valid_rows(folder: Path) -> list:
    return [row for row in ase.db.connect(folder / "search.db").select()
            if row.get("status") != "discarded"]


@pytest.mark.slow
def test_twenty_random_kills_lose_no_call_duplicate_none_and_reproduce_the_result(tmp_path):
    straight_folder = tmp_path / "straight" / "run"
    straight = _finish(straight_folder)
    rng = np.random.default_rng(7)
    folder = tmp_path / "killed" / "run"
    moments = []
    while len(moments) < 20:
        moment = _run_until_killed(folder, int(rng.integers(1, 4)))
        if moment is None:  # finished before the event: start a fresh chain of kills
            break
        moments.append(moment)
    resumed = _finish(folder)
    assert len(moments) == 20 and "a checkpoint write" in moments and "a calculator call" in moments
    assert resumed == straight  # same calls, same energies, same best, bit for bit
    rows = _valid_rows(folder)
    assert sorted(row.evaluation for row in rows) == list(range(1, straight["evaluations"] + 1))
    paid = len((folder.parent / "paid").read_text().splitlines())
    assert paid <= straight["evaluations"]  # no completed call paid for twice (EMT may reuse its cache)


@pytest.mark.slow
@pytest.mark.parametrize("options, where", [((), "before the first checkpoint"),
                                            (("--in-polish",), "in the polish")])
def test_a_kill_before_the_first_checkpoint_or_in_the_polish_resumes_exactly(tmp_path, options, where):
    straight = _finish(tmp_path / "straight" / "run")
    folder = tmp_path / "killed" / "run"
    assert _run_until_killed(folder, 3, *options) == "a calculator call"
    checkpoint = folder / "checkpoint" / "state.json"
    if where == "before the first checkpoint":
        assert not checkpoint.exists()
    else:
        state = json.loads(checkpoint.read_text())
        assert state["stage"] == 3 and not state["polished"]
    assert _finish(folder) == straight
    rows = _valid_rows(folder)
    assert sorted(row.evaluation for row in rows) == list(range(1, straight["evaluations"] + 1))
