"""Malformed JSON-RPC on the wire: the server answers with errors or ignores
the garbage, and keeps serving. Spoken byte by byte, without an LSP library,
because a library client cannot send what is broken."""

from __future__ import annotations

import asyncio
import json
import sys

from tests.e2e.lsp_session import server_env


def frame(body: bytes) -> bytes:
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def message(obj: dict) -> bytes:
    return frame(json.dumps(obj).encode())


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


async def read_until_id(reader: asyncio.StreamReader, msg_id: int) -> dict:
    while True:
        msg = await read_message(reader)
        if msg.get("id") == msg_id and "method" not in msg:
            return msg


async def test_garbage_then_valid_requests(tmp_path):
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "mycoder_lsp",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env=server_env(tmp_path),
    )
    assert proc.stdin and proc.stdout
    try:
        init = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
                "params": {"processId": None, "rootUri": tmp_path.as_uri(), "capabilities": {}}}
        proc.stdin.write(message(init))
        reply = await asyncio.wait_for(read_until_id(proc.stdout, 1), 15)
        assert "capabilities" in reply["result"]
        proc.stdin.write(message({"jsonrpc": "2.0", "method": "initialized", "params": {}}))

        # Not JSON, invalid UTF-8, a request with bad params, an unknown method.
        proc.stdin.write(frame(b"{this is not json"))
        proc.stdin.write(frame(b'{"jsonrpc": "2.0", "method": "x", "params": "\xff\xfe"}'))
        proc.stdin.write(message({"jsonrpc": "2.0", "id": 2, "method": "textDocument/hover",
                                  "params": {"textDocument": 5}}))
        proc.stdin.write(message({"jsonrpc": "2.0", "id": 3, "method": "mycoder/noSuchMethod", "params": {}}))
        # didOpen with a wrong shape, then a good one.
        proc.stdin.write(message({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"oops": 1}}))
        uri = (tmp_path / "a.py").as_uri()
        proc.stdin.write(message({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {
            "textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": "def f(:\n"}}}))
        await proc.stdin.drain()

        err2 = await asyncio.wait_for(read_until_id(proc.stdout, 2), 15)
        assert "error" in err2
        err3 = await asyncio.wait_for(read_until_id(proc.stdout, 3), 15)
        assert err3["error"]["code"] == -32601  # method not found

        async def diagnostics() -> dict:
            while True:
                msg = await read_message(proc.stdout)
                if msg.get("method") == "textDocument/publishDiagnostics" and msg["params"]["uri"] == uri:
                    return msg["params"]

        params = await asyncio.wait_for(diagnostics(), 15)
        assert [d["code"] for d in params["diagnostics"]] == ["MC101"]

        proc.stdin.write(message({"jsonrpc": "2.0", "id": 9, "method": "shutdown"}))
        await asyncio.wait_for(read_until_id(proc.stdout, 9), 15)
        proc.stdin.write(message({"jsonrpc": "2.0", "method": "exit"}))
        await proc.stdin.drain()
        assert await asyncio.wait_for(proc.wait(), 15) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
