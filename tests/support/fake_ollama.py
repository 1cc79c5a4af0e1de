"""A scripted Ollama / OpenAI-compatible HTTP server on loopback, for tests.

It speaks real HTTP/1.1 (keep-alive, chunked NDJSON streaming, server-sent
events) on 127.0.0.1, answers from a script, records every request, and
misbehaves on demand. Tests replace the model with this, never by patching
our own client.

Script (a dict, or a JSON file on the command line)::

    {
      "models": ["codellama:7b"],      # /api/tags; a chat for another model
                                       # gets Ollama's 404 "not found, try pulling"
                                       # (omit: every model is "pulled")
      "embed_dim": 16,                  # /api/embed and /v1/embeddings
      "context_length": 8192,           # POST /api/show reports it (omit: 404)
      "n_ctx": 4096,                    # GET /props reports it, as llama-server does (omit: 404)
      "tokenize": true,                 # POST /tokenize answers, as llama-server does: one
                                        # token per 4 characters (omit: 404)
      "api": "openai",                  # be llama-server: every /api/* path answers its 404
      "slots": 2,                       # GET /health answers {"status": "ok"} and GET /slots lists
                                        # 2 slots, as llama-server does; as many are is_processing as
                                        # generations are streaming now (omit: both 404)
      "health": 503,                    # GET /health answers this status (llama-server loading)
      "vllm": 1,                        # be vLLM: GET /health answers an empty 200 and GET /metrics
                                        # (Prometheus text) vllm:num_requests_running, at most 1
                                        # (the max_num_seqs), of the generations streaming now, the
                                        # rest vllm:num_requests_waiting (omit: both 404)
      "loaded": ["codellama:7b"],       # GET /api/ps lists these models in memory (omit: 404)
      "rules": [                        # first matching rule with uses left
        {"model": "codellama:7b",       # optional: exact model name
         "contains": "rename",          # optional: substring of the last user message
         "path": "/api/chat",           # optional: only this endpoint
         "reply": "def f(): ...",       # the answer text
         "pieces": 4,                   # split into this many stream chunks
         "delay": 0.0,                  # seconds before each chunk (slow)
         "status": 500, "error": "boom",# answer this HTTP error instead
         "body": {"any": "json"},       # embeddings only: answer this JSON as is
                                        # (with "status", default 200)
         "error_body": {"error": {}},   # ... with this JSON body, as is
         "location": "http://x/api/chat",# with a 3xx status: a redirect there
         "cut": 2,                      # close the connection after 2 chunks
         "garbage": true,               # send a line that is not JSON
         "done_reason": "length",       # the final line's done_reason / finish_reason
         "prompt_tokens": 1234,         # the final counters (default: chars // 4)
         "timings": {"prompt_ms": 5.0}, # OpenAI streams: llama-server's timings (usage chunk)
         "usage": false,                # OpenAI streams: no usage chunk even when asked
         "logprobs": [{"token": "fix", "logprob": -0.1, "top_logprobs": [...]}],
                                        # unstreamed answers: these per-token log-probabilities
                                        # (OpenAI: choices[0].logprobs.content; Ollama: logprobs)
         "drop": true,                  # close the connection without answering
                                        # (a rule whose "path" is a GET, e.g.
                                        # "/api/version", delays or drops that GET)
         "times": 1}                    # use this rule at most N times
      ]
    }

Fill-in-the-middle: ``POST /api/generate`` (with ``suffix`` or ``raw``),
llama.cpp's ``POST /infill`` (SSE ``{"content", "stop"}``; ``contains``
matches its ``input_prefix`` + ``input_suffix``) and ``POST /v1/completions``
(SSE ``choices[].text``) answer from the same rules.

A request that matches no rule gets HTTP 500 with an ``error`` that says so,
so a test that forgot to script a reply fails loudly.

From a shell: ``python -m tests.support.fake_ollama --port 0 --script s.json``
prints its URL on the first stdout line. ``GET /_fake/requests`` returns the
recorded requests; ``POST /_fake/script`` replaces the script.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import math
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Paths that generate text (chat, generate, FIM), answered from the rules.
GENERATION_PATHS = ("/api/chat", "/api/generate", "/v1/chat/completions", "/infill", "/v1/completions")
REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 500: "Internal Server Error"}


@dataclass
class Recorded:
    method: str
    path: str
    body: Any
    headers: dict[str, str]
    at: float = field(default_factory=time.monotonic)
    # How the answer ended: "done", "aborted" (the client went away
    # mid-stream), "cut" / "dropped" (scripted faults), "error" (HTTP status).
    outcome: str = ""

    @property
    def model(self) -> str | None:
        return self.body.get("model") if isinstance(self.body, dict) else None

    @property
    def last_user(self) -> str:
        return _last_user(self.body) if isinstance(self.body, dict) else ""

    @property
    def system(self) -> str:
        if not isinstance(self.body, dict):
            return ""
        return "\n".join(m.get("content", "") for m in self.body.get("messages") or [] if m.get("role") == "system")

    def to_json(self) -> dict[str, Any]:
        return {"method": self.method, "path": self.path, "body": self.body, "outcome": self.outcome}


def _last_user(body: dict[str, Any]) -> str:
    if "input_prefix" in body:  # llama.cpp /infill
        return str(body.get("input_prefix") or "") + str(body.get("input_suffix") or "")
    if "prompt" in body:
        return str(body.get("prompt") or "")
    for message in reversed(body.get("messages") or []):
        if message.get("role") == "user":
            return str(message.get("content") or "")
    return ""


def vector_for(text: str, dim: int) -> list[float]:
    """A deterministic unit vector from the text's hash (same text, same vector)."""
    values: list[float] = []
    counter = 0
    while len(values) < dim:
        digest = hashlib.sha256(f"{counter}:{text}".encode()).digest()
        values.extend((b - 127.5) / 127.5 for b in digest)
        counter += 1
    values = values[:dim]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return [v / norm for v in values]


def split_pieces(text: str, n: int) -> list[str]:
    n = max(1, min(n, len(text) or 1))
    size = math.ceil(len(text) / n) if text else 0
    return [text[i:i + size] for i in range(0, len(text), size)] if text else [""]


class FakeOllama:
    """The server; runs its own event loop in a daemon thread."""

    def __init__(self, script: dict[str, Any] | None = None, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        self._used: dict[int, int] = {}
        self.set_script(script or {})
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.AbstractServer | None = None
        self._thread: threading.Thread | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        # Generations being answered now (GET /slots shows them as busy slots),
        # and the answer pieces sent so far (a test waits for an answer to begin).
        self.generating = 0
        self.pieces_sent = 0
        # TCP connections accepted: a client that is reused keeps one alive.
        self.connections = 0

    # -- script -------------------------------------------------------------

    def set_script(self, script: dict[str, Any]) -> None:
        with self._lock:
            self.script = dict(script)
            self.script.setdefault("rules", [])
            self._used = {}

    def add_rule(self, **rule: Any) -> None:
        with self._lock:
            self.script["rules"].append(rule)

    def reply(self, text: str, **rule: Any) -> None:
        """Shorthand: add a rule answering ``text``."""
        self.add_rule(reply=text, **rule)

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._used = {}

    # -- recorded -----------------------------------------------------------

    def chats(self) -> list[Recorded]:
        """The generation requests (chat, generate, OpenAI chat) so far."""
        return [r for r in self.requests if r.path in GENERATION_PATHS]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @staticmethod
    def down_url() -> str:
        """A loopback URL where nothing listens (a server that is down)."""
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        return f"http://127.0.0.1:{port}"

    # -- lifecycle ------------------------------------------------------------

    def start(self) -> FakeOllama:
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._loop = loop
            try:
                self._server = loop.run_until_complete(asyncio.start_server(self._serve, self.host, self.port))
                self.port = self._server.sockets[0].getsockname()[1]
            except BaseException as exc:  # report to the starting thread
                failure.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            # Connections the clients kept alive: end their tasks cleanly.
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

        self._thread = threading.Thread(target=run, name="fake-ollama", daemon=True)
        self._thread.start()
        ready.wait(10)
        if failure:
            raise failure[0]
        return self

    def stop(self) -> None:
        loop = self._loop
        if loop is None or not loop.is_running():
            return

        async def close() -> None:
            assert self._server is not None
            self._server.close()
            for writer in list(self._writers):
                writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(close(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> FakeOllama:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- HTTP -----------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        with self._lock:
            self.connections += 1
        try:
            while True:
                request = await _read_request(reader)
                if request is None:
                    return
                method, path, headers, raw = request
                keep = await self._handle(method, path, headers, raw, writer)
                if not keep or headers.get("connection", "").lower() == "close":
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            self._writers.discard(writer)
            with contextlib.suppress(Exception):
                writer.close()

    async def _handle(self, method: str, path: str, headers: dict[str, str], raw: bytes,
                      writer: asyncio.StreamWriter) -> bool:
        """Answer one request; False closes the connection."""
        path = path.split("?", 1)[0]
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            await _send_json(writer, 400, {"error": "invalid JSON body"})
            return True
        if path.startswith("/_fake/"):
            return await self._control(method, path, body, writer)
        recorded = Recorded(method, path, body, headers)
        with self._lock:
            self.requests.append(recorded)
        if method == "GET" and not await self._scripted_get(path, writer):
            return False  # dropped
        with self._lock:
            api, context_length, n_ctx = (self.script.get(k) for k in ("api", "context_length", "n_ctx"))
        if api == "openai" and path.startswith("/api/"):
            await _send_json(writer, 404, {"error": {"message": "File Not Found", "type": "not_found_error",
                                                     "code": 404}})
        elif method == "POST" and path == "/api/show" and context_length:
            await _send_json(writer, 200, {"parameters": "", "details": {"format": "gguf"},
                                           "model_info": {"general.architecture": "fake",
                                                          "fake.context_length": int(context_length)}})
        elif method == "GET" and path == "/props" and n_ctx:
            await _send_json(writer, 200, {"default_generation_settings": {"n_ctx": int(n_ctx)}, "total_slots": 1})
        elif method == "GET" and path == "/health" and self.script.get("vllm") and not self.script.get("health"):
            await _send_text(writer, 200, "")  # vLLM: an empty 200
        elif method == "GET" and path == "/metrics" and self.script.get("vllm"):
            running = min(self.generating, int(self.script["vllm"]))
            await _send_text(writer, 200, _vllm_metrics(running, self.generating - running, CODING_MODEL_HINT))
        elif method == "GET" and path == "/health" and (self.script.get("slots") or self.script.get("health")):
            status = int(self.script.get("health") or 200)
            await _send_json(writer, status, {"status": "ok"} if status == 200 else
                             {"error": {"code": status, "message": "Loading model", "type": "unavailable_error"}})
        elif method == "GET" and path == "/slots" and self.script.get("slots"):
            slots = int(self.script["slots"])
            await _send_json(writer, 200, [{"id": i, "n_ctx": 4096, "is_processing": i < self.generating}
                                           for i in range(slots)])
        elif method == "GET" and path == "/api/ps" and self.script.get("loaded") is not None:
            await _send_json(writer, 200, {"models": [{**_tag(name), "expires_at": _now()}
                                                      for name in self.script["loaded"]]})
        elif method == "POST" and path == "/tokenize" and self.script.get("tokenize"):
            content = str((body or {}).get("content", ""))
            await _send_json(writer, 200, {"tokens": list(range(len(content) // 4))})
        elif method == "GET" and path == "/api/version":
            await _send_json(writer, 200, {"version": "0.6.99-fake"})
        elif method == "GET" and path == "/api/tags":
            await _send_json(writer, 200, {"models": [_tag(name) for name in self._models()]})
        elif method == "GET" and path == "/v1/models":
            await _send_json(writer, 200, {"object": "list", "data": [{"id": n, "object": "model"}
                                                                       for n in self._models()]})
        elif method == "POST" and path in ("/api/embed", "/v1/embeddings"):
            await self._embed(path, body or {}, writer)
        elif method == "POST" and path in GENERATION_PATHS:
            self.generating += 1
            try:
                recorded.outcome = "streaming"
                keep, recorded.outcome = await self._generate(path, body or {}, writer)
            except (ConnectionError, OSError):
                recorded.outcome = "aborted"
                return False
            finally:
                self.generating -= 1
            return keep
        else:
            await _send_json(writer, 404, {"error": f"fake_ollama: no route {method} {path}"})
        return True

    async def _control(self, method: str, path: str, body: Any, writer: asyncio.StreamWriter) -> bool:
        if path == "/_fake/requests":
            with self._lock:
                recorded = [r.to_json() for r in self.requests]
            await _send_json(writer, 200, {"requests": recorded})
        elif path == "/_fake/script" and method == "POST" and isinstance(body, dict):
            self.set_script(body)
            await _send_json(writer, 200, {"ok": True})
        elif path == "/_fake/reset" and method == "POST":
            self.reset()
            await _send_json(writer, 200, {"ok": True})
        else:
            await _send_json(writer, 404, {"error": "unknown control path"})
        return True

    async def _scripted_get(self, path: str, writer: asyncio.StreamWriter) -> bool:
        """A GET (``/api/version``, ``/api/tags``, ``/v1/models``) obeys only
        rules naming its ``path``: ``delay`` (a hung server), ``drop``; False
        when the connection was dropped. Other rules never touch GETs."""
        with self._lock:
            rule = next((r for r in self.script["rules"] if r.get("path") == path), None)
        if rule is None:
            return True
        await asyncio.sleep(float(rule.get("delay", 0)))
        return not rule.get("drop")

    def _models(self) -> list[str]:
        with self._lock:
            models = self.script.get("models")
            if models is not None:
                return list(models)
            return sorted({r["model"] for r in self.script["rules"] if r.get("model")})

    def _pulled(self, model: str) -> bool:
        with self._lock:
            models = self.script.get("models")
        if models is None:
            return True
        return model in models or (":" not in model and f"{model}:latest" in models)

    def _match(self, path: str, body: dict[str, Any]) -> dict[str, Any] | None:
        model = body.get("model")
        user = _last_user(body)
        with self._lock:
            for index, rule in enumerate(self.script["rules"]):
                if rule.get("model") and rule["model"] != model:
                    continue
                if rule.get("path") and rule["path"] != path:
                    continue
                if rule.get("contains") and rule["contains"] not in user:
                    continue
                times = rule.get("times")
                if times is not None and self._used.get(index, 0) >= times:
                    continue
                self._used[index] = self._used.get(index, 0) + 1
                return rule
        return None

    async def _embed(self, path: str, body: dict[str, Any], writer: asyncio.StreamWriter) -> None:
        model = str(body.get("model") or "")
        if not self._pulled(model):
            await _send_json(writer, 404, {"error": f'model "{model}" not found, try pulling it first'})
            return
        rule = self._match(path, body)
        if rule and "body" in rule:  # any JSON answer, e.g. a server that is not an embeddings server
            await _send_json(writer, int(rule.get("status", 200)), rule["body"])
            return
        if rule and rule.get("status"):
            await _send_json(writer, int(rule["status"]), {"error": rule.get("error", "scripted failure")},
                             headers=_location(rule))
            return
        inputs = body.get("input")
        texts = [inputs] if isinstance(inputs, str) else list(inputs or [])
        dim = int(self.script.get("embed_dim", 16))
        vectors = [vector_for(t, dim) for t in texts]
        if path == "/v1/embeddings":
            await _send_json(writer, 200, {"object": "list", "model": model, "data": [
                {"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(vectors)]})
        else:
            await _send_json(writer, 200, {"model": model, "embeddings": vectors})

    async def _generate(self, path: str, body: dict[str, Any], writer: asyncio.StreamWriter) -> tuple[bool, str]:
        model = str(body.get("model") or "")
        openai = path.startswith("/v1/") or path == "/infill"
        if not self._pulled(model):
            message = f'model "{model}" not found, try pulling it first'
            await _send_json(writer, 404, {"error": {"message": message}} if openai else {"error": message})
            return True, "error"
        rule = self._match(path, body)
        if rule is None:
            await _send_json(writer, 500, {"error": f"fake_ollama: no scripted reply for model {model!r}, "
                                                    f"message {_last_user(body)[:60]!r}"})
            return True, "error"
        delay = float(rule.get("delay", 0))
        if rule.get("drop"):
            return False, "dropped"
        if rule.get("status"):
            await asyncio.sleep(delay)
            error = rule.get("error", "scripted failure")
            answer = {"error": {"message": error}} if openai else {"error": error}
            await _send_json(writer, int(rule["status"]), rule.get("error_body", answer), headers=_location(rule))
            return True, "error"
        pieces = split_pieces(str(rule.get("reply", "")), int(rule.get("pieces", 3)))
        stream = body.get("stream", not openai)
        if not stream:
            await asyncio.sleep(delay)
            await _send_json(writer, 200, _whole(path, model, "".join(pieces), rule.get("logprobs")))
            return True, "done"
        await _start_chunked(writer, "text/event-stream" if openai else "application/x-ndjson")
        cut = rule.get("cut")
        for index, piece in enumerate(pieces):
            if cut is not None and index >= int(cut):
                writer.close()  # mid-stream, no terminating chunk
                return False, "cut"
            await asyncio.sleep(delay)
            if rule.get("garbage") and index == len(pieces) // 2:
                await _chunk(writer, b"data: {this is not json\n\n" if openai else b"{this is not json\n")
            await _chunk(writer, _piece_line(path, model, piece))
            self.pieces_sent += 1
        if cut is not None and int(cut) >= len(pieces):
            writer.close()
            return False, "cut"
        await _chunk(writer, _final_line(path, model, len(pieces), body, rule))
        await _chunk(writer, b"")
        return True, "done"


# -- wire format ---------------------------------------------------------------


def _tag(name: str) -> dict[str, Any]:
    digest = hashlib.sha256(name.encode()).hexdigest()
    return {"name": name, "model": name, "size": 1_000_000, "digest": digest, "modified_at": "2026-01-01T00:00:00Z",
            "details": {"format": "gguf", "family": "fake", "parameter_size": "1B", "quantization_level": "Q4_K_M"}}


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _piece_line(path: str, model: str, piece: str) -> bytes:
    if path == "/infill":
        return f"data: {json.dumps({'index': 0, 'content': piece, 'stop': False})}\n\n".encode()
    if path == "/v1/completions":
        data = {"id": "cmpl-fake", "object": "text_completion", "model": model,
                "choices": [{"index": 0, "text": piece, "finish_reason": None}]}
        return f"data: {json.dumps(data)}\n\n".encode()
    if path == "/v1/chat/completions":
        data = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "model": model,
                "choices": [{"index": 0, "delta": {"role": "assistant", "content": piece}, "finish_reason": None}]}
        return f"data: {json.dumps(data)}\n\n".encode()
    if path == "/api/generate":
        data = {"model": model, "created_at": _now(), "response": piece, "done": False}
    else:
        data = {"model": model, "created_at": _now(), "message": {"role": "assistant", "content": piece},
                "done": False}
    return (json.dumps(data) + "\n").encode()


def _final_line(path: str, model: str, count: int, body: dict[str, Any],
                rule: dict[str, Any] | None = None) -> bytes:
    rule = rule or {}
    reason = rule.get("done_reason", "stop")
    prompt_chars = sum(len(m.get("content", "")) for m in body.get("messages") or []) + len(body.get("prompt", ""))
    prompt_chars += len(body.get("input_prefix", "")) + len(body.get("input_suffix", ""))
    prompt_tokens = rule.get("prompt_tokens", prompt_chars // 4)
    if path == "/infill":  # llama.cpp: the last event carries stop, counters and timings
        data = {"index": 0, "content": "", "stop": True, "tokens_evaluated": prompt_tokens, "tokens_predicted": count,
                "stop_type": "limit" if reason == "length" else "eos", "timings": rule.get("timings") or {}}
        return f"data: {json.dumps(data)}\n\n".encode()
    if path == "/v1/completions":
        data = {"id": "cmpl-fake", "object": "text_completion", "model": model,
                "choices": [{"index": 0, "text": "", "finish_reason": reason}]}
        lines = f"data: {json.dumps(data)}\n\n"
        if (body.get("stream_options") or {}).get("include_usage") and rule.get("usage", True):
            usage = {"id": "cmpl-fake", "object": "text_completion", "model": model, "choices": [],
                     "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": count,
                               "total_tokens": prompt_tokens + count}}
            lines += f"data: {json.dumps(usage)}\n\n"
        return f"{lines}data: [DONE]\n\n".encode()
    if path == "/v1/chat/completions":
        data = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "model": model,
                "choices": [{"index": 0, "delta": {}, "finish_reason": reason}]}
        lines = f"data: {json.dumps(data)}\n\n"
        if (body.get("stream_options") or {}).get("include_usage") and rule.get("usage", True):
            # As OpenAI, vLLM and llama-server: one more chunk, no choices, the usage.
            usage: dict[str, Any] = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "model": model,
                                     "choices": [], "usage": {"prompt_tokens": prompt_tokens,
                                                              "completion_tokens": count,
                                                              "total_tokens": prompt_tokens + count}}
            if rule.get("timings"):
                usage["timings"] = rule["timings"]
            lines += f"data: {json.dumps(usage)}\n\n"
        return f"{lines}data: [DONE]\n\n".encode()
    data: dict[str, Any] = {"model": model, "created_at": _now(), "done": True, "done_reason": reason,
                            "total_duration": 1000, "load_duration": 10, "prompt_eval_count": prompt_tokens,
                            "prompt_eval_duration": 100, "eval_count": count, "eval_duration": 500}
    if path == "/api/generate":
        data["response"] = ""
    else:
        data["message"] = {"role": "assistant", "content": ""}
    return (json.dumps(data) + "\n").encode()


def _whole(path: str, model: str, text: str, logprobs: list[Any] | None = None) -> dict[str, Any]:
    if path == "/infill":
        return {"index": 0, "content": text, "stop": True, "tokens_predicted": 1}
    if path == "/v1/completions":
        return {"id": "cmpl-fake", "object": "text_completion", "model": model,
                "choices": [{"index": 0, "text": text, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}
    if path == "/v1/chat/completions":
        choice: dict[str, Any] = {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
        if logprobs is not None:
            choice["logprobs"] = {"content": logprobs}
        return {"id": "chatcmpl-fake", "object": "chat.completion", "model": model, "choices": [choice],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}
    data: dict[str, Any] = {"model": model, "created_at": _now(), "done": True, "done_reason": "stop",
                            "eval_count": 1}
    if logprobs is not None:
        data["logprobs"] = logprobs
    if path == "/api/generate":
        data["response"] = text
    else:
        data["message"] = {"role": "assistant", "content": text}
    return data


async def _read_request(reader: asyncio.StreamReader) -> tuple[str, str, dict[str, str], bytes] | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        return None
    lines = head.decode("latin-1").split("\r\n")
    try:
        method, path, _version = lines[0].split(" ", 2)
    except ValueError:
        return None
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
            data = await reader.readexactly(size + 2)
            if size == 0:
                break
            body += data[:-2]
    else:
        body = await reader.readexactly(int(headers.get("content-length", "0") or 0))
    return method, path, headers, body


def _location(rule: dict[str, Any]) -> dict[str, str]:
    return {"Location": str(rule["location"])} if rule.get("location") else {}


async def _send_json(writer: asyncio.StreamWriter, status: int, data: Any,
                     headers: dict[str, str] | None = None) -> None:
    body = json.dumps(data).encode()
    extra = "".join(f"{key}: {value}\r\n" for key, value in (headers or {}).items())
    writer.write(
        f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}\r\n{extra}"
        "Content-Type: application/json; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\nDate: {time.strftime('%a, %d %b %Y %H:%M:%S GMT', time.gmtime())}\r\n"
        "\r\n".encode() + body
    )
    await writer.drain()


async def _send_text(writer: asyncio.StreamWriter, status: int, text: str,
                     content_type: str = "text/plain; version=0.0.4; charset=utf-8") -> None:
    body = text.encode()
    writer.write(f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}\r\nContent-Type: {content_type}\r\n"
                 f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
    await writer.drain()


# The model name vLLM puts in its metrics' labels (any: the pool reads every series).
CODING_MODEL_HINT = "codellama/CodeLlama-7b-hf"


def _vllm_metrics(running: int, waiting: int, model: str) -> str:
    """A vLLM /metrics page, cut down to the series around the two we read."""
    label = f'{{model_name="{model}"}}'
    return (
        "# HELP vllm:num_requests_running Number of requests currently running on GPU.\n"
        "# TYPE vllm:num_requests_running gauge\n"
        f"vllm:num_requests_running{label} {float(running)}\n"
        "# HELP vllm:num_requests_waiting Number of requests waiting to be processed.\n"
        "# TYPE vllm:num_requests_waiting gauge\n"
        f"vllm:num_requests_waiting{label} {float(waiting)}\n"
        "# HELP vllm:gpu_cache_usage_perc GPU KV-cache usage. 1 means 100 percent usage.\n"
        "# TYPE vllm:gpu_cache_usage_perc gauge\n"
        f"vllm:gpu_cache_usage_perc{label} 0.0\n"
        "# HELP vllm:num_requests_swapped Number of requests swapped to CPU.\n"
        f"vllm:num_requests_swapped{label} 0.0\n"
    )


async def _start_chunked(writer: asyncio.StreamWriter, content_type: str) -> None:
    writer.write(f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nTransfer-Encoding: chunked\r\n"
                 "Cache-Control: no-cache\r\n\r\n".encode())
    await writer.drain()


async def _chunk(writer: asyncio.StreamWriter, data: bytes) -> None:
    writer.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
    await writer.drain()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="A scripted Ollama-compatible server for tests.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--script", type=Path, help="the script as JSON (see the module docstring)")
    args = parser.parse_args(argv)
    script = json.loads(args.script.read_text()) if args.script else {}
    fake = FakeOllama(script, host=args.host, port=args.port).start()
    print(fake.url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
