"""TOML search definitions and calculators: a mistake is one ValueError line naming section and key."""

import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from ase.build import fcc111
from ase.calculators.emt import EMT
from ase.constraints import FixAtoms

from ase_godiff.runconfig import load_run_config, make_calculator
from ase_godiff.settings import SearchSettings
from systems import small_slab

EXAMPLE = '[system]\nexample = "pt-step-adatom"\n'
FACTORIES = '''
from ase.calculators.emt import EMT


def emt(**options):
    return EMT(**options)


def boom(**options):
    raise RuntimeError("no licence for this code")


def number(**options):
    return 42


class Duck:
    def get_potential_energy(self, atoms=None):
        return 0.0

    def get_forces(self, atoms=None):
        return 0.0


NOT_CALLABLE = 3
'''


def _load(tmp_path: Path, text: str, **overrides):
    path = tmp_path / "search.toml"
    path.write_text(textwrap.dedent(text))
    return load_run_config(path, overrides or None)


def _refused(tmp_path: Path, text: str, *parts: str, **overrides) -> str:
    with pytest.raises(ValueError) as error:
        _load(tmp_path, text, **overrides)
    message = str(error.value)
    assert "\n" not in message and all(part in message for part in parts), message
    return message


@pytest.fixture
def factories(tmp_path, monkeypatch) -> str:
    """The name of an importable module of calculator factories."""
    (tmp_path / "godiff_factories.py").write_text(FACTORIES)
    monkeypatch.syspath_prepend(str(tmp_path))
    return "godiff_factories"


def _slab_file(tmp_path: Path) -> Path:
    slab = fcc111("Pt", size=(2, 2, 2), vacuum=5.0)
    slab.write(tmp_path / "slab.traj")
    return tmp_path / "slab.traj"


def test_a_good_file_gives_the_system_settings_seed_and_folder(tmp_path):
    cfg = _load(tmp_path, EXAMPLE + '[search]\nseed = 4\nstages = 2\nkT_start = 3\nmodel = "x"\n'
                '[output]\nfolder = "out"\nmodel_name = "m"\n')
    assert cfg.settings.stages == 2 and cfg.settings.kT_start == 3.0 and cfg.seed == 4
    assert cfg.model == "x" and cfg.folder == tmp_path / "out" and cfg.model_name == "m"
    assert cfg.calculator == {"name": "emt"} and cfg.box is not None and cfg.description == ""


def test_a_template_file_with_free_atoms_and_a_box(tmp_path):
    _slab_file(tmp_path)
    cfg = _load(tmp_path, '[system]\ntemplate = "slab.traj"\nfree = "Pt2"\nbox_z = [1, 5]\n')
    assert len(cfg.atoms) == 10 and isinstance(cfg.atoms.constraints[0], FixAtoms)
    assert cfg.box.vectors[2, 2] == pytest.approx(4.0)


def test_box_z_replaces_an_examples_box(tmp_path):
    default, wider = _load(tmp_path, EXAMPLE), _load(tmp_path, EXAMPLE + "box_z = [0.0, 8.0]\n")
    assert default.box.vectors[2, 2] == pytest.approx(4.0) and wider.box.vectors[2, 2] == pytest.approx(8.0)


@pytest.mark.parametrize("text, parts", [
    (EXAMPLE + '[search]\nstages = "2"\n', ["[search] stages must be an integer or None, got '2'"]),
    (EXAMPLE + "[search]\nsigma_max = inf\n", ["[search] sigma_max must be finite", "got inf"]),
    (EXAMPLE + "[search]\nseed = 1.5\n", ["[search] seed must be an integer from 0", "got 1.5"]),
    (EXAMPLE + "[search]\nseed = -1\n", ["[search] seed", "got -1"]),
    (EXAMPLE + "[search]\nseed = true\n", ["[search] seed", "got True"]),
    (EXAMPLE + "[search]\nmodel = 3\n", ["[search] model must be", "got 3"]),
    (EXAMPLE + "[search]\nstagse = 3\n", ["[search] unknown key(s) ['stagse']", "known are", "'seed'"]),
    (EXAMPLE + "box_z = 3\n", ["[system] box_z must be two numbers", "e.g. [1.0, 6.0]", "got 3"]),
    (EXAMPLE + "box_z = [1, inf]\n", ["[system] box_z must be two numbers"]),
    (EXAMPLE + "box_z = [3, 1]\n", ["[system] box_z = [3.0, 1.0]", "must increase"]),
    (EXAMPLE + 'free = "Pt"\n', ["[system] takes either example = NAME, or template"]),
    (EXAMPLE + "colour = 1\n", ["[system] unknown key(s) ['colour']", "known are ['box_z'"]),
    ('[system]\nexample = 3\n', ["[system] example must be one of ['pt-step-adatom'"]),
    ('[system]\nexample = "pt-moon"\n', ["unknown example 'pt-moon'"]),
    ('[system]\ntemplate = "slab.traj"\nfree = 7\n', ["[system] free must be a chemical formula", "got 7"]),
    ('[system]\ntemplate = 3\nfree = "Pt"\n', ["[system] template must be a file path", "got 3"]),
    ('[system]\ntemplate = "slab.traj"\nfree = "Xx9"\n', ["[system] free = 'Xx9' is not a chemical formula"]),
    ('[system]\nfree = "Pt"\n', ["[system] needs either example = NAME"]),
    ('[system]\ntemplate = "none.traj"\nfree = "Pt"\n', ["[system] template = 'none.traj': no such file"]),
    ("system = 3\n", ["[system] must be a table", "got 3"]),
    (EXAMPLE + "[calculator]\noptions = 5\n", ["[calculator] options must be a table", "got 5"]),
    (EXAMPLE + "[calculator]\nname = 5\n", ["[calculator] name must be one of 'emt', 'mace-mp', 'chgnet'"]),
    (EXAMPLE + '[calculator]\nnmae = "emt"\n', ["[calculator] unknown key(s) ['nmae']", "known are"]),
    (EXAMPLE + "[output]\nfolder = 1\n", ["[output] folder must be a folder path", "got 1"]),
    (EXAMPLE + '[output]\nfoldr = "x"\n', ["[output] unknown key(s) ['foldr']", "'folder'"]),
    (EXAMPLE + "[output]\ndescription = 2\n", ["[output] description must be a string"]),
    ("[sytsem]\n", ["unknown section(s) ['sytsem']"]),
])
def test_each_mistake_is_one_line_naming_section_and_key(tmp_path, text, parts):
    _slab_file(tmp_path)
    _refused(tmp_path, text, *parts)


def test_overrides_are_checked_like_the_file(tmp_path):
    _refused(tmp_path, EXAMPLE, "[search] stages must be an integer or None, got 1.5", stages=1.5)
    _refused(tmp_path, EXAMPLE, "[search] unknown key(s) ['stagse']", stagse=1)
    assert _load(tmp_path, EXAMPLE, stages=3).settings.stages == 3


@pytest.mark.parametrize("setting", [{"stages": 1.5}, {"guidance": float("nan")}, {"schedule": "fast"},
                                     {"sigma_max": 0.001}])
def test_the_toml_and_the_python_api_share_the_settings_messages(tmp_path, setting):
    with pytest.raises(ValueError) as api:
        SearchSettings(**setting)
    with pytest.raises(ValueError) as toml:
        _load(tmp_path, EXAMPLE, **setting)
    assert str(toml.value) == f"[search] {api.value}"


def test_an_unreadable_template_names_the_file_and_the_error(tmp_path):
    (tmp_path / "slab.traj").write_bytes(b"\x00not a trajectory\n")
    _refused(tmp_path, '[system]\ntemplate = "slab.traj"\nfree = "Pt"\n',
             "[system] template = 'slab.traj': ase.io.read cannot read", "Error")


def test_known_calculators_and_module_callable(factories):
    assert isinstance(make_calculator({}), EMT) and isinstance(make_calculator({"name": "emt"}), EMT)
    assert isinstance(make_calculator({"name": f"{factories}:emt", "options": {}}), EMT)
    assert type(make_calculator({"name": f"{factories}:Duck"})).__name__ == "Duck"


@pytest.mark.parametrize("name, parts", [
    ("boom", ["[calculator] {m}:boom with options {{}} failed: RuntimeError: no licence for this code"]),
    ("number", ["[calculator] {m}:number returned int, not an ASE calculator"]),
    ("NOT_CALLABLE", ["[calculator] name = '{m}:NOT_CALLABLE' is a int, not callable"]),
    ("missing", ["[calculator] name = '{m}:missing' cannot be imported: AttributeError"]),
])
def test_bad_factories_are_value_errors(factories, name, parts):
    with pytest.raises(ValueError) as error:
        make_calculator({"name": f"{factories}:{name}"})
    assert all(part.format(m=factories) in str(error.value) for part in parts), error.value


@pytest.mark.parametrize("spec, message", [
    ({"name": "no_such_module_here:make"}, "cannot be imported: ModuleNotFoundError"),
    ({"name": "vasp"}, "[calculator] unknown name 'vasp': use 'emt', 'mace-mp', 'chgnet' or 'module:"),
    ({"name": "emt", "options": {"no_such_option": 1}, "extra": 1}, "[calculator] unknown key(s) ['extra']"),
])
def test_bad_calculator_specs(spec, message):
    with pytest.raises(ValueError) as error:
        make_calculator(spec)
    assert message in str(error.value)


@pytest.mark.parametrize("name, module, extra", [("chgnet", "chgnet.model.dynamics", "chgnet"),
                                                 ("mace-mp", "mace.calculators", "mace")])
def test_a_missing_optional_package_names_the_extra(monkeypatch, name, module, extra):
    monkeypatch.setitem(sys.modules, module, None)  # import fails as if not installed
    with pytest.raises(ValueError, match=rf"pip install 'ase_godiff\[{extra}\]'"):
        make_calculator({"name": name})


def test_torch_safe_globals_are_added_in_one_library_place():
    package = Path(__file__).parents[1] / "ase_godiff"
    calls = sum(path.read_text().count("add_safe_globals(") for path in package.rglob("*.py"))
    assert calls == 1


@pytest.mark.slow
def test_chgnet_gives_finite_energy_and_forces_on_a_pt_slab(capsys):
    pytest.importorskip("chgnet")
    calc = make_calculator({"name": "chgnet", "options": {"use_device": "cpu"}})
    assert capsys.readouterr().out == ""  # CHGNet's prints go to stderr: stdout is the CLI's --json
    atoms = small_slab("Pt2")
    top = atoms.positions[:-2, 2].max()
    atoms.positions[-2:] = [[1.0, 1.0, top + 2.0], [3.5, 1.5, top + 2.0]]
    atoms.calc = calc
    forces = atoms.get_forces()
    assert np.isfinite(atoms.get_potential_energy()) and forces.shape == (len(atoms), 3)
    assert np.isfinite(forces).all()


def test_godiff_run_exits_2_with_the_line(tmp_path):
    from typer.testing import CliRunner

    from ase_godiff.cli import app

    (tmp_path / "search.toml").write_text(EXAMPLE + '[search]\nstages = "2"\n')
    result = CliRunner().invoke(app, ["run", str(tmp_path / "search.toml")])
    assert result.exit_code == 2 and "[search] stages must be an integer or None, got '2'" in result.stderr
