"""Shared fixtures: a real HTTP server on 127.0.0.1, config builders, the real-payload folder."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# Real payloads saved from real sites live outside the repository and are never copied into it.
FIXTURES_REAL = Path(os.environ.get("CRACKDOWN_FIXTURES_REAL", REPO.parent / "shared" / "fixtures_real"))
# Training embeddings are cached per machine (classify/embedding_cache.py); the tests keep theirs
# beside pytest's own cache, so every test (and every `crackdown` subprocess) shares one and
# nothing is written to the home folder.
os.environ.setdefault("CRACKDOWN_CACHE_DIR", str(REPO / ".pytest_cache" / "crackdown-embeddings"))


def real_fixture(relative: str) -> Path:
    """Path of a real payload, or skip the test when the shared folder is absent."""
    path = FIXTURES_REAL / relative
    if not path.exists():
        pytest.skip(f"real payload {relative} not available (no {FIXTURES_REAL})")
    return path


Route = tuple[int, dict[str, str], bytes] | Callable[[BaseHTTPRequestHandler], tuple[int, dict, bytes]]


class FixtureServer:
    """An HTTP server on 127.0.0.1 serving routes set by the test; it records every request."""

    def __init__(self):
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                server.requests.append((self.path, dict(self.headers)))
                route = server.routes.get(self.path) or server.routes.get(self.path.split("?")[0])
                if route is None:
                    status, headers, body = 404, {"Content-Type": "text/plain"}, b"not found"
                elif callable(route):
                    status, headers, body = route(self)
                else:
                    status, headers, body = route
                try:
                    self.send_response(status)
                    for k, v in headers.items():
                        self.send_header(k, v)
                    if "Content-Length" not in headers:
                        self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    if body:
                        self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def add(self, path: str, body: bytes | str, content_type: str = "text/xml",
            status: int = 200, headers: dict | None = None) -> str:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.routes[path] = (status, {"Content-Type": content_type, **(headers or {})}, data)
        return self.base + path

    def hits(self, path: str) -> int:
        return sum(1 for p, _ in self.requests if p.split("?")[0] == path)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def http_server():
    server = FixtureServer()
    server.add("/robots.txt", "User-agent: *\nAllow: /\n", "text/plain")
    yield server
    server.close()


def write_config(tmp_path: Path, sources: list[dict], extra: str = "") -> Path:
    """A config.toml in tmp_path with the given sources, no politeness delay, archive in tmp_path."""
    lines = ['[archive]', f'path = "{tmp_path / "archive.db"}"', "",
             "[crawl]", 'user_agent = "crackdown-test/0.1 (+mailto:test@example.com)"',
             "download_delay = 0.0", "max_age_days = 0", "retries = 0", "timeout = 10.0", ""]
    for src in sources:
        lines.append("[[sources]]")
        for key, value in src.items():
            if isinstance(value, bool):
                lines.append(f"{key} = {'true' if value else 'false'}")
            elif isinstance(value, (int, float)):
                lines.append(f"{key} = {value}")
            elif isinstance(value, list):
                lines.append(f"{key} = [{', '.join(repr(v).replace(chr(39), chr(34)) for v in value)}]")
            else:
                lines.append(f'{key} = "{value}"')
        lines.append("")
    lines += ["[classify]", f'model_dir = "{tmp_path / "model"}"', "", extra]
    path = tmp_path / "config.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def run_cli(*args: str, cwd: Path | None = None, env: dict | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess:
    """Run `crackdown ARGS` in a fresh interpreter (Scrapy's reactor starts once per process)."""
    return subprocess.run([sys.executable, "-m", "crackdown.cli", *args], cwd=cwd or REPO,
                          capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})
