"""The zoo: Hub pull/push through the real huggingface_hub client against the loopback
server of conftest.py (no internet), the registry, name resolution, offline use, the CLI."""

import importlib
import importlib.util
import json
import logging
import os
import subprocess
import sys
import uuid
from pathlib import Path

import numpy as np
import pytest
import requests
import torch
from typer.testing import CliRunner

from ase_godiff import GODiffOptimizer, zoo
from ase_godiff.cli import app
from ase_godiff.model_io import WEIGHTS_FILE, load_model, save_model, trained_elements
from ase_godiff.nn.score import ScoreNetConfig
from ase_godiff.zoo import (
    ZooEntry,
    ZooError,
    ZooInputError,
    list_models,
    pin,
    pull,
    push,
    read_registry,
    resolve_model,
    write_registry,
)

from small_models import SMALL, outputs, small_model
from systems import FAST, small_slab

ROOT = Path(__file__).resolve().parent.parent
MODEL_FILES = {"config.json", "model.safetensors", "README.md"}


def _repo():
    return f"tester/model-{uuid.uuid4().hex[:8]}"


def _pushed(tmp_path, seed=0, **kwargs):
    """A fresh Hub repo holding a small model; (repo id, commit sha, local folder)."""
    repo, folder = _repo(), save_model(small_model(seed), tmp_path / f"model-{seed}")
    return repo, push(folder, repo, **kwargs), folder


def _toml(value) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + " }"
    return json.dumps(value)


def _registry(tmp_path, **entries):
    """A registry file written by hand (it may be malformed); each entry a dict of fields."""
    lines = []
    for name, fields in entries.items():
        lines.append(f"[models.{name}]")
        lines += [f"{key} = {_toml(value)}" for key, value in fields.items()]
    path = tmp_path / "registry.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def _registered(tmp_path, monkeypatch, **kwargs):
    """A pushed model registered as 'test-model' at tag v1 with its files pinned; (repo, commit, folder)."""
    repo, commit, folder = _pushed(tmp_path, tag="v1", **kwargs)
    monkeypatch.setenv("ASE_GODIFF_ZOO_REGISTRY", str(_registry(
        tmp_path, **{"test-model": {"repo_id": repo, "revision": "v1", "sha256": pin(folder)}})))
    return repo, commit, folder


def _assert_same_weights(folder, model):
    for a, b in zip(outputs(load_model(folder)), outputs(model)):
        np.testing.assert_array_equal(a, b)


def _edit_config(path, **network):
    config = json.loads(path.read_text())
    config["network"].update(network)
    path.write_text(json.dumps(config))


# ------------------------------------------------------------------ Hub round trips
def test_push_then_pull_round_trip(tmp_path):
    repo, commit, _ = _pushed(tmp_path)
    pulled = pull(repo)
    assert pulled.origin == "hub" and pulled.path.name == commit and pulled.note == ""
    assert (pulled.path / "README.md").read_text().startswith("---\nlibrary_name: ase_godiff")
    _assert_same_weights(pulled.path, small_model())
    assert resolve_model(repo) == pulled


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


def test_push_publishes_only_the_model_files(tmp_path, hub):
    folder = save_model(small_model(), tmp_path / "m")
    (folder / ".env").write_text("HF_TOKEN=hf_never_published\n")
    (folder / "run.json").write_text('{"secret": "hf_never_published"}')
    (folder / "sub").mkdir()
    (folder / "sub" / "config.json").write_text("{}")
    repo = _repo()
    received = hub.files(repo, push(folder, repo))
    assert set(received) == MODEL_FILES | {".gitattributes"}  # the server's initial commit
    assert not any(b"hf_never_published" in content for content in received.values())
    assert {name: received[name] for name in MODEL_FILES} == {
        name: (folder / name).read_bytes() for name in MODEL_FILES}
    assert set(os.listdir(pull(repo).path)) == MODEL_FILES


def test_pull_fetches_only_the_model_files(tmp_path, hub):
    repo, commit, _ = _pushed(tmp_path)
    hub.files(repo, commit)["checkpoint.pt"] = b"x" * 1000
    assert set(os.listdir(pull(repo, force=True).path)) == MODEL_FILES


# ------------------------------------------------------------------ connection errors
HTTP_CLIENT = next(importlib.import_module(name) for name in ("httpx2", "httpx")
                   if importlib.util.find_spec(name))  # huggingface_hub 2.x, 1.x
NETWORK_FAILURES = [HTTP_CLIENT.ConnectError("[Errno 111] Connection refused"),
                    HTTP_CLIENT.TimeoutException("timed out\nafter 10 s"),
                    requests.ConnectionError("Max retries exceeded")]


@pytest.mark.parametrize("failure", NETWORK_FAILURES, ids=lambda e: type(e).__name__)
def test_connection_errors_are_one_line_zoo_errors(tmp_path, monkeypatch, failure):
    def fail(*args, **kwargs):
        raise failure

    monkeypatch.setattr(zoo, "snapshot_download", fail)
    with pytest.raises(ZooError, match=f"cannot reach the Hub for tester/x@main .*{type(failure).__name__}") as error:
        pull("tester/x")
    assert "\n" not in str(error.value)
    monkeypatch.setattr(zoo.HfApi, "create_repo", fail)
    with pytest.raises(ZooError, match=f"could not push to tester/x: {type(failure).__name__}") as error:
        push(save_model(small_model(), tmp_path / "m"), "tester/x")
    assert "\n" not in str(error.value)


def test_no_token_appears_in_an_error(tmp_path, monkeypatch):
    token = "hf_SECRETtoken0123456789"

    def fail(*args, **kwargs):
        raise HTTP_CLIENT.ConnectError(f"refused: Authorization: Bearer {token}")

    monkeypatch.setattr(zoo.HfApi, "create_repo", fail)
    with pytest.raises(ZooError) as error:
        push(save_model(small_model(), tmp_path / "m"), "tester/x", token=token)
    assert token not in str(error.value) and "Bearer ***" in str(error.value)


def test_push_to_an_unreachable_hub_is_one_line_on_the_command_line(tmp_path):
    folder = save_model(small_model(), tmp_path / "m")
    token = "hf_SECRETtoken0123456789"
    done = subprocess.run([sys.executable, "-c", "from ase_godiff.cli import app; app()", "push",
                           str(folder), "--repo", "tester/x", "--token", token],
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "HF_ENDPOINT": "http://127.0.0.1:9"})
    assert done.returncode == 1 and "Traceback" not in done.stderr and token not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "could not push to tester/x" in done.stderr


# ------------------------------------------------------------------ the registry
def test_shipped_models_match_the_registry():
    entries = list_models()
    assert entries, "the package registry lists no models"
    for entry in entries:
        assert entry.shipped is not None, f"{entry.name} is registered but not shipped"
        assert set(entry.sha256) == {"config.json", "model.safetensors"}, entry.name
        assert pin(entry.shipped) == entry.sha256, entry.name
        load_model(entry.shipped)


def test_the_registry_codec_round_trips(tmp_path):
    shipped = ROOT / "ase_godiff" / "zoo_data" / "registry.toml"
    write_registry(read_registry(shipped), tmp_path / "again.toml")
    assert (tmp_path / "again.toml").read_text() == shipped.read_text()  # written by the codec
    odd = ZooEntry(name="odd_1", repo_id="a/b", description='quotes " and \\ and\nÅ, a tab\t',
                   sha256={"config.json": "0" * 64, "model.safetensors": "f" * 64})
    write_registry([odd, ZooEntry(name="draft", repo_id="c/d")], tmp_path / "odd.toml")
    assert read_registry(tmp_path / "odd.toml") == [ZooEntry(name="draft", repo_id="c/d"), odd]
    half = ZooEntry(name="half", repo_id="a/b", sha256={"model.safetensors": "f" * 64})
    with pytest.raises(ZooError, match="sha256 must pin config.json and model.safetensors"):
        write_registry([half], tmp_path / "half.toml")
    assert not (tmp_path / "half.toml").exists()
    with pytest.raises(ZooError, match="do not survive a round trip"):  # "" would read back as main
        write_registry([ZooEntry(name="blank", repo_id="a/b", revision="")], tmp_path / "blank.toml")


def test_build_script_registers_through_the_codec(tmp_path):
    spec = importlib.util.spec_from_file_location("zoo_build", ROOT / "zoo" / "build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    registry = tmp_path / "registry.toml"
    write_registry([ZooEntry(name="other", repo_id="a/other")], registry)
    folder = save_model(small_model(), tmp_path / "tiny")
    recipe = {"output": {"description": "a tiny model"}, "calculator": {"name": "emt"}}
    build.register("tiny", recipe, folder, registry)
    assert read_registry(registry) == [
        ZooEntry(name="other", repo_id="a/other"),
        ZooEntry(name="tiny", repo_id="ase-godiff/tiny", revision=build.REVISION,
                 description="a tiny model", energy_function="EMT", sha256=pin(folder))]


def test_registry_is_read_from_the_environment_and_tolerates_unpublished_entries(tmp_path, monkeypatch):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert list_models(_registry(empty)) == []
    repo, commit, _ = _pushed(tmp_path)
    monkeypatch.setenv("ASE_GODIFF_ZOO_REGISTRY", str(_registry(tmp_path, draft={"repo_id": repo})))
    [entry] = list_models()
    assert (entry.name, entry.revision, entry.sha256) == ("draft", "main", {})
    pulled = pull("draft")
    assert pulled.origin == "zoo" and pulled.path.name == commit
    assert "no sha256 is registered" in pulled.note


PINS = {"config.json": "0" * 64, "model.safetensors": "f" * 64}


@pytest.mark.parametrize("fields, message", [
    ({"repo_id": "a/b", "colour": "red"}, r"unknown field\(s\) \['colour'\]"),
    ({"description": "no repo"}, 'needs repo_id = "owner/name"'),
    ({"repo_id": "a/b", "revision": 1}, "must be strings"),
    ({"repo_id": "a/b", "sha256": "f" * 64}, "sha256 must pin config.json and model.safetensors"),
    ({"repo_id": "a/b", "sha256": {"model.safetensors": "f" * 64}}, "sha256 must pin"),
    ({"repo_id": "a/b", "sha256": {**PINS, "README.md": "0" * 64}}, "sha256 must pin"),
    ({"repo_id": "a/b", "sha256": {**PINS, "config.json": "ABC"}}, "64 lowercase hex digits"),
])
def test_a_malformed_registry_entry_is_named(tmp_path, fields, message):
    with pytest.raises(ZooError, match=message) as error:
        list_models(_registry(tmp_path, bad=fields))
    assert "[models.bad]" in str(error.value)


def test_registered_revision_is_verified_by_sha256(tmp_path, hub, monkeypatch):
    repo, commit, folder = _registered(tmp_path, monkeypatch)
    pulled = pull("test-model")
    assert pulled.origin == "zoo" and pulled.path.name == commit and pulled.note == ""
    # a corrupted cached copy is caught, and --force downloads it again
    (pulled.path / WEIGHTS_FILE).write_bytes(b"corrupted")
    with pytest.raises(ZooError, match="checksum mismatch for test-model: .* pull test-model --force"):
        pull("test-model")
    assert pin(pull("test-model", force=True).path) == pin(folder)
    # a corrupted copy on the Hub is caught too
    hub.corrupt(repo, WEIGHTS_FILE, revision="v1")
    with pytest.raises(ZooError, match="checksum mismatch"):
        pull("test-model", cache_dir=tmp_path / "fresh-cache")


@pytest.mark.parametrize("tampering", [{"cutoff": 1e7}, {"features": 60000}])
def test_a_tampered_cached_config_fails_the_pull(tmp_path, monkeypatch, tampering):
    _registered(tmp_path, monkeypatch)
    path = pull("test-model").path / "config.json"
    _edit_config(path, **tampering)
    with pytest.raises(ZooError) as error:
        pull("test-model")
    message = str(error.value)
    assert message.startswith(f"checksum mismatch for test-model: {path} has sha256")
    assert message.endswith("download it again with `godiff pull test-model --force`")
    assert "\n" not in message
    assert pull("test-model", force=True).note == ""


def test_a_hub_repo_with_an_oversized_config_is_refused_before_loading(tmp_path, hub):
    repo, commit, folder = _pushed(tmp_path)
    config = json.loads((folder / "config.json").read_text())
    config["network"]["features"] = 60000
    hub.replace(repo, "config.json", json.dumps(config).encode(), revision=commit)
    with pytest.raises(ZooError, match="is not a usable ase_godiff model: .*features = 60000: "
                                       "must be a whole number from 1 to 1024"):
        pull(repo)


def test_another_revision_of_a_zoo_model_says_it_is_not_verified(tmp_path, monkeypatch):
    repo, tagged, _ = _registered(tmp_path, monkeypatch)
    main = push(save_model(small_model(1), tmp_path / "v2"), repo)
    for pulled in (pull("test-model", revision="main"), pull("test-model@main")):
        assert pulled.origin == "zoo" and pulled.path.name == main
        assert pulled.note == ("test-model@main is not the registered revision v1: its files are not "
                               "verified against the registry (leave out the revision for that)")
    assert "not the registered revision" in pull("test-model", revision=tagged).note
    shown = CliRunner().invoke(app, ["pull", "test-model", "--revision", "main"])
    assert shown.exit_code == 0 and "not verified" in shown.stderr


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
        pull("runs/missing/model")
    with pytest.raises(ZooInputError, match="two revisions"):
        pull(f"{repo}@a", revision="b")
    with pytest.raises(ZooInputError, match="not a model folder: .* has no config.json"):
        push(tmp_path, _repo())


# ------------------------------------------------------------------ name resolution
def test_a_bare_name_is_a_zoo_name_even_beside_a_folder_of_that_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    folder = save_model(small_model(), tmp_path / "pt111-adatom")
    from_zoo = resolve_model("pt111-adatom")  # the loopback Hub lacks it: the shipped copy
    assert from_zoo.origin == "shipped" and from_zoo.path == zoo.ZOO_DATA / "pt111-adatom"
    assert "the folder ./pt111-adatom is not used: a bare name is a zoo name" in from_zoo.note
    for path in ("./pt111-adatom", str(folder), "~/pt111-adatom", Path("pt111-adatom")):
        pulled = resolve_model(path)
        assert pulled.origin == "local" and pulled.path.resolve() == folder and pulled.note == "", path
    save_model(small_model(), tmp_path / "my-model")
    with pytest.raises(ZooInputError, match="no model 'my-model' in the zoo .*write ./my-model"):
        resolve_model("my-model")
    assert resolve_model("./my-model").origin == "local"
    with pytest.raises(ZooInputError, match="no model folder .*missing"):
        resolve_model("runs/missing/model")
    with pytest.raises(ZooInputError, match="no model folder"):
        resolve_model(Path("tester") / "missing")
    with pytest.raises(ZooError, match="no repository tester/missing on the Hub.*no folder tester/missing"):
        resolve_model("tester/missing")


def test_a_folder_path_wins_over_the_hub_repo_of_that_name_and_says_so(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    repo, commit, _ = _pushed(tmp_path)
    assert resolve_model(repo).origin == "hub"
    save_model(small_model(1), tmp_path / repo)
    local = resolve_model(repo)
    assert local.origin == "local" and local.path == Path(repo)
    assert local.note == f"{repo} is the local folder, not the Hub repo of that name (godiff pull {repo} fetches the repo)"
    assert pull(repo).path.name == commit


# ------------------------------------------------------------------ notes and no network
def test_notes_are_returned_and_logged_below_warning(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("ASE_GODIFF_ZOO_REGISTRY", str(_registry(tmp_path, draft={"repo_id": _pushed(tmp_path)[0]})))
    with caplog.at_level(logging.DEBUG, logger="ase_godiff.zoo"):
        note = pull("draft").note
    assert note and [(r.levelno, r.getMessage()) for r in caplog.records] == [(logging.INFO, note)]


def _pull_in_subprocess(sources, **env):
    """Pull each source in a fresh interpreter with ``env``; one list per source. Nothing
    may reach stderr: notes come back in Pulled.note, not as log lines."""
    code = ("import json, sys\nfrom ase_godiff.zoo import pull, ZooError\n"
            "for source in sys.argv[1:]:\n"
            "    try:\n        p = pull(source); print(json.dumps([p.origin, str(p.path), p.note]))\n"
            "    except ZooError as e:\n        print(json.dumps(['error', type(e).__name__, str(e)]))\n")
    done = subprocess.run([sys.executable, "-c", code, *sources], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=300)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_offline_pull_reuses_the_cache_and_fails_clearly_without_it(tmp_path, hub):
    repo, commit, folder = _pushed(tmp_path, tag="v1")
    registry = _registry(tmp_path, cached={"repo_id": repo, "revision": "v1", "sha256": pin(folder)})
    online = pull(repo)
    pull(f"{repo}@v1")
    asked = len(hub.requests)
    results = _pull_in_subprocess([repo, "cached", _repo()], HF_HUB_OFFLINE="1",
                                  ASE_GODIFF_ZOO_REGISTRY=str(registry))
    assert results[0] == ["hub", str(online.path), ""]
    assert results[1] == ["zoo", str(online.path), ""]
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
    assert target.state.model_trained and target.network_config == SMALL
    for a, b in zip(target.state.model.state_dict().values(), source.state.model.state_dict().values()):
        torch.testing.assert_close(a, b)
    target.step()  # stage 0 samples from the pretrained model, not the prior
    assert len(target.state.buffer) > 0 and target.todict()["model_origin"] == "local"
    with pytest.raises(ValueError, match="either network= .* or model="):
        GODiffOptimizer(small_slab("Pt"), _emt(), network=SMALL, model=str(tmp_path / "adatom"))


def test_a_warm_start_names_the_elements_the_model_never_saw(tmp_path, caplog):
    source = GODiffOptimizer(small_slab("Pt"), _emt(), settings=FAST, network=SMALL, seed=0)
    source.save_model(tmp_path / "adatom", description="Pt adatom")
    assert trained_elements(tmp_path / "adatom") == ["Pt"]
    with caplog.at_level(logging.WARNING, logger="ase_godiff"):
        GODiffOptimizer(small_slab("Pt"), _emt(), settings=FAST, model=str(tmp_path / "adatom"))
    assert "new to it" not in caplog.text
    with caplog.at_level(logging.WARNING, logger="ase_godiff"):
        GODiffOptimizer(small_slab("AuCu"), _emt(), settings=FAST, model=str(tmp_path / "adatom"))
    assert "trained on Pt; new to it: Au, Cu" in caplog.text
    (tmp_path / "adatom" / "README.md").write_text("no table\n")
    assert trained_elements(tmp_path / "adatom") is None


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
