"""Checkpoints after every stage: exact resume, and nothing lost to a kill -9."""

import os
import signal
import subprocess
import sys
import time

import ase.db
import numpy as np
import pytest
from ase.calculators.emt import EMT
from ase.io import read

from ase_godiff import GODiffOptimizer, ScoreNetConfig

from systems import FAST, small_slab

NET = ScoreNetConfig(features=8, blocks=1, cutoff=4.0, radial_basis=6)


def _optimizer(**kwargs):
    return GODiffOptimizer(small_slab("Pt2"), EMT(), settings=FAST, network=NET, seed=4,
                           stages=4, **kwargs)


def test_resume_gives_the_same_result_as_an_uninterrupted_run(tmp_path):
    straight = _optimizer()
    straight.run()
    first = _optimizer(restart=tmp_path / "run")
    first.run(steps=2)
    resumed = _optimizer(restart=tmp_path / "run")
    assert resumed.state.stage == 2 and len(resumed.state.buffer) == len(first.state.buffer)
    resumed.run()
    np.testing.assert_array_equal(resumed.state.buffer.energies, straight.state.buffer.energies)
    np.testing.assert_array_equal(resumed.state.buffer.positions, straight.state.buffer.positions)
    assert resumed.get_minimum()[0] == straight.get_minimum()[0]
    np.testing.assert_allclose(resumed.get_minimum()[1].get_forces(),
                               straight.get_minimum()[1].get_forces())


class CrashingEMT(EMT):
    """EMT that counts its calls and stops the whole process (like a kill) at call ``crash_at``."""

    def __init__(self, crash_at=None):
        super().__init__()
        self.calls, self.crash_at = 0, crash_at

    def calculate(self, *args, **kwargs):
        self.calls += 1
        if self.calls == self.crash_at:
            raise KeyboardInterrupt
        super().calculate(*args, **kwargs)


def test_resume_reuses_the_calls_of_the_interrupted_stage(tmp_path):
    straight = _optimizer()
    straight.run()
    folder, database = tmp_path / "run", tmp_path / "search.db"
    first = _optimizer(restart=folder, database=database)
    first.calc = CrashingEMT(crash_at=FAST.samples_per_stage + 4)  # mid second stage
    with pytest.raises(KeyboardInterrupt):
        first.run()
    done_before_crash = first.state.nevaluations
    calc = CrashingEMT()
    resumed = GODiffOptimizer(small_slab("Pt2"), calc, settings=FAST, network=NET, seed=4,
                              stages=4, restart=folder, database=database)
    resumed.run()
    assert calc.calls == straight.state.nevaluations - done_before_crash  # nothing paid for twice
    np.testing.assert_array_equal(resumed.state.buffer.energies, straight.state.buffer.energies)
    rows = list(ase.db.connect(database).select())
    assert sorted(row.evaluation for row in rows) == list(range(1, straight.state.nevaluations + 1))


def test_resume_with_other_settings_is_a_clear_error(tmp_path):
    _optimizer(restart=tmp_path / "run").run(steps=1)
    with pytest.raises(ValueError, match="belongs to another search: seed: 4 there, 5 here"):
        GODiffOptimizer(small_slab("Pt2"), EMT(), settings=FAST, network=NET, seed=5,
                        stages=4, restart=tmp_path / "run")


def test_max_seconds_stops_before_the_limit():
    opt = _optimizer()
    opt.run(max_seconds=1e-3)
    assert opt.state.stage == 1  # the first stage has no pace yet; the second would pass the limit


SCRIPT = """
import sys
from ase.calculators.emt import EMT
sys.path.insert(0, {tests!r})
from systems import small_slab, FAST
from ase_godiff import GODiffOptimizer, ScoreNetConfig
net = ScoreNetConfig(features=8, blocks=1, cutoff=4.0, radial_basis=6)
opt = GODiffOptimizer(small_slab("Pt2"), EMT(), settings=FAST, network=net, seed=4, stages=200,
                      samples_per_stage=12, restart={run!r}, trajectory={traj!r})
opt.run()
"""


def test_kill_minus_nine_loses_at_most_the_stage_in_flight(tmp_path):
    run, traj = tmp_path / "run", tmp_path / "search.traj"
    code = SCRIPT.format(tests=os.path.dirname(__file__), run=str(run), traj=str(traj))
    process = subprocess.Popen([sys.executable, "-c", code])
    deadline = time.time() + 120
    while time.time() < deadline and not (run / "checkpoint" / "state.json").exists():
        time.sleep(0.2)
    time.sleep(1.5)  # let it get somewhere into a later stage
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    written = read(traj, ":")  # every completed frame is readable
    resumed = GODiffOptimizer(small_slab("Pt2"), EMT(), settings=FAST, network=NET, seed=4,
                              stages=200, samples_per_stage=12, restart=run)
    assert resumed.state.stage >= 1
    lost = len(written) - len(resumed.state.buffer)
    assert 0 <= lost <= 12  # at most the structures of the stage in flight
    np.testing.assert_allclose([a.get_potential_energy() for a in written[:len(resumed.state.buffer)]],
                               resumed.state.buffer.energies)
