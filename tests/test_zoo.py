"""The zoo: Hub pull/push through the real huggingface_hub client against the loopback
server of conftest.py (no internet), the registry, offline use, and the CLI."""

import json
import os
import subprocess
import sys
import uuid

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from ase_godiff import GODiffOptimizer
from ase_godiff.cli import app
from ase_godiff.model_io import WEIGHTS_FILE, load_model, save_model, sha256_of
from ase_godiff.nn.score import ScoreNetConfig
from ase_godiff.zoo import ZooError, ZooInputError, list_models, pull, push, resolve_model_source

from small_models import SMALL, outputs, small_model
from systems import FAST, small_slab


def _repo():
    return f"tester/model-{uuid.uuid4().hex[:8]}"


def _pushed(tmp_path, seed=0, **kwargs):
    """A fresh Hub repo holding a small model; (repo id, commit sha, local folder)."""
    repo, folder = _repo(), save_model(small_model(seed), tmp_path / f"model-{seed}")
    return repo, push(folder, repo, **kwargs), folder


def _registry(tmp_path, **entries):
    """A registry file; each entry is a dict of fields (strings)."""
    lines = []
    for name, fields in entries.items():
        lines.append(f"[models.{name}]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in fields.items()]
    path = tmp_path / "registry.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def _assert_same_weights(folder, model):
    for a, b in zip(outputs(load_model(folder)), outputs(model)):
        np.testing.assert_array_equal(a, b)


# ------------------------------------------------------------------ Hub round trips
def test_push_then_pull_round_trip(tmp_path):
    repo, commit, _ = _pushed(tmp_path)
    pulled = pull(repo)
    assert pulled.origin == "hub" and pulled.path.name == commit and pulled.note == ""
    assert (pulled.path / "README.md").read_text().startswith("---\nlibrary_name: ase_godiff")
    _assert_same_weights(pulled.path, small_model())
    assert resolve_model_source(repo) == pulled.path


def test_pinned_revision_gives_the_older_weights(tmp_path):
    repo, first, _ = _pushed(tmp_path, seed=0)
    push(save_model(small_model(1), tmp_path / "v2"), repo)
    _assert_same_weights(pull(f"{repo}@{first}").path, small_model(0))
    _assert_same_weights(pull(repo, revision=first).path, small_model(0))
    _assert_same_weights(pull(repo).path, small_model(1))


def test_push_to_a_branch_with_a_tag(tmp_path):
    repo, main, _ = _pushed(tmp_path, seed=0)
    commit = push(save_model(small_model(1), tmp_path / "v2"), repo, revision="dev", tag="v0.2")
    assert pull(f"{repo}@dev").path.name == commit == pull(f"{repo}@v0.2").path.name
    assert pull(repo).path.name == main  # main is untouched
    with pytest.raises(ZooError, match="could not tag it 'v0.2'"):
        push(tmp_path / "v2", repo, tag="v0.2")


# ------------------------------------------------------------------ the registry
def test_shipped_models_match_the_registry():
    entries = list_models()
    assert entries, "the package registry lists no models"
    for entry in entries:
        assert entry.shipped is not None, f"{entry.name} is registered but not shipped"
        assert sha256_of(entry.shipped / WEIGHTS_FILE) == entry.sha256, entry.name
        load_model(entry.shipped)


def test_registry_is_read_from_the_environment_and_tolerates_unpublished_entries(tmp_path, monkeypatch):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert list_models(_registry(empty)) == []
    repo, commit, _ = _pushed(tmp_path)
    monkeypatch.setenv("ASE_GODIFF_ZOO_REGISTRY", str(_registry(tmp_path, draft={"repo_id": repo})))
    [entry] = list_models()
    assert (entry.name, entry.revision, entry.sha256) == ("draft", "main", "")
    pulled = pull("draft")
    assert pulled.path.name == commit and "no sha256 is registered" in pulled.note


@pytest.mark.parametrize("fields, message", [
    ({"repo_id": "a/b", "colour": "red"}, r"unknown field\(s\) \['colour'\]"),
    ({"description": "no repo"}, 'needs repo_id = "owner/name"'),
    ({"repo_id": "a/b", "sha256": "abc"}, "sha256 must be 64 lowercase hex digits"),
])
def test_a_malformed_registry_entry_is_named(tmp_path, fields, message):
    with pytest.raises(ZooError, match=message) as error:
        list_models(_registry(tmp_path, bad=fields))
    assert "[models.bad]" in str(error.value)


def test_registered_revision_is_verified_by_sha256(tmp_path, hub, monkeypatch):
    repo, commit, folder = _pushed(tmp_path, tag="v1")
    digest = sha256_of(folder / WEIGHTS_FILE)
    monkeypatch.setenv("ASE_GODIFF_ZOO_REGISTRY", str(_registry(
        tmp_path, **{"test-model": {"repo_id": repo, "revision": "v1", "sha256": digest}})))
    pulled = pull("test-model")
    assert pulled.path.name == commit and pulled.note == ""
    # a corrupted cached copy is caught, and --force downloads it again
    (pulled.path / WEIGHTS_FILE).write_bytes(b"corrupted")
    with pytest.raises(ZooError, match="checksum mismatch for test-model: .* pull test-model --force"):
        pull("test-model")
    assert sha256_of(pull("test-model", force=True).path / WEIGHTS_FILE) == digest
    # a corrupted copy on the Hub is caught too
    hub.corrupt(repo, WEIGHTS_FILE, revision="v1")
    with pytest.raises(ZooError, match="checksum mismatch"):
        pull("test-model", cache_dir=tmp_path / "fresh-cache")


def test_unknown_names_and_revisions_are_clear_errors(tmp_path):
    with pytest.raises(ZooInputError, match="no model 'no-such-model' in the zoo .*pt111-adatom"):
        pull("no-such-model")
    repo, _, _ = _pushed(tmp_path)
    with pytest.raises(ZooError, match="no revision '0{40}' in tester/"):
        pull(f"{repo}@{'0' * 40}")
    with pytest.raises(ZooError, match="no revision 'v9'"):
        pull(repo, revision="v9")
    with pytest.raises(ZooError, match="no repository tester/never-pushed on the Hub"):
        pull("tester/never-pushed")
    with pytest.raises(ZooInputError, match="neither a zoo name, a Hub repo id"):
        resolve_model_source("runs/missing/model")
    with pytest.raises(ZooInputError, match="two revisions"):
        pull(f"{repo}@a", revision="b")
    with pytest.raises(ZooInputError, match="not a model folder: .* has no config.json"):
        push(tmp_path, _repo())


# ------------------------------------------------------------------ no network
def _pull_in_subprocess(sources, **env):
    """Pull each source in a fresh interpreter with ``env``; one dict per source."""
    code = ("import json, sys\nfrom ase_godiff.zoo import pull, ZooError\n"
            "for source in sys.argv[1:]:\n"
            "    try:\n        p = pull(source); print(json.dumps([p.origin, str(p.path), p.note]))\n"
            "    except ZooError as e:\n        print(json.dumps(['error', type(e).__name__, str(e)]))\n")
    done = subprocess.run([sys.executable, "-c", code, *sources], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=300)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_offline_pull_reuses_the_cache_and_fails_clearly_without_it(tmp_path, hub):
    repo, commit, folder = _pushed(tmp_path, tag="v1")
    registry = _registry(tmp_path, cached={"repo_id": repo, "revision": "v1",
                                           "sha256": sha256_of(folder / WEIGHTS_FILE)})
    online = pull(repo)
    pull(f"{repo}@v1")
    asked = len(hub.requests)
    results = _pull_in_subprocess([repo, "cached", _repo()], HF_HUB_OFFLINE="1",
                                  ASE_GODIFF_ZOO_REGISTRY=str(registry))
    assert results[0] == ["hub", str(online.path), ""]
    assert results[1][:2] == ["hub", str(online.path)]
    assert results[2][:2] == ["error", "ZooError"] and "HF_HUB_OFFLINE is set" in results[2][2]
    assert len(hub.requests) == asked  # nothing went over the network


def test_unreachable_hub_falls_back_to_the_shipped_copy(tmp_path):
    results = _pull_in_subprocess(["pt111-adatom", "tester/anything"],
                                  HF_ENDPOINT="http://127.0.0.1:9", HF_HOME=str(tmp_path / "empty"))
    origin, path, note = results[0]
    assert origin == "shipped" and path.endswith(os.path.join("zoo_data", "pt111-adatom"))
    assert "using the copy shipped with ase_godiff" in note
    assert results[1][0] == "error" and "cannot reach the Hub" in results[1][2]


# ------------------------------------------------------------------ the CLI
def _one_clear_line(result):
    assert "Traceback" not in result.stdout + result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    return result.stderr


def test_cli_list_pull_push(tmp_path):
    runner = CliRunner()
    folder = save_model(small_model(), tmp_path / "m")
    repo = _repo()
    pushed = runner.invoke(app, ["push", str(folder), "--repo", repo, "--tag", "v1"])
    assert pushed.exit_code == 0, pushed.stderr
    commit = pushed.stdout.strip()
    assert len(commit) == 40
    pulled = runner.invoke(app, ["pull", f"{repo}@v1"])
    assert pulled.exit_code == 0 and pulled.stdout.strip().endswith(commit) and pulled.stderr == ""
    forced = runner.invoke(app, ["pull", repo, "--revision", commit, "--force"])
    assert forced.exit_code == 0 and forced.stdout == pulled.stdout
    listed = runner.invoke(app, ["list"])
    assert listed.exit_code == 0 and "pt111-heptamer" in listed.stdout
    as_json = json.loads(runner.invoke(app, ["list", "--json"]).stdout)
    assert any(e["name"] == "pt111-adatom" and e["shipped"] for e in as_json)


def test_cli_errors_are_one_line_with_exit_codes(tmp_path, monkeypatch):
    runner = CliRunner()
    unknown = runner.invoke(app, ["pull", "no-such-model"])
    assert unknown.exit_code == 2 and "no model 'no-such-model'" in _one_clear_line(unknown)
    never = runner.invoke(app, ["pull", "tester/never-pushed"])
    assert never.exit_code == 1 and "no repository" in _one_clear_line(never)
    repo, _, _ = _pushed(tmp_path)
    wrong = runner.invoke(app, ["pull", repo, "--revision", "v9"])
    assert wrong.exit_code == 1 and "no revision 'v9'" in _one_clear_line(wrong)
    bad_repo = runner.invoke(app, ["push", str(tmp_path), "--repo", "noslash"])
    assert bad_repo.exit_code == 2 and "owner/name" in _one_clear_line(bad_repo)
    not_model = runner.invoke(app, ["push", str(tmp_path), "--repo", _repo()])
    assert not_model.exit_code == 2 and "has no config.json" in _one_clear_line(not_model)
    monkeypatch.setenv("ASE_GODIFF_ZOO_REGISTRY", str(tmp_path / "nowhere.toml"))
    missing = runner.invoke(app, ["list"])
    assert missing.exit_code == 1 and "no zoo registry" in _one_clear_line(missing)


# ------------------------------------------------------------------ warm starts and runs
def test_warm_start_from_a_model_trained_on_another_system(tmp_path):
    source = GODiffOptimizer(small_slab("Pt"), _emt(), settings=FAST, network=SMALL, seed=0)
    source.run()
    source.save_model(tmp_path / "adatom", description="Pt adatom on a small Pt(111) slab")
    card = (tmp_path / "adatom" / "README.md").read_text()
    assert "EMT" in card and "Pt" in card
    target = GODiffOptimizer(small_slab("Pt3", size=(4, 4, 2)), _emt(), settings=FAST,
                             model=str(tmp_path / "adatom"), seed=1)
    assert target.model_trained and target.network_config == SMALL
    for a, b in zip(target.model.state_dict().values(), source.model.state_dict().values()):
        torch.testing.assert_close(a, b)
    target.step()  # stage 0 samples from the pretrained model, not the prior
    assert len(target.buffer) > 0 and target.todict()["model"].endswith("(local)")
    with pytest.raises(ValueError, match="either network= .* or model="):
        GODiffOptimizer(small_slab("Pt"), _emt(), network=SMALL, model=str(tmp_path / "adatom"))


def _emt():
    from ase.calculators.emt import EMT
    return EMT()


def test_run_command_writes_a_run_folder_readable_by_ase(tmp_path):
    from ase.io import read

    recipe = tmp_path / "search.toml"
    recipe.write_text('[system]\nexample = "pt-step-adatom"\n[search]\nstages = 2\n'
                      'samples_per_stage = 6\ntrain_steps = 3\nsampling_steps = 4\n'
                      '[output]\nfolder = "out"\nmodel_name = "tiny"\n')
    result = CliRunner().invoke(app, ["run", str(recipe), "--json"])
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["evaluations"] == len(read(tmp_path / "out" / "search.db", ":"))
    best = read(tmp_path / "out" / "best.extxyz")
    assert best.get_potential_energy() == pytest.approx(summary["best_energy_eV"])
    assert load_model(tmp_path / "out" / "model").config == ScoreNetConfig()
    assert sorted(p.name for p in (tmp_path / "out" / "models").iterdir()) == ["stage-001", "stage-002"]
    written = __import__("json").loads((tmp_path / "out" / "summary.json").read_text())
    assert written["versions"]["ase_godiff"] and written["run"]["settings"]["stages"] == 2
    rerun = CliRunner().invoke(app, ["run", "--resume", str(tmp_path / "out"), "--json"])
    assert rerun.exit_code == 0, rerun.stderr  # the finished run resumes to the same end
    assert json.loads(rerun.stdout)["best_energy_eV"] == summary["best_energy_eV"]
    bad = tmp_path / "bad.toml"
    bad.write_text('[system]\nexample = "no-such-example"\n')
    failed = CliRunner().invoke(app, ["run", str(bad)])
    assert failed.exit_code == 2 and "unknown example" in failed.stderr
