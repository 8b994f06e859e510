"""A trained model as a folder: config.json + model.safetensors + README.md (model card).

The config round-trips the whole architecture, the weights load strictly, and nothing is
ever unpickled. This is the layout ``huggingface_hub`` and the Hub expect of a model repo.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from huggingface_hub import ModelCard, ModelCardData
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from ._version import __version__
from .nn.score import ScoreNetConfig, ScoreNetwork, with_force_scale

__all__ = ["CARD_FILE", "CONFIG_FILE", "MODEL_FILES", "ModelCardInfo", "WEIGHTS_FILE",
           "energy_function_name", "load_model", "read_config", "save_model", "search_card", "sha256_of", "trained_elements"]

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
CARD_FILE = "README.md"
MODEL_FILES = (CONFIG_FILE, WEIGHTS_FILE, CARD_FILE)  # all a model folder holds
LIBRARY = "ase_godiff"
FORMAT_VERSION = 1
CONFIG_KEYS = {"library", "format_version", "version", "network"}  # "version": the package's
TAGS = ["ase_godiff", "go-diff", "diffusion", "global-optimization", "atomistic"]


@dataclass
class ModelCardInfo:
    """What a model card says about a model: what it was trained on and how well it did.

    ``temperatures`` is free text in kT (eV), e.g. ``"0.5 to 0.05 (adaptive)"``;
    ``benchmark`` is markdown; ``version`` defaults to the installed ase_godiff.
    """

    name: str
    description: str = ""
    elements: list[str] = field(default_factory=list)
    template: str = ""
    energy_function: str = "EMT"
    temperatures: str = ""
    evaluations: int = 0
    benchmark: str = ""
    version: str = ""


def energy_function_name(calc) -> str:
    """How a card names the energy function: the calculator's class, and for one from outside
    ASE its package's version and, where the calculator says, its model's (CHGNet's
    ``model.version``), e.g. ``CHGNetCalculator (chgnet 0.4.2, model 0.3.0)``."""
    name, package = type(calc).__name__, type(calc).__module__.split(".")[0]
    if package == "ase":
        return name
    details = []
    try:
        details.append(f"{package} {importlib.metadata.version(package)}")
    except importlib.metadata.PackageNotFoundError:
        pass
    model_version = getattr(getattr(calc, "model", None), "version", None)
    if isinstance(model_version, str):
        details.append(f"model {model_version}")
    return f"{name} ({', '.join(details)})" if details else name


def energy_function_tag(energy_function: str) -> str:
    """A card's tag for its energy function: ``'CHGNetCalculator (chgnet 0.4.2)'`` -> ``'chgnet'``."""
    return energy_function.split()[0].lower().removesuffix("calculator") or energy_function.lower()


def search_card(*, name: str, description: str, atoms, free_indices, energy_function: str,
                temperatures: str, evaluations: int, best_energy: float | None,
                benchmark: str = "") -> ModelCardInfo:
    """The card of a model trained by a search that placed ``atoms[free_indices]`` on the
    rest (the template); without ``benchmark``, the card gives ``best_energy`` (eV)."""
    free = np.zeros(len(atoms), dtype=bool)
    free[np.asarray(free_indices, dtype=int)] = True
    template = atoms[~free]
    return ModelCardInfo(
        name=name, description=description, elements=sorted(set(atoms.get_chemical_symbols())),
        template=f"{template.get_chemical_formula() or 'none'}, pbc {atoms.pbc.tolist()}, "
                 f"cell {np.round(atoms.cell.array.diagonal(), 3).tolist()} Å; free atoms "
                 f"{atoms[free].get_chemical_formula()}",
        energy_function=energy_function, temperatures=temperatures, evaluations=evaluations,
        benchmark=benchmark or (f"best energy {best_energy:.4f} eV after {evaluations} evaluations"
                                if best_energy is not None else ""))


def trained_elements(folder) -> list[str] | None:
    """The elements a saved model was trained on, read from its card's table; None when the
    card does not say."""
    card = Path(folder) / CARD_FILE
    if not card.is_file():
        return None
    for line in card.read_text(encoding="utf-8", errors="replace").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 2 and cells[0] == "elements" and cells[1]:
            return [symbol.strip() for symbol in cells[1].split(",")]
    return None


def sha256_of(path) -> str:
    """The hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def save_model(model: ScoreNetwork, folder, card: ModelCardInfo | None = None) -> Path:
    """Write ``folder`` with the config, the weights and a model card; returns the folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    config = {"library": LIBRARY, "format_version": FORMAT_VERSION, "version": __version__,
              "network": model.config.to_dict()}
    (folder / CONFIG_FILE).write_text(json.dumps(config, indent=2) + "\n")
    state = {name: tensor.detach().cpu().contiguous() for name, tensor in model.state_dict().items()}
    save_file(state, str(folder / WEIGHTS_FILE), metadata={"library": LIBRARY})
    card = card or ModelCardInfo(name=folder.name)
    _model_card(card, model.config, card.version or __version__).save(folder / CARD_FILE)
    return folder


def load_model(folder) -> ScoreNetwork:
    """The model saved in ``folder``, in eval mode.

    Raises a ValueError naming the file and the fix when a file is missing, the config has
    unknown or missing settings, or the weights do not match the config.
    """
    folder = Path(folder)
    for name in (CONFIG_FILE, WEIGHTS_FILE):
        if not (folder / name).is_file():
            raise ValueError(f"{folder} has no {name}: a model folder holds {CONFIG_FILE}, "
                             f"{WEIGHTS_FILE} and {CARD_FILE} (write one with save_model)")
    model = ScoreNetwork(read_config(folder / CONFIG_FILE))
    weights = folder / WEIGHTS_FILE
    try:
        state = load_file(str(weights))
    except (SafetensorError, OSError) as error:
        raise ValueError(f"{weights} is not a readable safetensors file ({error}); "
                         "download or save the model again") from None
    problem = _mismatch(model.state_dict(), with_force_scale(state))
    if problem:
        raise ValueError(f"{weights} does not match {CONFIG_FILE}: {problem}; save the model "
                         f"again with save_model, or restore the {CONFIG_FILE} it was saved with")
    model.load_state_dict(state, strict=True)
    return model.eval()


def read_config(path) -> ScoreNetConfig:
    """The network config in a model's config.json, read strictly and checked against the
    size bounds of :class:`ScoreNetConfig` before any tensor is allocated."""
    path = Path(path)
    try:
        config = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise ValueError(f"{path} is not valid JSON: {error}") from None
    if not isinstance(config, dict):
        raise ValueError(f"{path} must hold a JSON object with keys {sorted(CONFIG_KEYS)}")
    unknown = sorted(set(config) - CONFIG_KEYS)
    if unknown:
        raise ValueError(f"{path} has unknown key(s) {unknown}: known are {sorted(CONFIG_KEYS)}")
    if config.get("library") != LIBRARY or config.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"{path} is not an {LIBRARY} model of format {FORMAT_VERSION}: "
                         f"library={config.get('library')!r}, "
                         f"format_version={config.get('format_version')!r}")
    network = config.get("network")
    if not isinstance(network, dict):
        raise ValueError(f"{path} has no \"network\" settings: save the model again with save_model")
    try:
        return ScoreNetConfig.from_dict(network)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{path}: {error}") from None


def _mismatch(expected: dict, found: dict) -> str:
    """'' when the tensors in ``found`` have the names and shapes of ``expected``."""
    missing = sorted(set(expected) - set(found))
    unexpected = sorted(set(found) - set(expected))
    shapes = [f"{k} {tuple(found[k].shape)} != {tuple(v.shape)}" for k, v in expected.items()
              if k in found and found[k].shape != v.shape]
    parts = [f"{label} {_few(items)}" for label, items in
             (("missing", missing), ("unexpected", unexpected), ("wrong shape", shapes)) if items]
    return "; ".join(parts)


def _few(items: list[str], n: int = 3) -> str:
    return ", ".join(items[:n]) + (f" and {len(items) - n} more" if len(items) > n else "")


def _model_card(info: ModelCardInfo, config: ScoreNetConfig, version: str) -> ModelCard:
    tags = TAGS + [energy_function_tag(info.energy_function)] if info.energy_function else TAGS
    data = ModelCardData(library_name=LIBRARY, license="mit", tags=tags)
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
