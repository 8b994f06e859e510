"""Model folders, the zoo, and Hub pull/push through the real huggingface_hub client
against a loopback server (no internet)."""

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
from ase_godiff.model_io import CardInfo, WEIGHTS_FILE, load_model, save_model, sha256_of
from ase_godiff.nn.graph import TemplateEnvironment
from ase_godiff.nn.score import ScoreNetConfig, ScoreNetwork
from ase_godiff.space import SearchSpace
from ase_godiff.zoo import ZooError, pull, push

from systems import FAST, small_slab

SMALL = ScoreNetConfig(features=8, blocks=1, cutoff=4.0, radial_basis=6)


def _model(seed=0):
    torch.manual_seed(seed)
    return ScoreNetwork(SMALL).eval()


def _outputs(model):
    atoms = small_slab("Pt2")
    space = SearchSpace(atoms)
    env = TemplateEnvironment.from_space(space, model.config.cutoff, model.config.free_cutoff)
    x = torch.as_tensor(space.sample_prior(3, np.random.default_rng(0)), dtype=torch.float32)
    with torch.no_grad():
        score, forces = model(x, torch.full((3,), 0.3), env, torch.as_tensor(space.free_numbers))
    return score.numpy(), forces.numpy()


def _repo():
    return f"tester/model-{uuid.uuid4().hex[:8]}"


def test_save_and_load_round_trip(tmp_path):
    model = _model()
    save_model(model, tmp_path / "m", CardInfo(name="m", elements=["Pt"], energy_function="EMT"))
    loaded = load_model(tmp_path / "m")
    assert loaded.config == SMALL
    for a, b in zip(_outputs(model), _outputs(loaded)):
        np.testing.assert_array_equal(a, b)
    card = (tmp_path / "m" / "README.md").read_text()
    assert card.startswith("---") and "library_name: ase_godiff" in card and "license: mit" in card


def test_load_rejects_missing_files_and_mismatched_weights(tmp_path):
    with pytest.raises(ValueError, match="has no config.json"):
        load_model(tmp_path)
    save_model(_model(), tmp_path / "m")
    config = (tmp_path / "m" / "config.json").read_text().replace('"features": 8', '"features": 12')
    (tmp_path / "m" / "config.json").write_text(config)
    with pytest.raises(ValueError, match="does not match config.json"):
        load_model(tmp_path / "m")


def test_push_then_pull_round_trip(tmp_path):
    repo = _repo()
    save_model(_model(), tmp_path / "m")
    commit = push(tmp_path / "m", repo)
    pulled = pull(repo)
    assert pulled.origin == "hub" and commit in str(pulled.path)
    for a, b in zip(_outputs(_model()), _outputs(load_model(pulled.path))):
        np.testing.assert_array_equal(a, b)


def test_pinned_revision_gives_the_older_weights(tmp_path):
    repo = _repo()
    save_model(_model(0), tmp_path / "v1")
    first = push(tmp_path / "v1", repo)
    save_model(_model(1), tmp_path / "v2")
    push(tmp_path / "v2", repo)
    old = load_model(pull(f"{repo}@{first}").path)
    new = load_model(pull(repo).path)
    np.testing.assert_array_equal(_outputs(old)[0], _outputs(_model(0))[0])
    assert not np.allclose(_outputs(new)[0], _outputs(old)[0])


def _registry(tmp_path, repo, sha256):
    path = tmp_path / "registry.toml"
    path.write_text(f'[models.test-model]\nrepo_id = "{repo}"\nrevision = "main"\n'
                    f'sha256 = "{sha256}"\ndescription = "a test"\nenergy_function = "EMT"\n')
    return path


def test_corrupted_weights_are_rejected(tmp_path, hub, monkeypatch):
    repo = _repo()
    save_model(_model(), tmp_path / "m")
    push(tmp_path / "m", repo)
    monkeypatch.setenv("ASE_GODIFF_ZOO_REGISTRY", str(_registry(tmp_path, repo, sha256_of(tmp_path / "m" / WEIGHTS_FILE))))
    assert pull("test-model").origin == "hub"  # the registered weights pass
    hub.corrupt(repo, WEIGHTS_FILE)
    with pytest.raises(ZooError, match="checksum mismatch"):
        pull("test-model", cache_dir=tmp_path / "fresh-cache")


def test_unknown_name_and_wrong_revision_are_clear_errors(tmp_path):
    with pytest.raises(ZooError, match="no model 'no-such-model' in the zoo"):
        pull("no-such-model")
    repo = _repo()
    save_model(_model(), tmp_path / "m")
    push(tmp_path / "m", repo)
    with pytest.raises(ZooError, match="no revision"):
        pull(f"{repo}@{'0' * 40}")
    with pytest.raises(ZooError, match="no repository"):
        pull("tester/never-pushed")


def _pull_in_subprocess(source, **env):
    code = ("import sys\nfrom ase_godiff.zoo import pull, ZooError\n"
            "try:\n    p = pull(sys.argv[1]); print(p.origin, p.path)\n"
            "except ZooError as e:\n    print('ZooError', e); sys.exit(3)\n")
    return subprocess.run([sys.executable, "-c", code, source], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=120)


def test_offline_pull_reuses_the_cache_and_fails_clearly_without_it(tmp_path):
    repo = _repo()
    save_model(_model(), tmp_path / "m")
    push(tmp_path / "m", repo)
    online = pull(repo)
    offline = _pull_in_subprocess(repo, HF_HUB_OFFLINE="1")
    assert offline.returncode == 0, offline.stderr
    assert str(online.path) in offline.stdout
    missing = _pull_in_subprocess(_repo(), HF_HUB_OFFLINE="1")
    assert missing.returncode == 3 and "not in the cache" in missing.stdout


def test_cli_list_pull_push_and_errors(tmp_path):
    runner = CliRunner()
    save_model(_model(), tmp_path / "m")
    repo = _repo()
    pushed = runner.invoke(app, ["push", str(tmp_path / "m"), "--repo", repo])
    assert pushed.exit_code == 0 and len(pushed.stdout.strip()) == 40
    pulled = runner.invoke(app, ["pull", repo])
    assert pulled.exit_code == 0 and pulled.stdout.strip().endswith(pushed.stdout.strip())
    assert runner.invoke(app, ["list"]).exit_code == 0
    unknown = runner.invoke(app, ["pull", "no-such-model"])
    assert unknown.exit_code == 1 and "no model 'no-such-model'" in unknown.stderr
    assert "Traceback" not in unknown.stderr + unknown.stdout
    bad = runner.invoke(app, ["push", str(tmp_path / "m"), "--repo", "noslash"])
    assert bad.exit_code == 2 and "user/name" in bad.stderr


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


def test_unreachable_hub_falls_back_to_the_shipped_copy(tmp_path):
    result = _pull_in_subprocess("pt111-adatom", HF_ENDPOINT="http://127.0.0.1:9",
                                 HF_HOME=str(tmp_path / "empty-cache"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("shipped") and "zoo_data/pt111-adatom" in result.stdout
    model = load_model(result.stdout.split()[1])
    assert model.config == ScoreNetConfig()


def test_run_command_writes_a_run_folder_readable_by_ase(tmp_path):
    from ase.io import read

    recipe = tmp_path / "search.toml"
    recipe.write_text('[system]\ntask = "pt-step-adatom"\n[search]\nstages = 2\n'
                      'samples_per_stage = 6\ntrain_steps = 3\nsampling_steps = 4\n'
                      '[output]\nfolder = "out"\nmodel_name = "tiny"\n')
    result = CliRunner().invoke(app, ["run", str(recipe), "--json"])
    assert result.exit_code == 0, result.stderr
    summary = __import__("json").loads(result.stdout)
    assert summary["evaluations"] == len(read(tmp_path / "out" / "search.db", ":"))
    best = read(tmp_path / "out" / "best.extxyz")
    assert best.get_potential_energy() == pytest.approx(summary["best_energy_eV"])
    assert load_model(tmp_path / "out" / "model").config == ScoreNetConfig()
    rerun = CliRunner().invoke(app, ["run", "--resume", str(tmp_path / "out"), "--json"])
    assert rerun.exit_code == 0, rerun.stderr  # the finished run resumes to the same end
    assert __import__("json").loads(rerun.stdout)["best_energy_eV"] == summary["best_energy_eV"]
    bad = tmp_path / "bad.toml"
    bad.write_text('[system]\ntask = "no-such-task"\n')
    failed = CliRunner().invoke(app, ["run", str(bad)])
    assert failed.exit_code == 2 and "unknown task" in failed.stderr
