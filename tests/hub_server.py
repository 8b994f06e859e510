"""A small in-memory server that speaks the Hugging Face Hub's HTTP subset used by
huggingface_hub for model repos (create, upload commits, revision info, tree, resolve).

Start it with ``HubServer().start()``; its ``url`` goes into ``HF_ENDPOINT``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlparse


class Repo:
    def __init__(self):
        self.commits: list[tuple[str, dict[str, bytes]]] = []  # (sha, files), oldest first

    def files_at(self, revision: str):
        if revision in ("main", "HEAD") and self.commits:
            return self.commits[-1]
        for sha, files in self.commits:
            if sha == revision:
                return sha, files
        return None


class HubServer:
    def __init__(self):
        self.repos: dict[str, Repo] = {}
        self.requests: list[str] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> "HubServer":
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()

    def corrupt(self, repo_id: str, path: str) -> None:
        """Flip the bytes of one file in the newest commit (same commit sha)."""
        sha, files = self.repos[repo_id].commits[-1]
        files[path] = bytes(b ^ 0xFF for b in files[path])

    def _handler(self):
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

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

            def _error(self, code):
                self._send(404, {"error": code}, {"X-Error-Code": code, "X-Error-Message": code})

            def _snapshot(self, repo_id, revision):
                """(commit sha, files) of a repo at a revision; None after sending the 404."""
                if repo_id not in hub.repos:
                    return self._error("RepoNotFound")
                found = hub.repos[repo_id].files_at(revision)
                if found is None:
                    self._error("RevisionNotFound")
                return found

            def _body(self):
                return self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))

            def do_POST(self):
                path = unquote(urlparse(self.path).path)
                hub.requests.append(f"POST {path}")
                if path == "/api/repos/create":
                    data = json.loads(self._body())
                    repo_id = f"{data['organization']}/{data['name']}" if data.get("organization") else data["name"]
                    if repo_id in hub.repos:
                        return self._send(409, {"error": "You already created this model repo",
                                                "url": f"{hub.url}/{repo_id}"})
                    hub.repos[repo_id] = Repo()
                    return self._send(200, {"url": f"{hub.url}/{repo_id}", "name": repo_id})
                if path == "/api/validate-yaml":
                    self._body()
                    return self._send(200, {"errors": [], "warnings": []})
                parts = path.split("/")
                if path.startswith("/api/models/") and "preupload" in parts:
                    files = json.loads(self._body())["files"]
                    return self._send(200, {"files": [{"path": f["path"], "uploadMode": "regular",
                                                       "shouldIgnore": False} for f in files]})
                if path.startswith("/api/models/") and "commit" in parts:
                    repo_id = "/".join(parts[3:parts.index("commit")])
                    if repo_id not in hub.repos:
                        return self._error("RepoNotFound")
                    repo = hub.repos[repo_id]
                    files = dict(repo.commits[-1][1]) if repo.commits else {}
                    for line in self._body().decode().splitlines():
                        item = json.loads(line)
                        if item["key"] == "file":
                            files[item["value"]["path"]] = base64.b64decode(item["value"]["content"])
                        elif item["key"] == "deletedFile":
                            files.pop(item["value"]["path"], None)
                    sha = hashlib.sha1(repr((len(repo.commits), sorted(files.items()))).encode()).hexdigest()
                    repo.commits.append((sha, files))
                    return self._send(200, {"commitOid": sha, "commitUrl": f"{hub.url}/{repo_id}/commit/{sha}",
                                            "success": True})
                self._send(404, {"error": "unknown endpoint"})

            def do_HEAD(self):
                self.do_GET()

            def do_GET(self):
                path = unquote(urlparse(self.path).path)
                hub.requests.append(f"{self.command} {path}")
                parts = path.strip("/").split("/")
                if path.startswith("/api/models/") and ("revision" in parts or "tree" in parts):
                    kind = "revision" if "revision" in parts else "tree"
                    at = parts.index(kind)
                    repo_id = "/".join(parts[2:at])
                    found = self._snapshot(repo_id, parts[at + 1])
                    if found is None:
                        return
                    sha, files = found
                    if kind == "tree":
                        return self._send(200, [{"type": "file", "path": p, "size": len(b),
                                                 "oid": hashlib.sha1(b).hexdigest()} for p, b in files.items()])
                    return self._send(200, {"id": repo_id, "modelId": repo_id, "sha": sha,
                                            "siblings": [{"rfilename": p} for p in files]})
                if "resolve" in parts:
                    at = parts.index("resolve")
                    found = self._snapshot("/".join(parts[:at]), parts[at + 1])
                    if found is None:
                        return
                    sha, files = found
                    file_path = "/".join(parts[at + 2:])
                    if file_path not in files:
                        return self._error("EntryNotFound")
                    body = files[file_path]
                    etag = hashlib.sha1(sha.encode() + body).hexdigest()
                    return self._send(200, body, {"X-Repo-Commit": sha, "ETag": f'"{etag}"'},
                                      content_type="application/octet-stream")
                self._send(404, {"error": "unknown endpoint"})

        return Handler
