"""Trace (and fence) every connection a Python process makes, for egress tests.

:func:`trace_env` returns the environment for a subprocess (the language
server, a CLI run) that puts a ``sitecustomize`` on its ``PYTHONPATH``. That
hook wraps ``socket.getaddrinfo``, ``socket.socket.connect`` and
``connect_ex`` (``socket.create_connection`` and asyncio go through them) and
appends one JSON line per call to a file. It also refuses what a test must
never cause: a connection to anything but loopback, and a resolver query for
any name (an IP literal is fine). Refused calls are recorded with
``"blocked": true`` and fail as a network error would, so a regression shows
in the trace instead of sending traffic off the machine.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SITECUSTOMIZE = r'''
"""Written by tests/support/connect_trace.py: record and fence connect()."""
import errno
import ipaddress
import json
import os
import socket
import threading

_LOG = os.environ["MYCODER_CONNECT_TRACE"]
_LOCK = threading.Lock()


def _record(kind, target, blocked):
    line = json.dumps({"kind": kind, "target": target, "blocked": blocked, "pid": os.getpid()})
    with _LOCK, open(_LOG, "a", encoding="utf-8") as fh:
        fh.write(line + "\n")


def _literal(host):
    try:
        return ipaddress.ip_address(str(host).split("%", 1)[0])
    except ValueError:
        return None


def _local(address):
    if isinstance(address, (str, bytes)):  # AF_UNIX
        return True
    ip = _literal(address[0]) if isinstance(address, tuple) and address else None
    return ip is not None and ip.is_loopback


_real_getaddrinfo = socket.getaddrinfo


def getaddrinfo(host, *args, **kwargs):
    name = host.decode() if isinstance(host, bytes) else host
    blocked = name is not None and _literal(name) is None
    _record("getaddrinfo", name, blocked)
    if blocked:
        raise socket.gaierror(socket.EAI_NONAME, "name lookups are refused by the test's connect trace")
    return _real_getaddrinfo(host, *args, **kwargs)


def _wrap(method):
    def connect(self, address):
        target = address if isinstance(address, (str, bytes)) else list(address[:2])
        blocked = not _local(address)
        _record(method.__name__, target, blocked)
        if blocked:
            raise OSError(errno.ENETUNREACH, "connections off loopback are refused by the test's connect trace")
        return method(self, address)
    return connect


socket.getaddrinfo = getaddrinfo
socket.socket.connect = _wrap(socket.socket.connect)
socket.socket.connect_ex = _wrap(socket.socket.connect_ex)
'''


@dataclass(frozen=True)
class Traced:
    """One recorded call: ``getaddrinfo`` (target: the name) or ``connect``
    / ``connect_ex`` (target: [host, port], or a socket path)."""

    kind: str
    target: Any
    blocked: bool
    pid: int

    @property
    def host(self) -> str | None:
        if self.kind == "getaddrinfo":
            return self.target
        return self.target[0] if isinstance(self.target, list) else None

    @property
    def on_loopback(self) -> bool:
        if self.kind != "getaddrinfo" and not isinstance(self.target, list):
            return True  # a Unix socket
        try:
            return self.host is None or ipaddress.ip_address(self.host.split("%", 1)[0]).is_loopback
        except ValueError:
            return False  # a name: never loopback to this trace


def trace_env(folder: Path) -> tuple[dict[str, str], Path]:
    """The environment for a traced subprocess, and the trace file it writes."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    log = folder / "connections.jsonl"
    log.touch()
    return {"PYTHONPATH": str(folder), "MYCODER_CONNECT_TRACE": str(log)}, log


def read_trace(log: Path) -> list[Traced]:
    return [Traced(**json.loads(line)) for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]
