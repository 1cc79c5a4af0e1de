"""The server's diagnostics store: lists keyed by (source, URI), validation's first."""

from __future__ import annotations

from lsprotocol import types

from mycoder_lsp.server.diagnostics_store import VALIDATION, DiagnosticsStore


def diagnostic(message: str) -> types.Diagnostic:
    origin = types.Position(line=0, character=0)
    return types.Diagnostic(range=types.Range(start=origin, end=origin), message=message)


def messages(found: list[types.Diagnostic]) -> list[str]:
    return [d.message for d in found]


def test_sources_are_kept_apart_and_validation_comes_first() -> None:
    store = DiagnosticsStore()
    heard: list[tuple[str, str]] = []
    assert not store.published
    store.listen(lambda uri, source: heard.append((uri, source)))
    assert store.published
    store.set("review", "file:///a.py", [diagnostic("r1")])
    store.set(VALIDATION, "file:///a.py", [diagnostic("v1"), diagnostic("v2")])
    store.set("cross-file", "file:///a.py", [diagnostic("c1")])
    store.set(VALIDATION, "file:///b.py", [diagnostic("b1")])
    assert messages(store.for_uri("file:///a.py")) == ["v1", "v2", "r1", "c1"]
    assert heard == [("file:///a.py", "review"), ("file:///a.py", VALIDATION), ("file:///a.py", "cross-file"),
                     ("file:///b.py", VALIDATION)]
    # A source replaces only its own list.
    store.set("review", "file:///a.py", [])
    assert messages(store.for_uri("file:///a.py")) == ["v1", "v2", "c1"]
    assert store.get("review", "file:///a.py") == [] and store.get("review", "file:///b.py") is None


def test_clearing() -> None:
    store = DiagnosticsStore()
    for uri in ("file:///a.py", "file:///b.py"):
        store.set(VALIDATION, uri, [diagnostic(f"v {uri}")])
        store.set("review", uri, [diagnostic(f"r {uri}")])
    store.clear("file:///a.py", keep=VALIDATION)  # an edit: other sources' lines are stale
    assert messages(store.for_uri("file:///a.py")) == ["v file:///a.py"]
    store.clear_source(VALIDATION)  # settings changed: validation runs again
    assert store.for_uri("file:///a.py") == [] and messages(store.for_uri("file:///b.py")) == ["r file:///b.py"]
    store.clear("file:///b.py")  # closed
    assert store.for_uri("file:///b.py") == []
    store.clear("file:///never.py")
