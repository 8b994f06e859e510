"""The model zoo: a registry of pretrained models, pulled from and pushed to the Hugging Face Hub.

Downloads go through ``huggingface_hub.snapshot_download`` (standard cache, revisions and
``HF_HUB_OFFLINE`` come free) and are checked against the registry's sha256. When the
Hub cannot give a registered model and nothing is cached, the copy shipped inside the
package is used instead, and the returned :class:`Pulled` says so.

The registry is ``ase_godiff/zoo_data/registry.toml``; ``ASE_GODIFF_ZOO_REGISTRY`` (or
``registry=``) points at another one.
"""

from __future__ import annotations

import logging
import os
import re
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path

from huggingface_hub import HfApi, constants, snapshot_download
from huggingface_hub.errors import (
    CachedRepoTreeNotFoundError,
    HfHubHTTPError,
    HFValidationError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from .model_io import WEIGHTS_FILE, load_model, sha256_of

__all__ = ["Pulled", "ZooEntry", "ZooError", "ZooInputError", "list_models", "pull", "push",
           "resolve_model", "resolve_model_source"]

log = logging.getLogger(__name__)

ZOO_DATA = Path(__file__).parent / "zoo_data"
REGISTRY_ENV = "ASE_GODIFF_ZOO_REGISTRY"


class ZooError(Exception):
    """A zoo operation failed; the message names the problem and the fix."""


class ZooInputError(ZooError):
    """The request itself is wrong: an unknown name, a malformed repo id, not a model folder."""


@dataclass(frozen=True)
class ZooEntry:
    """One registered model. ``sha256`` may be empty until the model is published."""

    name: str
    repo_id: str
    revision: str = "main"
    sha256: str = ""
    description: str = ""
    energy_function: str = ""

    @property
    def shipped(self) -> Path | None:
        """The copy inside the package, if one is shipped."""
        folder = ZOO_DATA / self.name
        return folder if (folder / WEIGHTS_FILE).is_file() else None


@dataclass(frozen=True)
class Pulled:
    """Where a model lies and where it came from: ``origin`` is 'hub' (the Hub or its
    cache), 'shipped' (the package's copy) or 'local' (a folder); ``note`` says why a
    shipped copy was used, or that the weights could not be verified."""

    path: Path
    origin: str
    note: str = ""


def registry_path(registry=None) -> Path:
    return Path(registry or os.environ.get(REGISTRY_ENV) or ZOO_DATA / "registry.toml")


def list_models(registry=None) -> list[ZooEntry]:
    """The registered models, in the registry's order; [] for an empty registry."""
    path = registry_path(registry)
    try:
        with open(path, "rb") as handle:
            models = tomllib.load(handle).get("models", {})
    except FileNotFoundError:
        raise ZooError(f"no zoo registry at {path}: unset {REGISTRY_ENV} or reinstall ase_godiff") from None
    except (tomllib.TOMLDecodeError, OSError) as error:
        raise ZooError(f"cannot read the zoo registry {path}: {error}") from None
    return [_entry(name, values, path) for name, values in models.items()]


def _entry(name: str, values, path: Path) -> ZooEntry:
    known = [f.name for f in fields(ZooEntry) if f.name != "name"]
    where = f"{path} [models.{name}]"
    if not isinstance(values, dict):
        raise ZooError(f"{where} must be a table with {known}")
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ZooError(f"{where} has unknown field(s) {unknown}: known are {known}")
    if not all(isinstance(value, str) for value in values.values()):
        raise ZooError(f"{where}: every field must be a string")
    if "/" not in values.get("repo_id", ""):
        raise ZooError(f'{where} needs repo_id = "owner/name"')
    if values.get("sha256") and not re.fullmatch(r"[0-9a-f]{64}", values["sha256"]):
        raise ZooError(f"{where}: sha256 must be 64 lowercase hex digits, or empty until published")
    return ZooEntry(name=name, **{k: v for k, v in values.items() if v})  # "" means the default


def find(name: str, registry=None) -> ZooEntry:
    entries = {entry.name: entry for entry in list_models(registry)}
    if name not in entries:
        known = ", ".join(entries) or "none"
        raise ZooInputError(f"no model {name!r} in the zoo (known: {known}); give a zoo name, "
                            "a Hub repo id 'owner/name[@revision]' or a model folder")
    return entries[name]


def pull(source: str, revision: str | None = None, *, cache_dir=None, force: bool = False,
         registry=None) -> Pulled:
    """Download a zoo model or a Hub repo (``owner/name[@revision]``) and verify its weights.

    ``force`` downloads again what is cached. The sha256 is checked whenever the registered
    revision of a zoo model is pulled.
    """
    name, _, pinned = str(source).partition("@")
    if pinned and revision and pinned != revision:
        raise ZooInputError(f"two revisions for {name}: @{pinned} and {revision}; give one")
    revision = revision or pinned or None
    entry = None if "/" in name else find(name, registry)
    repo_id = entry.repo_id if entry else name
    revision = revision or (entry.revision if entry else None)
    registered = entry is not None and revision == entry.revision
    where = f"{repo_id}@{revision or 'main'}"
    notes = []
    try:
        path, origin = Path(snapshot_download(repo_id, revision=revision, cache_dir=cache_dir,
                                              force_download=force, library_name="ase_godiff")), "hub"
    except HFValidationError:
        raise ZooInputError(f"{source!r} is neither a zoo name, a Hub repo id "
                            "'owner/name[@revision]' nor a model folder") from None
    except (HfHubHTTPError, OSError, CachedRepoTreeNotFoundError) as error:
        if not (registered and entry.shipped):
            raise _download_error(error, repo_id, where) from None
        notes.append(f"the Hub did not give {where} ({_reason(error)}) and it is not cached: "
                     "using the copy shipped with ase_godiff")
        log.warning(notes[-1])
        path, origin = entry.shipped, "shipped"
    weights = path / WEIGHTS_FILE
    if not weights.is_file():
        raise ZooError(f"{where} has no {WEIGHTS_FILE}: it is not an ase_godiff model")
    if registered and entry.sha256:
        found = sha256_of(weights)
        if found != entry.sha256:
            fix = ("reinstall ase_godiff" if origin == "shipped"
                   else f"download it again with `godiff pull {entry.name} --force`")
            raise ZooError(f"checksum mismatch for {entry.name}: {weights} has sha256 "
                           f"{found[:12]}…, the registry expects {entry.sha256[:12]}…; {fix}")
    elif registered:
        notes.append(f"no sha256 is registered for {entry.name}: the weights are not verified")
        log.warning(notes[-1])
    return Pulled(path, origin, "; ".join(notes))


def _download_error(error: Exception, repo_id: str, where: str) -> ZooError:
    if isinstance(error, RevisionNotFoundError):
        return ZooError(f"no revision {where.rpartition('@')[2]!r} in {repo_id}: give a branch, "
                        "tag or commit that exists")
    if isinstance(error, RepositoryNotFoundError):
        return ZooError(f"no repository {repo_id} on the Hub, or it is private: check the name "
                        "(godiff list shows the zoo) or log in (hf auth login)")
    if constants.HF_HUB_OFFLINE:
        return ZooError(f"HF_HUB_OFFLINE is set and {where} is not in the cache "
                        f"({constants.HF_HUB_CACHE}): pull it once online, or copy a cache over")
    if isinstance(error, HfHubHTTPError) and error.response is not None and error.response.status_code < 500:
        return ZooError(f"the Hub refused {where}: {_reason(error)}")
    return ZooError(f"cannot reach the Hub for {where} and it is not in the cache: connect, or "
                    "pull it once where there is internet and copy the cache (HF_HOME) over")


def _reason(error: Exception) -> str:
    cause = error.__cause__ or error
    text = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {text[0]}" if text else type(cause).__name__


def resolve_model(source) -> Pulled:
    """A local model folder, a zoo name, or a Hub repo id ``owner/name[@revision]``.

    A folder that exists wins over a Hub repo of the same name.
    """
    folder = Path(source).expanduser()
    if folder.is_dir():
        return Pulled(folder, "local")
    return pull(str(source))


def resolve_model_source(source) -> Path:
    """The folder of the model named by ``source`` (see :func:`resolve_model`)."""
    return resolve_model(source).path


def push(folder, repo_id: str, *, token: str | None = None, private: bool = False,
         revision: str | None = None, tag: str | None = None,
         message: str = "Upload ase_godiff model") -> str:
    """Upload a model folder to ``repo_id`` (created if needed); returns the commit sha.

    ``revision`` is the branch to commit to (created from main if needed); ``tag`` tags
    the new commit, the way registry entries pin a release.
    """
    folder = Path(folder)
    try:
        load_model(folder)
    except ValueError as error:
        raise ZooInputError(f"not a model folder: {error}") from None
    api = HfApi(token=token)
    try:
        api.create_repo(repo_id, private=private, exist_ok=True)
        if revision:
            api.create_branch(repo_id, branch=revision, exist_ok=True)
        commit = api.upload_folder(folder_path=str(folder), repo_id=repo_id, revision=revision,
                                   commit_message=message)
    except HFValidationError:
        raise ZooInputError(f"{repo_id!r} is not a Hub repo id: give owner/name") from None
    except (HfHubHTTPError, OSError) as error:
        raise ZooError(f"could not push to {repo_id}: {_reason(error)}") from None
    if tag:
        try:
            api.create_tag(repo_id, tag=tag, revision=commit.oid)
        except (HfHubHTTPError, OSError) as error:
            raise ZooError(f"pushed commit {commit.oid} to {repo_id} but could not tag it "
                           f"{tag!r} ({_reason(error)}): choose a tag that does not exist") from None
    return commit.oid
