"""The model zoo: a registry of pretrained models, pulled from and pushed to the Hugging Face Hub.

Downloads go through ``huggingface_hub.snapshot_download`` (standard cache, revisions and
``HF_HUB_OFFLINE`` come free); at a zoo model's registered revision every file the
registry pins is checked against its sha256. When the Hub cannot give a registered model
and nothing is cached, the copy shipped inside the package is used instead. What the
caller should know comes back in :attr:`Pulled.note` (and is logged at INFO only).

The registry is ``ase_godiff/zoo_data/registry.toml``, read and written here alone
(:func:`read_registry`, :func:`write_registry`); ``ASE_GODIFF_ZOO_REGISTRY`` (or
``registry=``) points at another one.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

from huggingface_hub import HfApi, constants, get_token, snapshot_download
from huggingface_hub.errors import (
    CachedRepoTreeNotFoundError,
    HfHubHTTPError,
    HFValidationError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from .model_io import CONFIG_FILE, MODEL_FILES, WEIGHTS_FILE, load_model, read_config, sha256_of

__all__ = ["PINNED_FILES", "Pulled", "ZooEntry", "ZooError", "ZooInputError", "list_models",
           "pin", "pull", "push", "read_registry", "resolve_model", "write_registry"]

log = logging.getLogger(__name__)

ZOO_DATA = Path(__file__).parent / "zoo_data"
REGISTRY_ENV = "ASE_GODIFF_ZOO_REGISTRY"
PINNED_FILES = (CONFIG_FILE, WEIGHTS_FILE)  # what loading needs; README.md is only the card
HEADER = "# The ase_godiff model zoo (written by zoo/build.py). Recipes and cards: zoo/<name>/."
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")  # a bare TOML key, never a path
HUB_ID = re.compile(r"[^/\\.~][^/\\]*/[^/\\]+")  # owner/name[@revision]


def _hub_errors() -> tuple[type[Exception], ...]:
    """What a Hub call raises on failure: huggingface_hub's errors and its HTTP client's
    (requests' are OSErrors; httpx for huggingface_hub 1.x, httpx2 for 2.x)."""
    errors = [HfHubHTTPError, OSError, CachedRepoTreeNotFoundError]
    for client in ("httpx", "httpx2"):
        try:
            errors.append(importlib.import_module(client).HTTPError)
        except ImportError:
            pass
    return tuple(errors)


HUB_ERRORS = _hub_errors()


class ZooError(Exception):
    """A zoo operation failed; the message names the problem and the fix."""


class ZooInputError(ZooError):
    """The request itself is wrong: an unknown name, a malformed repo id, not a model folder."""


@dataclass(frozen=True)
class ZooEntry:
    """One registered model. ``sha256`` maps each of :data:`PINNED_FILES` to its hex
    sha256, or is empty until the model is published."""

    name: str
    repo_id: str
    revision: str = "main"
    description: str = ""
    energy_function: str = ""
    sha256: dict[str, str] = field(default_factory=dict)

    @property
    def shipped(self) -> Path | None:
        """The copy inside the package, if one is shipped."""
        folder = ZOO_DATA / self.name
        return folder if (folder / WEIGHTS_FILE).is_file() else None


@dataclass(frozen=True)
class Pulled:
    """Where a model lies and which source gave it. ``origin``: 'zoo' (a registered model,
    from the Hub or its cache), 'shipped' (a zoo model's copy inside the package), 'hub' (a
    Hub repo named by id) or 'local' (a folder). ``note``: '' or what the caller should
    know (a shipped copy was used, files were not verified, a same-named source was passed
    over)."""

    path: Path
    origin: str
    note: str = ""


# ------------------------------------------------------------------ the registry
def registry_path(registry=None) -> Path:
    return Path(registry or os.environ.get(REGISTRY_ENV) or ZOO_DATA / "registry.toml")


def list_models(registry=None) -> list[ZooEntry]:
    """The registered models, in the registry's order; [] for an empty registry."""
    return read_registry(registry_path(registry))


def read_registry(path) -> list[ZooEntry]:
    """The entries of a registry file, in its order, each checked strictly."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ZooError(f"no zoo registry at {path}: unset {REGISTRY_ENV} or reinstall ase_godiff") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ZooError(f"cannot read the zoo registry {path}: {error}") from None
    return _parse_registry(text, path)


def write_registry(entries, path) -> None:
    """Write ``entries`` (ZooEntry) to ``path`` sorted by name; a ZooError, and nothing
    written, when the text would not read back as the same entries."""
    entries = sorted(entries, key=lambda entry: entry.name)
    lines = [HEADER]
    for entry in entries:
        lines += ["", f"[models.{entry.name}]"]
        lines += [f"{f.name} = {_string(getattr(entry, f.name))}" for f in fields(entry)
                  if f.name not in ("name", "sha256") and getattr(entry, f.name)]
        if entry.sha256:
            lines += ["", f"[models.{entry.name}.sha256]"]
            lines += [f"{_string(file)} = {_string(digest)}" for file, digest in entry.sha256.items()]
    text = "\n".join(lines) + "\n"
    if _parse_registry(text, path) != entries:
        raise ZooError(f"the entries for {path} do not survive a round trip through TOML")
    Path(path).write_text(text, encoding="utf-8")


def pin(folder) -> dict[str, str]:
    """The sha256 of each of :data:`PINNED_FILES` in a model folder, as the registry pins them."""
    return {name: sha256_of(Path(folder) / name) for name in PINNED_FILES}


def _string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a TOML basic string


def _parse_registry(text: str, path) -> list[ZooEntry]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ZooError(f"cannot read the zoo registry {path}: {error}") from None
    models = data.get("models", {})
    if set(data) - {"models"} or not isinstance(models, dict):
        raise ZooError(f"{path} must hold [models.NAME] tables only")
    return [_entry(name, values, path) for name, values in models.items()]


def _entry(name: str, values, path) -> ZooEntry:
    where = f"{path} [models.{name}]"
    texts = [f.name for f in fields(ZooEntry) if f.name not in ("name", "sha256")]
    if not NAME.fullmatch(name):
        raise ZooError(f"{where}: a model name is letters, digits, '-' and '_' (no path)")
    if not isinstance(values, dict):
        raise ZooError(f"{where} must be a table with {texts + ['sha256']}")
    unknown = sorted(set(values) - set(texts) - {"sha256"})
    if unknown:
        raise ZooError(f"{where} has unknown field(s) {unknown}: known are {texts + ['sha256']}")
    if not all(isinstance(values.get(key, ""), str) for key in texts):
        raise ZooError(f"{where}: {', '.join(texts)} must be strings")
    if "/" not in values.get("repo_id", ""):
        raise ZooError(f'{where} needs repo_id = "owner/name"')
    pins = values.get("sha256", {})
    hex_digests = isinstance(pins, dict) and all(
        isinstance(digest, str) and re.fullmatch(r"[0-9a-f]{64}", digest) for digest in pins.values())
    if not hex_digests or pins and sorted(pins) != sorted(PINNED_FILES):
        raise ZooError(f"{where}: sha256 must pin {' and '.join(PINNED_FILES)} with 64 lowercase hex "
                       f"digits each in [models.{name}.sha256], or be left out until published")
    return ZooEntry(name=name, sha256=dict(pins), **{k: values[k] for k in texts if values.get(k)})


def find(name: str, registry=None) -> ZooEntry:
    entries = {entry.name: entry for entry in list_models(registry)}
    if name not in entries:
        known = ", ".join(entries) or "none"
        raise ZooInputError(f"no model {name!r} in the zoo (known: {known}); give a zoo name, "
                            "a Hub repo id 'owner/name[@revision]' or a model folder")
    return entries[name]


# ------------------------------------------------------------------ the Hub
def pull(source: str, revision: str | None = None, *, cache_dir=None, force: bool = False,
         registry=None) -> Pulled:
    """Download a zoo model (a bare name) or a Hub repo (``owner/name[@revision]``).

    Only the model's files are fetched; ``force`` downloads again what is cached. At a zoo
    model's registered revision every pinned file must match its sha256 (else a ZooError
    naming the file); at another revision nothing is checked and ``note`` says so. A Hub
    repo named by id is never checked against the registry.
    """
    name, _, pinned = str(source).partition("@")
    if pinned and revision and pinned != revision:
        raise ZooInputError(f"two revisions for {name}: @{pinned} and {revision}; give one")
    entry = None if "/" in name else find(name, registry)
    repo_id = entry.repo_id if entry else name
    revision = revision or pinned or (entry.revision if entry else None)
    where = f"{repo_id}@{revision or 'main'}"
    note = ""
    try:
        path = Path(snapshot_download(repo_id, revision=revision, cache_dir=cache_dir,
                                      force_download=force, allow_patterns=list(MODEL_FILES),
                                      library_name="ase_godiff"))
        origin = "zoo" if entry else "hub"
    except HFValidationError:
        raise ZooInputError(f"{source!r} is neither a zoo name, a Hub repo id "
                            "'owner/name[@revision]' nor a model folder") from None
    except HUB_ERRORS as error:
        if not (entry and revision == entry.revision and entry.shipped):
            raise _download_error(error, repo_id, where) from None
        path, origin = entry.shipped, "shipped"
        note = (f"the Hub did not give {where} ({_reason(error)}) and it is not cached: "
                "using the copy shipped with ase_godiff")
    if entry:
        note = "; ".join(filter(None, [note, _verify(entry, revision, path, origin)]))
    _check_model(path, where)
    return _noted(Pulled(path, origin, note))


def _verify(entry: ZooEntry, revision: str, path: Path, origin: str) -> str:
    """'' when every file ``entry`` pins has its sha256 in ``path``, else why none was checked."""
    if revision != entry.revision:
        return (f"{entry.name}@{revision} is not the registered revision {entry.revision}: its "
                "files are not verified against the registry (leave out the revision for that)")
    if not entry.sha256:
        return f"no sha256 is registered for {entry.name}: its files are not verified"
    fix = ("reinstall ase_godiff" if origin == "shipped"
           else f"download it again with `godiff pull {entry.name} --force`")
    for file, expected in entry.sha256.items():
        if not (path / file).is_file():
            raise ZooError(f"{entry.name} has no {path / file}: {fix}")
        found = sha256_of(path / file)
        if found != expected:
            raise ZooError(f"checksum mismatch for {entry.name}: {path / file} has sha256 "
                           f"{found[:12]}…, the registry expects {expected[:12]}…; {fix}")
    return ""


def _check_model(path: Path, where: str) -> None:
    for file in PINNED_FILES:
        if not (path / file).is_file():
            raise ZooError(f"{where} has no {file}: it is not an ase_godiff model")
    try:
        read_config(path / CONFIG_FILE)
    except ValueError as error:
        raise ZooError(f"{where} is not a usable ase_godiff model: {error}") from None


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
    return ZooError(f"cannot reach the Hub for {where} ({_reason(error)}) and it is not in the "
                    "cache: connect, or pull it once online and copy the cache (HF_HOME) over")


def _reason(error: Exception, token: str | None = None) -> str:
    """The first line of what went wrong, with any token blanked out."""
    cause = error.__cause__ or error
    lines = str(cause).strip().splitlines()
    text = f"{type(cause).__name__}: {lines[0]}" if lines else type(cause).__name__
    for secret in {token, get_token()} - {None, ""}:
        text = text.replace(secret, "***")
    return text


def push(folder, repo_id: str, *, token: str | None = None, private: bool = False,
         revision: str | None = None, tag: str | None = None,
         message: str = "Upload ase_godiff model") -> str:
    """Upload the model in ``folder`` to ``repo_id`` (created if needed); returns the commit sha.

    Only config.json, model.safetensors and README.md go up: nothing else in the folder (a
    .env, a run.json) is published. ``revision`` is the branch to commit to (created from
    main if needed); ``tag`` tags the new commit, the way registry entries pin a release.
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
                                   commit_message=message, allow_patterns=list(MODEL_FILES))
    except HFValidationError:
        raise ZooInputError(f"{repo_id!r} is not a Hub repo id: give owner/name") from None
    except HUB_ERRORS as error:
        raise ZooError(f"could not push to {repo_id}: {_reason(error, token)}") from None
    if tag:
        try:
            api.create_tag(repo_id, tag=tag, revision=commit.oid)
        except HUB_ERRORS as error:
            raise ZooError(f"pushed commit {commit.oid} to {repo_id} but could not tag it {tag!r} "
                           f"({_reason(error, token)}): choose a tag that does not exist") from None
    return commit.oid


# ------------------------------------------------------------------ names
def resolve_model(source) -> Pulled:
    """The model ``source`` names, by one rule:

    - a path (a ``pathlib.Path``, or text that holds a path separator, starts with ``.`` or
      ``~``, or is absolute) that is a folder: that folder (origin 'local');
    - a bare name: the zoo model of that name, never a folder of that name in the working
      directory (write ``./name`` for the folder);
    - ``owner/name[@revision]`` that is no folder: that Hub repo (see :func:`pull`).
    """
    text = str(source)
    folder = Path(text).expanduser()
    if isinstance(source, os.PathLike) or _is_path(text):
        if folder.is_dir():
            note = (f"{text} is the local folder, not the Hub repo of that name (godiff pull "
                    f"{text} fetches the repo)" if HUB_ID.fullmatch(text) else "")
            return _noted(Pulled(folder, "local", note))
        if isinstance(source, os.PathLike) or not HUB_ID.fullmatch(text):
            raise ZooInputError(f"no model folder {folder}: check the path (a Hub repo id is "
                                "owner/name[@revision], a zoo name has no '/')")
        try:
            return pull(text)
        except ZooError as error:
            raise type(error)(f"{error} (and there is no folder {folder})") from None
    try:
        pulled = pull(text)
    except ZooInputError as error:
        if folder.is_dir():
            raise ZooInputError(f"{error}; for the folder {text}, write ./{text}") from None
        raise
    if not folder.is_dir():
        return pulled
    passed_over = f"the folder ./{text} is not used: a bare name is a zoo name (write ./{text} for it)"
    log.info(passed_over)
    return Pulled(pulled.path, pulled.origin, "; ".join(filter(None, [pulled.note, passed_over])))


def _is_path(text: str) -> bool:
    separators = {os.sep, os.altsep} - {None}
    return any(s in text for s in separators) or text.startswith((".", "~")) or Path(text).is_absolute()


def _noted(pulled: Pulled) -> Pulled:
    if pulled.note:
        log.info(pulled.note)
    return pulled
