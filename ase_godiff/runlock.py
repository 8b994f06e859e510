"""One search per run folder: a lock file holding the owner's host and process id."""

from __future__ import annotations

import json
import logging
import os
import socket
from pathlib import Path

__all__ = ["RunLock", "RunLockedError"]

log = logging.getLogger(__name__)

LOCK_FILE = "lock"


class RunLockedError(RuntimeError):
    """Another live process is running a search in the folder."""


class RunLock:
    """Held from construction to :meth:`release`. A stale lock is taken over: its process is
    gone, or it is this process (a search abandoned without ``close()``)."""

    def __init__(self, folder):
        self.path = Path(folder) / LOCK_FILE
        self.path.parent.mkdir(parents=True, exist_ok=True)
        mine = json.dumps({"host": socket.gethostname(), "pid": os.getpid()})
        for _ in range(2):
            try:
                descriptor = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                self._take_over_if_stale()
                continue
            with os.fdopen(descriptor, "w") as handle:
                handle.write(mine)
            self.held = True
            return
        raise RunLockedError(f"could not lock {self.path}")

    def _take_over_if_stale(self) -> None:
        try:
            owner = json.loads(self.path.read_text())
            host, pid = owner["host"], int(owner["pid"])
        except (OSError, ValueError, KeyError, TypeError):
            host, pid = None, None  # unreadable: a writer killed mid-write
        if host == socket.gethostname() and pid not in (None, os.getpid()) and _alive(pid):
            raise RunLockedError(f"another search (process {pid}) is running in {self.path.parent}: "
                                 "wait for it, or give another folder")
        if host not in (None, socket.gethostname()):
            raise RunLockedError(f"{self.path.parent} is locked by a search on host {host} "
                                 f"(process {pid}); if it is dead, remove {self.path}")
        log.warning("taking over the stale lock %s (process %s has ended or is this one)", self.path, pid)
        self.path.unlink(missing_ok=True)

    def release(self) -> None:
        if getattr(self, "held", False):
            self.path.unlink(missing_ok=True)
            self.held = False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
