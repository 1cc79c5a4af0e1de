"""Malformed JSON-RPC and broken framing on the wire: the server answers with
errors or skips the garbage, and keeps serving; the LSP lifecycle rules hold.
Spoken byte by byte, without an LSP library, because a library client cannot
send what is broken. :class:`RawServer` is also the fuzz suite's client."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.lsp_session import server_env


def frame(body: bytes) -> bytes:
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def message(obj: dict) -> bytes:
    return frame(json.dumps(obj).encode())


def request(msg_id: Any, method: str, params: Any = None) -> bytes:
    obj: dict[str, Any] = {"jsonrpc": "2.0", "id": msg_id, "method": method}
    if params is not None:
        obj["params"] = params
    return message(obj)


def notification(method: str, params: Any = None) -> bytes:
    obj: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
    if params is not None:
        obj["params"] = params
    return message(obj)


def initialize_params(root: Path) -> dict[str, Any]:
    return {"processId": None, "rootUri": root.as_uri(), "capabilities": {}}


async def read_message(reader: asyncio.StreamReader) -> dict:
    length = None
    while True:
        line = await reader.readline()
        if not line:
            raise EOFError("server closed stdout")
        if line in (b"\r\n", b"\n"):
            break
        name, _, value = line.decode().partition(":")
        if name.lower() == "content-length":
            length = int(value)
    assert length is not None
    return json.loads(await reader.readexactly(length))


class RawServer:
    """The real server process on stdio, fed raw bytes.

    Everything it writes is collected in ``received``; stderr is drained all
    the time (a full stderr pipe would block the server's logging and look
    like a hang)."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.received: list[dict] = []
        self.stderr = bytearray()
        self._arrived = asyncio.Event()
        self._next_id = 1_000_000
        self._tasks = [asyncio.ensure_future(self._read_stdout()), asyncio.ensure_future(self._read_stderr())]
        self.stdout_closed = False

    @classmethod
    async def start(cls, home: Path, *args: str, env: dict[str, str] | None = None) -> RawServer:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "mycoder_lsp", *args,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            env=server_env(home, env),
        )
        return cls(proc)

    async def _read_stdout(self) -> None:
        assert self.proc.stdout
        try:
            while True:
                self.received.append(await read_message(self.proc.stdout))
                self._arrived.set()
        except (EOFError, asyncio.IncompleteReadError, ValueError):
            # ValueError: the server wrote something that is not JSON-RPC;
            # the waiters then time out and the test says so.
            pass
        finally:
            self.stdout_closed = True
            self._arrived.set()

    async def _read_stderr(self) -> None:
        assert self.proc.stderr
        while chunk := await self.proc.stderr.read(65536):
            self.stderr += chunk

    @property
    def log(self) -> str:
        return self.stderr.decode(errors="replace")

    async def send(self, data: bytes) -> None:
        assert self.proc.stdin
        self.proc.stdin.write(data)
        await self.proc.stdin.drain()

    async def wait_for(self, predicate: Callable[[dict], bool], timeout: float = 15.0) -> dict:
        async def scan() -> dict:
            seen = 0
            while True:
                for msg in self.received[seen:]:
                    if predicate(msg):
                        return msg
                seen = len(self.received)
                if self.stdout_closed:
                    raise EOFError("server closed stdout")
                self._arrived.clear()
                await self._arrived.wait()

        return await asyncio.wait_for(scan(), timeout)

    async def response(self, msg_id: Any, timeout: float = 15.0) -> dict:
        return await self.wait_for(lambda m: m.get("id") == msg_id and "method" not in m, timeout)

    async def call(self, method: str, params: Any = None, timeout: float = 15.0) -> dict:
        """Send a request and return the whole response message."""
        self._next_id += 1
        msg_id = self._next_id
        await self.send(request(msg_id, method, params))
        return await self.response(msg_id, timeout)

    async def initialize(self, root: Path) -> dict:
        reply = await self.call("initialize", initialize_params(root))
        await self.send(notification("initialized", {}))
        return reply

    async def probe(self, timeout: float = 15.0) -> None:
        """A hover on a document that is not open: answered with null."""
        reply = await self.call("textDocument/hover", {
            "textDocument": {"uri": "file:///nowhere/probe.py"}, "position": {"line": 0, "character": 0},
        }, timeout)
        assert reply.get("result") is None and "error" not in reply, reply

    async def wait_exit(self, timeout: float = 15.0) -> int:
        return await asyncio.wait_for(self.proc.wait(), timeout)

    async def stop(self) -> None:
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
            await self.proc.wait()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


@contextlib.asynccontextmanager
async def raw_server(tmp_path: Path, *args: str, initialize: bool = True,
                     env: dict[str, str] | None = None) -> AsyncIterator[RawServer]:
    root = tmp_path / "ws"
    root.mkdir(exist_ok=True)
    server = await RawServer.start(tmp_path, *args, env=env)
    try:
        if initialize:
            reply = await server.initialize(root)
            assert "capabilities" in reply["result"]
        yield server
    finally:
        await server.stop()


# -- malformed JSON-RPC ------------------------------------------------------


async def test_garbage_then_valid_requests(tmp_path):
    async with raw_server(tmp_path) as server:
        # Not JSON, invalid UTF-8, a request with bad params, an unknown method.
        await server.send(frame(b"{this is not json"))
        await server.send(frame(b'{"jsonrpc": "2.0", "method": "x", "params": "\xff\xfe"}'))
        await server.send(request(2, "textDocument/hover", {"textDocument": 5}))
        await server.send(request(3, "mycoder/noSuchMethod", {}))
        # didOpen with a wrong shape, then a good one.
        await server.send(notification("textDocument/didOpen", {"oops": 1}))
        uri = (tmp_path / "a.py").as_uri()
        await server.send(notification("textDocument/didOpen", {
            "textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": "def f(:\n"}}))

        assert "error" in await server.response(2)
        assert (await server.response(3))["error"]["code"] == -32601  # method not found
        params = (await server.wait_for(
            lambda m: m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri))["params"]
        assert [d["code"] for d in params["diagnostics"]] == ["MC101"]
        # Both undecodable bodies were answered with a parse error (id null).
        parse_errors = [m for m in server.received if m.get("id") is None and m.get("error", {}).get("code") == -32700]
        assert len(parse_errors) == 2

        await server.call("shutdown")
        await server.send(notification("exit"))
        assert await server.wait_exit() == 0


async def test_not_a_request_object_is_an_invalid_request(tmp_path):
    async with raw_server(tmp_path) as server:
        await server.send(frame(b"[1, 2]"))
        await server.send(frame(b'"hello"'))
        await server.send(message({"jsonrpc": "1.0", "id": 7, "method": "textDocument/hover", "params": {}}))
        await server.send(frame(b"[" * 100_000 + b"]" * 100_000))  # deeper than json can parse
        assert (await server.response(7))["error"]["code"] == -32600
        await server.probe()
        invalid = [m for m in server.received if m.get("id") is None and "error" in m]
        assert [m["error"]["code"] for m in invalid] == [-32600, -32600, -32700]


# -- framing -------------------------------------------------------------------
#
# Each case sends one broken message, then a good request: the good request is
# answered (before the fix: never, and neither was anything after it).

GOOD_BODY = json.dumps({"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": 424242}}).encode()

FRAMING_CASES: dict[str, bytes] = {
    "short_content_length": b"Content-Length: %d\r\n\r\n" % (len(GOOD_BODY) - 10) + GOOD_BODY,
    "long_content_length": b"Content-Length: %d\r\n\r\n" % (len(GOOD_BODY) + 40) + GOOD_BODY,
    "non_numeric_content_length": b"Content-Length: twelve\r\n\r\n" + GOOD_BODY,
    "negative_content_length": b"Content-Length: -5\r\n\r\n" + GOOD_BODY,
    "missing_content_length": b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n" + GOOD_BODY,
    "huge_content_length": b"Content-Length: 99999999999999999999999999\r\n\r\n" + GOOD_BODY,
    "over_the_bound": b"Content-Length: 9223372036854775808\r\n\r\n" + GOOD_BODY,
    "garbage_before_header": b"\x00\xffnot a header at all" + frame(GOOD_BODY),
    "endless_header_line": b"X" * 300_000,
    "header_without_body": b"Content-Length: 50\r\n\r\n",
}


@pytest.mark.parametrize("case", FRAMING_CASES)
async def test_broken_framing_then_good_request(tmp_path, case):
    async with raw_server(tmp_path) as server:
        await server.send(FRAMING_CASES[case])
        await server.probe()
        await server.probe()  # and the one after it
        assert server.proc.returncode is None


@pytest.mark.parametrize("header", [b"content-length", b"CONTENT-LENGTH", b"Content-length"])
async def test_header_name_is_case_insensitive(tmp_path, header):
    async with raw_server(tmp_path) as server:
        body = json.dumps({"jsonrpc": "2.0", "id": 77, "method": "textDocument/hover", "params": {
            "textDocument": {"uri": "file:///nowhere/x.py"}, "position": {"line": 0, "character": 0}}}).encode()
        await server.send(header + b": %d\r\n\r\n" % len(body) + body)
        assert (await server.response(77))["result"] is None


async def test_lf_only_headers_are_accepted(tmp_path):
    async with raw_server(tmp_path) as server:
        body = json.dumps({"jsonrpc": "2.0", "id": 78, "method": "mycoder/noSuchMethod"}).encode()
        await server.send(b"Content-Length: %d\nContent-Type: application/vscode-jsonrpc\n\n" % len(body) + body)
        assert (await server.response(78))["error"]["code"] == -32601


async def test_short_content_length_is_a_parse_error(tmp_path):
    async with raw_server(tmp_path) as server:
        await server.send(FRAMING_CASES["short_content_length"])
        await server.probe()
        assert any(m.get("id") is None and m["error"]["code"] == -32700 for m in server.received if "error" in m)


async def test_long_content_length_keeps_the_message_before_the_next_header(tmp_path):
    async with raw_server(tmp_path) as server:
        body = json.dumps({"jsonrpc": "2.0", "id": 79, "method": "mycoder/noSuchMethod"}).encode()
        await server.send(b"Content-Length: %d\r\n\r\n" % (len(body) + 500) + body)
        await server.probe()  # its header shows where the first message ended
        assert (await server.response(79))["error"]["code"] == -32601


async def test_message_over_the_bound_is_skipped_and_logged(tmp_path):
    async with raw_server(tmp_path, "--max-message-bytes", "1000") as server:
        text = "x = 1\n" * 1000
        uri = (tmp_path / "big.py").as_uri()
        await server.send(notification("textDocument/didOpen", {
            "textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}}))
        await server.probe()
        warning = await server.wait_for(lambda m: m.get("method") == "window/showMessage")
        assert "--max-message-bytes" in warning["params"]["message"]
        assert "over the limit of 1000 bytes" in server.log


async def test_max_message_bytes_from_the_environment(tmp_path):
    env = {"MYCODER_MAX_MESSAGE_BYTES": "2000"}
    async with raw_server(tmp_path, env=env) as server:
        await server.send(notification("$/cancelRequest", {"id": "x" * 3000}))
        await server.probe()
        assert "over the limit of 2000 bytes" in server.log


async def test_a_50_mb_document_still_syncs(tmp_path):
    async with raw_server(tmp_path) as server:
        # 50 MiB of text; JSON escaping makes it 75 MiB on the wire.
        text = 'x"' * (25 * 1024 * 1024)
        uri = (tmp_path / "huge.txt").as_uri()
        await server.send(notification("textDocument/didOpen", {
            "textDocument": {"uri": uri, "languageId": "plaintext", "version": 1, "text": text}}))
        await server.probe(timeout=60)
        assert "over the limit" not in server.log


# -- lifecycle ---------------------------------------------------------------


async def test_requests_before_initialize_are_server_not_initialized(tmp_path):
    async with raw_server(tmp_path, initialize=False) as server:
        reply = await server.call("textDocument/hover", {
            "textDocument": {"uri": "file:///x.py"}, "position": {"line": 0, "character": 0}})
        assert reply["error"]["code"] == -32002
        assert "Traceback" not in server.log
        # shutdown before initialize is refused the same way, and changes nothing.
        assert (await server.call("shutdown"))["error"]["code"] == -32002
        # Notifications before initialize are dropped.
        await server.send(notification("textDocument/didOpen", {"textDocument": {
            "uri": (tmp_path / "a.py").as_uri(), "languageId": "python", "version": 1, "text": "def f(:\n"}}))
        reply = await server.initialize(tmp_path / "ws")
        assert "capabilities" in reply["result"]
        await server.probe()
        assert not [m for m in server.received if m.get("method") == "textDocument/publishDiagnostics"]


async def test_requests_after_shutdown_are_invalid_requests(tmp_path):
    async with raw_server(tmp_path) as server:
        assert (await server.call("shutdown"))["result"] is None
        reply = await server.call("textDocument/hover", {
            "textDocument": {"uri": "file:///x.py"}, "position": {"line": 0, "character": 0}})
        assert reply["error"]["code"] == -32600
        await server.send(notification("exit"))
        assert await server.wait_exit() == 0


async def test_second_initialize_is_an_invalid_request(tmp_path):
    async with raw_server(tmp_path) as server:
        reply = await server.call("initialize", initialize_params(tmp_path / "ws"))
        assert reply["error"]["code"] == -32600
        await server.probe()


async def test_exit_without_shutdown_exits_1(tmp_path):
    async with raw_server(tmp_path) as server:
        await server.send(notification("exit"))
        assert await server.wait_exit() == 1


async def test_exit_before_initialize_exits_1(tmp_path):
    async with raw_server(tmp_path, initialize=False) as server:
        await server.send(notification("exit"))
        assert await server.wait_exit() == 1
