"""The ``godiff`` command line; the only place that draws progress bars and tables."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_show_locals=False,
                  help="GO-Diff global structure optimisation for ASE.")
stderr = Console(stderr=True)
RUN_FILE = "run.json"  # the command that started a run folder, for --resume
DEMO_REFERENCE_ENERGY = 24.9874  # eV: EMT's global minimum of the demo, the centred hexagon


def fail(message: str, code: int = 2):
    """One clear line on stderr and a non-zero exit, no traceback."""
    stderr.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def search_with_progress(opt, max_evaluations: Optional[int] = None,
                         max_seconds: Optional[float] = None):
    """Run ``opt`` with a progress bar (terminal) or plain stage lines (batch jobs) on stderr;
    each new cycle (docs/method.md, "Cycles") starts the count of stages again."""
    stages = opt.settings.stages

    def where() -> str:
        cycle = f" of cycle {opt.state.cycle + 1}" if opt.state.cycle else ""
        return f"stage {min(opt.cycle_stage, stages)}/{stages}{cycle}"

    if not stderr.is_terminal:
        for _ in opt.irun(max_evaluations=max_evaluations, max_seconds=max_seconds):
            energy = opt.get_minimum()[0] if len(opt.state.buffer) else float("nan")
            print(f"{where()} kT {opt.state.kT:.4f} eV evaluations {opt.state.nevaluations} "
                  f"best {energy:.4f} eV", file=sys.stderr, flush=True)
        return
    columns = (TextColumn("[bold]{task.description}"), BarColumn(),
               TextColumn("{task.fields[status]}"), TimeElapsedColumn())
    with Progress(*columns, console=stderr, transient=False) as progress:
        bar = progress.add_task(where(), total=stages, completed=opt.cycle_stage,
                                status="sampling the prior")
        for _ in opt.irun(max_evaluations=max_evaluations, max_seconds=max_seconds):
            energy = opt.get_minimum()[0] if len(opt.state.buffer) else float("nan")
            progress.update(bar, completed=min(opt.cycle_stage, stages), description=where(),
                            status=f"kT {opt.state.kT:.3f} eV, {opt.state.nevaluations} "
                                   f"evaluations, best {energy:.4f} eV")


@app.command()
def demo(seed: int = typer.Option(0, help="random seed"),
         json_output: bool = typer.Option(False, "--json", help="print the summary as JSON on stdout"),
         out: Optional[Path] = typer.Option(None, help="write the best structure here (extxyz)")):
    """Place 7 Pt atoms on Pt(111) with EMT (the GO-Diff paper's main task) and report the result."""
    from ase.calculators.emt import EMT

    from .bondgraph import is_centred_hexagon
    from .examples import EXAMPLES
    from .optimizer import GODiffOptimizer
    from .space import slab_box

    example = EXAMPLES["pt111-heptamer"]
    atoms = example.build()
    with GODiffOptimizer(atoms, EMT(), box=slab_box(atoms, example.box_z), seed=seed, relax_top=3) as opt:
        stderr.print(f"[bold]{example.description}, EMT[/bold]: {opt.settings.stages} stages x "
                     f"{opt.settings.samples_per_stage} samples, then BFGS on the 3 best; seed {seed}")
        search_with_progress(opt)
        energy, best = opt.get_minimum()
        hexagon = [is_centred_hexagon(opt.space.to_atoms(x), opt.space.free_indices)
                   for x in opt.state.buffer.positions]
    first = int(opt.state.buffer.evaluations[hexagon.index(True)]) if any(hexagon) else None
    summary = {"system": "pt111-heptamer", "seed": seed, "evaluations": opt.state.nevaluations,
               "best_energy_eV": energy, "reference_energy_eV": DEMO_REFERENCE_ENERGY,
               "centred_hexagon_found": first is not None, "first_hexagon_evaluation": first,
               "hexagons_sampled": int(sum(hexagon))}
    if out is not None:
        best.write(out)
    if json_output:
        print(json.dumps(summary))
        return
    verdict = (f"found the centred hexagon (W7) first at evaluation {first}, "
               f"{summary['hexagons_sampled']} times in all" if first else "did not find the centred hexagon")
    stderr.print(f"best energy {energy:.4f} eV (EMT global minimum {DEMO_REFERENCE_ENERGY:.4f} eV) "
                 f"after {opt.state.nevaluations} evaluations; {verdict}")


@app.command()
def run(config: Optional[Path] = typer.Argument(None, help="a TOML search definition"),
        resume: Optional[Path] = typer.Option(None, help="continue the run in this folder"),
        seed: Optional[int] = typer.Option(None, help="override [search] seed"),
        out: Optional[Path] = typer.Option(None, help="override [output] folder"),
        set_: list[str] = typer.Option([], "--set", help="override a [search] field: key=value"),
        max_time: Optional[float] = typer.Option(None, help="stop cleanly before this many seconds"),
        json_output: bool = typer.Option(False, "--json", help="print only the summary, as JSON")):
    """Run a search defined in a TOML file (docs/cli.md); exit 2 on bad input, 1 on failure.

    With a run folder, a checkpoint is written after every stage; --resume FOLDER continues
    an interrupted run exactly.
    """
    from .optimizer import GODiffOptimizer, SearchStalledError
    from .runconfig import load_run_config, make_calculator
    from .runlock import RunLockedError
    from .zoo import ZooError

    if resume is not None:
        if config is not None or set_ or seed is not None or out is not None:
            fail("--resume continues a run exactly as it was started: give no TOML, --set, --seed "
                 "or --out with it (to change them, start a new run in another folder)")
        config, set_, seed, out = _run_command_of(resume)
    if config is None:
        fail("give a TOML search definition, or --resume FOLDER")
    try:
        cfg = load_run_config(config, _literal_overrides(set_))
        calc = make_calculator(cfg.calculator)
    except ValueError as error:
        fail(str(error))
    folder = out or cfg.folder
    seed = cfg.seed if seed is None else seed
    files = {}
    if folder is not None:
        if resume is None and (folder / RUN_FILE).exists():
            fail(f"{folder} already holds a run: continue it with --resume {folder}, or give another --out")
        files = {"logfile": str(folder / "search.log"), "restart": str(folder)}
    try:
        opt = GODiffOptimizer(cfg.atoms, calc, place=cfg.place, settings=cfg.settings, box=cfg.box,
                              seed=seed, model=cfg.model, **files)
        if folder is not None:
            (folder / RUN_FILE).write_text(json.dumps(
                {"config": str(config.resolve()), "set": set_, "seed": seed}, indent=1))
    except (ValueError, ZooError, RunLockedError, OSError) as error:
        fail(str(error))
    if folder is not None:
        opt.attach(lambda: opt.save_model(folder / "models" / f"stage-{opt.state.stage:03d}",
                                          name=cfg.model_name, description=cfg.description))
    stalled = None
    with opt:
        try:
            search_with_progress(opt, max_seconds=max_time)
        except SearchStalledError as error:
            stalled = str(error)
        except OSError as error:  # a full disk, a folder that went read-only
            fail(f"cannot write the run folder ({error}); every call made so far is in it: "
                 f"free the space and continue with --resume {folder}", 1)
        try:
            energy, best = opt.get_minimum()
        except RuntimeError as error:
            fail(stalled or str(error), 1)
    summary = {"evaluations": opt.state.nevaluations, "rejected": opt.state.nrejected,
               "failures": len(opt.state.failures), "best_energy_eV": energy,
               "stages": opt.state.stage, "finished": opt.finished, "stalled": stalled, "seed": opt.seed}
    if folder is not None:
        best.write(folder / "best.extxyz")
        opt.save_model(folder / "model", name=cfg.model_name, description=cfg.description)
        (folder / "summary.json").write_text(json.dumps(
            {**summary, "run": opt.todict(), "config": cfg.source, "versions": _versions()}, indent=1))
        summary["folder"] = str(folder)
    if stalled:
        fail(stalled, 1)
    if json_output:
        print(json.dumps(summary))
    else:
        stderr.print(f"best energy {energy:.4f} eV after {opt.state.nevaluations} evaluations"
                     + (f"; results in {folder}" if folder else ""))


def _run_command_of(folder: Path):
    """(config, --set items, seed, folder) of the run in ``folder``, from its run.json."""
    try:
        saved = json.loads((folder / RUN_FILE).read_text())
        return Path(saved["config"]), list(saved["set"]), int(saved["seed"]), folder
    except OSError:
        fail(f"{folder} is not a run folder (no readable {RUN_FILE}): give the folder of a godiff run")
    except (ValueError, KeyError, TypeError):
        fail(f"{folder / RUN_FILE} is damaged: it must hold the run's config, set and seed")


def _literal_overrides(items: list[str]) -> dict:
    """``key=value`` items with Python literal values, as a dict."""
    import ast

    try:
        return {key: ast.literal_eval(value) for key, value in (item.split("=", 1) for item in items)}
    except (ValueError, SyntaxError):
        fail(f"--set takes key=value with a Python literal value, got {items}")


@app.command()
def analyze(folder: Path = typer.Argument(..., help="a godiff run folder"),
            out: Optional[Path] = typer.Option(None, help="where the PNGs go (default: the folder)"),
            json_output: bool = typer.Option(False, "--json", help="print the numbers as JSON")):
    """Plots of a run: best energy against evaluations, energies per stage, the best structure."""
    from .plots import analyze_run

    try:
        summary, _ = analyze_run(folder, out)
    except ValueError as error:
        fail(str(error))
    if json_output:
        print(json.dumps(summary))
    else:
        target = out or folder
        stderr.print(f"{summary['evaluations']} evaluations, best {summary['best_energy_eV']:.4f} eV "
                     f"(evaluation {summary['best_evaluation']}); wrote convergence.png, "
                     f"energies.png and best.png to {target}")


def zoo_call(action, *args, **kwargs):
    """``action(*args, **kwargs)``; a ZooError is one line on stderr: exit 2 for bad input, else 1."""
    from .zoo import ZooError, ZooInputError

    try:
        return action(*args, **kwargs)
    except ZooInputError as error:
        fail(str(error), 2)
    except ZooError as error:
        fail(str(error), 1)


@app.command("list")
def list_command(json_output: bool = typer.Option(False, "--json", help="print the registry as JSON")):
    """The model zoo as a table (on stdout)."""
    from dataclasses import asdict

    from rich import box
    from rich.table import Table

    from .zoo import list_models

    entries = zoo_call(list_models)
    if json_output:
        print(json.dumps([{**asdict(e), "shipped": e.shipped is not None} for e in entries]))
        return
    table = Table(title="ase_godiff model zoo", box=box.SIMPLE_HEAD)
    table.add_column("name", no_wrap=True)
    table.add_column("Hub repo@revision", overflow="fold")
    table.add_column("energy")
    table.add_column("shipped")
    table.add_column("description")
    for entry in entries:
        table.add_row(entry.name, f"{entry.repo_id}@{entry.revision}", entry.energy_function,
                      "yes" if entry.shipped else "no", entry.description)
    Console().print(table)
    if not entries:
        stderr.print("the registry has no models yet")


@app.command()
def pull(name: str = typer.Argument(..., help="a zoo name or a Hub repo id owner/name[@revision]"),
         revision: Optional[str] = typer.Option(None, help="branch, tag or commit"),
         force: bool = typer.Option(False, "--force", help="download again what is cached")):
    """Download a model into the Hugging Face cache, verify it, and print its folder (stdout)."""
    from .zoo import pull as pull_model

    pulled = zoo_call(pull_model, name, revision, force=force)
    if pulled.note:
        stderr.print(f"[yellow]{escape(pulled.note)}[/yellow]", soft_wrap=True)
    print(pulled.path)


@app.command()
def push(folder: Path = typer.Argument(..., help="a model folder (opt.save_model)"),
         repo: str = typer.Option(..., help="the Hub repo id, owner/name"),
         revision: Optional[str] = typer.Option(None, help="the branch to commit to (default main)"),
         tag: Optional[str] = typer.Option(None, help="tag the new commit, e.g. v0.1.0"),
         private: bool = typer.Option(False, help="create the repo as private"),
         token: Optional[str] = typer.Option(None, help="a Hub token (default: the login's)")):
    """Publish a model folder with its card; creates the repo if needed and prints the commit."""
    from .zoo import push as push_model

    if repo.count("/") != 1:
        fail(f"--repo must be owner/name, got {repo!r}")
    commit = zoo_call(push_model, folder, repo, token=token, private=private, revision=revision, tag=tag)
    print(commit)


def _versions() -> dict:
    import platform

    import ase
    import torch

    from ._version import __version__

    return {"ase_godiff": __version__, "ase": ase.__version__, "torch": torch.__version__,
            "python": platform.python_version()}

