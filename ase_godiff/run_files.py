"""The files of a search: logfile, trajectory, database, and the run folder's lock,
description, checkpoints and replay of the calls a crash left behind."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from ase import Atoms

from .checkpoint import find_checkpoint, load_checkpoint, save_checkpoint
from .evaluate import Evaluation
from .observers import Call, DatabaseWriter, StageLog, StageReport, TrajectoryWriter
from .resume import RecordedCalls, differences
from .runlock import RunLock
from .state import SearchState

__all__ = ["RunFiles", "SEARCH_FILE"]

SEARCH_FILE = "search.json"  # the description of the search a run folder belongs to
NOT_COMPARED = ("model_origin",)  # the Hub or the shipped copy: the same model either way
# settings added since run folders were first written, at the value that does what the code
# did before them: a folder without one resumes wherever this search resolves to that value
# (cycles None: the first cycle as before, and more only where a budget is left after it)
SETTINGS_ADDED = {"learnt_relax_steps": 0, "local_fraction": 0.0, "regrow_fraction": 0.0,
                  "cycles": None}


class RunFiles:
    """Opens what the search was asked to write; ``restart``: a run folder (locked, see
    :class:`GODiffOptimizer`), whose database is ``search.db`` unless ``database`` is given."""

    def __init__(self, search: dict, *, logfile=None, trajectory=None, database=None, restart=None):
        self.search = search
        self.folder = None if restart is None else Path(restart)
        self.call_observers: list[Callable[[Call], None]] = []
        self.stage_observers: list[Callable[[StageReport], None]] = []
        self._closables, self._lock, self._recorded = [], None, None
        if self.folder is not None:
            self._lock = RunLock(self.folder)
            try:
                self._check_search(self.folder / SEARCH_FILE, "the run folder")
            except Exception:
                self._lock.release()
                raise
            database = self.folder / "search.db" if database is None else database
        self._database = None if database is None else _database_writer(database)
        for observer, kind in ((self._database, self.call_observers),
                               (trajectory and TrajectoryWriter(trajectory, append=self.folder is not None),
                                self.call_observers),
                               (logfile is not None and StageLog(logfile), self.stage_observers)):
            if observer:
                kind.append(observer)
                self._closables.append(observer)

    def restore(self, state: SearchState) -> None:
        """Load the folder's checkpoint into ``state`` (if any) and get ready to replay the
        calls made after it."""
        if self.folder is None:
            return
        checkpoint = find_checkpoint(self.folder)
        if checkpoint is not None:
            saved = load_checkpoint(state, checkpoint)
            self._refuse_other(saved, f"the checkpoint {checkpoint}")
        if self._database is not None:
            try:
                self._recorded = RecordedCalls(self._database.database, after=state.nevaluations)
            except sqlite3.DatabaseError as error:
                raise ValueError(f"the run's database {self._database.path} is damaged ({error}): "
                                 "move it away to start the run over") from None

    def replay(self, stage: int, atoms: Atoms) -> Evaluation | None:
        return None if self._recorded is None else self._recorded.take(stage, atoms)

    def replay_or_evaluate(self, stage: int, structures: Sequence[Atoms],
                           evaluate: Callable[[list[Atoms]], Iterable[Evaluation]]):
        if self._recorded is None or not len(self._recorded):
            return evaluate(structures)
        return self._recorded.replay_or_evaluate(stage, structures, evaluate)

    def record(self, call: Call) -> None:
        for observer in self.call_observers:
            observer(call)

    def report(self, report: StageReport) -> None:
        for observer in self.stage_observers:
            observer(report)

    def stage_done(self, state: SearchState, stage: int) -> None:
        """After ``stage`` (or the polish): drop the replays it did not use, write the checkpoint."""
        if self._recorded is not None:
            self._recorded.discard_up_to(stage)
        if self.folder is not None:
            save_checkpoint(state, self.search, self.folder)

    def close(self) -> None:
        for closable in self._closables:
            closable.close()
        self._closables = []
        if self._lock is not None:
            self._lock.release()

    def _check_search(self, path: Path, where: str) -> None:
        if not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(self.search, indent=1))
            return
        try:
            saved = json.loads(path.read_text())
        except (OSError, ValueError) as error:
            raise ValueError(f"{path} is damaged ({error}): remove it to adopt the folder") from None
        self._refuse_other(saved, where)

    def _refuse_other(self, saved, where: str) -> None:
        current = {k: v for k, v in self.search.items() if k not in NOT_COMPARED}
        saved = {k: v for k, v in saved.items() if k not in NOT_COMPARED} if isinstance(saved, dict) else {}
        if isinstance(saved.get("settings"), dict):
            saved["settings"] = {**SETTINGS_ADDED, **saved["settings"]}
        found = differences(saved, current)
        if found:
            raise ValueError(f"{where} ({self.folder}) belongs to another search: "
                             f"{'; '.join(found[:4])}{' ...' if len(found) > 4 else ''}. Resume with "
                             "the same atoms, box, network, model, settings and seed, or give another folder")


def _database_writer(path) -> DatabaseWriter:
    try:
        return DatabaseWriter(path)
    except (sqlite3.DatabaseError, OSError) as error:
        raise ValueError(f"cannot open the database {path} ({error}): give a writable path "
                         "to an ASE database, or move a damaged one away") from None
