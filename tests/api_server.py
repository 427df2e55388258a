"""A JSON API on 127.0.0.1 for the `json` source tests: answers GET and POST, records each request
(method, path, query, headers, body) so tests can assert what was sent and what was never asked."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes = b""
    at: float = field(default_factory=time.monotonic)

    def json(self):
        return json.loads(self.body)


Answer = tuple[int, dict[str, str], bytes]


@dataclass
class ApiServer:
    routes: dict[tuple[str, str], Callable[[Seen], Answer]] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)

    def __post_init__(self):
        api = self
        self.lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, method: str):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                request = Seen(method, parts.path, parse_qs(parts.query), dict(self.headers), body)
                with api.lock:
                    api.seen.append(request)
                route = api.routes.get((method, parts.path))
                status, headers, data = (route(request) if route else
                                         (404, {"Content-Type": "text/plain"}, b"not found"))
                try:
                    self.send_response(status)
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def do_GET(self):  # noqa: N802
                self._answer("GET")

            def do_POST(self):  # noqa: N802
                self._answer("POST")

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.static("GET", "/robots.txt", b"User-agent: *\nAllow: /\n", "text/plain")

    def static(self, method: str, path: str, body: bytes | str, content_type: str,
               status: int = 200, headers: dict | None = None) -> str:
        data = body.encode("utf-8") if isinstance(body, str) else body
        answer = (status, {"Content-Type": content_type, **(headers or {})}, data)
        self.routes[(method, path)] = lambda _request: answer
        return self.base + path

    def json_route(self, method: str, path: str, payload, status: int = 200) -> str:
        return self.static(method, path, json.dumps(payload, ensure_ascii=False),
                           "application/json; charset=utf-8", status)

    def requests_for(self, path: str, method: str | None = None) -> list[Seen]:
        return [r for r in self.seen if r.path == path and (method is None or r.method == method)]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
