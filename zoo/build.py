"""Rebuild a zoo model from its recipe and register the result.

    python zoo/build.py pt111-adatom           # retrain, ship, register, write the card
    python zoo/build.py pt111-adatom --card    # only put zoo/NAME/benchmark.md on the card

Runs ``godiff run zoo/NAME/recipe.toml``, copies the model into the package
(ase_godiff/zoo_data/NAME), writes its card to zoo/NAME/README.md, and records the sha256
of the weights in the registry. The card's benchmark section gets the measured figures in
zoo/NAME/benchmark.md (written after the benchmarks ran; the weights do not change).
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


def write_card(name: str) -> None:
    """The shipped card, with zoo/NAME/benchmark.md under its benchmark heading; copied to zoo/NAME/."""
    card = ROOT / "ase_godiff" / "zoo_data" / name / "README.md"
    measured = ROOT / "zoo" / name / "benchmark.md"
    head, _, section = card.read_text().partition(BENCHMARK_HEADING)
    own_line = section.splitlines()[0] if section else ""  # what the training run measured
    extra = f"\n{measured.read_text().strip()}\n" if measured.exists() else ""
    card.write_text(f"{head}{BENCHMARK_HEADING}{own_line}\n{extra}")
    shutil.copy(card, ROOT / "zoo" / name / "README.md")


def main(name: str) -> None:
    from ase_godiff.model_io import WEIGHTS_FILE, sha256_of

    recipe = ROOT / "zoo" / name / "recipe.toml"
    config = tomllib.loads(recipe.read_text())
    subprocess.run(["godiff", "run", str(recipe), "--json"], check=True)
    run_folder = recipe.parent / config["output"]["folder"]
    summary = json.loads((run_folder / "summary.json").read_text())
    shipped = ROOT / "ase_godiff" / "zoo_data" / name
    shutil.rmtree(shipped, ignore_errors=True)
    shutil.copytree(run_folder / "model", shipped)
    write_card(name)
    entries = tomllib.loads(REGISTRY.read_text()).get("models", {}) if REGISTRY.exists() else {}
    entries[name] = {
        "repo_id": f"ase-godiff/{name}",
        "revision": REVISION,
        "sha256": sha256_of(shipped / WEIGHTS_FILE),
        "description": config["output"].get("description", ""),
        "energy_function": config["calculator"]["name"].upper(),
    }
    lines = ["# The ase_godiff model zoo (written by zoo/build.py). Recipes and cards: zoo/<name>/.", ""]
    for entry_name, fields in sorted(entries.items()):
        lines.append(f"[models.{entry_name}]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in fields.items()]
        lines.append("")
    REGISTRY.write_text("\n".join(lines))
    print(f"{name}: {summary['evaluations']} evaluations, best {summary['best_energy_eV']:.4f} eV; "
          f"sha256 {entries[name]['sha256'][:12]}")


if __name__ == "__main__":
    if sys.argv[2:] == ["--card"]:
        write_card(sys.argv[1])
    else:
        main(sys.argv[1])
