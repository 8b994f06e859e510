"""The elements a model can embed: atomic numbers 1 to MAX_ATOMIC_NUMBER."""

from ase.data import chemical_symbols

__all__ = ["MAX_ATOMIC_NUMBER", "check_elements"]

MAX_ATOMIC_NUMBER = 100  # Fm


def check_elements(numbers) -> None:
    """ValueError naming any atomic number outside 1..MAX_ATOMIC_NUMBER."""
    unknown = sorted({int(z) for z in numbers if not 1 <= z <= MAX_ATOMIC_NUMBER})
    if unknown:
        raise ValueError(f"unknown element(s) with atomic number {unknown}: give real chemical "
                         f"symbols (H to {chemical_symbols[MAX_ATOMIC_NUMBER]})")
