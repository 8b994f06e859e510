"""The model zoo: a registry of pretrained models, pulled from and pushed to the Hugging Face Hub.

Downloads go through ``huggingface_hub.snapshot_download`` (standard cache, revisions and
``HF_HUB_OFFLINE`` come free) and are checked against the registry's sha256. When the
Hub cannot be reached and nothing is cached, a registry model falls back to the copy
shipped inside the package.
"""

from __future__ import annotations

import logging
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from huggingface_hub import HfApi, snapshot_download
from huggingface_hub.errors import (
    HfHubHTTPError,
    LocalEntryNotFoundError,
    OfflineModeIsEnabled,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from .model_io import WEIGHTS_FILE, sha256_of

__all__ = ["Pulled", "ZooEntry", "ZooError", "list_models", "pull", "push", "resolve_model"]

log = logging.getLogger(__name__)

ZOO_DATA = Path(__file__).parent / "zoo_data"
REGISTRY_ENV = "ASE_GODIFF_ZOO_REGISTRY"


class ZooError(Exception):
    """A zoo operation failed; the message names the problem and the fix."""


@dataclass(frozen=True)
class ZooEntry:
    name: str
    repo_id: str
    revision: str
    sha256: str
    description: str
    energy_function: str

    @property
    def shipped(self) -> Path | None:
        """The copy inside the package, if one is shipped."""
        folder = ZOO_DATA / self.name
        return folder if (folder / WEIGHTS_FILE).is_file() else None


@dataclass(frozen=True)
class Pulled:
    """Where a model lies, and where it came from: 'hub' (the Hub or its cache), 'shipped'
    (the package's copy) or 'local' (a folder)."""

    path: Path
    origin: str


def registry_path() -> Path:
    return Path(os.environ.get(REGISTRY_ENV, ZOO_DATA / "registry.toml"))


def list_models() -> list[ZooEntry]:
    path = registry_path()
    if not path.is_file():
        raise ZooError(f"no zoo registry at {path}: unset {REGISTRY_ENV} or reinstall ase_godiff")
    with open(path, "rb") as handle:
        models = tomllib.load(handle).get("models", {})
    return [ZooEntry(name=name, **fields) for name, fields in models.items()]


def find(name: str) -> ZooEntry:
    entries = {entry.name: entry for entry in list_models()}
    if name not in entries:
        known = ", ".join(sorted(entries)) or "none"
        raise ZooError(f"no model {name!r} in the zoo (known: {known}); "
                       "use a Hub repo id 'user/name[@revision]' or a local folder")
    return entries[name]


def pull(source: str, revision: str | None = None, *, cache_dir=None) -> Pulled:
    """Download a zoo model or a Hub repo (``user/name[@revision]``) and verify its weights."""
    entry = None
    if "/" in source:
        repo_id, _, pinned = source.partition("@")
        revision = revision or pinned or None
    else:
        entry = find(source)
        repo_id, revision = entry.repo_id, revision or entry.revision
    expected = entry.sha256 if entry is not None and revision == entry.revision else None
    try:
        path, origin = Path(_download(repo_id, revision, cache_dir)), "hub"
    except RepositoryNotFoundError:
        raise ZooError(f"no repository {repo_id} on the Hub: check the name "
                       "(godiff list shows the zoo)") from None
    except RevisionNotFoundError:
        raise ZooError(f"no revision {revision!r} in {repo_id}: give a branch, tag "
                       "or commit that exists") from None
    except (LocalEntryNotFoundError, OfflineModeIsEnabled, HfHubHTTPError, OSError) as error:
        if entry is not None and entry.shipped is not None and revision == entry.revision:
            log.warning("the Hub cannot be reached and the model is not cached (%s); using the "
                        "copy shipped with ase_godiff", type(error).__name__)
            path, origin = entry.shipped, "shipped"
        else:
            raise ZooError(f"cannot reach the Hub for {repo_id} and it is not in the cache: "
                           "connect, or pull it once where there is internet and copy the "
                           "Hugging Face cache (HF_HOME) over") from None
    weights = path / WEIGHTS_FILE
    if not weights.is_file():
        raise ZooError(f"{repo_id} has no {WEIGHTS_FILE}: it is not an ase_godiff model")
    if expected is not None and sha256_of(weights) != expected:
        raise ZooError(f"checksum mismatch for {source}: {weights} is not the registered "
                       "model; delete it from the cache and pull again")
    return Pulled(path, origin)


def resolve_model(source) -> Pulled:
    """A local model folder, a zoo name, or a Hub repo id ``user/name[@revision]``."""
    if Path(source).is_dir():
        return Pulled(Path(source), "local")
    return pull(str(source))


def push(folder, repo_id: str, *, token: str | None = None, private: bool = False,
         message: str = "Upload ase_godiff model") -> str:
    """Create the repo if needed and upload the model folder; returns the commit sha."""
    folder = Path(folder)
    if not (folder / WEIGHTS_FILE).is_file():
        raise ZooError(f"{folder} is not a model folder (no {WEIGHTS_FILE}): write one with "
                       "opt.save_model(folder)")
    api = HfApi(token=token)
    try:
        api.create_repo(repo_id, private=private, exist_ok=True)
        commit = api.upload_folder(folder_path=str(folder), repo_id=repo_id, commit_message=message)
    except (HfHubHTTPError, OSError) as error:
        raise ZooError(f"could not push to {repo_id}: {type(error).__name__}: "
                       f"{str(error).splitlines()[0] if str(error) else ''}") from None
    return commit.oid


def _download(repo_id, revision, cache_dir) -> str:
    """Through the HF cache; offline (HF_HUB_OFFLINE=1 or no network) it serves cached files."""
    return snapshot_download(repo_id, revision=revision, cache_dir=cache_dir,
                             library_name="ase_godiff")
