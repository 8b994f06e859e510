"""A trained model as a folder: config.json + model.safetensors + README.md (model card).

The config round-trips the whole architecture, the weights load strictly, and nothing is
ever unpickled.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from huggingface_hub import ModelCard, ModelCardData
from safetensors.torch import load_file, save_file

from .nn.score import ScoreNetConfig, ScoreNetwork

__all__ = ["CONFIG_FILE", "CardInfo", "WEIGHTS_FILE", "load_model", "save_model", "sha256_of"]

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
CARD_FILE = "README.md"
FORMAT_VERSION = 1
LIBRARY = "ase_godiff"


@dataclass
class CardInfo:
    """What a model card says about a model: what it was trained on and how well it did."""

    name: str
    description: str = ""
    elements: list[str] = field(default_factory=list)
    template: str = ""
    energy_function: str = "EMT"
    temperatures: str = ""
    evaluations: int = 0
    benchmark: str = ""


def sha256_of(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def save_model(model: ScoreNetwork, folder, card: CardInfo | None = None) -> Path:
    """Write ``folder`` with the config, the weights and a model card; returns the folder."""
    from . import __version__

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    config = {"library": LIBRARY, "format_version": FORMAT_VERSION, "version": __version__,
              "network": model.config.to_dict()}
    (folder / CONFIG_FILE).write_text(json.dumps(config, indent=2) + "\n")
    state = {name: tensor.detach().cpu().contiguous() for name, tensor in model.state_dict().items()}
    save_file(state, str(folder / WEIGHTS_FILE), metadata={"library": LIBRARY})
    _model_card(card or CardInfo(name=folder.name), model.config, __version__).save(folder / CARD_FILE)
    return folder


def load_model(folder) -> ScoreNetwork:
    """The model saved in ``folder``; a clear ValueError when a file is missing or does not match."""
    folder = Path(folder)
    for name in (CONFIG_FILE, WEIGHTS_FILE):
        if not (folder / name).is_file():
            raise ValueError(f"{folder} has no {name}: a model folder holds {CONFIG_FILE}, "
                             f"{WEIGHTS_FILE} and {CARD_FILE} (write one with save_model)")
    try:
        config = json.loads((folder / CONFIG_FILE).read_text())
    except json.JSONDecodeError as error:
        raise ValueError(f"{folder / CONFIG_FILE} is not valid JSON: {error}") from None
    if config.get("library") != LIBRARY or config.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"{folder / CONFIG_FILE} is not an {LIBRARY} model of format "
                         f"{FORMAT_VERSION}: library={config.get('library')!r}, "
                         f"format_version={config.get('format_version')!r}")
    model = ScoreNetwork(ScoreNetConfig.from_dict(config.get("network", {})))
    try:
        state = load_file(str(folder / WEIGHTS_FILE))
        model.load_state_dict(state, strict=True)
    except (RuntimeError, OSError) as error:
        first_line = str(error).strip().splitlines()[0]
        raise ValueError(f"{folder / WEIGHTS_FILE} does not match {CONFIG_FILE}: {first_line}; "
                         "save the model again with save_model") from None
    return model.eval()


def _model_card(info: CardInfo, config: ScoreNetConfig, version: str) -> ModelCard:
    data = ModelCardData(library_name=LIBRARY, license="mit",
                         tags=["ase_godiff", "go-diff", "diffusion", "global-optimization",
                               "atomistic", info.energy_function.lower()])
    architecture = ", ".join(f"{k} = {v}" for k, v in config.to_dict().items())
    body = f"""
# {info.name}

{info.description}

A GO-Diff score model (PaiNN backbone with score and force heads) made with
ase_godiff {version} (arXiv 2510.13448). Warm-start a search with
`GODiffOptimizer(atoms, calc, model="{info.name}")`.

| trained on | |
|---|---|
| elements | {", ".join(info.elements)} |
| template | {info.template} |
| energy function | {info.energy_function} |
| temperatures (kT, eV) | {info.temperatures} |
| evaluations spent | {info.evaluations} |
| architecture | {architecture} |

## Benchmark
{info.benchmark or "not measured"}
"""
    return ModelCard(f"---\n{data.to_yaml()}\n---\n{body}")
