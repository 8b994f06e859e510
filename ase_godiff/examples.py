"""Named example systems for the demo and for TOML searches (``[system] example = NAME``).

Each is a template fixed by ``FixAtoms`` plus the atoms to place, built with ``ase.build``:
the GO-Diff paper's two systems (arXiv 2510.13448), to be searched with EMT.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ase import Atoms
from ase.build import fcc111, surface
from ase.constraints import FixAtoms

__all__ = ["EXAMPLES", "Example", "fixed_template", "heptamer_atoms", "step_adatom_atoms"]


def fixed_template(template: Atoms, free: str) -> Atoms:
    """``template`` fixed whole (lowest atom at z = 0, periodic in x and y), plus the atoms
    of the formula ``free`` to place."""
    template.positions[:, 2] -= template.positions[:, 2].min()
    template.pbc = (True, True, False)
    template.set_constraint(FixAtoms(indices=range(len(template))))
    return template + Atoms(free)


def step_adatom_atoms() -> Atoms:
    """``surface('Pt', (1, 2, 2), 5, vacuum=8)`` fixed, plus one Pt to place."""
    return fixed_template(surface("Pt", (1, 2, 2), 5, vacuum=8.0), "Pt")


def heptamer_atoms() -> Atoms:
    """``fcc111('Pt', (6, 6, 2), vacuum=8)`` fixed, plus seven Pt to place."""
    return fixed_template(fcc111("Pt", size=(6, 6, 2), vacuum=8.0), "Pt7")


@dataclass(frozen=True)
class Example:
    """A system to search: ``build()`` gives the atoms; ``box_z`` (Å above the template's
    highest atom) is the paper's generation box, None for the default region."""

    description: str
    build: Callable[[], Atoms]
    box_z: tuple[float, float] | None = None


EXAMPLES = {
    "pt-step-adatom": Example("Pt adatom on stepped Pt(1 2 2)", step_adatom_atoms, (0.0, 4.0)),
    "pt111-heptamer": Example("Pt7 on Pt(111)", heptamer_atoms, (1.0, 6.0)),
}
