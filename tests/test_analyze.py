"""Run folders: the ASE database of every call, and godiff analyze's figures."""

import json
import shutil

import ase.db
import matplotlib
import numpy as np
import pytest
from ase.calculators.singlepoint import SinglePointCalculator
from ase.data import atomic_numbers
from ase.data.colors import jmol_colors
from matplotlib.colors import to_rgb
from PIL import Image
from typer.testing import CliRunner

from ase_godiff import GODiffOptimizer, ScoreNetConfig
from ase_godiff.cli import app
from ase_godiff.plots import PLACED_EDGE, analyze_run, read_run

from systems import FAST, gas_cluster, small_slab
from test_optimizer import FlakyEMT

NET = ScoreNetConfig(features=8, blocks=1, cutoff=4.0, radial_basis=6)


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("run")
    opt = GODiffOptimizer(small_slab("Pt2"), FlakyEMT(), settings=FAST, network=NET, seed=0,
                          stages=3, database=str(folder / "search.db"))
    opt.run()
    return folder, opt


def test_database_holds_every_call_with_its_status(run_folder):
    folder, opt = run_folder
    rows = list(ase.db.connect(str(folder / "search.db")).select())
    assert len(rows) == opt.state.nevaluations
    failed = [row for row in rows if row.status == "failed"]
    assert len(failed) == len(opt.state.failures) > 0 and all(row.get("error") for row in failed)
    ok = sorted((row.evaluation, row.energy) for row in rows if row.status == "ok")
    np.testing.assert_allclose([e for _, e in ok], opt.state.buffer.energies)


def test_analyze_draws_the_run(run_folder, tmp_path):
    folder, opt = run_folder
    summary, figures = analyze_run(folder, tmp_path)
    assert summary["evaluations"] == opt.state.nevaluations and summary["duplicate_rows"] == 0
    assert summary["best_energy_eV"] == pytest.approx(opt.get_minimum()[0])
    line = figures["convergence"].axes[0].lines[0]
    assert len(line.get_xdata()) == opt.state.nevaluations
    assert np.nanmin(line.get_ydata()) == pytest.approx(opt.get_minimum()[0])
    assert figures["convergence"].axes[0].get_xlabel() == "evaluations"
    assert len(figures["energies"].axes[0].get_xticks()) == opt.state.stage
    assert len(figures["best"].axes) == 2
    for name in ("convergence", "energies", "best"):
        with Image.open(tmp_path / f"{name}.png") as image:
            image.verify()
            assert image.format == "PNG" and image.size[0] >= 500


def test_analyze_command_and_its_errors(run_folder, tmp_path):
    folder, opt = run_folder
    result = CliRunner().invoke(app, ["analyze", str(folder), "--out", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["evaluations"] == opt.state.nevaluations
    missing = CliRunner().invoke(app, ["analyze", str(tmp_path / "nothing")])
    assert missing.exit_code == 2 and "no search.db" in missing.stderr


def test_analyze_leaves_the_matplotlib_backend_alone(run_folder, tmp_path):
    before = matplotlib.get_backend()
    matplotlib.use("svg")
    try:
        analyze_run(run_folder[0], tmp_path)
        assert matplotlib.get_backend() == "svg"
    finally:
        matplotlib.use(before)


def test_rows_repeating_an_evaluation_number_count_once(run_folder, tmp_path):
    """A database from a crash and resume may hold an evaluation number twice: the first row
    written counts, the repeat is reported; rows marked discarded are no calls of the run."""
    folder, opt = run_folder
    shutil.copy(folder / "search.db", tmp_path / "search.db")
    database = ase.db.connect(str(tmp_path / "search.db"))
    for row in database.select("evaluation<=3"):
        atoms = row.toatoms()
        atoms.calc = SinglePointCalculator(atoms, energy=-1000.0)
        database.write(atoms, stage=row.stage, evaluation=row.evaluation, status="ok")
    database.write(atoms, stage=0, evaluation=opt.state.nevaluations + 1, status="discarded")
    summary = analyze_run(tmp_path)[0]
    distinct = {row.evaluation for row in database.select() if row.status != "discarded"}
    assert summary["evaluations"] == len(distinct) == opt.state.nevaluations
    assert summary["duplicate_rows"] == 3
    assert summary["best_energy_eV"] == pytest.approx(opt.get_minimum()[0])


def one_call_run(folder, atoms, **data):
    atoms.calc = SinglePointCalculator(atoms, energy=1.0)
    ase.db.connect(str(folder / "search.db")).write(atoms, stage=0, evaluation=1, status="ok", data=data)
    return folder


def drawn(axes) -> tuple[np.ndarray, np.ndarray]:
    """Face colours (RGB) and edge widths (pt) of the circles on ``axes``."""
    (circles,) = axes.collections
    return circles.get_facecolors()[:, :3], np.asarray(circles.get_linewidths())


@pytest.mark.parametrize("atoms, data, placed, legend, copies", [
    (small_slab("Au2"), {}, [18, 19], ["Pt", "Au", "placed"], 9),              # FixAtoms: the template
    (small_slab("Au2"), {"placed": [0, 19]}, [0, 19], ["Pt", "Au", "placed"], 9),
    (gas_cluster("Pt4"), {}, [0, 1, 2, 3], ["Pt", "placed"], 1),              # no constraint: all placed
])
def test_best_structure_shows_elements_placed_atoms_and_periodic_images(tmp_path, atoms, data, placed,
                                                                         legend, copies):
    natoms, numbers = len(atoms), atoms.numbers.copy()
    folder = one_call_run(tmp_path, atoms, **data)
    np.testing.assert_array_equal(read_run(folder).placed, placed)
    figure = analyze_run(folder)[1]["best"]
    top, side = figure.axes
    assert [text.get_text() for text in figure.legends[0].get_texts()] == legend
    elements = [to_rgb(handle.get_markerfacecolor()) for handle in figure.legends[0].legend_handles[:-1]]
    np.testing.assert_allclose(elements, jmol_colors[[atomic_numbers[s] for s in legend[:-1]]])
    for axes, copies_drawn in ((top, copies), (side, 1)):
        faces, widths = drawn(axes)
        assert len(faces) == copies_drawn * natoms
        assert (widths == PLACED_EDGE[1]).sum() == copies_drawn * len(placed)
        element_colour = np.isclose(faces[:, None], jmol_colors[np.unique(numbers)]).all(axis=2).any(axis=1)
        assert element_colour.sum() == natoms  # the periodic images are washed out
