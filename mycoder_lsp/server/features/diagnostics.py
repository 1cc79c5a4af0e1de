"""Validation findings as LSP diagnostics, pushed or pulled.

Clients that support pull diagnostics (``textDocument/diagnostic``, VS Code)
are answered on request and told to refresh when something changes; the
others (Neovim 0.7–0.9) get ``publishDiagnostics`` on open, on save and after
a debounce on change, stamped with the document version they describe.
Other features (review findings, the cross-file check) set their own in the
server's store under their own source (:mod:`~mycoder_lsp.server.diagnostics_store`);
this feature publishes them all together, its own first.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
from collections import OrderedDict
from dataclasses import dataclass, field

from lsprotocol import types
from pygls.workspace import TextDocument
from pygls.workspace.position_codec import ServerTextPosition, ServerTextRange

from mycoder_lsp.code.languages import language_of_document
from mycoder_lsp.code.workspace import content_hash
from mycoder_lsp.server.app import MyCoderServer
from mycoder_lsp.server.diagnostics_store import VALIDATION
from mycoder_lsp.server.feature import Feature
from mycoder_lsp.validation.findings import FileResult, Finding, Severity
from mycoder_lsp.validation.incremental import DocumentParses
from mycoder_lsp.validation.pipeline import validate_text

log = logging.getLogger(__name__)


# Validating or closing a document at least this large hands freed memory back
# to the system (see trim_heap).
TRIM_AFTER_BYTES = 256 * 1024
# Open documents whose last tree is kept for incremental parsing (the ones being edited).
PARSES_KEPT = 8
# Earlier texts of a document whose findings are kept: an undo, a redo, an
# edit applied and taken back come back to one of them, and are not checked again.
VERSIONS_KEPT = 4


@dataclass
class _Cached:
    """One validation of a document: what it described, and the findings shown
    (as diagnostics they are in the server's store, source VALIDATION)."""

    version: int | None
    digest: str
    size: int = 0
    shown: list[Finding] = field(default_factory=list)


def to_diagnostic(doc: TextDocument, finding: Finding) -> types.Diagnostic:
    lines = doc.lines
    last = max(len(lines) - 1, 0)

    def clamp(line: int, column: int) -> ServerTextPosition:
        if line > last:
            line, column = last, len(lines[last].rstrip("\r\n")) if lines else 0
        line = max(line, 0)
        text = lines[line].rstrip("\r\n") if lines else ""
        return ServerTextPosition(line, min(max(column, 0), len(text)))

    start, end = clamp(finding.line, finding.column), clamp(finding.end_line, finding.end_column)
    if lines and lines[start.line].isascii() and lines[end.line].isascii():
        # One code unit per character in UTF-8 and UTF-16 alike: nothing to convert
        # (the conversion walks the line's characters, for every finding of every edit).
        rng = types.Range(start=types.Position(start.line, start.character),
                          end=types.Position(end.line, end.character))
    else:
        rng = doc.range_to_client_units(ServerTextRange(start, end))
    return types.Diagnostic(
        range=rng,
        message=finding.message,
        severity=types.DiagnosticSeverity(int(finding.severity)),
        code=finding.code,
        source=finding.source,
    )


def over_size_limit(source: str, limit: int) -> bool:
    """Is ``source`` over ``limit`` bytes of UTF-8 (``validation.max_file_size``)?
    Cheap where the answer is clear from its length: a hover on a 50 MB
    document must not encode it first."""
    if len(source) > limit:
        return True
    if len(source) * 4 <= limit:
        return False
    return len(source.encode("utf-8", "surrogatepass")) > limit


def validate_document(server: MyCoderServer, doc: TextDocument, parses: DocumentParses | None = None) -> FileResult:
    """Run the pipeline over an open document (called in a worker thread);
    ``parses``: the document's parse history, so an edit re-parses only
    the statements it touched."""
    path = server.path_of(doc.uri)
    source = doc.source
    language = language_of_document(doc.language_id, path)
    limit = server.settings.validation.max_file_size
    size = len(source.encode("utf-8", "surrogatepass"))
    if size > limit:
        return _skipped(path, language, f"{size:,} bytes is over the {limit:,}-byte limit "
                        "(setting validation.max_file_size)")
    if "\0" in source:
        return _skipped(path, language, "it looks like a binary file (it contains NUL characters)")
    try:
        result = validate_text(source, path=path, language=language, settings=server.settings,
                               workspace_root=server.root, parses=parses)
    except Exception as exc:  # noqa: BLE001 - a bug in one check must not lose this version's publish
        log.exception("validating %s failed", path)
        return _skipped(path, language, f"a check failed with an internal error ({type(exc).__name__}; "
                        "details in the server log)")
    if len(source) >= TRIM_AFTER_BYTES:
        trim_heap()  # the pipeline's temporaries for a large text are gone now: hand their memory back
    return result


def cap_findings(findings: list[Finding], limit: int) -> list[Finding]:
    """At most ``limit`` findings (0: all), the most severe first, then one
    MC002 that says how many were left out. An editor slows to a crawl on
    tens of thousands of diagnostics, and nobody reads past the first
    screenful; the errors must be among those shown."""
    if not limit or len(findings) <= limit:
        return findings
    # sorted() is stable: within a severity the findings keep their order in the file.
    kept = sorted(sorted(findings, key=lambda f: f.severity)[:limit], key=lambda f: (f.line, f.column, f.code))
    left = len(findings) - limit
    summary = Finding(
        "MC002", f"MyCoder shows {limit:,} of the {len(findings):,} findings in this file, the most severe first; "
        f"{left:,} more are not shown. Fix these, or raise the setting validation.max_diagnostics "
        "(0 shows them all).", Severity.INFORMATION, 0, 0, 0, 0)
    return [summary, *kept]


def _skipped(path: str, language: str | None, why: str) -> FileResult:
    finding = Finding("MC001", f"MyCoder skipped this file: {why}.", Severity.INFORMATION, 0, 0, 0, 0)
    return FileResult(path=path, language=language, findings=[finding], skipped=why)


class DiagnosticsFeature(Feature):
    def __init__(self, server: MyCoderServer) -> None:
        super().__init__(server)
        self._pending: dict[str, asyncio.Task[None]] = {}
        self._cache: dict[str, _Cached] = {}
        # Per open document, its last VERSIONS_KEPT validations by digest (the current one last).
        self._versions: dict[str, OrderedDict[str, _Cached]] = {}
        # Per recently validated open document: its last tree, so the next
        # edit parses only what it touched (a tree costs ~60 bytes per character).
        self._parses: dict[str, DocumentParses] = {}
        self.store = server.diagnostics
        self.store.listen(self._set_elsewhere)
        self.pull_mode = False
        # Bumped on every settings change, so a run that started under the
        # old settings never lands in the cache.
        self._generation = 0

    def client_known(self, params: types.InitializeParams) -> None:
        self.pull_mode = self.server.supports_pull_diagnostics
        if self.pull_mode:
            _register_pull(self.server, self)

    # -- hooks --------------------------------------------------------------

    async def document_opened(self, uri: str) -> None:
        await self._now(uri)

    async def document_saved(self, uri: str) -> None:
        await self._now(uri)

    async def document_changed(self, uri: str) -> None:
        # Other features' findings (a review) describe the text as it was;
        # their line numbers are wrong after an edit, so they go.
        self.store.clear(uri, keep=VALIDATION)
        self._cancel(uri)
        self._pending[uri] = self.server.spawn(self._debounced(uri), f"diagnostics:{uri}")

    async def document_closed(self, uri: str) -> None:
        self._cancel(uri)
        cached = self._cache.pop(uri, None)
        self._versions.pop(uri, None)
        self._parses.pop(uri, None)
        self.store.clear(uri)
        if not self.pull_mode:
            self.server.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
        if cached is not None and cached.size >= TRIM_AFTER_BYTES:
            await self.server.run_in_thread(trim_heap)

    async def settings_changed(self) -> None:
        self._generation += 1
        self._cache.clear()
        self._versions.clear()
        self.store.clear_source(VALIDATION)
        if self.pull_mode:
            self._refresh()
        else:
            for uri in list(self.server.workspace.text_documents):
                self.server.spawn(self._now(uri), f"diagnostics:{uri}")

    # -- other features' diagnostics ----------------------------------------

    def _set_elsewhere(self, uri: str, source: str) -> None:
        """Another source set its diagnostics for ``uri``: they go out with ours."""
        if source == VALIDATION:
            return  # our own, published by _validate_and_publish
        if self.pull_mode:
            self._refresh()
        else:
            cached = self._cache.get(uri)
            if cached is not None:
                self._publish(uri, cached)

    def last(self, uri: str) -> _Cached | None:
        """The last validation of ``uri`` that landed, if any."""
        return self._cache.get(uri)

    # -- work ---------------------------------------------------------------

    def _cancel(self, uri: str) -> None:
        task = self._pending.pop(uri, None)
        if task is not None and task is not asyncio.current_task():
            task.cancel()

    async def _debounced(self, uri: str) -> None:
        await asyncio.sleep(self.server.settings.validation.debounce_ms / 1000)
        self._pending.pop(uri, None)
        await self._validate_and_publish(uri)

    async def _now(self, uri: str) -> None:
        self._cancel(uri)
        await self._validate_and_publish(uri)

    async def _validate_and_publish(self, uri: str) -> None:
        if self.pull_mode:
            # The client asks when it wants them; tell it there is news.
            await self.compute(uri)
            self._refresh()
            return
        cached = await self.compute(uri)
        if cached is not None:
            self._publish(uri, cached)

    async def compute(self, uri: str) -> _Cached | None:
        """Diagnostics for the open document ``uri``, cached by content."""
        doc = self.server.workspace.text_documents.get(uri)
        if doc is None:
            return None
        version, source = doc.version, doc.source
        if over_size_limit(source, self.server.settings.validation.max_file_size):
            # Its diagnostics are one MC001: not worth hashing megabytes on the event loop.
            digest = f"too-large:{len(source)}"
        else:
            digest = content_hash(source)
        cached = self._cache.get(uri)
        if cached is not None and cached.digest == digest:
            cached.version = version
            return cached
        versions = self._versions.get(uri)
        earlier = versions.get(digest) if versions is not None else None
        if earlier is not None:
            # This text was checked a moment ago (an undo): its findings, placed in this version.
            earlier.version = version
            self._keep(uri, earlier)
            self.store.set(VALIDATION, uri, [to_diagnostic(doc, f) for f in earlier.shown])
            return earlier
        generation = self._generation
        parses = self._parses_of(uri)
        result = await self.server.run_in_thread(validate_document, self.server, doc, parses)
        current = self.server.workspace.text_documents.get(uri)
        if current is None or current.version != version or generation != self._generation:
            return None  # closed, edited or re-configured meanwhile: a newer run will publish
        findings = [f for f in result.findings if f.code not in self._ignored]
        shown = cap_findings(findings, self.server.settings.validation.max_diagnostics)
        cached = _Cached(version, digest, size=len(source), shown=shown)
        self._keep(uri, cached)
        self.store.set(VALIDATION, uri, [to_diagnostic(doc, f) for f in shown])
        return cached

    def _keep(self, uri: str, cached: _Cached) -> None:
        """``cached`` is ``uri``'s current validation, and the newest of its kept versions."""
        self._cache[uri] = cached
        versions = self._versions.setdefault(uri, OrderedDict())
        versions.pop(cached.digest, None)
        versions[cached.digest] = cached
        while len(versions) > VERSIONS_KEPT:
            versions.popitem(last=False)

    def _parses_of(self, uri: str) -> DocumentParses:
        """``uri``'s parse history, kept for the :data:`PARSES_KEPT` documents validated last."""
        parses = self._parses.pop(uri, None) or DocumentParses()
        self._parses[uri] = parses
        while len(self._parses) > PARSES_KEPT:
            del self._parses[next(iter(self._parses))]
        return parses

    @property
    def _ignored(self) -> set[str]:
        return set(self.server.settings.validation.ignore)

    def _publish(self, uri: str, cached: _Cached) -> None:
        self.server.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=self.store.for_uri(uri), version=cached.version)
        )

    def _refresh(self) -> None:
        self.server.workspace_diagnostic_refresh(None)


def trim_heap() -> None:
    """Give freed heap back to the system (glibc ``malloc_trim``).

    Validating a large document allocates hundreds of megabytes in worker
    threads; glibc keeps what was freed in per-thread arenas, so without this
    the server's memory grows with every large document opened and closed
    (bench/bench_memory.py). A no-op where there is no glibc.
    """
    try:
        trim = getattr(ctypes.CDLL(None), "malloc_trim", None)  # the C library the process runs on
    except (OSError, TypeError):
        trim = None
    if trim is not None:
        trim(0)


def register(server: MyCoderServer) -> None:
    server.add_feature(DiagnosticsFeature(server))


def _register_pull(server: MyCoderServer, feature: DiagnosticsFeature) -> None:
    """Advertised only to clients in pull mode, so no client gets both."""

    @server.feature(
        types.TEXT_DOCUMENT_DIAGNOSTIC,
        types.DiagnosticOptions(identifier="mycoder", inter_file_dependencies=False, workspace_diagnostics=False),
    )
    async def pull(ls: MyCoderServer, params: types.DocumentDiagnosticParams) -> types.DocumentDiagnosticReport:
        uri = params.text_document.uri
        # A pull right after initialize must not race the user's settings
        # arriving (a run under the defaults is dropped when they do).
        await ls.wait_ready()
        if uri not in ls.workspace.text_documents:
            return types.RelatedFullDocumentDiagnosticReport(items=[])
        cached = await feature.compute(uri)
        if cached is None:  # edited or re-configured while we worked: once more, then what we have
            cached = await feature.compute(uri) or feature.last(uri)
        items = ls.diagnostics.for_uri(uri)
        result_id = f"{cached.digest if cached else 'none'}:{len(items)}:{hash(tuple(d.message for d in items))}"
        if params.previous_result_id == result_id:
            return types.RelatedUnchangedDocumentDiagnosticReport(result_id=result_id)
        return types.RelatedFullDocumentDiagnosticReport(items=items, result_id=result_id)
