"""Run folders: the ASE database of every call, and godiff analyze's figures."""

import json

import ase.db
import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from ase_godiff import GODiffOptimizer, ScoreNetConfig
from ase_godiff.cli import app
from ase_godiff.plots import analyze_run

from systems import FAST, small_slab
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
    assert summary["evaluations"] == opt.state.nevaluations
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
