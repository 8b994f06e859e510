"""Search definitions in TOML for ``godiff run``: the system, the calculator, the settings.

```toml
[system]
example = "pt111-heptamer"    # a named example system (the paper's box), or:
# template = "slab.traj"      # any file ase.io.read reads; FixAtoms atoms are the template
                              # (paths are relative to this file)
# free = "Pt7"                # the atoms to place
# box_z = [1.0, 6.0]          # slab box above the template's top atom (Å)

[calculator]
name = "emt"                  # "emt", "mace-mp" (options go to mace_mp), or "module:callable"
# options = { model = "/path/to/mace.model", default_dtype = "float64" }

[search]                      # any SearchSettings field, plus seed and model (warm start)
seed = 0
# samples_per_stage = 64      # default: 4 per free atom, a power of two from 8 to 128

[output]
folder = "runs/pt7"           # best.extxyz, search.traj, search.log, summary.json, model/
# model_name = "my-model"     # the name and description on the model card
# description = "..."
```
"""

from __future__ import annotations

import importlib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ase import Atoms
from ase.constraints import FixAtoms

from .settings import SearchSettings
from .space import Box, slab_box

__all__ = ["RunConfig", "load_run_config", "make_calculator"]

SECTIONS = {"system", "calculator", "search", "output"}


@dataclass
class RunConfig:
    atoms: Atoms
    box: Box | None
    calculator: dict
    settings: SearchSettings
    seed: int = 0
    model: str | None = None
    folder: Path | None = None
    model_name: str | None = None
    description: str = ""
    source: dict = field(default_factory=dict)


def load_run_config(path, overrides: dict | None = None) -> RunConfig:
    """Read a TOML search definition; ``overrides`` replace [search] fields. ValueError on bad input."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ValueError(f"no such file: {path}") from None
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"{path} is not valid TOML: {error}") from None
    unknown = sorted(set(data) - SECTIONS)
    if unknown:
        raise ValueError(f"{path}: unknown section(s) {unknown}; known are {sorted(SECTIONS)}")
    search = {**data.get("search", {}), **(overrides or {})}
    seed = int(search.pop("seed", 0))
    model = search.pop("model", None)
    atoms, box = _system(data.get("system", {}), path.parent)
    settings = SearchSettings().with_overrides(**search)
    output = data.get("output", {})
    folder = path.parent / output["folder"] if "folder" in output else None
    return RunConfig(atoms, box, data.get("calculator", {"name": "emt"}), settings, seed, model,
                     folder, output.get("model_name"), output.get("description", ""), data)


def _system(system: dict, base: Path):
    from .examples import EXAMPLES

    if "example" in system:
        if system["example"] not in EXAMPLES:
            raise ValueError(f"unknown example {system['example']!r}: choose one of {sorted(EXAMPLES)}")
        example = EXAMPLES[system["example"]]
        atoms = example.build()
        return atoms, None if example.box_z is None else slab_box(atoms, example.box_z)
    if "template" not in system or "free" not in system:
        raise ValueError("[system] needs either example = NAME, or template = FILE and free = FORMULA")
    from ase.io import read

    template = read(base / system["template"])
    if not any(isinstance(c, FixAtoms) for c in template.constraints):
        template.set_constraint(FixAtoms(indices=range(len(template))))
    try:
        atoms = template + Atoms(system["free"])
    except (KeyError, ValueError) as error:
        raise ValueError(f"[system] free = {system['free']!r} is not a chemical formula: {error}") from None
    box = slab_box(atoms, tuple(system["box_z"])) if "box_z" in system else None
    return atoms, box


def make_calculator(spec: dict):
    """An ASE calculator from ``{name, options}``: 'emt', 'mace-mp', or 'module:callable'."""
    name, options = spec.get("name", "emt"), spec.get("options", {})
    if name == "emt":
        from ase.calculators.emt import EMT

        return EMT(**options)
    if name == "mace-mp":
        import torch

        torch.serialization.add_safe_globals([slice])  # e3nn 0.4.4 under torch >= 2.6
        try:
            from mace.calculators import mace_mp
        except ImportError:
            raise ValueError("calculator mace-mp needs mace-torch: pip install 'ase_godiff[mace]'") from None
        return mace_mp(**options)
    if ":" in name:
        module, _, attribute = name.partition(":")
        try:
            factory = getattr(importlib.import_module(module), attribute)
        except (ImportError, AttributeError) as error:
            raise ValueError(f"calculator {name!r} cannot be imported: {error}") from None
        return factory(**options)
    raise ValueError(f"unknown calculator {name!r}: use 'emt', 'mace-mp' or 'module:callable'")
