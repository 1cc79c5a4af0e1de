"""A loopback HTTP proxy in front of a real llama-server that records what passes.

One brain's ``url`` points here instead of at the server, so a test can tell
that brain's requests from the others' (they all reach the same llama-server,
whose log does not say who asked): which paths it called, with which JSON
bodies, and what status came back. Answers are streamed through as they
arrive, so a streamed completion behaves as it does without the proxy.

Test support only: it forwards to one upstream and trusts it.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

# Headers that describe the hop, not the message: the proxy sets its own.
_HOP = {"connection", "content-length", "transfer-encoding", "keep-alive", "host"}


@dataclass
class Exchange:
    """One request through the proxy."""

    method: str
    path: str
    body: Any  # the JSON body, or None
    status: int = 0
    answer: bytes = b""  # what the upstream sent back (the SSE stream for a streamed call)


class RecordingProxy:
    """``with RecordingProxy(upstream) as proxy: ... proxy.url ... proxy.exchanges``."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.exchanges: list[Exchange] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="recording-proxy", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def posts(self, path_end: str = "/chat/completions") -> list[Exchange]:
        with self._lock:
            return [e for e in self.exchanges if e.method == "POST" and e.path.endswith(path_end)]

    def __enter__(self) -> RecordingProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            # HTTP/1.0: the answer ends when the connection closes, so a stream
            # of unknown length passes through without re-chunking.
            protocol_version = "HTTP/1.0"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
                pass  # the test's output stays the test's

            def do_GET(self) -> None:
                self._forward(b"")

            def do_POST(self) -> None:
                self._forward(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

            def _forward(self, raw: bytes) -> None:
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = None
                exchange = Exchange(self.command, self.path, body)
                with proxy._lock:
                    proxy.exchanges.append(exchange)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP | {"accept-encoding"}}
                headers["Accept-Encoding"] = "identity"  # the answer comes back readable, for the record
                try:
                    with httpx.Client(trust_env=False, timeout=None) as client, client.stream(
                            self.command, proxy.upstream + self.path, content=raw or None, headers=headers) as up:
                        exchange.status = up.status_code
                        self.send_response(up.status_code)
                        for key, value in up.headers.items():
                            if key.lower() not in _HOP:
                                self.send_header(key, value)
                        self.end_headers()
                        for chunk in up.iter_raw():
                            exchange.answer += chunk
                            self.wfile.write(chunk)
                            self.wfile.flush()
                except (httpx.HTTPError, OSError):
                    exchange.status = exchange.status or 502  # the client went away, or the upstream did

        return Handler
