"""JSON-RPC on the wire: message framing that survives a hostile client, and
the LSP lifecycle rules.

pygls reads ``Content-Length`` framed messages with a reader that trusts the
client: one wrong header and every later message is lost, a huge length
crashes or hangs it. This module replaces that reader for stdio and TCP:

- :class:`MessageFramer` turns bytes into message bodies (no I/O, no JSON).
  Header names are case-insensitive, LF-only lines are accepted, bodies are
  bounded. After a framing error it resynchronises on the next
  ``Content-Length`` header. That header can be trusted as a boundary:
  ``Content-Length: <digits>`` followed by a raw newline never occurs inside a
  JSON text (raw newlines cannot occur inside JSON strings), so finding one
  inside a body proves the previous length was wrong.
- :func:`serve_stdio` and :func:`serve_tcp` run the read loop and return the
  exit code the LSP spec asks for.
- :class:`MyCoderProtocol` answers what pygls would leave unanswered and
  enforces the lifecycle (-32002 before ``initialize``, -32600 after
  ``shutdown``, ``exit`` ends the loop with 0 or 1).

Nothing here knows about features; it must not write anything but JSON-RPC
to the output.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import sys
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, BinaryIO

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.io_ import StdoutWriter
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.json_rpc import RPCNotification, RPCRequest
from pygls.server import JsonRPCServer

from mycoder_lsp.server import pygls_private

log = logging.getLogger(__name__)

# JSON escaping can double a document, and 50 MB documents must still sync.
DEFAULT_MAX_MESSAGE_BYTES = 128 * 1024 * 1024
MAX_MESSAGE_BYTES_ENV = "MYCODER_MAX_MESSAGE_BYTES"
# A header section longer than this is garbage, not headers.
MAX_HEADER_BYTES = 8 * 1024
# A Content-Length header line is never longer than this (digits bounded below).
_MAX_HEADER_LINE = 128
_READ_CHUNK = 64 * 1024

_HEADER_LINE = re.compile(rb"content-length[ \t]*:[ \t]*[0-9]{1,40}[ \t]*\r?\n", re.IGNORECASE)
_HEADER_NAME = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+")

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
SERVER_NOT_INITIALIZED = -32002


def find_header(buf: bytes | bytearray, start: int, end: int, floor: int = 0) -> int:
    """Where the first ``Content-Length: N`` header line ending in
    ``buf[start:end]`` begins (not before ``floor``), or -1.

    Looks at newlines first: a memchr scan keeps this cheap on a 100 MB
    body, which has none when an editor sends it."""
    nl = buf.find(b"\n", start, end)
    while nl >= 0:
        match = _HEADER_LINE.search(buf, max(floor, nl + 1 - _MAX_HEADER_LINE), nl + 1)
        if match:
            return match.start()
        nl = buf.find(b"\n", nl + 1, end)
    return -1


def _ends_an_object(buf: bytearray, end: int) -> bool:
    """Whether ``buf[:end]`` ends like a JSON object (``}``, maybe then whitespace)."""
    i = end - 1
    while i >= 0 and buf[i] in b" \t\r\n":
        i -= 1
    return i >= 0 and buf[i] == ord("}")


@dataclass
class Body:
    """One message body, to be parsed as JSON."""

    data: bytes | bytearray


@dataclass
class Problem:
    """A framing error, already recovered from; ``oversized`` carries the
    declared length of a body skipped for being over the bound."""

    text: str
    oversized: int | None = None


class MessageFramer:
    """Content-Length framing with recovery. Feed it bytes, get events."""

    def __init__(self, max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES) -> None:
        self.max_message_bytes = max_message_bytes
        self._buf = bytearray()
        self._length: int | None = None  # reading a body of this size
        self._scanned = 0  # the body is searched for a header up to here
        self._skip_left = 0  # skipping an oversized body
        self._skip_tail = b""
        self._resync_from: int | None = None  # looking for the next header from here

    def feed(self, data: bytes) -> list[Body | Problem]:
        events: list[Body | Problem] = []
        if self._skip_left:
            data = self._skip(data, events)
        self._buf += data
        while self._step(events):
            pass
        return events

    # -- states ----------------------------------------------------------------

    def _step(self, events: list[Body | Problem]) -> bool:
        """Make progress on the buffer; False when more bytes are needed."""
        if self._skip_left:
            rest = bytes(self._buf)
            self._buf.clear()
            self._buf += self._skip(rest, events)
            return bool(self._buf) and not self._skip_left
        if self._resync_from is not None:
            return self._resync()
        if self._length is not None:
            return self._body(events)
        return self._headers(events)

    def _headers(self, events: list[Body | Problem]) -> bool:
        buf = self._buf
        lines_start = 0
        # Blank lines between messages are harmless.
        while buf.startswith(b"\n", lines_start) or buf.startswith(b"\r\n", lines_start):
            lines_start = buf.index(b"\n", lines_start) + 1
        if lines_start:
            del buf[:lines_start]
        lengths: set[bytes] = set()
        pos = 0
        while True:
            nl = buf.find(b"\n", pos, MAX_HEADER_BYTES)
            if nl < 0:
                if len(buf) >= MAX_HEADER_BYTES:
                    return self._lost(events, "a header section over 8 KiB without an end")
                return False
            line = bytes(buf[pos:nl]).rstrip(b"\r")
            if not line:
                end = nl + 1
                break
            name, sep, value = line.partition(b":")
            name = name.strip()
            if not sep or not _HEADER_NAME.fullmatch(name):
                return self._lost(events, f"a header line that is not a header ({line[:40]!r})")
            if name.lower() == b"content-length":
                lengths.add(value.strip())
            pos = nl + 1
        if not lengths:
            return self._lost(events, "a message without Content-Length")
        if len(lengths) > 1:
            return self._lost(events, f"conflicting Content-Length headers {sorted(lengths)}")
        value = lengths.pop()
        if not value.isdigit():
            return self._lost(events, f"Content-Length {value[:40]!r} is not a number")
        del buf[:end]
        # Past 19 digits it is over any bound; int() of thousands of digits is an error.
        length = int(value) if len(value) <= 19 else sys.maxsize
        if length > self.max_message_bytes:
            shown = f"{length} bytes" if length < sys.maxsize else f"{len(value)} digits"
            events.append(Problem(
                f"a message of {shown} is over the limit of {self.max_message_bytes} bytes "
                f"(--max-message-bytes, {MAX_MESSAGE_BYTES_ENV}); skipped", oversized=length))
            self._skip_left = length
            return True
        self._length = length
        self._scanned = 0
        return True

    def _body(self, events: list[Body | Problem]) -> bool:
        assert self._length is not None
        need = self._length
        buf = self._buf
        # A header starting inside the body means the length was too long: the
        # body ends there. Look a header line past the end to see one that the
        # over-long length cut in two.
        end = min(len(buf), need + _MAX_HEADER_LINE)
        cut = find_header(buf, self._scanned, end)
        self._scanned = end
        if 0 <= cut < need:
            events.append(Problem(f"Content-Length {need} is longer than the message: the next header "
                                  f"starts after {cut} bytes; taking the message to end there"))
            events.append(Body(buf[:cut]))
            del buf[:cut]
            self._length = None
            return True
        if len(buf) < need:
            return False
        if not _ends_an_object(buf, need) and len(buf) < need + _MAX_HEADER_LINE and buf.find(b"\n", need) < 0:
            # Not the end of a JSON object: the length may be a few bytes too
            # long and have cut the next header in two. Wait for that line.
            return False
        events.append(Body(buf[:need]))  # one copy: json reads a bytearray
        del buf[:need]
        self._length = None
        return True

    def _skip(self, data: bytes, events: list[Body | Problem]) -> bytes:
        """Drop an oversized body as it arrives; returns what follows it.
        Stops early at a header inside it: the length was a lie."""
        window = self._skip_tail + data
        body_end = len(self._skip_tail) + self._skip_left
        cut = find_header(window, 0, min(len(window), body_end + _MAX_HEADER_LINE))
        if 0 <= cut < body_end:
            events.append(Problem("the skipped message ended early; resynchronised on the next header"))
            self._skip_left = 0
            self._skip_tail = b""
            return window[cut:]
        taken = min(len(data), self._skip_left)
        self._skip_left -= taken
        self._skip_tail = window[: len(self._skip_tail) + taken][-_MAX_HEADER_LINE:] if self._skip_left else b""
        return data[taken:]

    def _lost(self, events: list[Body | Problem], what: str) -> bool:
        """Give up on the header section at the start of the buffer. The next
        header may be anywhere in it, even inside a line that looked like a
        header (the tail of a body cut short by a wrong length), so the search
        starts one byte in."""
        events.append(Problem(f"framing error: {what}; skipping to the next Content-Length header"))
        self._resync_from = 1
        return True

    def _resync(self) -> bool:
        assert self._resync_from is not None
        buf = self._buf
        start = min(self._resync_from, len(buf))
        found = find_header(buf, start, len(buf), floor=start)
        if found < 0:
            # Keep a tail that may be the start of a header cut in two.
            keep = max(start, len(buf) - _MAX_HEADER_LINE)
            del buf[:keep]
            self._resync_from = 0
            return False
        del buf[:found]
        self._resync_from = None
        return True


# -- the lifecycle -------------------------------------------------------------


class _Ignored:
    """A parsed message that ``handle_message`` drops: already answered."""

    jsonrpc = "ignored"


class MyCoderProtocol(LanguageServerProtocol):
    """pygls' protocol, plus the answers pygls does not give."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initialize_received = False
        # Set by ``exit``: the read loop stops and the process exits with it.
        self.exit_code: int | None = None

    def structure_message(self, data: dict[str, Any]) -> Any:
        if "jsonrpc" in data and data["jsonrpc"] != self.VERSION:
            msg_id = data.get("id")
            self.reply_error(msg_id if _usable_id(msg_id) else None, INVALID_REQUEST,
                             f"jsonrpc must be {self.VERSION!r}, not {data['jsonrpc']!r}"[:200])
            return _Ignored()
        if "jsonrpc" in data and "method" in data and "id" in data and not _usable_id(data["id"]):
            # LSP ids are integers or strings; one we cannot echo back is
            # answered with a null id, as JSON-RPC asks.
            self.reply_error(None, INVALID_REQUEST, "a request id must be an integer or a string")
            return _Ignored()
        if "jsonrpc" in data and "method" in data and "params" not in data:
            # JSON-RPC lets params be left out; pygls' generic message types need the key.
            data = {**data, "params": None}
        try:
            return super().structure_message(data)
        except JsonRpcException as exc:
            # pygls cannot answer a request whose params do not parse (the id
            # is lost with the exception), so the client would wait forever.
            if "id" in data and "method" in data:
                pygls_private.send_response(
                    self,
                    data["id"],
                    error=types.ResponseError(
                        code=exc.code, message=f"Invalid params for {str(data['method'])[:100]}: see the server log"
                    ),
                )
                return _Ignored()
            raise

    def reply_error(self, msg_id: Any, code: int, text: str) -> None:
        # By hand: lsprotocol leaves out ``"id": null``, which JSON-RPC requires.
        pygls_private.send_raw(self, {"jsonrpc": "2.0", "id": msg_id, "error": {"code": code, "message": text}})

    def handle_message(self, message: Any) -> None:
        if isinstance(message, _Ignored):
            return
        if getattr(message, "jsonrpc", None) != self.VERSION:
            # Not a JSON-RPC 2.0 message object (an array, a number, "1.0").
            msg_id = message.get("id") if isinstance(message, dict) else getattr(message, "id", None)
            self.reply_error(msg_id if _usable_id(msg_id) else None, INVALID_REQUEST,
                             "not a JSON-RPC 2.0 request object")
            return
        method = getattr(message, "method", None)
        if method == types.EXIT:
            shut_down = pygls_private.shutdown_received(self)
            self.exit_code = 0 if shut_down else 1
            log.info("exit received %s shutdown", "after" if shut_down else "without")
            return
        if isinstance(message, RPCRequest):
            refusal = self._refusal(str(method))
            if refusal is not None:
                self.reply_error(message.id, *refusal)
                return
            if method == types.INITIALIZE:
                self.initialize_received = True
        elif isinstance(message, RPCNotification):
            if not self.initialize_received or pygls_private.shutdown_received(self):
                log.debug("dropped %s: %s", method, "before initialize" if not self.initialize_received
                          else "after shutdown")
                return
        super().handle_message(message)

    def _refusal(self, method: str) -> tuple[int, str] | None:
        method = str(method)[:100]  # echoed back: a hostile name can be huge
        if pygls_private.shutdown_received(self):
            return INVALID_REQUEST, f"{method} after shutdown: the server is shutting down"
        if method == types.INITIALIZE:
            return (INVALID_REQUEST, "initialize was already received") if self.initialize_received else None
        if not self.initialize_received:
            return SERVER_NOT_INITIALIZED, f"{method} before initialize: the server is not initialized"
        return None


def _usable_id(value: Any) -> bool:
    return isinstance(value, (int, str)) and not isinstance(value, bool)


# -- the read loop ---------------------------------------------------------------


def max_message_bytes_from_env(environ: dict[str, str]) -> int:
    """The bound from ``MYCODER_MAX_MESSAGE_BYTES``; a bad value is logged and
    the default used, so the server still starts."""
    raw = environ.get(MAX_MESSAGE_BYTES_ENV, "").strip()
    if not raw:
        return DEFAULT_MAX_MESSAGE_BYTES
    if raw.isdigit() and int(raw) > 0:
        return int(raw)
    log.warning("%s=%r is not a positive number of bytes; using %d", MAX_MESSAGE_BYTES_ENV, raw,
                DEFAULT_MAX_MESSAGE_BYTES)
    return DEFAULT_MAX_MESSAGE_BYTES


def _handle_body(protocol: MyCoderProtocol, data: bytes | bytearray) -> None:
    try:
        message = json.loads(data, object_hook=protocol.structure_message)
    except (ValueError, RecursionError) as exc:
        # ValueError covers bad JSON and bad UTF-8.
        log.warning("a message that is not JSON (%s): %r", exc, bytes(data[:80]))
        protocol.reply_error(None, PARSE_ERROR, f"Parse error: {exc}"[:200])
        return
    except Exception as exc:
        log.exception("a message that could not be read")
        pygls_private.report_server_error(protocol, exc, JsonRpcException)
        return
    try:
        protocol.handle_message(message)
    except BrokenPipeError:
        raise  # the client is gone: ends the server
    except Exception as exc:
        log.exception("a message that could not be handled")
        pygls_private.report_server_error(protocol, exc, JsonRpcException)


async def read_loop(protocol: MyCoderProtocol, read: Callable[[], Awaitable[bytes]], max_message_bytes: int) -> None:
    """Read, frame and handle messages until ``exit`` or the end of input."""
    framer = MessageFramer(max_message_bytes)
    while protocol.exit_code is None:
        data = await read()
        if not data:
            log.info("the client closed the connection")
            return
        for event in framer.feed(data):
            if isinstance(event, Problem):
                log.warning("%s", event.text)
                # Before initialize the client may not be listening yet.
                if event.oversized is not None and protocol.initialize_received:
                    protocol.notify(types.WINDOW_SHOW_MESSAGE, types.ShowMessageParams(
                        type=types.MessageType.Warning,
                        message=f"MyCoder: a message from the editor was over the size limit and was ignored "
                                f"({event.text}). Raise --max-message-bytes if it was a document."))
                continue
            _handle_body(protocol, event.data)
            if protocol.exit_code is not None:
                return


class StdinChunks:
    """Chunks of stdin, read by a daemon thread.

    A daemon thread, not the server's thread pool: a blocked read must never
    keep the process alive after ``exit``. It reads the file descriptor, not
    the buffered file, whose lock a daemon thread would hold at interpreter
    shutdown (a fatal error). A bounded queue gives the pipe back-pressure."""

    def __init__(self, stdin: BinaryIO) -> None:
        self._fd = stdin.fileno()
        self._queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=8)
        self._loop = asyncio.get_running_loop()
        threading.Thread(target=self._pump, name="stdin-reader", daemon=True).start()

    def _pump(self) -> None:
        try:
            while True:
                try:
                    data = os.read(self._fd, _READ_CHUNK)
                except OSError:
                    data = b""
                asyncio.run_coroutine_threadsafe(self._queue.put(data), self._loop).result()
                if not data:
                    return
        except RuntimeError:
            return  # the loop is closed: the server is exiting

    async def read(self) -> bytes:
        return await self._queue.get()


def _exit_code(protocol: MyCoderProtocol) -> int:
    if protocol.exit_code is not None:
        return protocol.exit_code
    # The client went away without ``exit``: an orderly end only after shutdown.
    return 0 if pygls_private.shutdown_received(protocol) else 1


def serve_stdio(server: JsonRPCServer, max_message_bytes: int,
                stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> int:
    """Serve on stdin/stdout until ``exit`` or end of input; the exit code."""
    protocol = server.protocol
    assert isinstance(protocol, MyCoderProtocol)
    protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))

    async def main() -> None:
        chunks = StdinChunks(stdin or sys.stdin.buffer)
        await read_loop(protocol, chunks.read, max_message_bytes)

    try:
        asyncio.run(main())
    except BrokenPipeError:
        log.error("the connection to the client is lost; exiting")
    finally:
        server.shutdown()
    return _exit_code(protocol)


def serve_tcp(server: JsonRPCServer, host: str, port: int, max_message_bytes: int) -> int:
    """Serve the first client that connects to ``host:port``; the exit code."""
    protocol = server.protocol
    assert isinstance(protocol, MyCoderProtocol)

    async def main() -> None:
        done = asyncio.Event()

        async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            protocol.set_writer(writer)  # type: ignore[arg-type]
            try:
                await read_loop(protocol, lambda: reader.read(_READ_CHUNK), max_message_bytes)
            finally:
                # One client per server, as with pygls: its end is the server's.
                writer.close()
                done.set()

        tcp = await asyncio.start_server(connection, host, port)
        log.info("serving on %s", ", ".join(str(s.getsockname()) for s in tcp.sockets))
        async with tcp:
            await done.wait()

    try:
        asyncio.run(main())
    finally:
        server.shutdown()
    return _exit_code(protocol)
