"""Rebuild a zoo model from its recipe and register the result.

    python zoo/build.py pt111-adatom           # retrain, ship, register, write the card
    python zoo/build.py pt111-adatom --card    # only put zoo/NAME/benchmark.md on the card

Runs ``godiff run zoo/NAME/recipe.toml``, copies the model into the package
(ase_godiff/zoo_data/NAME), writes its card to zoo/NAME/README.md, and pins the sha256 of
config.json and model.safetensors in the registry (written by ase_godiff.zoo, like every
registry). The card's benchmark section gets the measured figures in zoo/NAME/benchmark.md
(written after the benchmarks ran; the weights do not change).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REGISTRY = ROOT / "ase_godiff" / "zoo_data" / "registry.toml"
REVISION = "v0.1.0"  # the tag each Hub repo gets when published


BENCHMARK_HEADING = "\n## Benchmark\n"
# the registry's name for each recipe calculator (``godiff list`` shows it)
ENERGY_FUNCTIONS = {"emt": "EMT", "chgnet": "CHGNet", "mace-mp": "MACE-MP-0"}


def write_card(name: str) -> None:
    """The shipped card, with zoo/NAME/benchmark.md under its benchmark heading; copied to zoo/NAME/."""
    card = ROOT / "ase_godiff" / "zoo_data" / name / "README.md"
    measured = ROOT / "zoo" / name / "benchmark.md"
    head, _, section = card.read_text().partition(BENCHMARK_HEADING)
    own_line = section.splitlines()[0] if section else ""  # what the training run measured
    extra = f"\n{measured.read_text().strip()}\n" if measured.exists() else ""
    card.write_text(f"{head}{BENCHMARK_HEADING}{own_line}\n{extra}")
    shutil.copy(card, ROOT / "zoo" / name / "README.md")


def register(name: str, recipe: dict, shipped: Path, registry: Path = REGISTRY):
    """Pin the model in ``shipped`` as ``name`` in ``registry``, beside the other entries."""
    from ase_godiff.zoo import ZooEntry, pin, read_registry, write_registry

    entries = {e.name: e for e in read_registry(registry)} if registry.exists() else {}
    entries[name] = ZooEntry(name=name, repo_id=f"ase-godiff/{name}", revision=REVISION,
                             description=recipe["output"].get("description", ""),
                             energy_function=ENERGY_FUNCTIONS.get(recipe["calculator"]["name"],
                                                          recipe["calculator"]["name"]),
                             sha256=pin(shipped))
    write_registry(entries.values(), registry)
    return entries[name]


def main(name: str) -> None:
    recipe = ROOT / "zoo" / name / "recipe.toml"
    config = tomllib.loads(recipe.read_text())
    subprocess.run(["godiff", "run", str(recipe), "--json"], check=True)
    run_folder = recipe.parent / config["output"]["folder"]
    summary = json.loads((run_folder / "summary.json").read_text())
    shipped = ROOT / "ase_godiff" / "zoo_data" / name
    shutil.rmtree(shipped, ignore_errors=True)
    shutil.copytree(run_folder / "model", shipped)
    write_card(name)
    entry = register(name, config, shipped)
    pins = ", ".join(f"{file} {digest[:12]}" for file, digest in entry.sha256.items())
    print(f"{name}: {summary['evaluations']} evaluations, best {summary['best_energy_eV']:.4f} eV; "
          f"sha256 {pins}")

if __name__ == "__main__":
    if sys.argv[2:] == ["--card"]:
        write_card(sys.argv[1])
    else:
        main(sys.argv[1])
