"""Protocol fuzz: hostile framing, hostile messages and random lifecycles sent
as raw bytes to the real server process on stdio.

The oracle after every hostile input: the process is alive and answers a
well-formed request (a hover on a document that is not open: ``null``) within
a timeout; a hostile *request* that carries a usable id is answered too. No
case is allowed to make the server exit. Lifecycle sequences are checked
against the LSP rules (-32002 before ``initialize``, -32600 after
``shutdown``, exit code 0 only after ``shutdown``).

Seeded, so a failure is reproducible: each failure names its case number and
kind. Bounded in count and in time; each test prints a summary line such as
``fuzz: framing 240 cases, 0 failures`` (shown with ``pytest -rA``) and records
it as the ``fuzz`` property.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.e2e.test_protocol_robustness import RawServer, frame, initialize_params, message, notification, request

SEED = 8
FRAMING_CASES = 240
MESSAGE_CASES = 200
LIFECYCLE_SEQUENCES = 12
PROBE_TIMEOUT = 10.0
# Per test: stop trying new cases after this long (a loaded 2-core box).
TIME_BUDGET = 18.0


@dataclass
class Case:
    kind: str
    data: bytes
    # A request in ``data`` that must be answered (its framing is acceptable).
    expect_id: int | None = None
    # The error code of the ``"id": null`` reply JSON-RPC requires for ``data``.
    expect_null_error: int | None = None


@dataclass
class FuzzResult:
    name: str
    tried: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        return f"fuzz: {self.name} {self.tried} cases, {len(self.failures)} failures"


def report(result: FuzzResult, record_property: Any) -> None:
    print(result.summary)
    for failure in result.failures[:20]:
        print("  ", failure)
    record_property("fuzz", result.summary)
    assert not result.failures, result.summary + "\n" + "\n".join(result.failures[:20])


# -- framing -------------------------------------------------------------------


def hover(msg_id: int) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": msg_id, "method": "textDocument/hover", "params": {
        "textDocument": {"uri": f"file:///nowhere/{msg_id}.py"}, "position": {"line": 0, "character": 0}}}


def some_body(rng: random.Random) -> tuple[bytes, int | None]:
    """A body to frame badly: a request, a notification or noise."""
    roll = rng.random()
    if roll < 0.4:
        msg_id = rng.randrange(1, 100_000)
        return json.dumps(hover(msg_id)).encode(), msg_id
    if roll < 0.8:
        return json.dumps({"jsonrpc": "2.0", "method": "$/cancelRequest",
                           "params": {"id": rng.randrange(10**6)}}).encode(), None
    return rng.randbytes(rng.randrange(1, 400)), None


def framing_case(rng: random.Random) -> Case:
    body, msg_id = some_body(rng)
    n = len(body)
    kind = rng.choice([
        "short", "long", "non_numeric", "negative", "missing", "header_case", "lf_only", "huge",
        "garbage_prefix", "endless_line", "spacing", "extra_headers", "duplicate", "zero", "header_only",
        "noise", "empty_lines",
    ])
    accepted = None  # framings the server must accept: the request in them is answered
    if kind == "short":
        data = b"Content-Length: %d\r\n\r\n" % rng.randrange(0, n) + body
    elif kind == "long":
        data = b"Content-Length: %d\r\n\r\n" % (n + rng.choice([1, 2, 5, 17, 40, 300, 5000, 10**6])) + body
    elif kind == "non_numeric":
        value = rng.choice([b"abc", b"12a", b"", b" ", b"0x10", b"1e3", b"+5", "\u0661\u0662".encode(), b"5 5", b"NaN"])
        data = b"Content-Length: " + value + b"\r\n\r\n" + body
    elif kind == "negative":
        data = b"Content-Length: -%d\r\n\r\n" % rng.randrange(1, 10**6) + body
    elif kind == "missing":
        data = b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n" + body
    elif kind == "header_case":
        name = bytes(c ^ 0x20 if chr(c).isalpha() and rng.random() < 0.5 else c for c in b"Content-Length")
        data, accepted = name + b": %d\r\n\r\n" % n + body, msg_id
    elif kind == "lf_only":
        data, accepted = b"Content-Length: %d\nContent-Type: application/vscode-jsonrpc\n\n" % n + body, msg_id
    elif kind == "huge":
        value = rng.choice([10**9, 2**31, 2**32 + 1, 2**63 - 1, 2**63, 2**64, 10**20, 10**40, 10**400])
        data = b"Content-Length: %d\r\n\r\n" % value + body
    elif kind == "garbage_prefix":
        data = rng.randbytes(rng.randrange(1, 200)).replace(b"\n", b"") + frame(body)
        accepted = msg_id if body.startswith(b"{") else None
    elif kind == "endless_line":
        data = rng.choice([b"X", b"Content-Length: 1", b"\x00"]) * rng.randrange(10_000, 200_000)
    elif kind == "spacing":
        fmt = rng.choice([b"Content-Length:%d\r\n\r\n", b"Content-Length:   %d  \r\n\r\n",
                          b"Content-Length:\t%d\r\n\r\n"])
        data, accepted = fmt % n + body, msg_id
    elif kind == "extra_headers":
        data = (b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\nX-Whatever: 1\r\n"
                b"Content-Length: %d\r\n\r\n" % n + body)
        accepted = msg_id
    elif kind == "duplicate":
        other = n + rng.choice([0, 3])
        data = b"Content-Length: %d\r\nContent-Length: %d\r\n\r\n" % (n, other) + body
        accepted = msg_id if other == n else None
    elif kind == "zero":
        data = b"Content-Length: 0\r\n\r\n" + body
    elif kind == "header_only":
        data = b"Content-Length: %d\r\n\r\n" % rng.randrange(1, 5000)
    elif kind == "noise":
        data = rng.randbytes(rng.randrange(1, 3000))
    else:  # empty_lines: blank lines between messages are harmless
        data, accepted = b"\r\n\r\n" + frame(body), msg_id
    return Case(kind, data, accepted if body.startswith(b"{") else None)


# -- messages ------------------------------------------------------------------

KNOWN_METHODS = [
    "textDocument/hover", "textDocument/codeAction", "workspace/symbol", "workspace/executeCommand",
    "textDocument/diagnostic", "textDocument/didOpen", "textDocument/didChange", "textDocument/didClose",
    "textDocument/didSave", "workspace/didChangeConfiguration", "workspace/didChangeWatchedFiles",
    "$/cancelRequest", "$/setTrace", "window/workDoneProgress/cancel", "mycoder/noSuchMethod",
]


def random_json(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if depth > 3 or roll < 0.4:
        return rng.choice([None, True, False, 0, -1, 2**70, 1.5, "", "x" * rng.randrange(50), "\u0000\ud800",
                           "file:///" + "a/" * rng.randrange(10), float("1e308")])
    if roll < 0.7:
        return [random_json(rng, depth + 1) for _ in range(rng.randrange(4))]
    keys = ["textDocument", "uri", "position", "line", "character", "range", "text", "id", "command", "arguments",
            "contentChanges", "settings", "changes", "query", "value", rng.choice(["", "\u00e9", "k" * 30])]
    return {rng.choice(keys): random_json(rng, depth + 1) for _ in range(rng.randrange(5))}


def message_case(rng: random.Random) -> Case:
    kind = rng.choice(["bad_json", "bad_utf8", "deep", "not_object", "bad_version", "bad_id", "bad_params",
                       "response", "no_method", "big_string", "nul_bytes"])
    msg_id = rng.randrange(1, 100_000)
    method = rng.choice(KNOWN_METHODS)
    if kind == "bad_json":
        good = json.dumps(hover(msg_id)).encode()
        cut = rng.randrange(1, len(good))
        return Case(kind, frame(good[:cut] + rng.choice([b"", b"}", b",", b"\x00", b"]]"])), None, -32700)
    if kind == "bad_utf8":
        return Case(kind, frame(b'{"jsonrpc": "2.0", "id": %d, "method": "%s", "params": "\xc3\x28\xff"}'
                                % (msg_id, method.encode())), None, -32700)
    if kind == "deep":
        depth = rng.choice([1000, 10_000, 200_000])
        return Case(kind, frame(b'{"jsonrpc": "2.0", "method": "$/x", "params": ' + b"[" * depth + b"]" * depth + b"}"))
    if kind == "not_object":
        return Case(kind, frame(rng.choice([b"[]", b"[1,2]", b"null", b"0", b'"x"', b"true", b"[{}]", b"{}"])),
                    None, -32600)
    if kind == "bad_version":
        version = rng.choice(["1.0", "2", 2.0, None, ""])
        return Case(kind, message({"jsonrpc": version, "id": msg_id, "method": method, "params": {}}), msg_id)
    if kind == "bad_id":
        bad = rng.choice([{"a": 1}, [1], True, 1.5, None])
        return Case(kind, message({"jsonrpc": "2.0", "id": bad, "method": method, "params": random_json(rng)}),
                    None, -32600)
    if kind == "bad_params":
        if method.startswith(("$/", "window/")) or "/did" in method:
            return Case(kind, notification(method, random_json(rng)))
        return Case(kind, request(msg_id, method, random_json(rng)), msg_id)
    if kind == "response":
        return Case(kind, message({"jsonrpc": "2.0", "id": msg_id, rng.choice(["result", "error"]): random_json(rng)}))
    if kind == "no_method":
        return Case(kind, message({"jsonrpc": "2.0", "params": random_json(rng)}))
    if kind == "big_string":
        return Case(kind, request(msg_id, "workspace/symbol", {"query": "q" * rng.randrange(10**5, 10**6)}), msg_id)
    # A raw control character inside a string is not JSON.
    return Case(kind, frame(json.dumps(hover(msg_id)).encode().replace(b'"line"', b'"li\x00ne"')), None, -32700)


def cases(generator: Any, count: int, seed: int) -> Iterator[Case]:
    rng = random.Random(seed)
    for _ in range(count):
        yield generator(rng)


async def run_cases(tmp_path: Path, name: str, all_cases: Iterator[Case], *, probe_timeout: float = PROBE_TIMEOUT,
                    time_budget: float = TIME_BUDGET) -> FuzzResult:
    """Feed every case to one server; after a failure, the next case gets a fresh server."""
    result = FuzzResult(name)
    root = tmp_path / "ws"
    root.mkdir(exist_ok=True)
    server: RawServer | None = None
    deadline = time.monotonic() + time_budget
    try:
        for number, case in enumerate(all_cases):
            if time.monotonic() > deadline:
                break
            result.tried += 1
            try:
                if server is None:
                    server = await RawServer.start(tmp_path, "--stdio")
                    await server.initialize(root)
                mark = len(server.received)
                await server.send(case.data)
                if case.expect_id is not None:
                    await server.response(case.expect_id, probe_timeout)
                await server.probe(probe_timeout)
                # Answers come in order: the null-id error is in before the probe's.
                if case.expect_null_error is not None:
                    assert any(m.get("id") is None and m.get("error", {}).get("code") == case.expect_null_error
                               for m in server.received[mark:]), f"no {case.expect_null_error} with id null"
            except (asyncio.TimeoutError, EOFError, AssertionError, ConnectionError) as exc:
                state = "no server" if server is None else \
                    "alive" if server.proc.returncode is None else f"exited {server.proc.returncode}"
                result.failures.append(f"#{number} {case.kind} ({state}): {type(exc).__name__} {exc}"[:300])
                if server is not None:
                    await server.stop()
                server = None
    finally:
        if server is not None:
            await server.stop()
    return result


async def test_fuzz_framing(tmp_path, record_property):
    report(await run_cases(tmp_path, "framing", cases(framing_case, FRAMING_CASES, SEED)), record_property)


async def test_fuzz_messages(tmp_path, record_property):
    report(await run_cases(tmp_path, "messages", cases(message_case, MESSAGE_CASES, SEED + 1)), record_property)


# -- lifecycle -------------------------------------------------------------------

STEPS = ["initialize", "initialized", "hover", "shutdown", "didOpen", "cancel"]


async def run_lifecycle(tmp_path: Path, number: int, steps: list[str], probe_timeout: float) -> list[str]:
    """Play ``steps`` then ``exit``; compare every answer with the LSP rules."""
    problems: list[str] = []
    home = tmp_path / f"seq{number}"
    (home / "ws").mkdir(parents=True)
    server = await RawServer.start(home, "--stdio")
    initialized = shut_down = False
    try:
        for step in steps:
            if step == "initialized":
                await server.send(notification("initialized", {}))
                continue
            if step == "didOpen":
                await server.send(notification("textDocument/didOpen", {"textDocument": {
                    "uri": (home / "a.py").as_uri(), "languageId": "python", "version": 1, "text": "x = 1\n"}}))
                continue
            if step == "cancel":
                await server.send(notification("$/cancelRequest", {"id": 1}))
                continue
            if step == "initialize":
                expected = -32600 if initialized else None
                params: Any = initialize_params(home / "ws")
            elif step == "hover":
                expected = -32002 if not initialized else (-32600 if shut_down else None)
                params = hover(0)["params"]
            else:  # shutdown
                expected = -32002 if not initialized else (-32600 if shut_down else None)
                params = None
            try:
                reply = await server.call(step, params, probe_timeout) if step != "hover" else \
                    await server.call("textDocument/hover", params, probe_timeout)
            except (asyncio.TimeoutError, EOFError) as exc:
                problems.append(f"seq {number} {steps}: {step} not answered ({type(exc).__name__})")
                return problems
            code = reply.get("error", {}).get("code")
            if code != expected:
                problems.append(f"seq {number} {steps}: {step} answered {code}, expected {expected}")
            if step == "initialize" and expected is None:
                initialized = True
            if step == "shutdown" and expected is None:
                shut_down = True
        await server.send(notification("exit"))
        try:
            returncode = await server.wait_exit(probe_timeout)
        except asyncio.TimeoutError:
            problems.append(f"seq {number} {steps}: still running after exit")
            return problems
        if returncode != (0 if shut_down else 1):
            problems.append(f"seq {number} {steps}: exit code {returncode}, expected {0 if shut_down else 1}")
        return problems
    finally:
        await server.stop()


async def run_lifecycle_fuzz(tmp_path: Path, count: int = LIFECYCLE_SEQUENCES, *,
                             probe_timeout: float = PROBE_TIMEOUT) -> FuzzResult:
    rng = random.Random(SEED + 2)
    sequences = [[rng.choice(STEPS) for _ in range(rng.randrange(1, 7))] for _ in range(count)]
    result = FuzzResult("lifecycle", tried=len(sequences))
    # Two at a time: each sequence pays for a process start.
    for start in range(0, len(sequences), 2):
        found = await asyncio.gather(*(run_lifecycle(tmp_path, start + i, steps, probe_timeout)
                                       for i, steps in enumerate(sequences[start:start + 2])))
        result.failures.extend("; ".join(problems) for problems in found if problems)
    return result


async def test_fuzz_lifecycle(tmp_path, record_property):
    report(await run_lifecycle_fuzz(tmp_path), record_property)


# -- framing, in any read sizes ------------------------------------------------


def test_fuzz_framing_split_reads(record_property):
    """TCP (and a pipe under load) cuts the stream anywhere: every framing
    case followed by a good message, fed to the framer in random read sizes,
    still ends with that good message."""
    from mycoder_lsp.server.protocol import Body, MessageFramer

    rng = random.Random(SEED + 3)
    good = json.dumps(hover(1_000_001)).encode()
    result = FuzzResult("split-reads")
    for number, case in enumerate(cases(framing_case, FRAMING_CASES, SEED)):
        stream = case.data + frame(good)
        # Byte by byte only where that stays quick.
        for split in (1, 7, None) if len(stream) < 3000 else (None,):
            result.tried += 1
            framer = MessageFramer(max_message_bytes=1_000_000)
            bodies: list[bytes] = []
            pos = 0
            while pos < len(stream):
                size = split or rng.randrange(1, 4096)
                bodies += [bytes(e.data) for e in framer.feed(stream[pos:pos + size]) if isinstance(e, Body)]
                pos += size
            if not bodies or bodies[-1] != good:
                result.failures.append(f"#{number} {case.kind} in reads of {split or 'random'}: "
                                       f"last body {bodies[-1][:60] if bodies else None!r}")
    report(result, record_property)
