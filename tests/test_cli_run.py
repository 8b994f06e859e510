"""`godiff run` and its run folder: one run per folder, --resume as started, one-line errors."""

import json

import pytest
from typer.testing import CliRunner

from ase_godiff.cli import app

TOML = ('[system]\nexample = "pt-step-adatom"\n[search]\nstages = 2\nsamples_per_stage = 6\n'
        'train_steps = 3\nsampling_steps = 4\n')


def _recipe(tmp_path):
    recipe = tmp_path / "search.toml"
    recipe.write_text(TOML)
    return recipe


def _run(*args):
    return CliRunner().invoke(app, ["run", *map(str, args)])


def _one_line_exit_2(result, *fragments):
    assert result.exit_code == 2, result.output
    message = result.stderr.strip()
    assert message.startswith("error:") and "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in " ".join(message.split())


def test_a_second_run_into_a_folder_is_refused_and_the_first_still_resumes(tmp_path):
    recipe = _recipe(tmp_path)
    assert _run(recipe, "--out", tmp_path / "out", "--json").exit_code == 0
    before = (tmp_path / "out" / "run.json").read_text()
    _one_line_exit_2(_run(recipe, "--out", tmp_path / "out", "--set", "stages=3"),
                     "already holds a run", "--resume")
    assert (tmp_path / "out" / "run.json").read_text() == before
    resumed = _run("--resume", tmp_path / "out", "--json")
    assert resumed.exit_code == 0 and json.loads(resumed.stdout)["finished"]


def test_resume_takes_no_overrides(tmp_path):
    recipe = _recipe(tmp_path)
    assert _run(recipe, "--out", tmp_path / "out", "--json").exit_code == 0
    _one_line_exit_2(_run("--resume", tmp_path / "out", "--set", "stages=5"), "--resume continues")
    _one_line_exit_2(_run("--resume", tmp_path / "out", "--seed", "3"), "--resume continues")


@pytest.mark.parametrize("content", ["{}", "[]", "not json"])
def test_a_damaged_run_json_is_one_line(tmp_path, content):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "run.json").write_text(content)
    _one_line_exit_2(_run("--resume", tmp_path / "out"), "run.json")


def test_an_out_that_is_a_file_is_one_line(tmp_path):
    (tmp_path / "taken").write_text("")
    _one_line_exit_2(_run(_recipe(tmp_path), "--out", tmp_path / "taken"), "taken")


def test_a_corrupt_search_db_is_one_line_for_resume_and_analyze(tmp_path):
    recipe = _recipe(tmp_path)
    assert _run(recipe, "--out", tmp_path / "out", "--json").exit_code == 0
    (tmp_path / "out" / "search.db").write_bytes(b"not a database at all" * 10)
    _one_line_exit_2(_run("--resume", tmp_path / "out"), "search.db is damaged")
    analyzed = CliRunner().invoke(app, ["analyze", str(tmp_path / "out")])
    _one_line_exit_2(analyzed, "search.db is not a readable ASE database")
