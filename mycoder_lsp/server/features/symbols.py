"""The open documents' symbols, parsed once per content.

Hover and code actions both ask what the symbol under the cursor is; the
parse (:func:`mycoder_lsp.code.symbols.document_symbols`, in a thread) is
done once per text of a document and forgotten when it closes. Documents
over ``validation.max_file_size`` have no symbols: they are never parsed.
"""

from __future__ import annotations

from dataclasses import dataclass

from pygls.workspace import TextDocument

from mycoder_lsp.code.languages import language_of_document
from mycoder_lsp.code.symbols import Symbol, document_symbols
from mycoder_lsp.code.workspace import content_hash
from mycoder_lsp.server.app import MyCoderServer
from mycoder_lsp.server.feature import Feature
from mycoder_lsp.server.features.diagnostics import over_size_limit


@dataclass
class _Symbols:
    version: int | None
    digest: str
    symbols: list[Symbol]


class DocumentSymbols(Feature):
    def __init__(self, server: MyCoderServer) -> None:
        super().__init__(server)
        self._symbols: dict[str, _Symbols] = {}

    async def document_closed(self, uri: str) -> None:
        self._symbols.pop(uri, None)

    def open_document(self, uri: str) -> TextDocument | None:
        """Hover and code actions answer only for documents the editor has open."""
        return self.server.workspace.text_documents.get(uri)

    def too_large(self, doc: TextDocument) -> bool:
        """Over ``validation.max_file_size``: never parsed, like validation skips it (MC001)."""
        return over_size_limit(doc.source, self.server.settings.validation.max_file_size)

    def language(self, doc: TextDocument) -> str | None:
        return language_of_document(doc.language_id, self.server.path_of(doc.uri))

    async def of(self, doc: TextDocument) -> list[Symbol]:
        """The document's symbols, parsed once per content (in a thread)."""
        source = doc.source
        if over_size_limit(source, self.server.settings.validation.max_file_size):
            return []
        digest = content_hash(source)
        cached = self._symbols.get(doc.uri)
        if cached is not None and cached.digest == digest:
            return cached.symbols
        symbols = await self.server.run_in_thread(document_symbols, source, self.language(doc))
        self._symbols[doc.uri] = _Symbols(doc.version, digest, symbols)
        return symbols


def register(server: MyCoderServer) -> DocumentSymbols:
    return server.add_feature(DocumentSymbols(server))
