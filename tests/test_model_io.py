"""Model folders: config.json + model.safetensors + README.md, loaded strictly."""

import hashlib
import json

import numpy as np
import pytest
from huggingface_hub import ModelCard

from ase_godiff import __version__, model_io
from ase_godiff.model_io import ModelCardInfo, load_model, save_model, search_card, sha256_of
from ase_godiff.nn.score import ScoreNetConfig

from small_models import SMALL, outputs, small_model
from systems import small_slab


def test_round_trip_gives_identical_outputs_config_and_card(tmp_path):
    model = small_model()
    info = ModelCardInfo(name="pt2", description="two Pt atoms", elements=["Pt"],
                         template="Pt18", energy_function="EMT", temperatures="0.5 to 0.05",
                         evaluations=12, benchmark="| seed | best |\n|---|---|\n| 0 | -1.0 |")
    folder = save_model(model, tmp_path / "m", card=info)
    assert sorted(p.name for p in folder.iterdir()) == ["README.md", "config.json", "model.safetensors"]
    config = json.loads((folder / "config.json").read_text())
    assert config == {"library": "ase_godiff", "format_version": 1, "version": __version__,
                      "network": SMALL.to_dict()}
    loaded = load_model(folder)
    assert loaded.config == SMALL and not loaded.training
    for a, b in zip(outputs(model), outputs(loaded)):
        np.testing.assert_array_equal(a, b)
    card = ModelCard.load(folder / "README.md")
    assert card.data.library_name == "ase_godiff" and card.data.license == "mit"
    assert {"ase_godiff", "go-diff", "diffusion", "global-optimization", "emt"} <= set(card.data.tags)
    assert "two Pt atoms" in card.text and f"ase_godiff {__version__}" in card.text
    assert "| 0 | -1.0 |" in card.text


def test_search_card_describes_the_search_that_trained_the_model():
    atoms = small_slab("Pt2")
    free = [len(atoms) - 2, len(atoms) - 1]
    common = dict(name="pt2", description="two Pt atoms", atoms=atoms, free_indices=free,
                  energy_function="EMT", temperatures="0.5 to 0.05 (adaptive)", evaluations=40)
    card = search_card(**common, best_energy=-1.23456)
    cell = np.round(atoms.cell.array.diagonal(), 3).tolist()
    assert card == ModelCardInfo(
        name="pt2", description="two Pt atoms", elements=["Pt"],
        template=f"Pt18, pbc [True, True, False], cell {cell} Å; free atoms Pt2",
        energy_function="EMT", temperatures="0.5 to 0.05 (adaptive)", evaluations=40,
        benchmark="best energy -1.2346 eV after 40 evaluations")
    assert search_card(**common, best_energy=None).benchmark == ""
    assert search_card(**common, best_energy=-1.0, benchmark="| 0 | -1.0 |").benchmark == "| 0 | -1.0 |"
    assert not hasattr(model_io, "CardInfo")


def test_config_round_trips_through_its_dict():
    assert ScoreNetConfig.from_dict(SMALL.to_dict()) == SMALL


def _saved(tmp_path):
    return save_model(small_model(), tmp_path / "m")


def _edit_config(folder, change):
    config = json.loads((folder / "config.json").read_text())
    change(config)
    (folder / "config.json").write_text(json.dumps(config))


@pytest.mark.parametrize("change, message", [
    (lambda c: c.update(extra=1), r"unknown key\(s\) \['extra'\]"),
    (lambda c: c["network"].update(depth=2), r"unknown network setting\(s\) \['depth'\]"),
    (lambda c: c.update(library="other"), "is not an ase_godiff model"),
    (lambda c: c.update(format_version=2), "of format 1"),
    (lambda c: c.pop("network"), "no \"network\" settings"),
    (lambda c: c["network"].update(features=0), "features = 0: must be a whole number from 1 to 1024"),
])
def test_load_rejects_a_config_it_does_not_know(tmp_path, change, message):
    folder = _saved(tmp_path)
    _edit_config(folder, change)
    with pytest.raises(ValueError, match=message) as error:
        load_model(folder)
    assert "config.json" in str(error.value)


@pytest.mark.parametrize("setting, value, bound", [
    ("features", 60000, "from 1 to 1024"), ("features", 8.5, "whole number"),
    ("features", True, "whole number"), ("blocks", 17, "from 1 to 16"),
    ("radial_basis", 129, "from 1 to 128"), ("cutoff", 1e7, "up to 20.0 Å"),
    ("cutoff", -1.0, "above 0"), ("free_cutoff", float("inf"), "finite"),
    ("free_cutoff", float("nan"), "finite"), ("cutoff", "5", "finite length"),
])
def test_config_sizes_are_bounded_before_any_tensor_is_allocated(tmp_path, monkeypatch, setting, value, bound):
    folder = _saved(tmp_path)
    _edit_config(folder, lambda c: c["network"].update({setting: value}))
    built = []
    monkeypatch.setattr(model_io, "ScoreNetwork", lambda config: built.append(config))
    with pytest.raises(ValueError, match=f"config.json: network setting {setting} = .*{bound}") as error:
        load_model(folder)
    assert repr(value) in str(error.value) and not built
    with pytest.raises(ValueError, match=bound):
        ScoreNetConfig(**{setting: value})


def test_load_rejects_weights_that_do_not_match_the_config(tmp_path):
    folder = _saved(tmp_path)
    _edit_config(folder, lambda c: c["network"].update(features=12))
    with pytest.raises(ValueError, match="model.safetensors does not match config.json: wrong shape"):
        load_model(folder)
    _edit_config(folder, lambda c: c["network"].update(features=8, blocks=2))
    with pytest.raises(ValueError, match="missing messages.1"):
        load_model(folder)


@pytest.mark.parametrize("name", ["config.json", "model.safetensors"])
def test_a_missing_file_is_named_with_the_fix(tmp_path, name):
    folder = _saved(tmp_path)
    (folder / name).unlink()
    with pytest.raises(ValueError, match=f"has no {name}: .*save_model"):
        load_model(folder)


def test_unreadable_files_are_clear_errors(tmp_path):
    folder = _saved(tmp_path)
    (folder / "model.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(ValueError, match="model.safetensors is not a readable safetensors file"):
        load_model(folder)
    (folder / "config.json").write_text("{")
    with pytest.raises(ValueError, match="config.json is not valid JSON"):
        load_model(folder)


def test_sha256_of_a_file(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"x" * 3_000_000)
    assert sha256_of(path) == hashlib.sha256(b"x" * 3_000_000).hexdigest()


def test_a_card_names_the_energy_function_with_its_package_and_model_versions():
    from types import SimpleNamespace

    import torch
    from ase.calculators.emt import EMT

    from ase_godiff.model_io import energy_function_name

    class UniversalPotential:  # as CHGNet's calculator exposes its model's version
        model = SimpleNamespace(version="0.3.0")

    assert energy_function_name(EMT()) == "EMT"
    assert energy_function_name(UniversalPotential()) == "UniversalPotential (model 0.3.0)"
    UniversalPotential.__module__ = "torch.potentials"
    assert energy_function_name(UniversalPotential()) == (
        f"UniversalPotential (torch {torch.__version__}, model 0.3.0)")
    assert model_io.energy_function_tag("CHGNetCalculator (chgnet 0.4.2, model 0.3.0)") == "chgnet"
    assert model_io.energy_function_tag("EMT") == "emt"
