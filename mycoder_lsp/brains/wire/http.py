"""How we reach a model server at all: the egress rule, the one HTTP client
factory, and the error types every model call raises.

Nothing here leaves loopback unless the host is allowed by name in
``brains.allowed_hosts``: ``localhost`` and ``*.localhost`` are connected to
the loopback address directly, without asking a resolver, any other name is
refused before it is resolved, and redirects are never followed.

This module must not know any wire protocol: :mod:`.ollama` and
:mod:`.openai` speak them over the clients made here.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

import httpx

from mycoder_lsp.errors import UserError


class BrainError(UserError):
    """A model call failed; the message says what the user can do about it."""


class ServerFault(BrainError):
    """The server failed, not the request: no connection, a connection that
    broke, HTTP 503. Another server of a pool may answer the same request
    (:mod:`mycoder_lsp.brains.pool`)."""


# -- where we may send data -------------------------------------------------


def _host_of(url: str) -> str:
    # Parsed by httpx, the parser that the connection uses, so the host
    # checked is the host connected to.
    try:
        parts = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        raise BrainError(f"The LLM endpoint {url!r} is not a valid URL.") from None
    if parts.scheme not in ("http", "https") or not parts.host:
        raise BrainError(f"The LLM endpoint {url!r} is not an http(s) URL, e.g. http://127.0.0.1:11434.")
    return parts.host.lower()


def is_localhost_name(host: str) -> bool:
    """``localhost`` or a name under it: loopback by definition (RFC 6761)."""
    name = host.lower().removesuffix(".")
    return name == "localhost" or name.endswith(".localhost")


def is_loopback(host: str) -> bool:
    """Loopback without asking a resolver: an IP literal, or a localhost name
    (which :func:`new_client` connects to 127.0.0.1 itself)."""
    if is_localhost_name(host):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_endpoint(url: str | Sequence[str], allowed_hosts: Iterable[str], *, what: str = "LLM endpoint") -> None:
    """Refuse a non-loopback endpoint unless its host is allowed by name; a
    list (a brain's pool) is refused when any of its servers is."""
    if not isinstance(url, str):
        allowed = list(allowed_hosts)
        if not url:
            raise BrainError(f"The {what} names no server: set its url.")
        for one in url:
            check_endpoint(one, allowed, what=what)
        return
    host = _host_of(url)
    if is_loopback(host):
        return
    if host in {h.strip().lower() for h in allowed_hosts}:
        return
    raise BrainError(
        f"The {what} {url} is not on this machine, so MyCoder will not send your code there. "
        f"If you trust that server, add \"{host}\" to brains.allowed_hosts in your settings."
    )


# -- the client ---------------------------------------------------------------


class _LocalhostTransport(httpx.AsyncBaseTransport):
    """Sends requests for ``localhost`` and ``*.localhost`` to the loopback
    address itself (RFC 6761), so such a name never reaches a resolver, which
    could answer with another host (or learn what we are about to send).
    127.0.0.1 first, then ::1 for a server that listens on IPv6 only."""

    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        name = request.url.host
        if not is_localhost_name(name):
            return await self._inner.handle_async_request(request)
        # The Host header keeps the name; TLS checks the certificate against it.
        request.extensions = {**request.extensions, "sni_hostname": name}
        original = request.url
        try:
            request.url = original.copy_with(host="127.0.0.1")
            return await self._inner.handle_async_request(request)
        except httpx.ConnectError:
            request.url = original.copy_with(host="::1")
            return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


def new_client() -> httpx.AsyncClient:
    """An HTTP client for model servers. Environment proxies are ignored on
    purpose: a proxy would carry the user's code off the machine; so are
    redirects: one to another host would too."""
    return httpx.AsyncClient(transport=_LocalhostTransport(), trust_env=False, follow_redirects=False,
                             timeout=request_timeout(120.0))


def request_timeout(total: float) -> httpx.Timeout:
    """``total`` seconds for a request, of which at most 5 to connect."""
    # Connecting to a local server is instant or impossible; reading may wait
    # for a model to load, which the overall deadline of a call bounds.
    return httpx.Timeout(total, connect=min(5.0, total))


__all__ = ["BrainError", "ServerFault", "check_endpoint", "is_localhost_name", "is_loopback", "new_client",
           "request_timeout"]
