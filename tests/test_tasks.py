"""The benchmark tasks: reference energies and success tests."""

import numpy as np
import pytest
import torch
from ase import Atoms
from ase.optimize import BFGS

from tasks import ARGON_SIGMA, TASKS

ARGON = TASKS["ar7-lj"]


def _relaxed_argon(positions) -> Atoms:
    atoms = Atoms("Ar7", positions=positions)
    atoms.calc = ARGON.calculator()
    BFGS(atoms, logfile=None).run(fmax=1e-4, steps=2000)
    return atoms


def _bipyramid() -> np.ndarray:
    bond = 2 ** (1 / 6) * ARGON_SIGMA
    radius = bond / (2 * np.sin(np.pi / 5))
    height = np.sqrt(bond**2 - radius**2)
    ring = [[radius * np.cos(a), radius * np.sin(a), 0.0] for a in 2 * np.pi * np.arange(5) / 5]
    return np.array(ring + [[0.0, 0.0, height], [0.0, 0.0, -height]])


def test_argon_reference_is_the_relaxed_pentagonal_bipyramid():
    atoms = _relaxed_argon(_bipyramid())
    assert atoms.get_potential_energy() == pytest.approx(ARGON.reference_energy, abs=1e-5)
    assert atoms.get_potential_energy() / 0.0104 == pytest.approx(-16.505, abs=0.002)  # in epsilon
    assert ARGON.success(atoms, range(7))


def test_argon_success_rejects_the_other_minima():
    """Relaxed random Ar7: the bipyramid passes, every higher minimum (capped octahedron...) fails."""
    outcomes = {}
    for seed in range(12):
        atoms = _relaxed_argon(np.random.default_rng(seed).uniform(0.0, 7.0, (7, 3)))
        energy = round(atoms.get_potential_energy(), 4)
        outcomes.setdefault(energy, ARGON.success(atoms, range(7)))
    assert any(e > ARGON.reference_energy + 0.001 for e in outcomes)  # other minima were reached
    for energy, success in outcomes.items():
        assert success == (energy < ARGON.reference_energy + 0.001), energy


def test_the_default_cluster_box_holds_the_argon_minimum():
    """The Ar7 task runs in the default box: it must be able to hold the pentagonal bipyramid."""
    from ase_godiff import SearchSpace

    atoms, box = ARGON.atoms_and_box()
    assert box is None
    bond = 2 ** (1 / 6) * ARGON_SIGMA  # Å, the pair minimum
    ring = bond / (2 * np.sin(np.pi / 5))  # radius of the pentagon of side ``bond``
    height = np.sqrt(bond**2 - ring**2)  # each apex above the ring's plane
    angles = 2 * np.pi * np.arange(5) / 5
    bipyramid = np.r_[np.c_[ring * np.cos(angles), ring * np.sin(angles), np.zeros(5)],
                      [[0, 0, height], [0, 0, -height]]]
    diameter = np.linalg.norm(bipyramid[:, None] - bipyramid[None], axis=-1).max()
    side = np.linalg.norm(SearchSpace(atoms).box.vectors, axis=1).min()
    assert diameter < side  # it fits in any orientation


def test_the_pt211_success_test_accepts_the_minimum_and_its_images_and_rejects_other_sites():
    task = TASKS["pt211-adatom"]
    atoms, box = task.atoms_and_box()
    assert box is None  # run in the default region
    from ase.calculators.emt import EMT

    for y in (0.0, 2.7719):  # the template repeats every 2.77 Å along y
        atoms.positions[-1] = [6.6646, y, 7.0011]
        assert task.success(atoms, [len(atoms) - 1])
        atoms.calc = EMT()
        assert atoms.get_potential_energy() == pytest.approx(task.reference_energy, abs=1e-3)
    atoms.positions[-1] = [6.6646 - 1.5, 0.0, 7.0011]
    assert not task.success(atoms, [len(atoms) - 1])


# ------------------------------------------------------------------ the Lennard-Jones ladder (Task C)
from pathlib import Path  # noqa: E402

from ase.io import read  # noqa: E402
from scipy.optimize import brentq  # noqa: E402

from tasks import ARGON_EPSILON, LJ_GLOBAL_MINIMA, argon_energy  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
LJ_SIZES = sorted(LJ_GLOBAL_MINIMA)


def _lj_reference(n: int) -> Atoms:
    """The GM structure: from ../shared/benchmarks/reference if it has one, else ours."""
    for path in (ROOT.parent / "shared" / "benchmarks" / "reference" / f"lj{n}_gm.extxyz",
                 ROOT / "benchmarks" / "results" / "lj_ladder" / "reference" / f"lj{n}_gm.extxyz"):
        if path.exists():
            atoms = read(path)
            atoms.calc = None
            return atoms
    pytest.skip(f"no LJ{n} reference structure")


def _scaled(atoms: Atoms, factor: float) -> Atoms:
    scaled = atoms.copy()
    centre = scaled.positions.mean(axis=0)
    scaled.positions = centre + factor * (scaled.positions - centre)
    return scaled


@pytest.mark.parametrize("n", LJ_SIZES)
def test_lj_reference_energy_is_that_of_the_reference_structure(n):
    task = TASKS[f"lj{n}"]
    atoms = _lj_reference(n)
    assert len(atoms) == n and task.build().get_chemical_formula() == f"Ar{n}"
    assert task.reference_energy == pytest.approx(LJ_GLOBAL_MINIMA[n] * ARGON_EPSILON, abs=1e-12)
    atoms.calc = task.calculator()
    assert atoms.get_potential_energy() == pytest.approx(task.reference_energy, abs=1e-4)  # eV
    assert abs(atoms.get_forces()).max() < 1e-5  # a minimum
    assert task.energy_scale == 0.01 and task.box_z is None  # argon units, the default box


@pytest.mark.parametrize("n", LJ_SIZES)
def test_lj_success_accepts_the_minimum_and_rejects_it_plus_002_epsilon(n):
    task = TASKS[f"lj{n}"]
    atoms = _lj_reference(n)
    assert task.success(atoms, range(n))

    def excess(factor):  # energy above the GM, in epsilon, of the uniformly stretched GM
        return (argon_energy(_scaled(atoms, factor)) - task.reference_energy) / ARGON_EPSILON

    for above, passes in ((0.005, True), (0.02, False)):
        stretched = _scaled(atoms, brentq(lambda f: excess(f) - above, 1.0, 1.05, xtol=1e-12))
        assert excess(1.0) < above
        assert task.success(stretched, range(n)) is passes, above


def test_an_energy_success_test_takes_a_structure_below_its_reference():
    """Below the reference is a success (the reference was not the minimum), not a miss."""
    from tasks import energy_within

    atoms = _lj_reference(13)
    gm = argon_energy(atoms)
    assert energy_within(gm + 0.5 * ARGON_EPSILON, 0.01 * ARGON_EPSILON)(atoms, range(13))
    assert not energy_within(gm - 0.5 * ARGON_EPSILON, 0.01 * ARGON_EPSILON)(atoms, range(13))


def test_lj_success_uses_a_current_result_and_never_a_stale_one():
    task = TASKS["lj13"]
    atoms = _lj_reference(13)
    atoms.calc = task.calculator()
    atoms.get_potential_energy()
    assert task.success(atoms, range(13))  # from the attached result
    atoms.positions[0] += 0.5  # the attached result is stale now: computed again
    assert not task.success(atoms, range(13))


@pytest.mark.parametrize("n", LJ_SIZES)
def test_the_default_cluster_box_holds_each_lj_minimum(n):
    from ase_godiff import SearchSpace

    task = TASKS[f"lj{n}"]
    atoms, box = task.atoms_and_box()
    reference = _lj_reference(n).positions
    diameter = np.linalg.norm(reference[:, None] - reference[None], axis=-1).max()
    side = np.linalg.norm(SearchSpace(atoms).box.vectors, axis=1).min()
    assert box is None and diameter < side  # it fits in any orientation


def test_the_harness_relaxes_the_best_apart_and_counts_its_calls():
    from ase_godiff.space import SearchSpace
    from run import relax_best

    task = TASKS["lj13"]
    space = SearchSpace(task.build())
    near = _lj_reference(13).positions + np.random.default_rng(0).normal(0.0, 0.05, (13, 3))
    assert not task.success(space.to_atoms(near), range(13))
    result = relax_best(task, space, near)
    assert result["relaxed_success"] and result["relax_calls"] > 1
    assert result["relaxed_best_energy"] == pytest.approx(task.reference_energy, abs=0.01 * ARGON_EPSILON)
    relaxed = space.to_atoms(np.array(result["relaxed_best_free_positions"]))
    relaxed.calc = task.calculator()
    assert relaxed.get_potential_energy() == pytest.approx(result["relaxed_best_energy"], abs=1e-4 * ARGON_EPSILON)
    assert result["relaxed_best_image_contact_axes"] == []  # a gas-phase cluster
    assert relax_best(task, space, None) == {"relaxed_best_energy": None, "relax_calls": 0,
                                              "relaxed_success": False, "relaxed_best_image_contact_axes": None,
                                              "relaxed_best_free_positions": None}


def test_a_stalled_godiff_search_is_a_failed_record_not_a_crash():
    """Atoms that may not come closer than 4.2 Å: every sample rejected, the search stalls."""
    from run import relaxed_summary, run_godiff

    record = run_godiff("lj13", 0, {"min_distance_ratio": 1.99}, None)
    assert record["stalled"].startswith("the search stalled") and record["stages_run"] == 3
    assert record["evaluations"] == 0 and record["first_success"] is None
    assert record["relaxed_best_energy"] is None and not record["relaxed_success"]
    assert relaxed_summary([record])["stalled"] == 1


# ------------------------------------------------------------------ bimetallic Au4Pt3 (issue 14)
from tasks import BIMETALLIC_REFERENCES  # noqa: E402


def _bimetallic_reference(name: str) -> Atoms:
    atoms = read(BIMETALLIC_REFERENCES / f"{name}.extxyz")
    atoms.calc = None
    return atoms


def _swapped(atoms: Atoms, i: int, j: int) -> Atoms:
    swapped = atoms.copy()
    numbers = swapped.numbers.copy()
    numbers[[i, j]] = numbers[[j, i]]
    swapped.numbers = numbers
    return swapped


@pytest.mark.parametrize("task_name, file", [("au4pt3-pt111", "au4pt3_pt111_gm"), ("au4pt3-gas", "au4pt3_gas_gm")])
def test_bimetallic_reference_is_a_minimum_at_the_task_energy(task_name, file):
    task = TASKS[task_name]
    atoms = _bimetallic_reference(file)
    built = task.build()
    assert sorted(atoms.get_chemical_symbols()) == sorted(built.get_chemical_symbols())
    assert "Au" not in built.get_chemical_symbols()[:-7]  # gold is new to the template
    atoms.calc = task.calculator()
    assert atoms.get_potential_energy() == pytest.approx(task.reference_energy, abs=2e-4)
    assert abs(atoms.get_forces()[-7:]).max() < 2e-3


@pytest.mark.slow  # 24 relaxations
@pytest.mark.parametrize("task_name, file", [("au4pt3-pt111", "au4pt3_pt111_gm"), ("au4pt3-gas", "au4pt3_gas_gm")])
def test_bimetallic_success_takes_the_minimum_and_rejects_every_other_homotop(task_name, file):
    """Every Au-Pt swap of the reference that changes the labelled graph fails, and each
    such homotop relaxes to a higher energy; swaps that keep it pass."""
    task = TASKS[task_name]
    atoms = _bimetallic_reference(file)
    n = len(atoms)
    placed = list(range(n - 7, n))
    assert task.success(atoms, placed)
    gold = [i for i in placed if atoms[i].symbol == "Au"]
    platinum = [i for i in placed if atoms[i].symbol == "Pt"]
    rejected = 0
    for i in gold:
        for j in platinum:
            swapped = _swapped(atoms, i, j)
            if task.success(swapped, placed):
                continue
            rejected += 1
            swapped.calc = task.calculator()
            BFGS(swapped, logfile=None).run(fmax=0.01, steps=300)
            assert swapped.get_potential_energy() > task.reference_energy + 5e-4
    assert rejected >= 6  # the centre or an apex swapped, a ring neighbour moved...
    flattened = atoms.copy()  # same elements, another motif: the placed atoms pulled apart
    flattened.positions[placed] += 0.5 * (atoms.positions[placed] - atoms.positions[placed].mean(axis=0))
    assert not task.success(flattened, placed)


def test_basin_hopping_swap_moves_exchange_two_unlike_atoms(monkeypatch):
    """With swap=1 every move exchanges the places of one Au and one Pt, nothing else."""
    import baselines
    from ase_godiff.space import SearchSpace

    space = SearchSpace(Atoms("Au2Pt2"))
    trials = []

    def unrelaxed(atoms, calc, counter, energy_scale, local):  # every move accepted, atoms kept
        trials.append(atoms.copy())
        counter.record(atoms, -float(len(trials)))
        return -float(len(trials))

    monkeypatch.setattr(baselines, "relax", unrelaxed)
    counter = baselines.Counter(space, lambda atoms, free: False, 20)
    baselines.run_basin_hopping(space, None, np.random.default_rng(0), counter, swap=1.0)
    assert len(trials) == 20
    for before, after in zip(trials, trials[1:]):
        moved = np.flatnonzero(np.linalg.norm(after.positions - before.positions, axis=1) > 1e-9)
        assert len(moved) == 2 and after.numbers[moved[0]] != after.numbers[moved[1]]
        np.testing.assert_allclose(after.positions[moved], before.positions[moved[::-1]])


@pytest.mark.parametrize("separate", [False, True])
def test_basin_hopping_with_separate_never_evaluates_atoms_closer_than_rss_allows(monkeypatch, separate):
    """CHGNet binds two Pt 0.3 Å apart: with separate=True no hop may put atoms that close."""
    import baselines
    from ase_godiff.space import SearchSpace

    space = SearchSpace(Atoms("Pt6"))
    crowded = []

    def unrelaxed(atoms, calc, counter, energy_scale, local):  # every move accepted, atoms kept
        crowded.append(not baselines.well_separated(space, atoms.positions[space.free_indices]))
        counter.record(atoms, -float(len(crowded)))
        return -float(len(crowded))

    monkeypatch.setattr(baselines, "relax", unrelaxed)
    counter = baselines.Counter(space, lambda atoms, free: False, 200)
    baselines.run_basin_hopping(space, None, np.random.default_rng(0), counter, hop=1.5,
                                separate=separate)
    assert len(crowded) == 200
    assert any(crowded) is not separate  # without the check some hops crowd atoms
    assert (counter.rejected > 0) is separate


@pytest.mark.parametrize("stop_at_success", [False, True])
def test_a_baseline_asked_to_stop_at_its_first_success_spends_no_call_after_it(monkeypatch, stop_at_success):
    import baselines
    from ase_godiff.space import SearchSpace

    space = SearchSpace(Atoms("Pt3"))
    energies = []

    def unrelaxed(atoms, calc, counter, energy_scale, local):  # each hop one call, lower each time
        energies.append(-float(len(energies) + 1))
        counter.record(atoms, energies[-1])
        return energies[-1]

    monkeypatch.setattr(baselines, "relax", unrelaxed)
    counter = baselines.Counter(space, lambda atoms, free: len(energies) == 7, 50,
                                stop_at_success=stop_at_success)
    baselines.run_basin_hopping(space, None, np.random.default_rng(0), counter)
    assert counter.first_success == 7
    assert counter.evaluations == (7 if stop_at_success else 50)


@pytest.mark.parametrize("local", ["bfgs", "lbfgsb"])
def test_a_baseline_relaxation_counts_every_call_and_ends_in_the_minimum(local):
    """From a distorted LJ13 icosahedron either local optimiser reaches the GM, in place;
    L-BFGS-B, which scales its steps to argon's meV surface, in far fewer calls."""
    import baselines
    from ase_godiff.space import SearchSpace
    from common import count_calls

    task = TASKS["lj13"]
    atoms = _lj_reference(13)
    atoms.positions += np.random.default_rng(0).normal(0.0, 0.25, atoms.positions.shape)
    space = SearchSpace(Atoms("Ar13"))
    calc = task.calculator()
    calls = count_calls(calc)
    counter = baselines.Counter(space, task.success, 10_000)
    energy = baselines.relax(atoms, calc, counter, task.energy_scale, local)
    assert counter.evaluations == calls[0] and counter.first_success is not None
    assert energy == pytest.approx(task.reference_energy, abs=0.01 * 0.0104)
    assert task.success(atoms, space.free_indices)  # the atoms were moved there
    assert counter.evaluations < (30 if local == "lbfgsb" else 200)


def test_an_unknown_local_optimiser_is_a_clear_error():
    import baselines
    from ase_godiff.space import SearchSpace

    space = SearchSpace(Atoms("Ar2"))
    with pytest.raises(ValueError, match="local must be 'bfgs' or 'lbfgsb'"):
        baselines.relax(Atoms("Ar2", positions=[[0, 0, 0], [0, 0, 4]]), TASKS["lj13"].calculator(),
                        baselines.Counter(space, lambda atoms, free: False, 10), 0.01, "newton")


@pytest.mark.slow  # a stage of LJ19 and its training, about a minute
def test_lj19_seed_1_trains_a_model_whose_samples_are_finite_and_apart(caplog):
    """The search that used to be stuck: stage 0's energies span 5e4 eV, the stage's kT is
    raised (with a warning), and the trained model samples real clusters, not NaN."""
    from ase_godiff import GODiffOptimizer

    task = TASKS["lj19"]
    atoms, box = task.atoms_and_box()
    # the stuck search's settings: the defaults for 19 atoms before the hybrid (128 a stage)
    opt = GODiffOptimizer(atoms, task.calculator(), box=box, seed=1, samples_per_stage=128,
                          force_scale="fixed", stage_relax_top=0, learnt_relax_steps=0)
    with caplog.at_level("WARNING", logger="ase_godiff"):
        opt.step()
    assert "kT raised to" in caplog.text and opt.state.kT > opt.settings.kT_start
    assert all(torch.isfinite(p).all() for p in opt.state.model.parameters())
    samples = opt.learner.sample(opt.state, 16)
    assert np.isfinite(samples).all()
    assert sum(not opt.space.too_close(x) for x in samples) >= 12


def test_wall_time_to_success_reads_stage_marks_and_bounds_a_median_on_a_failure():
    from common import median_wall_to_success, wall_at

    marked = {"evaluations": 100, "wall_seconds": 50.0, "first_success": 30,
              "stage_marks": [[20, 40.0], [100, 50.0]]}
    linear = {"evaluations": 100, "wall_seconds": 50.0, "first_success": 30}
    assert wall_at(marked, 30) == pytest.approx(41.25)  # inside the second stage
    assert wall_at(linear, 30) == pytest.approx(15.0)
    failed = {"evaluations": 100, "wall_seconds": 80.0, "first_success": None}
    assert median_wall_to_success([marked, linear, failed]) == (pytest.approx(41.25), False)
    assert median_wall_to_success([linear, failed, dict(failed)]) == (80.0, True)


@pytest.mark.slow
@pytest.mark.parametrize("task_name, file", [("pt-step-adatom-chgnet", "pt_step_adatom_chgnet_gm"),
                                             ("pt111-heptamer-chgnet", "pt7_pt111_chgnet_hexagon")])
def test_chgnet_references_are_relaxed_minima_at_the_task_energy(task_name, file):
    pytest.importorskip("chgnet")
    from ase.io import read

    from tasks import CHGNET_REFERENCES

    task = TASKS[task_name]
    atoms = read(CHGNET_REFERENCES / f"{file}.extxyz")
    free = range(len(task.build().constraints[0].index), len(atoms))
    atoms.calc = task.calculator()
    assert atoms.get_potential_energy() == pytest.approx(task.reference_energy, abs=2e-3)
    assert np.abs(atoms.get_forces()[free]).max() < 0.02  # eV/Å: relaxed (float32 CHGNet)
    assert task.success(atoms, free)


@pytest.mark.parametrize("task_name, file", [
    ("pt13-pt111", "pt_islands/reference/pt13_pt111_best.extxyz"),
    ("pt19-pt111", "pt_islands/reference/pt19_pt111_best.extxyz"),
    ("pt13-pt111-8x8", "pt_clusters/reference/pt13_pt111_8x8_best.extxyz"),
    ("pt19-pt111-8x8", "pt_clusters/reference/pt19_pt111_8x8_best.extxyz"),
])
def test_a_pt_island_best_known_is_a_relaxed_minimum_that_its_success_test_takes_and_no_higher_one(
        task_name, file):
    from ase.io import read

    from tasks import energy_under

    task = TASKS[task_name]
    atoms = read(ROOT / "benchmarks" / "results" / file)
    template = len(task.build().constraints[0].index)
    free = np.arange(template, len(atoms))
    atoms.calc = task.calculator()
    assert atoms.get_potential_energy() == pytest.approx(task.reference_energy, abs=1e-3)
    assert np.linalg.norm(atoms.get_forces()[free], axis=1).max() < 0.002  # eV/Å: a minimum
    assert task.success(atoms, free)
    lifted = atoms.copy()
    lifted.positions[free[0], 2] += 0.3  # an atom moved: higher, and not a success
    lifted.calc = None
    assert not task.success(lifted, free)
    assert energy_under(lifted, task.calculator) > task.reference_energy + 0.01


@pytest.mark.parametrize("shells", [0, 1, 2, 3])
def test_a_centred_hexagonal_island_has_its_shells_of_atoms_and_no_two_closer_than_the_lattice(shells):
    from pt_island_reference import hexagon_offsets

    steps = np.array(hexagon_offsets(shells), float)
    assert len(steps) == 1 + 3 * shells * (shells + 1)
    points = steps[:, :1] * [1.0, 0.0] + steps[:, 1:] * [0.5, np.sqrt(3) / 2]  # unit lattice
    gaps = np.linalg.norm(points[:, None] - points[None], axis=-1)[~np.eye(len(points), dtype=bool)]
    assert len(points) == 1 or gaps.min() == pytest.approx(1.0)
    assert np.linalg.norm(points, axis=1).max() == pytest.approx(shells)  # corners at the shell's radius


def test_a_seed_carried_over_at_a_cycles_end_continues_exactly_as_the_uninterrupted_run(tmp_path):
    """The harness keeps a seed at each cycle's end with its best structure only; run again
    with a larger budget, it goes on from there (the call made after it is made again) call
    for call as the run that never stopped."""
    from ase_godiff.checkpoint import find_checkpoint
    from run import run_godiff

    fast = {"stages": 2, "samples_per_stage": 6, "buffer_size": 4, "train_steps": 3,
            "batch_size": 4, "sampling_steps": 4}
    whole = run_godiff("ar7-lj", 0, fast, 40)
    assert whole["cycles"] >= 3
    first_cycle_end = whole["stage_marks"][1][0]  # two stages, the polish with the second
    carry = tmp_path / "seed0"
    cut = run_godiff("ar7-lj", 0, fast, first_cycle_end + 1, carry=carry)  # one call into cycle 2
    assert cut["evaluations"] == first_cycle_end + 1 and cut["cycles"] == 2
    carried = np.load(find_checkpoint(carry) / "buffer.npz")
    first_cycle_best = min(energy for call, energy in whole["trace"] if call <= first_cycle_end)
    assert len(carried["energies"]) == 1 and carried["energies"][0] == pytest.approx(first_cycle_best)
    assert whole["anneal_ends"][0] == [first_cycle_end, pytest.approx(first_cycle_best)]
    assert len(whole["anneal_ends"]) >= whole["cycles"] - 1  # the last may be cut by the budget
    assert cut["anneal_ends"] == whole["anneal_ends"][:1]
    continued = run_godiff("ar7-lj", 0, fast, 40, carry=carry)
    for key in ("evaluations", "cycles", "best_energy", "trace", "relaxed_best_energy", "anneal_ends"):
        assert continued[key] == whole[key], key
    assert [mark[0] for mark in continued["stage_marks"]] == [mark[0] for mark in whole["stage_marks"]]
    assert continued["commits"] == cut["commits"] and len(continued["commits"]) == 1
    with pytest.raises(ValueError, match="carried in .*seed0.*train_steps: 3 there, 4 here"):
        run_godiff("ar7-lj", 0, {**fast, "train_steps": 4}, 40, carry=carry)


def test_a_seed_that_ends_is_in_the_report_while_an_earlier_seed_still_runs(tmp_path, monkeypatch):
    """The report over finished seeds is written as each ends, in whatever order: a run cut
    short while seed 0 goes on still keeps seed 1, which ended long before."""
    import json
    import sys
    import time
    from concurrent.futures import ThreadPoolExecutor

    import run

    out = tmp_path / "report.json"

    def one_seed(task_name, method, seed, *args):
        deadline = time.monotonic() + 30
        while seed == 0 and not (out.exists() and json.loads(out.read_text())["records"]):
            assert time.monotonic() < deadline, "seed 1's record was not written while seed 0 ran"
            time.sleep(0.05)
        return {"seed": seed, "evaluations": 10 + seed, "first_success": None,
                "best_energy": 0.0, "wall_seconds": 1.0}

    monkeypatch.setattr(run, "run_one", one_seed)
    monkeypatch.setattr(run, "ProcessPoolExecutor",
                        lambda workers, mp_context: ThreadPoolExecutor(workers))
    monkeypatch.setattr(sys, "argv", ["run.py", "--task", "ar7-lj", "--method", "basin",
                                      "--seeds", "0,1", "--workers", "2", "--out", str(out)])
    run.main()
    report = json.loads(out.read_text())
    assert report["complete"] and [r["seed"] for r in report["records"]] == [0, 1]
