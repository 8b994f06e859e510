"""Search definitions in TOML for ``godiff run``: the system, the calculator, the settings.

```toml
[system]
example = "pt111-heptamer"    # a named example system (the paper's box), or:
# template = "slab.traj"      # any file ase.io.read reads (paths are relative to this
                              # file); atoms its FixAtoms leaves free and that are not
                              # placed stay relaxable (the polish relaxes them); without
                              # FixAtoms the atoms not placed are fixed
# free = "Pt7"                # atoms added to the template, placed (and only they), or:
# place = [27, 28]            # the template file's atoms to place: indices, or a formula
                              # "Au2" (every Au atom, and there must be 2). With neither,
                              # the atoms its FixAtoms leaves free are placed (an unfixed
                              # slab is refused)
# box_z = [1.0, 6.0]          # slab box above the template's top atom (Å); with example:
                              # replaces the example's box

[calculator]
name = "emt"                  # "emt", "mace-mp" (options go to mace_mp), "chgnet" (options
                              # go to CHGNetCalculator), or "module:callable"
# options = { model = "/path/to/mace.model", default_dtype = "float64" }

[search]                      # any SearchSettings field, plus seed and model (warm start)
seed = 0
# samples_per_stage = 64      # default: 4 per free atom, a power of two from 8 to 128

[output]
folder = "runs/pt7"           # best.extxyz, search.traj, search.log, summary.json, model/
# model_name = "my-model"     # the name and description on the model card
# description = "..."
```

Every mistake (an unknown section or key, a value of the wrong type, a missing or
unreadable template, a calculator that cannot be built) is a one-line ValueError naming the
section and the key. ``name = "module:callable"`` imports that module and calls it with the
options: it runs the module's code, so trust a TOML file as you would a script.
"""

from __future__ import annotations

import contextlib
import importlib
import math
import sys
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

from ase import Atoms
from ase.calculators.calculator import BaseCalculator
from ase.constraints import FixAtoms
from ase.formula import Formula

from .settings import SearchSettings, check_seed
from .space import Box, atoms_to_place, slab_box, split_unfixed

__all__ = ["RunConfig", "load_run_config", "make_calculator"]

KEYS = {
    "system": {"example", "template", "free", "place", "box_z"},
    "calculator": {"name", "options"},
    "search": {f.name for f in fields(SearchSettings)} | {"seed", "model"},
    "output": {"folder", "model_name", "description"},
}
CALCULATORS = "'emt', 'mace-mp', 'chgnet' or 'module:callable'"


@dataclass
class RunConfig:
    atoms: Atoms
    box: Box | None
    place: list[int] | None
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
    unknown = sorted(set(data) - set(KEYS))
    if unknown:
        raise ValueError(f"{path}: unknown section(s) {unknown}; known are {sorted(KEYS)}")
    system, output = _section(data, "system"), _section(data, "output")
    calculator = _section(data, "calculator") or {"name": "emt"}
    _calculator_spec(calculator)
    search = _known("search", {**_section(data, "search"), **(overrides or {})})
    model = _typed(search, "search", "model", str, "a zoo name, a Hub repo or a folder path (./dir)")
    try:
        seed = check_seed(search.get("seed", 0))
        settings = SearchSettings().with_overrides(
            **{key: value for key, value in search.items() if key not in ("seed", "model")})
    except ValueError as error:
        raise ValueError(f"[search] {error}") from None
    folder = _typed(output, "output", "folder", str, "a folder path (relative to this file)")
    atoms, box, place = _system(system, path.parent)
    return RunConfig(atoms, box, place, calculator, settings, seed, model,
                     None if folder is None else path.parent / folder,
                     _typed(output, "output", "model_name", str, "a name for the model card"),
                     _typed(output, "output", "description", str, "a string") or "", data)


def _section(data: dict, name: str) -> dict:
    if not isinstance(data.get(name, {}), dict):
        raise ValueError(f"[{name}] must be a table ([{name}] and key = value lines), got {data[name]!r}")
    return _known(name, dict(data.get(name, {})))


def _known(section: str, table: dict) -> dict:
    unknown = sorted(set(table) - KEYS[section])
    if unknown:
        raise ValueError(f"[{section}] unknown key(s) {unknown}: known are {sorted(KEYS[section])}")
    return table


def _typed(table: dict, section: str, key: str, kind: type, allowed: str):
    """``table[key]`` (None when absent); a ValueError unless it is a ``kind``."""
    value = table.get(key)
    if value is not None and not isinstance(value, kind):
        raise ValueError(f"[{section}] {key} must be {allowed}, got {value!r}")
    return value


def _system(system: dict, base: Path) -> tuple[Atoms, Box | None, list[int] | None]:
    """The atoms, the box (None: the default region) and the indices to place (None: the
    example's own rule)."""
    from .examples import EXAMPLES

    box_z = _box_z(system.get("box_z"))
    example = _typed(system, "system", "example", str, f"one of {sorted(EXAMPLES)}")
    if example is not None:
        if example not in EXAMPLES:
            raise ValueError(f"[system] unknown example {example!r}: choose one of {sorted(EXAMPLES)}")
        if system.keys() & {"template", "free", "place"}:
            raise ValueError("[system] takes either example = NAME, or template = FILE with "
                             "free = FORMULA or place = [indices]")
        atoms, box_z, place = EXAMPLES[example].build(), box_z or EXAMPLES[example].box_z, None
    elif "template" in system:
        name = _typed(system, "system", "template", str, "a file path (relative to this file)")
        atoms, place = _template_and_place(_template(name, base), system, name)
    else:
        raise ValueError("[system] needs either example = NAME, or template = FILE (with free = "
                         "FORMULA or place = [indices])")
    try:
        template = None if place is None else [i for i in range(len(atoms)) if i not in place]
        return atoms, None if box_z is None else slab_box(atoms, box_z, template), place
    except ValueError as error:
        raise ValueError(f"[system] box_z = {list(box_z)}: {error}") from None


def _template_and_place(template: Atoms, system: dict, name: str) -> tuple[Atoms, list[int]]:
    """The atoms and the indices to place: ``free`` appended, ``place`` among the file's
    atoms, or the atoms its FixAtoms leaves free; a file without FixAtoms has the atoms not
    placed fixed."""
    if "free" in system and "place" in system:
        raise ValueError("[system] takes free = FORMULA (atoms added to the template) or place = "
                         "[indices] (the template's atoms to place), not both")
    fixes = any(isinstance(c, FixAtoms) for c in template.constraints)
    if "free" in system:
        free = _free(_typed(system, "system", "free", str, "a chemical formula such as 'Pt7'"))
        place, atoms = list(range(len(template), len(template) + len(free))), template + free
    elif "place" in system:
        atoms, place = template, _place(system["place"], template)
    else:
        atoms, (slab, rest) = template, split_unfixed(template)
        if not fixes or not len(rest):
            cause = "FixAtoms fixes every atom" if fixes else "no FixAtoms"
            raise ValueError(f"[system] template = {name!r}: {cause}: say what to place with free = "
                             "FORMULA (atoms to add) or place = [indices] (atoms of the file)")
        if len(slab):
            raise ValueError(f"[system] template = {name!r}: {len(slab)} atoms its FixAtoms leaves free "
                             "are part of the slab (a relaxable slab?): say which atoms to place with "
                             f"place = [indices] or place = \"FORMULA\", e.g. place = {rest.tolist()}")
        place = rest.tolist()
    if not fixes:
        atoms.set_constraint(FixAtoms(indices=[i for i in range(len(atoms)) if i not in place]))
    return atoms, place


def _place(value, atoms: Atoms) -> list[int]:
    """``place = [indices]`` or ``place = "Au2"`` (every atom of the formula's elements, as
    many as it says), checked against ``atoms``."""
    if isinstance(value, str):
        try:
            wanted = Formula(value).count()
        except ValueError as error:
            raise ValueError(f"[system] place = {value!r} is not a chemical formula: {error}") from None
        indices = [i for i, symbol in enumerate(atoms.get_chemical_symbols()) if symbol in wanted]
        found = Formula.from_list([atoms[i].symbol for i in indices])
        if found.count() != wanted:
            raise ValueError(f"[system] place = {value!r}: the template holds {found.format('hill') or 'no atom'} "
                             f"of those elements; give the indices, place = [...]")
        value = indices
    if not isinstance(value, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in value):
        raise ValueError(f"[system] place must be a list of atom indices, e.g. [27, 28], or a "
                         f"formula such as \"Au2\", got {value!r}")
    try:
        return atoms_to_place(atoms, value).tolist()
    except ValueError as error:
        raise ValueError(f"[system] place = {value}: {error}") from None


def _box_z(value) -> tuple[float, float] | None:
    two_numbers = isinstance(value, list) and len(value) == 2 and all(
        isinstance(z, (int, float)) and not isinstance(z, bool) and math.isfinite(z) for z in value)
    if value is not None and not two_numbers:
        raise ValueError(f"[system] box_z must be two numbers [low, high] in Å above the template's "
                         f"top atom, e.g. [1.0, 6.0], got {value!r}")
    return None if value is None else (float(value[0]), float(value[1]))


def _template(name: str, base: Path) -> Atoms:
    """The template as read from ``base / name``."""
    from ase.io import read

    path = base / name
    if not path.is_file():
        raise ValueError(f"[system] template = {name!r}: no such file {path} "
                         "(paths are relative to the TOML file)")
    try:
        template = read(path)
    except Exception as error:  # ase.io.read raises many kinds for an unreadable file
        raise ValueError(f"[system] template = {name!r}: ase.io.read cannot read {path}: "
                         f"{_one_line(error)}") from error
    return template


def _free(formula: str) -> Atoms:
    try:
        return Atoms(formula)
    except (KeyError, ValueError) as error:
        raise ValueError(f"[system] free = {formula!r} is not a chemical formula: {error}") from None


def _one_line(error: Exception) -> str:
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0] if lines else ''}"


def _calculator_spec(spec: dict) -> tuple[str, dict]:
    """``(name, options)`` of a [calculator] table; a ValueError for an unknown key or a wrong type."""
    _known("calculator", spec)
    name = _typed(spec, "calculator", "name", str, f"one of {CALCULATORS}") or "emt"
    options = _typed(spec, "calculator", "options", dict,
                     'a table of keyword arguments, e.g. options = { default_dtype = "float64" }')
    return name, options or {}


def make_calculator(spec: dict):
    """An ASE calculator from ``{name, options}``: 'emt', 'mace-mp', 'chgnet' or 'module:callable'.

    ``module:callable`` imports the module (running its code) and calls the callable with the
    options. A ValueError names the cause: an unknown name, a missing package, a factory
    that raises, or a result that is not a calculator (no get_potential_energy and get_forces).
    """
    name, options = _calculator_spec(spec)
    factory = _factory(name)
    try:
        with contextlib.redirect_stdout(sys.stderr):  # CHGNet prints; stdout is the CLI's (--json)
            calc = factory(**options)
    except Exception as error:  # a factory's failure, whatever its kind, is bad input
        raise ValueError(f"[calculator] {name} with options {options} failed: {_one_line(error)}") from error
    if not (isinstance(calc, BaseCalculator)
            or all(callable(getattr(calc, m, None)) for m in ("get_potential_energy", "get_forces"))):
        raise ValueError(f"[calculator] {name} returned {type(calc).__name__}, not an ASE calculator "
                         "(one with get_potential_energy and get_forces)")
    return calc


def _factory(name: str):
    """The callable that builds calculator ``name``."""
    if name == "emt":
        from ase.calculators.emt import EMT

        return EMT
    if name == "mace-mp":
        import torch

        torch.serialization.add_safe_globals([slice])  # e3nn 0.4.4 under torch >= 2.6
        return _optional(name, "mace.calculators", "mace_mp", "mace")
    if name == "chgnet":
        return _optional(name, "chgnet.model.dynamics", "CHGNetCalculator", "chgnet")
    if ":" not in name:
        raise ValueError(f"[calculator] unknown name {name!r}: use {CALCULATORS}")
    module, _, attribute = name.partition(":")
    try:
        factory = getattr(importlib.import_module(module), attribute)
    except Exception as error:  # importing a user's module runs its code: any error is bad input
        raise ValueError(f"[calculator] name = {name!r} cannot be imported: {_one_line(error)}") from error
    if not callable(factory):
        raise ValueError(f"[calculator] name = {name!r} is a {type(factory).__name__}, not callable: "
                         "name a function or class that returns an ASE calculator")
    return factory


def _optional(name: str, module: str, attribute: str, extra: str):
    try:
        return getattr(importlib.import_module(module), attribute)
    except ImportError as error:
        raise ValueError(f"[calculator] name = {name!r} needs a package that is not installed ({error}): "
                         f"pip install 'ase_godiff[{extra}]'") from None
