"""A small in-memory server that speaks the Hugging Face Hub's HTTP subset that
huggingface_hub uses for model repos: create a repo, branches and tags, commits, revision
info, tree listings and file downloads (see /work/shared/HUB_TESTING.md).

Start it with ``HubServer().start()``; its ``url`` goes into ``HF_ENDPOINT``. Every file
is stored inline (no LFS); every commit is kept, so older commits stay downloadable.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlparse


class Repo:
    """Commits by sha, and the branches and tags that point at them."""

    def __init__(self, repo_id: str):
        self.repo_id = repo_id
        self.commits: dict[str, dict[str, bytes]] = {}
        self.branches: dict[str, str] = {}
        self.tags: dict[str, str] = {}
        self.commit("main", {".gitattributes": b"*.safetensors filter=lfs diff=lfs merge=lfs -text\n"})

    def resolve(self, revision: str) -> str | None:
        """The commit sha a branch, tag or full sha names; None when it names nothing."""
        sha = self.branches.get(revision) or self.tags.get(revision)
        return sha or (revision if revision in self.commits else None)

    def commit(self, branch: str, files: dict[str, bytes]) -> str:
        sha = hashlib.sha1(f"{self.repo_id}:{len(self.commits)}:{sorted(files.items())!r}".encode()).hexdigest()
        self.commits[sha] = files
        self.branches[branch] = sha
        return sha


class HubServer:
    def __init__(self):
        self.repos: dict[str, Repo] = {}
        self.requests: list[str] = []  # "METHOD /path", in order
        self.lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> "HubServer":
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def corrupt(self, repo_id: str, path: str, revision: str = "main") -> None:
        """Flip the bytes of one file at ``revision`` in place (the commit sha stays)."""
        self.replace(repo_id, path, bytes(b ^ 0xFF for b in self.files(repo_id, revision)[path]), revision)

    def replace(self, repo_id: str, path: str, content: bytes, revision: str = "main") -> None:
        """Give one file at ``revision`` other bytes in place (the commit sha stays)."""
        self.files(repo_id, revision)[path] = content

    def files(self, repo_id: str, revision: str = "main") -> dict[str, bytes]:
        """The files of ``repo_id`` at a branch, tag or commit: what the server received."""
        repo = self.repos[repo_id]
        return repo.commits[repo.resolve(revision)]


def _handler(hub: HubServer):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        # ---------------------------------------------------------------- replies
        def _send(self, status, body=b"", headers=None, content_type="application/json"):
            if isinstance(body, (dict, list)):
                body = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _error(self, code, status=404):
            self._send(status, {"error": code}, {"X-Error-Code": code, "X-Error-Message": code})

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def _parts(self):
            """The URL path split at '/', each segment unquoted (revisions may hold '/')."""
            raw = urlparse(self.path).path
            hub.requests.append(f"{self.command} {unquote(raw)}")
            return [unquote(part) for part in raw.strip("/").split("/")]

        def _at(self, repo_id, revision):
            """(repo, sha) or None after sending the 404 the client understands."""
            repo = hub.repos.get(repo_id)
            if repo is None:
                return self._error("RepoNotFound")
            sha = repo.resolve(revision)
            if sha is None:
                return self._error("RevisionNotFound")
            return repo, sha

        # ---------------------------------------------------------------- POST
        def do_POST(self):
            parts, body = self._parts(), self._body()
            with hub.lock:
                if parts == ["api", "repos", "create"]:
                    return self._create_repo(json.loads(body))
                if parts == ["api", "validate-yaml"]:
                    return self._send(200, {"errors": [], "warnings": []})
                if len(parts) == 6 and parts[:2] == ["api", "models"]:
                    repo_id, action, revision = "/".join(parts[2:4]), parts[4], parts[5]
                    if action == "preupload":
                        files = json.loads(body)["files"]
                        return self._send(200, {"files": [{"path": f["path"], "uploadMode": "regular",
                                                           "shouldIgnore": False} for f in files]})
                    if action == "commit":
                        return self._commit(repo_id, revision, body)
                    if action in ("branch", "tag"):
                        return self._ref(repo_id, action, revision, json.loads(body or b"{}"))
            self._send(404, {"error": "unknown endpoint"})

        def _create_repo(self, data):
            repo_id = f"{data['organization']}/{data['name']}" if data.get("organization") else data["name"]
            if repo_id in hub.repos:
                return self._send(409, {"error": "You already created this model repo",
                                        "url": f"{hub.url}/{repo_id}"})
            hub.repos[repo_id] = Repo(repo_id)
            self._send(200, {"url": f"{hub.url}/{repo_id}", "name": repo_id})

        def _commit(self, repo_id, branch, body):
            repo = hub.repos.get(repo_id)
            if repo is None:
                return self._error("RepoNotFound")
            if branch not in repo.branches:
                return self._error("RevisionNotFound")
            files = dict(repo.commits[repo.branches[branch]])
            for line in body.decode().splitlines():
                item = json.loads(line)
                if item["key"] == "file":
                    files[item["value"]["path"]] = base64.b64decode(item["value"]["content"])
                elif item["key"] == "deletedFile":
                    files.pop(item["value"]["path"], None)
            sha = repo.commit(branch, files)
            self._send(200, {"commitOid": sha, "commitUrl": f"{hub.url}/{repo_id}/commit/{sha}",
                             "success": True})

        def _ref(self, repo_id, kind, name, data):
            """Create a branch (from ``startingPoint`` or main) or tag a revision."""
            revision = data.get("startingPoint", "main") if kind == "branch" else name
            found = self._at(repo_id, revision)
            if found is None:
                return
            repo, sha = found
            refs, ref = (repo.branches, name) if kind == "branch" else (repo.tags, data["tag"])
            if ref in refs:
                return self._send(409, {"error": f"{kind} {ref} already exists"})
            refs[ref] = sha
            self._send(200, {})

        # ---------------------------------------------------------------- GET, HEAD
        def do_HEAD(self):
            self.do_GET()

        def do_GET(self):
            parts = self._parts()
            if len(parts) >= 6 and parts[:2] == ["api", "models"] and parts[4] in ("revision", "tree"):
                repo_id, kind, revision = "/".join(parts[2:4]), parts[4], parts[5]
                found = self._at(repo_id, revision)
                if found is None:
                    return
                repo, sha = found
                files = repo.commits[sha]
                if kind == "tree":
                    return self._send(200, [{"type": "file", "path": p, "size": len(b), "oid": _oid(b)}
                                            for p, b in files.items()])
                return self._send(200, {"id": repo_id, "modelId": repo_id, "sha": sha,
                                        "siblings": [{"rfilename": p} for p in files]})
            if len(parts) >= 5 and parts[2] == "resolve":
                found = self._at("/".join(parts[:2]), parts[3])
                if found is None:
                    return
                repo, sha = found
                path = "/".join(parts[4:])
                if path not in repo.commits[sha]:
                    return self._error("EntryNotFound")
                body = repo.commits[sha][path]
                return self._send(200, body, {"X-Repo-Commit": sha, "ETag": f'"{_oid(body)}"'},
                                  content_type="application/octet-stream")
            self._send(404, {"error": "unknown endpoint"})

    return Handler


def _oid(content: bytes) -> str:
    """A file's id as git names a blob (the Hub's ETag for files kept outside LFS)."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()
