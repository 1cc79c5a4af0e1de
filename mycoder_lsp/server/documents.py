"""The server's open documents: found by any spelling of their URI, split
into lines the way the editor splits them.

Editors percent-encode URIs (``file:///p/my%20file.py``, ``caf%C3%A9.py``,
``c%3A`` for a drive letter) and pygls keeps documents under the *decoded*
URI, so a lookup with the URI from a request missed and the document got no
diagnostics, hover or code actions. :class:`DocumentMap` keys documents by
:func:`normalize_uri` for every lookup, whoever makes it, while iterating
and ``TextDocument.uri`` keep the client's own spelling, the one that
published diagnostics must carry.

pygls splits a document with ``str.splitlines()``, which also breaks at form
feeds and U+2028: incremental changes then land on the wrong line and the
server's copy silently diverges from the editor's. :class:`LspTextDocument`
uses LSP lines (:mod:`mycoder_lsp.text`) for sync and positions.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, MutableMapping, Sequence
from typing import Any
from urllib.parse import unquote

from lsprotocol import types
from pygls.workspace import TextDocument, Workspace

from mycoder_lsp.server import pygls_private
from mycoder_lsp.text import split_lines

_DRIVE = re.compile(r"^(/*)([A-Za-z]):")


def normalize_uri(uri: str) -> str:
    """One key for every spelling of a URI: decoded, scheme and Windows
    drive letter lower-cased (VS Code sends ``file:///c%3A/...``, Neovim
    ``file:///C:/...``)."""
    scheme, sep, rest = uri.partition(":")
    if not sep or not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", scheme):
        return unquote(uri)
    rest = unquote(rest)
    scheme = scheme.lower()
    if scheme == "file":
        rest = _DRIVE.sub(lambda m: m.group(1) + m.group(2).lower() + ":", rest, count=1)
    return f"{scheme}:{rest}"


class DocumentMap(MutableMapping[str, TextDocument]):
    """Open documents by URI, however the URI is spelled."""

    def __init__(self) -> None:
        self._docs: dict[str, TextDocument] = {}

    def __getitem__(self, uri: str) -> TextDocument:
        return self._docs[normalize_uri(uri)]

    def __setitem__(self, uri: str, doc: TextDocument) -> None:
        self._docs[normalize_uri(uri)] = doc

    def __delitem__(self, uri: str) -> None:
        del self._docs[normalize_uri(uri)]

    def __contains__(self, uri: object) -> bool:
        return isinstance(uri, str) and normalize_uri(uri) in self._docs

    def __iter__(self) -> Iterator[str]:
        # The client's spelling: what a publishDiagnostics must carry.
        return iter([doc.uri for doc in self._docs.values()])

    def __len__(self) -> int:
        return len(self._docs)


class LspTextDocument(TextDocument):
    """A pygls document whose lines end at ``\\n``, ``\\r\\n`` and ``\\r`` only."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lines_source: str | None = None
        self._lines: tuple[str, ...] = ()

    @property
    def lines(self) -> Sequence[str]:
        source = self.source
        # Positions are converted many times per request; split once per text.
        if source is not self._lines_source:
            self._lines = tuple(split_lines(source, keepends=True))
            self._lines_source = source
        return self._lines


class LspWorkspace(Workspace):
    """pygls' workspace with :class:`DocumentMap` and :class:`LspTextDocument`.

    pygls un-quotes URIs before its own lookups; here the map does all the
    normalising, once, so a name with a literal ``%`` still matches."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._text_documents: DocumentMap = DocumentMap()  # type: ignore[assignment]

    @classmethod
    def replacing(cls, workspace: Workspace) -> LspWorkspace:
        """A fresh one with ``workspace``'s root, folders and encodings (made
        at ``initialize``, before any document is open)."""
        new = cls(
            workspace.root_uri,
            pygls_private.sync_kind(workspace),
            list(workspace.folders.values()),
            workspace.position_encoding,
        )
        for uri, doc in workspace.text_documents.items():
            new._text_documents[uri] = doc
        return new

    def _create_text_document(
        self,
        doc_uri: str,
        source: str | None = None,
        version: int | None = None,
        language_id: str | None = None,
    ) -> TextDocument:
        return LspTextDocument(
            doc_uri,
            source=source,
            version=version,
            language_id=language_id,
            sync_kind=self._sync_kind,
            position_codec=self.position_codec,
        )

    def detached_document(self, doc_uri: str, source: str) -> TextDocument:
        """A document with this workspace's line rules for a file no editor
        holds (a command on a closed file); it is not added to the workspace."""
        return self._create_text_document(doc_uri, source=source)

    def get_text_document(self, doc_uri: str) -> TextDocument:
        return self._text_documents.get(doc_uri) or self._create_text_document(doc_uri)

    def put_text_document(self, text_document: types.TextDocumentItem, notebook_uri: str | None = None) -> None:
        uri = text_document.uri
        self._text_documents[uri] = self._create_text_document(
            uri, source=text_document.text, version=text_document.version, language_id=text_document.language_id
        )
        if notebook_uri:
            self._cell_in_notebook[uri] = notebook_uri

    def remove_text_document(self, doc_uri: str) -> None:
        self._text_documents.pop(doc_uri, None)
        self._cell_in_notebook.pop(doc_uri, None)

    def update_text_document(
        self, text_doc: types.VersionedTextDocumentIdentifier, change: types.TextDocumentContentChangeEvent
    ) -> None:
        doc = self._text_documents.get(text_doc.uri)
        if doc is None:
            return  # a change to a document that was never opened: nothing to update
        doc.apply_change(change)
        doc.version = text_doc.version


__all__ = ["DocumentMap", "LspTextDocument", "LspWorkspace", "normalize_uri"]
