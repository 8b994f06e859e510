"""The ASE-style contract of GODiffOptimizer, and its error paths."""

import io
import logging

import numpy as np
import pytest
import torch
from ase.calculators.calculator import Calculator, all_changes
from ase.calculators.emt import EMT
from ase.io import read

from ase_godiff import Box, GODiffOptimizer, ScoreNetConfig

from systems import FAST, gas_cluster, small_slab

NET = ScoreNetConfig(features=8, blocks=1, cutoff=4.0, radial_basis=6)


def _optimizer(atoms=None, calc=None, **kwargs):
    return GODiffOptimizer(atoms if atoms is not None else small_slab("Pt2"), calc or EMT(),
                           settings=FAST, network=NET, **kwargs)


class FlakyEMT(EMT):
    """EMT that raises on every third call and returns NaN on every fifth."""

    def __init__(self):
        super().__init__()
        self.calls = 0

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        self.calls += 1
        if self.calls % 3 == 0:
            raise RuntimeError("SCF did not converge")
        super().calculate(atoms, properties, system_changes)
        if self.calls % 5 == 0:
            self.results["energy"] = float("nan")


class AlwaysFails(Calculator):
    implemented_properties = ["energy", "forces"]

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        raise RuntimeError("license server unreachable")


def test_run_returns_the_best_structure_with_order_constraints_energy_and_forces(tmp_path):
    atoms = small_slab("Pt2")
    with _optimizer(atoms, seed=1, trajectory=str(tmp_path / "search.traj")) as opt:
        best = opt.run()
        energy, minimum = opt.get_minimum()
    np.testing.assert_array_equal(best.numbers, atoms.numbers)
    np.testing.assert_array_equal(best.constraints[0].get_indices(), atoms.constraints[0].get_indices())
    np.testing.assert_allclose(best.positions[:-2], atoms.positions[:-2])  # template untouched
    assert best.get_potential_energy() == pytest.approx(energy)
    assert energy == pytest.approx(min(opt.state.buffer.energies))
    reference = best.copy()
    reference.calc = EMT()
    assert reference.get_potential_energy() == pytest.approx(energy, abs=1e-9)
    np.testing.assert_allclose(best.get_forces(), reference.get_forces(), atol=1e-9)
    assert np.all(best.get_forces()[:-2] == 0.0)  # fixed atoms feel no force
    frames = read(tmp_path / "search.traj", ":")
    assert len(frames) == opt.state.nevaluations == len(opt.state.buffer) > 0
    assert min(f.get_potential_energy() for f in frames) == pytest.approx(energy)
    np.testing.assert_allclose(minimum.positions, best.positions)


def test_irun_yields_per_stage_and_observers_follow_their_interval():
    opt = _optimizer(stages=4)
    every, every_other = [], []
    opt.attach(lambda: every.append(opt.state.stage))
    opt.attach(lambda tag: every_other.append((tag, opt.state.stage)), 2, "x")
    flags = list(opt.irun())
    assert flags == [False, False, False, True]
    assert every == [1, 2, 3, 4] and every_other == [("x", 2), ("x", 4)]


def test_logfile_has_a_header_and_one_line_per_stage():
    stream = io.StringIO()
    opt = _optimizer(logfile=stream, stages=3)
    opt.run()
    lines = stream.getvalue().splitlines()
    assert "kT/eV" in lines[0] and "ESS" in lines[0]
    assert len(lines) == 4 and all(line.startswith("GODiff:") for line in lines[1:])
    assert float(lines[-1].split()[2]) == pytest.approx(opt.state.kT, abs=1e-4)
    assert int(lines[-1].split()[3]) == opt.state.nevaluations


def test_logfile_path_and_silence(tmp_path, capsys):
    with _optimizer(logfile=str(tmp_path / "log.txt")) as opt:
        opt.run()
    assert len((tmp_path / "log.txt").read_text().splitlines()) == 1 + FAST.stages
    _optimizer(logfile=None).run()
    assert capsys.readouterr().out == ""


def test_same_seed_same_result_and_other_seed_differs():
    first = _optimizer(seed=7, stages=3).run()
    again = _optimizer(seed=7, stages=3).run()
    other = _optimizer(seed=8, stages=3).run()
    np.testing.assert_array_equal(first.positions, again.positions)
    assert not np.allclose(first.positions, other.positions)


def test_same_seed_same_model_bytes_on_two_threads():
    import torch

    from tasks import TASKS

    task = TASKS["pt-step-adatom"]
    previous = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        models = []
        for _ in range(2):
            atoms, box = task.atoms_and_box()
            opt = GODiffOptimizer(atoms, EMT(), box=box, seed=0,
                                  stages=2, train_steps=20)
            opt.run()
            models.append(opt.state.model.state_dict())
    finally:
        torch.set_num_threads(previous)
    for name, tensor in models[0].items():
        assert torch.equal(tensor, models[1][name]), f"{name} differs between two runs of one seed"


def test_max_evaluations_and_steps_limit_the_run():
    opt = _optimizer(stages=5)
    opt.run(max_evaluations=8)
    assert opt.state.nevaluations <= 8 and opt.state.stage == 2
    opt = _optimizer(stages=5)
    opt.run(steps=2)
    assert opt.state.stage == 2
    opt.run()
    assert opt.state.stage == 5


def test_failing_calculator_calls_are_recorded_and_the_search_goes_on():
    opt = _optimizer(calc=FlakyEMT(), stages=3)
    opt.run()
    errors = [f["error"] for f in opt.state.failures]
    assert any("SCF did not converge" in e for e in errors)
    assert any("non-finite" in e for e in errors)
    assert opt.state.nevaluations == len(opt.state.buffer) + len(opt.state.failures)
    assert np.all(np.isfinite(opt.state.buffer.energies))


def test_every_call_failing_is_a_clear_error():
    opt = _optimizer(calc=AlwaysFails(), stages=1)
    with pytest.raises(RuntimeError, match="license server unreachable"):
        opt.run()


def test_gas_phase_cluster_samples_stay_in_the_default_box_and_energies_are_emts():
    opt = _optimizer(gas_cluster("Pt3"), stages=2)
    best = opt.run()
    inside = opt.space.box.to_fractional(opt.state.buffer.positions.reshape(-1, 3))
    assert np.all((inside > -1e-9) & (inside < 1 + 1e-9))  # sampled and reflected within the box
    assert (opt.state.buffer.stages == 1).any()  # the trained network sampled stage 1
    reference = best.copy()
    reference.calc = EMT()
    assert best.get_potential_energy() == pytest.approx(reference.get_potential_energy(), abs=1e-9)
    np.testing.assert_allclose(best.get_forces(), reference.get_forces(), atol=1e-9)


def test_todict_describes_the_run():
    d = _optimizer(seed=3).todict()
    assert d["optimizer"] == "GODiffOptimizer" and d["seed"] == 3
    assert d["settings"]["stages"] == FAST.stages and d["network"] == NET.to_dict()


@pytest.mark.parametrize("overrides, message", [
    ({"samples_per_stage": 0}, "samples_per_stage must be at least 1"),
    ({"kT_end": -1.0}, "positive"),
    ({"stagse": 3}, "unknown search setting"),
])
def test_bad_settings_are_clear_errors(overrides, message):
    with pytest.raises(ValueError, match=message):
        _optimizer(**overrides)


def test_missing_calculator_is_a_clear_error():
    with pytest.raises(ValueError, match="no calculator"):
        GODiffOptimizer(small_slab("Pt"), None)


def test_relax_top_polishes_the_best_structures_and_counts_every_call(tmp_path):
    opt = _optimizer(relax_top=2, relax_calls=15, trajectory=str(tmp_path / "t.traj"))
    opt.run(steps=FAST.stages - 1)
    before_calls, before_best = opt.state.nevaluations, opt.get_minimum()[0]
    opt.run()
    polished = opt.state.buffer.stages == FAST.stages
    assert polished.sum() >= 2
    assert opt.state.nevaluations == len(opt.state.buffer) + len(opt.state.failures)
    assert opt.get_minimum()[0] < before_best
    assert opt.state.nevaluations > before_calls + FAST.samples_per_stage
    assert len(read(tmp_path / "t.traj", ":")) == opt.state.nevaluations


def test_polish_respects_the_evaluation_budget():
    opt = _optimizer(relax_top=3, relax_calls=50)
    opt.run(max_evaluations=FAST.samples_per_stage * FAST.stages + 4)
    assert opt.state.nevaluations <= FAST.samples_per_stage * FAST.stages + 4


def test_stage_relaxation_books_a_descending_path_within_every_stage_the_model_samples():
    """Stage 0's prior samples are random starts: relaxation begins with the first trained
    stage, and its start, evaluated already, is not evaluated again."""
    opt = _optimizer(stages=3, stage_relax_top=1, stage_relax_calls=6)
    opt.run()
    buffer = opt.state.buffer
    assert opt.state.nevaluations == len(buffer) + len(opt.state.failures)
    assert (buffer.stages == 0).sum() <= FAST.samples_per_stage  # no relaxation from the prior
    flat = buffer.positions.reshape(len(buffer), -1)
    assert len(np.unique(flat, axis=0)) == len(buffer)  # nothing evaluated twice
    for stage in (1, 2):
        energies = buffer.energies[buffer.stages == stage]
        samples, path = energies[:FAST.samples_per_stage], energies[FAST.samples_per_stage:]
        assert 1 <= len(path) <= 6
        assert path.min() < samples.min()


def test_a_relaxation_cut_short_at_the_lowest_structure_goes_on_in_the_next_stage():
    """Two calls a relaxation: stage 1's ends unfinished at the search's lowest energy, so
    stage 2's relaxation starts from it, not from one of its samples."""
    opt = _optimizer(stages=3, stage_relax_top=1, stage_relax_calls=2)
    chosen, choose = [], opt._stage_relax_starts

    def watched(stage_results):
        starts = choose(stage_results)
        chosen.append((starts, opt.state.buffer.energies.min(), stage_results))
        return starts

    opt._stage_relax_starts = watched
    opt.run()
    starts, lowest, samples = chosen[1]  # stage 2
    assert lowest < min(sample.energy for sample in samples)  # stage 2 sampled nothing lower
    assert len(starts) == 1 and starts[0].energy == lowest
    assert np.linalg.norm(starts[0].forces, axis=-1).max() > opt.settings.stage_relax_fmax
    assert all(starts[0] is not sample for sample in samples)
    assert (opt.state.buffer.stages == 2).sum() > len(samples)  # and it made calls from there


def test_stage_relaxation_keeps_the_evaluation_budget():
    budget = 2 * FAST.samples_per_stage + 3
    opt = _optimizer(stage_relax_top=2, stage_relax_calls=50)
    opt.run(max_evaluations=budget)
    assert opt.state.nevaluations == budget
    assert len(opt.state.buffer.energies[opt.state.buffer.stages == 1]) == FAST.samples_per_stage + 3


def test_device_auto_runs_here_and_bad_devices_are_clear_errors():
    """Two stages and a polish: the prior, training, guided reverse diffusion on the device."""
    import torch

    opt = _optimizer(device="auto", stages=2, relax_top=1, relax_calls=3)
    best = opt.run()
    assert opt.device.type == ("cuda" if torch.cuda.is_available() else "cpu")
    assert opt.state.stage == 2 and np.isfinite(best.get_potential_energy())
    assert (opt.state.buffer.stages == 1).any()  # the second stage was sampled by the trained network
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no GPU"):
            _optimizer(device="cuda")
    with pytest.raises(ValueError, match="unknown device"):
        _optimizer(device="abacus")


def test_search_runs_when_torch_defaults_to_float64():
    """MACECalculator(default_dtype='float64') switches torch's global default dtype."""
    import torch

    torch.set_default_dtype(torch.float64)
    opt = _optimizer(stages=2)
    opt.run()
    assert next(opt.state.model.parameters()).dtype == torch.float32 and len(opt.state.buffer) > 0


def test_stage_and_buffer_sizes_follow_the_number_of_free_atoms_unless_set():
    from ase_godiff.settings import stage_size_for

    assert [stage_size_for(n) for n in (1, 2, 3, 7, 16, 40)] == [8, 8, 16, 32, 64, 128]
    def sizes(**overrides):
        settings = GODiffOptimizer(small_slab("Pt2"), EMT(), network=NET, **overrides).settings
        return settings.samples_per_stage, settings.buffer_size

    assert sizes() == (8, 8)
    assert sizes(samples_per_stage=24) == (24, 24)  # a buffer holds at least a stage
    assert sizes(buffer_size=4) == (8, 4)


def test_from_eight_free_atoms_the_defaults_are_the_hybrid_and_every_setting_given_is_kept():
    """From 8 free atoms the hybrid (regrowing only on a template); from 20 a run of 80
    stages; a setting given is kept."""
    from ase_godiff.settings import SearchSettings

    def regime(n_free, on_template=True, **overrides):
        s = SearchSettings(**overrides).for_free_atoms(n_free, on_template=on_template)
        return (s.samples_per_stage, s.buffer_size, s.force_scale, s.stage_relax_top,
                s.learnt_relax_steps, s.stages, s.local_fraction, s.regrow_fraction)

    assert regime(1) == (8, 8, "fixed", 0, 0, 40, 0.0, 0.0)  # the paper's loop
    assert regime(7) == (32, 32, "fixed", 0, 0, 40, 0.0, 0.0)
    assert regime(8) == (8, 32, "adaptive", 2, 150, 40, 0.5, 0.5)  # 1 sample per free atom, the buffer 4 per atom
    assert regime(13) == (16, 64, "adaptive", 2, 150, 40, 0.5, 0.5)
    assert regime(19) == (32, 128, "adaptive", 2, 150, 40, 0.5, 0.5)
    assert regime(20) == (32, 128, "adaptive", 2, 150, 80, 0.5, 0.5)  # twice the stages from 20
    assert regime(38) == (64, 128, "adaptive", 2, 150, 80, 0.5, 0.5)
    assert regime(13, force_scale="fixed", stage_relax_top=0, samples_per_stage=64, learnt_relax_steps=0,
                  local_fraction=0, regrow_fraction=0) == (64, 64, "fixed", 0, 0, 40, 0.0, 0.0)
    assert regime(7, force_scale="adaptive", stage_relax_top=1, learnt_relax_steps=5,
                  stages=3, local_fraction=0.25, regrow_fraction=1) == (32, 32, "adaptive", 1, 5, 3, 0.25, 1.0)
    assert regime(26, stages=12)[-3] == 12
    assert regime(13, on_template=False) == (16, 64, "adaptive", 2, 150, 40, 0.5, 0.0)  # gas phase: no regrowing
    assert regime(38, on_template=False) == (64, 128, "adaptive", 2, 150, 80, 0.5, 0.0)
    assert regime(38, on_template=False, regrow_fraction=0.5)[-1] == 0.5


def test_the_optimizer_regrows_by_default_on_a_surface_and_not_in_the_gas_phase():
    """Eight Pt atoms on a Pt(111) slab regrow in half the local starts; eight alone none."""
    on_slab, alone = small_slab("Pt8"), gas_cluster("Pt8")
    assert GODiffOptimizer(on_slab, EMT()).settings.regrow_fraction == 0.5
    assert GODiffOptimizer(alone, EMT()).settings.regrow_fraction == 0.0


@pytest.mark.parametrize("seed", [1.5, "0", True, -1])
def test_bad_seeds_are_clear_errors(seed):
    with pytest.raises(ValueError, match=r"seed must be an integer from 0 to 2\*\*64 - 1"):
        _optimizer(seed=seed)


def test_a_collapsed_model_is_replaced_by_fresh_prior_samples_and_says_so(caplog, monkeypatch):
    """Once trained, the model puts every atom on one spot: the prior fills the stage."""
    opt = _optimizer(stages=3)
    opt.step()  # stage 0: the prior, then training
    collapsed = lambda state, n, n_local=0: np.zeros((n, opt.space.n_free, 3))  # noqa: E731
    monkeypatch.setattr(opt.learner, "sample", collapsed)
    before = opt.state.nevaluations
    with caplog.at_level(logging.WARNING, logger="ase_godiff"):
        opt.step()
    samples = opt.settings.samples_per_stage
    assert f"stage 1: {samples} of {samples} samples had atoms too close" in caplog.text
    assert "fresh samples from the prior take their place" in caplog.text
    assert opt.state.nevaluations > before
    new = opt.state.buffer.positions[opt.state.buffer.stages == 1]
    assert len(new) and all(not opt.space.too_close(x) for x in new)
    fractional = opt.space.box.to_fractional(new)
    assert fractional.min() >= -1e-9 and fractional.max() <= 1 + 1e-9  # in the box


def test_a_search_whose_samples_are_all_rejected_stops_with_the_reason():
    from ase_godiff.stall import IDLE_LIMIT, SearchStalledError

    opt = _optimizer(stages=10, min_distance_ratio=1.99, box=Box.from_bounds([0, 0, 5], [1, 1, 6]))
    with pytest.raises(SearchStalledError, match=f"{IDLE_LIMIT} stages in a row .* all 6 samples had atoms too close"):
        opt.run()
    assert opt.state.stage == IDLE_LIMIT and opt.state.nevaluations == 0


@pytest.mark.parametrize("system, periodic_axes", [("gas", (False,) * 3), ("surface", (True, True, False))])
def test_local_starts_are_low_energy_structures_noised_to_a_fraction_of_their_bond_length(system, periodic_axes):
    """At a tiny kT every local start is the lowest structure, noised to sigma within
    LOCAL_NOISE x its median nearest-neighbour distance, its start time at that sigma: each atom
    by N(0, sigma^2) per axis, and all together by one shift of N(0, sigma^2) along the
    periodic axes (x and y of a slab; none for a gas-phase cluster)."""
    from ase_godiff.learner import LOCAL_NOISE

    atoms = gas_cluster("Pt4") if system == "gas" else small_slab("Pt4", size=(4, 4, 2))
    opt = _optimizer(atoms, seed=2, train_steps=5, regrow_fraction=0)
    opt.step()
    opt.state.kT = 1e-9
    buffer = opt.state.buffer
    lowest = buffer.positions[np.argmin(buffer.energies)]
    spacing = np.median(opt.space.nearest_neighbour_distances(lowest))
    assert 2.0 < spacing < 3.5  # Å: Pt-Pt bonds, not a placeholder
    starts = [opt.learner.local_starts(opt.state, 1) for _ in range(400)]
    assert all(kept is None for _, _, kept in starts)
    sigma = opt.learner.sde.sigma(torch.cat([t for _, t, _ in starts])).numpy()
    assert LOCAL_NOISE[0] * spacing - 1e-5 <= sigma.min() and sigma.max() <= LOCAL_NOISE[1] * spacing + 1e-5
    assert sigma.max() - sigma.min() > 0.5 * (LOCAL_NOISE[1] - LOCAL_NOISE[0]) * spacing  # spread, not one value
    box = opt.learner.tensors.box
    moves = np.array([box.displacement(x[0], torch.as_tensor(lowest, dtype=x.dtype)).numpy()
                      for x, _, _ in starts]) / sigma[:, None, None]
    shift = moves.mean(axis=1, keepdims=True)  # each atom's own noise averaged, plus the shared one
    n = len(lowest)
    assert np.mean((moves - shift) ** 2) == pytest.approx(1 - 1 / n, rel=0.15)
    variance, periodic = np.mean(shift ** 2, axis=(0, 1)), np.array(periodic_axes)
    np.testing.assert_allclose(variance[periodic], 1 + 1 / n, rtol=0.25)
    assert np.all(variance[~periodic] < 0.5)  # no shared part: 1 / n, less where a wall reflects


def test_a_regrowing_local_start_keeps_all_atoms_but_one_or_two_which_the_model_regrows():
    """With ``regrow_fraction=1`` every local start keeps the lowest structure but for one or
    two atoms and starts at t = 1; its sample has every kept atom exactly where it was."""
    opt = _optimizer(gas_cluster("Pt4"), seed=2, train_steps=5, regrow_fraction=1.0)
    opt.step()
    opt.state.kT = 1e-9
    buffer = opt.state.buffer
    lowest = buffer.positions[np.argmin(buffer.energies)]
    starts, times, (kept_positions, mask) = opt.learner.local_starts(opt.state, 60)
    np.testing.assert_allclose(times.numpy(), 1.0, atol=1e-6)
    np.testing.assert_allclose(kept_positions.numpy(), np.broadcast_to(lowest, (60, 4, 3)), atol=1e-5)
    assert sorted(set((~mask).sum(1).tolist())) == [1, 2]
    samples = opt.learner.sample(opt.state, 8, 8)
    at_lowest = np.all(np.abs(samples - lowest) < 1e-4, axis=-1).sum(1)
    assert np.all((at_lowest >= 2) & (at_lowest <= 3)), at_lowest  # regrown atoms land elsewhere


def test_regrowing_draws_the_least_coordinated_atom_most_often():
    """A tetrahedron with one atom bonded to a single corner: coordination numbers 3, 3, 3, 4
    and 1; one regrown atom is the loner with probability e^-1 / (e^-1 + 3 e^-3 + e^-4)."""
    bond = 2.7
    tetrahedron = bond / np.sqrt(8) * np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]])
    loner = tetrahedron[3] + bond * tetrahedron[3] / np.linalg.norm(tetrahedron[3])
    atoms = gas_cluster("Pt5")
    atoms.positions = np.vstack([tetrahedron, loner]) + 6.0
    opt = _optimizer(atoms, seed=0)
    structure = opt.space.free_positions_of(atoms)
    assert opt.space.coordination_numbers(structure).tolist() == [3, 3, 3, 4, 1]
    rng = np.random.default_rng(0)
    draws = [opt.learner._regrown(structure, rng) for _ in range(3000)]
    singles = [draw[0] for draw in draws if len(draw) == 1]
    assert 1000 < len(singles) < 2000  # one or two atoms, evenly
    expected = np.exp(-1) / (np.exp(-1) + 3 * np.exp(-3) + np.exp(-4))
    assert np.mean(np.array(singles) == 4) == pytest.approx(expected, abs=0.04)


def test_a_trained_stage_draws_its_local_share_from_evaluated_structures(monkeypatch):
    """``local_fraction`` of a trained stage's samples start from evaluated structures, the rest
    from the prior; before any structure is evaluated (a warm start) all come from the prior."""
    opt = _optimizer(gas_cluster("Pt4"), seed=2, samples_per_stage=8, local_fraction=0.25)
    drawn = {}
    for name in ("prior", "local_starts"):
        original = getattr(opt.learner, name)
        monkeypatch.setattr(opt.learner, name, lambda state, n, _f=original, _k=name: (
            drawn.setdefault(_k, []).append(n), _f(state, n))[1])
    opt.step()  # the prior's stage
    assert drawn == {"prior": [8]}
    opt.step()
    assert drawn == {"prior": [8, 6], "local_starts": [2]}
    assert (opt.state.buffer.stages == 1).sum() > 0
    samples = opt.learner.sample(opt.state, 8, 8)
    assert np.isfinite(samples).all() and drawn["local_starts"][-1] == 8
    fractional = opt.space.box.to_fractional(samples)
    assert fractional.min() >= -1e-9 and fractional.max() <= 1 + 1e-9  # in the box
    opt.state.buffer = type(opt.state.buffer)(opt.space.n_free)  # a warm start: nothing evaluated
    assert opt.learner.sample(opt.state, 8, 4).shape == (8, 4, 3) and drawn["prior"][-1] == 8


def test_learnt_relax_steps_move_every_sample_downhill_in_the_learnt_forces():
    """The same draws, with and without the descent: the descended samples feel smaller learnt
    forces, and the descent makes no calculator call."""
    import torch

    runs = {}
    for steps in (0, 30):
        opt = _optimizer(gas_cluster("Pt4"), seed=2, learnt_relax_steps=steps, train_steps=40)
        opt.step()  # the prior, then training
        calls = opt.state.nevaluations
        samples = opt.learner.sample(opt.state, 8)
        assert opt.state.nevaluations == calls
        t, model = opt.learner.tensors, opt.state.model
        x = torch.as_tensor(samples, dtype=torch.float32)
        sigma = opt.learner.sde.sigma(torch.tensor(opt.settings.t_min)).expand(len(x))
        with torch.no_grad():
            forces = model(x, sigma, t.env, t.numbers)[1] / model.force_scale
        runs[steps] = samples, float(torch.linalg.norm(forces, dim=-1).mean())
    assert not np.allclose(runs[0][0], runs[30][0])
    assert runs[30][1] < 0.5 * runs[0][1]


def _cycle_spy(monkeypatch):
    """Record, at every stage's sampling, (cycle, model trained, first weight) and, at every
    training, how many structures it could draw from."""
    from ase_godiff.learner import Learner

    seen = {"sample": [], "train": []}
    sample, train = Learner.sample, Learner.train

    def spy_sample(self, state, *args, **kwargs):
        first = next(iter(state.model.state_dict().values())).flatten()[:4].clone()
        seen["sample"].append((state.cycle, state.model_trained, first))
        return sample(self, state, *args, **kwargs)

    def spy_train(self, state, kT):
        seen["train"].append((state.cycle, len(state.cycle_buffer)))
        return train(self, state, kT)

    monkeypatch.setattr(Learner, "sample", spy_sample)
    monkeypatch.setattr(Learner, "train", spy_train)
    return seen


def test_a_budget_beyond_one_anneal_starts_fresh_independent_cycles(monkeypatch):
    seen = _cycle_spy(monkeypatch)
    opt = GODiffOptimizer(small_slab("Pt2"), EMT(), settings=FAST, seed=3)  # 2 stages of 6
    opt.run(max_evaluations=30)
    state = opt.state
    stages = state.buffer.stages
    assert state.nevaluations == 30 and state.cycle >= 2  # a cycle: at most 2 x 6 calls
    assert not np.any(stages % 3 == 2)  # stage numbers 2, 5, ...: the polishes (none here)
    starts = [entry for entry in seen["sample"] if not entry[1]]  # stages sampled by an untrained model
    assert [cycle for cycle, _, _ in starts] == list(range(state.cycle + 1))  # each cycle's first
    assert all(torch.equal(starts[0][2], weights) for _, _, weights in starts)  # the first model
    expected = [(cycle, int(np.sum((stages // 3 == cycle) & (stages <= stage))))
                for stage in np.unique(stages) for cycle in [stage // 3]]
    assert seen["train"] == expected  # each training draws from its own cycle's structures only
    assert opt.get_minimum()[0] == state.buffer.energies.min()  # the best of every cycle


def test_without_a_budget_a_run_is_one_cycle_unless_cycles_says_more():
    one = GODiffOptimizer(small_slab("Pt2"), EMT(), settings=FAST, seed=3)
    one.run()
    assert one.finished and one.state.cycle == 0 and set(one.state.buffer.stages) <= {0, 1}
    two = GODiffOptimizer(small_slab("Pt2"), EMT(), settings=FAST, seed=3, cycles=2)
    two.run(max_evaluations=100)
    assert two.finished and two.state.cycle == 1 and set(two.state.buffer.stages) <= {0, 1, 3, 4}
    n = len(one.state.buffer)
    np.testing.assert_array_equal(two.state.buffer.energies[:n], one.state.buffer.energies)


def test_the_periodic_image_warning_comes_once_at_the_end_of_the_last_cycle(caplog, monkeypatch):
    import ase_godiff.optimizer as optimizer_module

    checked = []

    def contact(atoms, indices):
        checked.append(len(indices))
        return "placed atoms bond to their own periodic image"

    monkeypatch.setattr(optimizer_module, "image_contact_warning", contact)
    opt = GODiffOptimizer(small_slab("Pt2"), EMT(), settings=FAST, seed=3, cycles=2)
    with caplog.at_level(logging.WARNING, logger="ase_godiff"):
        opt.run()
    assert checked == [2]  # after the last cycle's polish only, on the two placed atoms
    assert caplog.text.count("own periodic image") == 1 and opt.state.cycle == 1
