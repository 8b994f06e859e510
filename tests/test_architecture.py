"""The import graph: no loops, and no module imports one that comes later in the flow.

Ranks follow docs/architecture.md: leaves first, the optimizer and the CLI last. A module
may import only modules of a lower rank (or of its own subpackage). A new module must be
given a rank here, which is the moment to decide where it belongs.
"""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "ase_godiff"

RANKS = {
    0: ["_version", "elements", "bondgraph", "periodic_contact", "examples", "stall", "runlock", "buffer",
        "diffusion.box", "diffusion.loss", "nn.graph", "nn.painn", "evaluate"],
    1: ["space", "diffusion.sde", "nn.score", "schedule"],
    2: ["diffusion.sampler", "diffusion", "nn", "settings", "model_io", "resume", "observers"],
    3: ["train", "state", "space_tensors", "zoo", "runconfig", "plots"],
    4: ["checkpoint", "learner", "initial_state"],
    5: ["run_files"],
    6: ["optimizer"],
    7: ["", "cli"],
}
RANK = {name: rank for rank, names in RANKS.items() for name in names}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _rank(name: str) -> int:
    """The rank of a module, or of its subpackage (evaluate.calls -> evaluate)."""
    while name not in RANK and "." in name:
        name = name.rsplit(".", 1)[0]
    assert name in RANK, f"ase_godiff.{name} has no rank in tests/test_architecture.py: give it one"
    return RANK[name]


def _imports(path: Path) -> set[str]:
    """Modules of the package that ``path`` imports (as names relative to the package)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package.split(".") if package else []
            base = base[: len(base) - node.level + 1]
            target = ".".join(base + ([node.module] if node.module else []))
            submodules = [f"{target}.{a.name}".strip(".") for a in node.names]
            modules = [m for m in submodules if (PACKAGE / (m.replace(".", "/") + ".py")).exists()
                       or (PACKAGE / m.replace(".", "/") / "__init__.py").exists()]
            found.update(modules or [target])
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            found.update(n.removeprefix("ase_godiff").lstrip(".") for n in names
                         if n == "ase_godiff" or n.startswith("ase_godiff."))
    return found - {name}


def test_every_import_goes_down_the_flow():
    against = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = _module_name(path)
        for target in _imports(path):
            same_subpackage = "." in name and target.startswith(name.split(".")[0] + ".")
            if _rank(target) >= _rank(name) and not (same_subpackage or name == target.split(".")[0]):
                against.append(f"{name or 'ase_godiff'} (rank {_rank(name)}) imports "
                               f"{target or 'ase_godiff'} (rank {_rank(target)})")
    assert not against, "imports against the flow:\n" + "\n".join(against)


def test_the_rank_table_names_only_modules_that_exist():
    modules = {_module_name(path) for path in PACKAGE.rglob("*.py")}
    assert set(RANK) <= modules | {""}
