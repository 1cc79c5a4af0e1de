"""Every feature's diagnostics, owned by the server and keyed by (source, URI).

Validation, a review and the cross-file check each set their own list for a
document under their own source name (``server.diagnostics.set(source, uri,
...)``); what reaches the client is all of them together, validation first.
One feature publishes (:class:`~mycoder_lsp.server.features.diagnostics.DiagnosticsFeature`,
push or pull): it listens here, so no feature reads another's state or calls
another to have its findings shown. The esbonio design
(``set_diagnostics``/``sync_diagnostics``).

Plain data and callbacks: no pygls, no I/O.
"""

from __future__ import annotations

from collections.abc import Callable

from lsprotocol import types

# The source name of the validation pipeline's own findings (Finding.source).
VALIDATION = "mycoder"

Listener = Callable[[str, str], None]


class DiagnosticsStore:
    def __init__(self) -> None:
        # uri -> source -> diagnostics; a URI's sources in the order first set.
        self._lists: dict[str, dict[str, list[types.Diagnostic]]] = {}
        self._listeners: list[Listener] = []

    def listen(self, listener: Listener) -> None:
        """Call ``listener(uri, source)`` after every :meth:`set`."""
        self._listeners.append(listener)

    @property
    def published(self) -> bool:
        """Whether anything publishes what is set here."""
        return bool(self._listeners)

    def set(self, source: str, uri: str, diagnostics: list[types.Diagnostic]) -> None:
        self._lists.setdefault(uri, {})[source] = list(diagnostics)
        for listener in list(self._listeners):
            listener(uri, source)

    def get(self, source: str, uri: str) -> list[types.Diagnostic] | None:
        return self._lists.get(uri, {}).get(source)

    def for_uri(self, uri: str) -> list[types.Diagnostic]:
        """Every source's diagnostics for ``uri``: validation's first, then the
        others in the order they were first set."""
        lists = self._lists.get(uri, {})
        first = lists.get(VALIDATION, [])
        return first + [d for source, found in lists.items() if source != VALIDATION for d in found]

    def clear(self, uri: str, *, keep: str | None = None) -> None:
        """Forget ``uri``'s diagnostics (all but source ``keep``'s). Quiet: the
        caller publishes what follows."""
        lists = self._lists.get(uri)
        if lists is None:
            return
        kept = {keep: lists[keep]} if keep is not None and keep in lists else {}
        if kept:
            self._lists[uri] = kept
        else:
            del self._lists[uri]

    def clear_source(self, source: str) -> None:
        """Forget one source's diagnostics for every document (quietly)."""
        for uri in list(self._lists):
            lists = self._lists[uri]
            lists.pop(source, None)
            if not lists:
                del self._lists[uri]
