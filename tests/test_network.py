"""Equivariance of the score network and its force head."""

import numpy as np
import pytest
import torch

from ase_godiff import ScoreNetConfig, SearchSpace
from ase_godiff.nn.graph import TemplateEnvironment
from ase_godiff.nn.score import ScoreNetwork

from systems import gas_cluster, random_rotation, rotation_about_z, small_slab

CONFIG = ScoreNetConfig(features=16, blocks=2, cutoff=5.0, free_cutoff=8.0, radial_basis=8)


def _model():
    torch.manual_seed(0)
    return ScoreNetwork(CONFIG).double().eval()


def _outputs(model, atoms, free_positions, sigma=0.4):
    space = SearchSpace(atoms)
    env = TemplateEnvironment.from_space(space, CONFIG.cutoff, CONFIG.free_cutoff, torch.float64)
    numbers = torch.as_tensor(space.free_numbers)
    x = torch.as_tensor(free_positions, dtype=torch.float64)[None]
    with torch.no_grad():
        score, forces = model(x, torch.full((1,), sigma, dtype=torch.float64), env, numbers)
    return score[0].numpy(), forces[0].numpy()


def _slab_with_adatoms():
    atoms = small_slab("Pt3")
    top = atoms.positions[:-3, 2].max()
    atoms.positions[-3:] = [[1.0, 1.2, top + 2.1], [3.6, 1.9, top + 2.4], [2.2, 3.5, top + 1.8]]
    return atoms


def _rotated(atoms, rotation):
    rotated = atoms.copy()
    rotated.positions = atoms.positions @ rotation.T
    rotated.cell = atoms.cell.array @ rotation.T
    return rotated


def test_slab_scores_rotate_with_the_system_about_z():
    model = _model()
    atoms = _slab_with_adatoms()
    rotation = rotation_about_z(0.7)
    score, forces = _outputs(model, atoms, atoms.positions[-3:])
    rotated = _rotated(atoms, rotation)
    r_score, r_forces = _outputs(model, rotated, rotated.positions[-3:])
    assert np.abs(score).max() > 1e-3  # a non-trivial output
    np.testing.assert_allclose(r_score, score @ rotation.T, atol=1e-8)
    np.testing.assert_allclose(r_forces, forces @ rotation.T, atol=1e-8)


def test_slab_scores_follow_a_permutation_of_free_atoms():
    model = _model()
    atoms = _slab_with_adatoms()
    order = np.array([2, 0, 1])
    score, _ = _outputs(model, atoms, atoms.positions[-3:])
    permuted, _ = _outputs(model, atoms, atoms.positions[-3:][order])
    np.testing.assert_allclose(permuted, score[order], atol=1e-10)


def test_slab_scores_are_periodic_in_the_cell():
    model = _model()
    atoms = _slab_with_adatoms()
    score, _ = _outputs(model, atoms, atoms.positions[-3:])
    shifted = atoms.positions[-3:] + atoms.cell[0] - 2 * atoms.cell[1]
    np.testing.assert_allclose(_outputs(model, atoms, shifted)[0], score, atol=1e-8)


def test_cluster_scores_are_rotation_and_translation_equivariant():
    model = _model()
    rng = np.random.default_rng(3)
    atoms = gas_cluster("Pt4")
    positions = np.array([[6.0, 6.0, 6.0], [8.4, 6.1, 6.2], [7.1, 8.2, 5.8], [6.9, 6.9, 8.1]])
    score, forces = _outputs(model, atoms, positions)
    rotation = random_rotation(rng)
    centre = positions.mean(axis=0)
    moved = (positions - centre) @ rotation.T + centre + np.array([0.3, -0.2, 0.5])
    r_score, r_forces = _outputs(model, atoms, moved)
    np.testing.assert_allclose(r_score, score @ rotation.T, atol=1e-8)
    np.testing.assert_allclose(r_forces, forces @ rotation.T, atol=1e-8)


@pytest.mark.parametrize("size", [(1, 1, 2), (2, 2, 2), (4, 4, 2)])
def test_graph_finds_every_periodic_neighbour(size):
    from ase.neighborlist import neighbor_list

    atoms = small_slab("Pt2", size=size)
    top = atoms.positions[:-2, 2].max()
    atoms.positions[-2:] = [[0.4, 0.3, top + 2.0], [1.9, 0.8, top + 2.6]]
    space = SearchSpace(atoms)
    env = TemplateEnvironment.from_space(space, 5.0, 8.0, torch.float64)
    graph = env.graph(torch.as_tensor(atoms.positions[-2:])[None])
    for cutoff, sent_by_template, edges in [(5.0, True, graph.template_src),
                                            (8.0, False, graph.free_src)]:
        first, second = neighbor_list("ij", atoms, cutoff)
        into_free = np.isin(first, space.free_indices)
        from_template = np.isin(second, space.template_indices)
        assert len(edges) == np.sum(into_free & (from_template == sent_by_template))


def test_network_config_round_trip_and_unknown_key():
    data = CONFIG.to_dict()
    assert ScoreNetConfig.from_dict(data) == CONFIG
    with pytest.raises(ValueError, match="unknown network setting"):
        ScoreNetConfig.from_dict({**data, "layers": 3})


def test_the_default_network_follows_the_number_of_free_atoms():
    from ase import Atoms
    from ase.calculators.lj import LennardJones

    from ase_godiff import GODiffOptimizer

    def free_cutoff(n_free, **kwargs):
        optimizer = GODiffOptimizer(Atoms(f"Ar{n_free}"), LennardJones(sigma=3.4, epsilon=0.0104), **kwargs)
        return optimizer.network_config.free_cutoff, optimizer.todict()["network"]["free_cutoff"]

    assert free_cutoff(19) == (10.0, 10.0)  # a complete graph for small clusters
    assert free_cutoff(20) == (6.0, 6.0)
    assert free_cutoff(26, network=ScoreNetConfig()) == (10.0, 10.0)  # a network given is kept


def test_free_free_edges_within_a_short_cutoff_grow_as_the_number_of_atoms():
    """A cubic grid of Ar-like atoms (3.8 Å apart): within 6 Å each atom sees at most its 6
    faces and 12 edges' neighbours, so the graph has at most 18 n edges, not n(n - 1)."""
    counts = {}
    for side in (3, 4, 5):
        grid = 3.8 * np.stack(np.meshgrid(*[np.arange(side)] * 3, indexing="ij"), -1).reshape(-1, 3)
        n = len(grid)
        space = SearchSpace(gas_cluster(f"Ar{n}"))
        env = TemplateEnvironment.from_space(space, 5.0, 6.0, torch.float64)
        graph = env.graph(torch.as_tensor(grid)[None])
        distances = np.linalg.norm(grid[:, None] - grid[None], axis=-1)
        assert len(graph.free_src) == np.sum((distances > 0) & (distances < 6.0))
        counts[n] = len(graph.free_src)
    assert all(edges <= 18 * n for n, edges in counts.items())
    assert counts[125] < 125 * 124 / 4
