"""Checkpoints after every stage: exact resume, and nothing lost to a kill -9."""

import json
import os
import subprocess
import sys

import ase.db
import numpy as np
import pytest
from ase.calculators.emt import EMT
from ase.build import fcc111
from ase.constraints import FixAtoms

from ase_godiff import GODiffOptimizer, ScoreNetConfig
from ase_godiff.checkpoint import CheckpointError
from ase_godiff.runlock import RunLockedError

from systems import FAST, small_slab

NET = ScoreNetConfig(features=8, blocks=1, cutoff=4.0, radial_basis=6)


def _optimizer(**kwargs):
    return GODiffOptimizer(small_slab("Pt2"), EMT(), settings=FAST, network=NET, seed=4,
                           stages=4, **kwargs)


@pytest.mark.parametrize("settings", [{}, {"stage_relax_top": 1, "stage_relax_calls": 2}],
                         ids=["paper's loop", "relaxations cut short go on across the resume"])
def test_resume_gives_the_same_result_as_an_uninterrupted_run(tmp_path, settings):
    straight = _optimizer(**settings)
    straight.run()
    first = _optimizer(restart=tmp_path / "run", **settings)
    first.run(steps=2)
    resumed = _optimizer(restart=tmp_path / "run", **settings)
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


def test_a_checkpoint_written_before_the_force_scale_resumes_exactly(tmp_path):
    from safetensors.torch import load_file, save_file

    straight = _optimizer()
    straight.run()
    _optimizer(restart=tmp_path / "run").run(steps=2)
    written = list((tmp_path / "run").rglob("model.safetensors"))
    assert written
    for path in written:  # as an older version wrote it
        weights = load_file(str(path))
        del weights["force_scale"]
        save_file(weights, str(path))
    resumed = _optimizer(restart=tmp_path / "run")
    assert resumed.state.stage == 2
    resumed.run()
    np.testing.assert_array_equal(resumed.state.buffer.energies, straight.state.buffer.energies)


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


@pytest.mark.parametrize("added", ["learnt_relax_steps", "local_fraction", "regrow_fraction"])
@pytest.mark.parametrize("changed, resumes", [(None, True), ("something else", False)],
                         ids=["resolves to what the old code did", "does something else"])
def test_a_folder_written_before_a_setting_existed_resumes_only_where_it_means_the_old_code(
        tmp_path, added, changed, resumes):
    _optimizer(restart=tmp_path / "run").run(steps=1)
    for path in (tmp_path / "run").rglob("*.json"):  # as written before the setting existed
        text = json.loads(path.read_text())
        search = text.get("search", text)
        if "settings" in search:
            del search["settings"][added]
            path.write_text(json.dumps(text))
    other = {"learnt_relax_steps": 5, "local_fraction": 0.5, "regrow_fraction": 0.5}[added]
    resolved = {added: other} if changed else {}
    if resumes:
        opt = _optimizer(restart=tmp_path / "run", **resolved)
        assert opt.state.stage == 1
    else:
        with pytest.raises(ValueError, match=f"{added}: 0(.0)? there, {other} here"):
            _optimizer(restart=tmp_path / "run", **resolved)


def test_max_seconds_stops_before_the_limit():
    opt = _optimizer()
    opt.run(max_seconds=1e-3)
    assert opt.state.stage == 1  # the first stage has no pace yet; the second would pass the limit


def test_resume_refuses_another_system_and_names_the_difference(tmp_path):
    _optimizer(restart=tmp_path / "run").run(steps=1)
    copper = fcc111("Cu", size=(3, 3, 2), vacuum=6.0)
    copper.set_constraint(FixAtoms(indices=range(len(copper))))
    with pytest.raises(ValueError, match=r"belongs to another search: atoms\.cell"):
        GODiffOptimizer(copper + small_slab("Au2")[-2:], EMT(), settings=FAST, network=NET,
                        seed=4, stages=4, restart=tmp_path / "run")


def test_deleting_the_checkpoint_resumes_from_the_database_without_paying_twice(tmp_path):
    straight = _optimizer()
    straight.run()
    with _optimizer(restart=tmp_path / "run") as first:
        first.run(steps=3)
    for name in os.listdir(tmp_path / "run" / "checkpoint"):
        os.remove(tmp_path / "run" / "checkpoint" / name)
    calc = CrashingEMT()
    with GODiffOptimizer(small_slab("Pt2"), calc, settings=FAST, network=NET, seed=4, stages=4,
                         restart=tmp_path / "run") as resumed:
        resumed.run()
    assert calc.calls == straight.state.nevaluations - first.state.nevaluations
    np.testing.assert_array_equal(resumed.state.buffer.energies, straight.state.buffer.energies)
    rows = list(ase.db.connect(tmp_path / "run" / "search.db").select())
    assert sorted(row.evaluation for row in rows) == list(range(1, straight.state.nevaluations + 1))


@pytest.mark.parametrize("name", ["state.json", "model.safetensors", "optimizer.pt",
                                  "torch_generator.pt", "buffer.npz"])
def test_a_damaged_checkpoint_file_is_a_one_line_error_naming_it(tmp_path, name):
    with _optimizer(restart=tmp_path / "run") as first:
        first.run(steps=1)
    path = tmp_path / "run" / "checkpoint" / name
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    with pytest.raises(CheckpointError, match=f"{name} is damaged or missing .* remove") as error:
        _optimizer(restart=tmp_path / "run")
    assert "\n" not in str(error.value)
    os.remove(path)
    if name == "state.json":  # no checkpoint at all: the search starts over, replaying the database
        assert _optimizer(restart=tmp_path / "run").state.stage == 0
        return
    with pytest.raises(CheckpointError, match=f"{name} is damaged or missing"):
        _optimizer(restart=tmp_path / "run")


def test_a_live_search_locks_its_folder_and_a_dead_ones_lock_is_taken_over(tmp_path):
    folder = tmp_path / "run"
    folder.mkdir()
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (folder / "lock").write_text(json.dumps({"host": os.uname().nodename, "pid": sleeper.pid}))
        with pytest.raises(RunLockedError, match=f"process {sleeper.pid}"):
            _optimizer(restart=folder)
    finally:
        sleeper.kill()
        sleeper.wait()
    with _optimizer(restart=folder) as opt:  # the owner is gone: the lock is taken over
        assert json.loads((folder / "lock").read_text())["pid"] == os.getpid()
        opt.run(steps=1)
    assert not (folder / "lock").exists()


def test_a_full_disk_stops_the_search_and_a_resume_finishes_it_exactly(tmp_path, monkeypatch):
    from ase_godiff.observers import DatabaseWriter

    straight = _optimizer()
    straight.run()
    write, calls = DatabaseWriter.__call__, []

    def fills_up(self, call):
        calls.append(call)
        if len(calls) == FAST.samples_per_stage + 3:
            raise OSError(28, "No space left on device")
        write(self, call)

    monkeypatch.setattr(DatabaseWriter, "__call__", fills_up)
    with _optimizer(restart=tmp_path / "run") as first, pytest.raises(OSError, match="No space"):
        first.run()
    monkeypatch.setattr(DatabaseWriter, "__call__", write)  # space freed
    with _optimizer(restart=tmp_path / "run") as resumed:
        resumed.run()
    np.testing.assert_array_equal(resumed.state.buffer.energies, straight.state.buffer.energies)
    rows = list(ase.db.connect(tmp_path / "run" / "search.db").select())
    assert sorted(row.evaluation for row in rows) == list(range(1, straight.state.nevaluations + 1))


def test_a_run_stopped_in_its_second_cycle_resumes_to_the_uninterrupted_result(tmp_path):
    budget = 40  # FAST: 4 stages of 6 a cycle, so the second cycle starts at call 24
    straight = _optimizer()
    straight.run(max_evaluations=budget)
    assert straight.state.cycle == 1 and straight.state.nevaluations == budget
    first = _optimizer(restart=tmp_path / "run")
    first.run(max_evaluations=budget, steps=6)  # stops in the middle of the second cycle
    first.close()
    assert first.state.cycle == 1
    resumed = _optimizer(restart=tmp_path / "run")
    resumed.run(max_evaluations=budget)
    np.testing.assert_array_equal(resumed.state.buffer.energies, straight.state.buffer.energies)
    np.testing.assert_array_equal(resumed.state.buffer.stages, straight.state.buffer.stages)


def test_a_checkpoint_written_before_cycles_existed_resumes_in_the_first_cycle(tmp_path):
    straight = _optimizer()
    straight.run()
    first = _optimizer(restart=tmp_path / "run")
    first.run(steps=2)
    first.close()
    state_file = tmp_path / "run" / "checkpoint" / "state.json"
    meta = json.loads(state_file.read_text())
    for name in ("cycle", "cycle_start"):
        del meta[name]
    del meta["search"]["settings"]["cycles"]
    state_file.write_text(json.dumps(meta))
    search_file = tmp_path / "run" / "search.json"
    search = json.loads(search_file.read_text())
    del search["settings"]["cycles"]
    search_file.write_text(json.dumps(search))
    resumed = _optimizer(restart=tmp_path / "run")
    assert resumed.state.cycle == 0 and resumed.state.cycle_start == 0
    resumed.run()
    np.testing.assert_array_equal(resumed.state.buffer.energies, straight.state.buffer.energies)
