"""The vault in the editor: index in the background, follow saves and file
operations, answer ``workspace/symbol`` and the ``mycoder.*`` vault commands,
hand the request flow its context, and record accepted edits. The commands'
arguments are typed records (:mod:`mycoder_lsp.server.arguments`).

Glue only: every decision lives in :mod:`mycoder_lsp.memory`; blocking work
goes through ``server.run_in_thread``, long work through ``server.spawn``.
Handlers answer at once while the vault is still opening (an empty answer, or
a message that says to wait), never block the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.uris import from_fs_path

from mycoder_lsp.brains.context import AcceptedEdit
from mycoder_lsp.code.workspace import read_source
from mycoder_lsp.errors import UserError
from mycoder_lsp.server.app import MyCoderServer
from mycoder_lsp.server.arguments import (
    FeatureCreateArguments,
    FeatureIdArguments,
    PatternsArguments,
    SearchArguments,
    vault_arguments,
)
from mycoder_lsp.server.feature import Feature

if TYPE_CHECKING:
    # The vault (numpy, SQLite, the embedder) is imported by the thread that opens it,
    # after start-up: the first diagnostics do not wait for it.
    from mycoder_lsp.memory.vault import SearchResult, Vault

log = logging.getLogger(__name__)

# A vault command's body: the open vault and its structured arguments (see register).
VaultCommand = Callable[[Any, Any], Awaitable[Any]]

PROGRESS_EVERY = 0.25  # seconds between $/progress reports

_KINDS = {
    "function": types.SymbolKind.Function,
    "method": types.SymbolKind.Method,
    "class": types.SymbolKind.Class,
    "interface": types.SymbolKind.Interface,
    "type": types.SymbolKind.TypeParameter,
    "enum": types.SymbolKind.Enum,
    "trait": types.SymbolKind.Interface,
    "impl": types.SymbolKind.Class,
    "module": types.SymbolKind.Module,
    "macro": types.SymbolKind.Function,
}


def _normalised(code: str) -> str:
    return "\n".join(line.rstrip() for line in code.strip().splitlines())


class VaultFeature(Feature):
    def __init__(self, server: MyCoderServer) -> None:
        super().__init__(server)
        self.vault: Vault | None = None
        self.ready = asyncio.Event()
        self.indexing: asyncio.Task[Any] | None = None
        # uri -> edits applied but not yet confirmed by a save (see edit_applied).
        self.pending: dict[str, list[AcceptedEdit]] = {}
        # Why there is no vault (its location is unsafe), for the commands that need one.
        self.refused: str | None = None
        self.cap_shown = False  # the "not a project" message is shown once, logged each time
        # The embedding failure last shown: the same one is not shown again at every index.
        self.embed_error_shown: str | None = None
        self.embedder_refused: str | None = None  # why the configured embedder could not be made
        # A reader of a shared vault overlays its unsaved buffers: one task per document at a
        # time, taking the newest text when it starts again (no work queued per keystroke).
        self.buffer_tasks: dict[str, asyncio.Task[Any]] = {}
        self.buffers_dirty: set[str] = set()

    # -- lifecycle ---------------------------------------------------------------

    async def initialized(self) -> None:
        if not self.server.settings.vault.enabled or self.server.session is None:
            return
        self.server.spawn(self._open(), "vault-open")
        self.server.spawn(self._register_watchers(), "vault-watchers")

    async def _open(self) -> None:
        server = self.server
        try:
            vault = await server.run_in_thread(self._open_blocking)
        except UserError as exc:
            # VaultRefused (VaultBusy, a PostgreSQL vault's errors): a hostile or odd
            # workspace, a locked file. Diagnostics and the brains work on, without a vault.
            self.refused = str(exc)
            log.warning("%s", exc)
            server.show_message(str(exc), types.MessageType.Warning)
            return
        finally:
            self.ready.set()
        self.vault = vault
        server.context_provider = vault
        if vault.notice:
            server.show_message(vault.notice, types.MessageType.Warning)
        if self.embedder_refused:
            self._show_embed_error(self.embedder_refused)
        if server.settings.vault.index_on_start:
            self.indexing = server.spawn(self.index(), "vault-index")

    def _open_blocking(self) -> Vault:
        from mycoder_lsp.memory.embedders import make_embedder_or_stand_in

        session = self.server.session
        assert session is not None  # initialized() checked
        # Refused embedder settings must not cost the vault: it opens and is searched by words.
        embedder, why = make_embedder_or_stand_in(self.server.settings)
        if why:
            log.warning("%s", why)
            self.embedder_refused = why
        # The vault the CLI's entry points open for this folder (workspace_session.py);
        # "create": opened or made, VaultRefused where its location is unsafe.
        vault = session.open_vault("create", embedder=embedder, run_in_thread=self.server.run_in_thread)
        assert vault is not None
        return vault

    def _show_embed_error(self, error: str) -> None:
        if error == self.embed_error_shown:
            return
        self.embed_error_shown = error
        self.server.show_message(f"The vault is indexed for words only: {error} "
                                 "Search still works; vectors are added at the next index.",
                                 types.MessageType.Warning)

    async def index(self) -> dict[str, Any]:
        """Index what changed, with ``$/progress`` when the client supports it."""
        vault = await self._vault()
        token: str | None = None
        server = self.server
        if server.supports_work_done_progress:
            token = f"mycoder-index-{uuid.uuid4().hex[:8]}"
            try:
                await asyncio.wait_for(server.window_work_done_progress_create_async(
                    types.WorkDoneProgressCreateParams(token=token)), 10)
                server.work_done_progress.begin(token, types.WorkDoneProgressBegin(
                    title="MyCoder: indexing", message="scanning the workspace", percentage=0))
            except Exception:  # noqa: BLE001 - no progress bar is no reason not to index
                log.info("the client refused a progress token; indexing without one", exc_info=True)
                token = None
        last = 0.0

        def progress(done: int, total: int, path: str) -> None:
            nonlocal last
            now = time.monotonic()
            if token is None or (now - last < PROGRESS_EVERY and done < total):
                return
            last = now
            pct = int(100 * done / total) if total else 100
            server.work_done_progress.report(token, types.WorkDoneProgressReport(
                message=f"{done}/{total} files" + (f" ({path})" if path else ""), percentage=pct))

        try:
            report = await vault.index(progress, wait=False)
        except BaseException:
            if token:
                server.work_done_progress.end(token, types.WorkDoneProgressEnd(message="indexing failed"))
            raise
        if token:
            message = (f"{report.files} files, {report.chunks} chunks"
                       + (f", {report.embedded} embedded" if report.embedded else "")
                       + (" (another MyCoder is indexing; reading its vault)" if report.skipped_locked else ""))
            server.work_done_progress.end(token, types.WorkDoneProgressEnd(message=message))
        log.info("vault indexed: %s", report.to_json())
        if report.notice and not self.cap_shown:
            self.cap_shown = True
            server.show_message(report.notice, types.MessageType.Warning)
        if report.embed_error:
            log.warning("the vault is indexed for words only: %s", report.embed_error)
            self._show_embed_error(report.embed_error)
        elif report.embedded:
            self.embed_error_shown = None  # embedding works again: a new failure is news
        await server.run_in_thread(vault.warm)
        return {**report.to_json(), "embed_error": report.embed_error}

    async def _vault(self) -> Vault:
        await self.ready.wait()
        if self.vault is None:
            raise UserError(self.refused or "The vault could not be opened; see the log for why.")
        return self.vault

    async def _register_watchers(self) -> None:
        ws = self.server.client_capabilities.workspace
        watched = ws.did_change_watched_files if ws else None
        if not (watched and watched.dynamic_registration):
            return
        options = types.DidChangeWatchedFilesRegistrationOptions(
            watchers=[types.FileSystemWatcher(glob_pattern="**/*")])
        try:
            await asyncio.wait_for(self.server.client_register_capability_async(types.RegistrationParams(
                registrations=[types.Registration(id=f"mycoder-watch-{uuid.uuid4().hex[:8]}",
                                                  method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                                                  register_options=options)])), 10)
        except Exception as exc:  # noqa: BLE001 - saves and file operations still re-index
            log.info("the client refused file watching (%s); following saves and file operations only", exc)

    async def shutdown(self) -> None:
        if self.vault is not None:
            vault, self.vault = self.vault, None
            if self.server.context_provider is vault:
                self.server.context_provider = None
            session = self.server.session
            await self.server.run_in_thread(session.close if session is not None and session.vault is vault
                                            else vault.close)

    # -- documents ---------------------------------------------------------------

    async def document_changed(self, uri: str) -> None:
        if self.vault is None or self.vault.overlay is None:
            return
        self.buffers_dirty.add(uri)
        task = self.buffer_tasks.get(uri)
        if task is None or task.done():
            self.buffer_tasks[uri] = self.server.spawn(self._overlay_buffer(uri), "vault-buffer")

    async def _overlay_buffer(self, uri: str) -> None:
        while uri in self.buffers_dirty and self.vault is not None:
            self.buffers_dirty.discard(uri)
            doc = self.server.workspace.text_documents.get(uri)
            if doc is None:
                return
            await self.vault.overlay_buffer(self.server.path_of(uri), doc.source)

    async def buffers_settled(self) -> None:
        """Wait (a little) for buffers being overlaid, so a search sees what the user typed."""
        pending = [t for t in self.buffer_tasks.values() if not t.done()]
        if pending:
            await asyncio.wait(pending, timeout=5)

    async def document_closed(self, uri: str) -> None:
        vault = self.vault
        if vault is None or vault.overlay is None:
            return
        self.buffers_dirty.discard(uri)
        task = self.buffer_tasks.pop(uri, None)
        if task is not None and not task.done():
            await asyncio.wait([task], timeout=5)
        await vault.buffer_closed(self.server.path_of(uri))

    async def document_saved(self, uri: str) -> None:
        if self.vault is None:
            return
        path = self.server.path_of(uri)
        await self._confirm_pending(uri)
        await self.vault.reindex_file(path)

    async def edit_applied(self, edit: AcceptedEdit) -> None:
        """Remember the edit; it becomes a pattern only if still there at the next save."""
        self.pending.setdefault(edit.uri, []).append(edit)
        vault = self.vault
        if vault is not None:
            current = await self.server.run_in_thread(vault.session.prompt_scratchpad)
            if current is not None:
                await self.server.run_in_thread(lambda: vault.session.update_scratchpad(
                    current.id, code_to_propose=edit.new_code, target_symbol=edit.target or "",
                    user_instruction=edit.instruction))

    async def _confirm_pending(self, uri: str) -> None:
        edits = self.pending.pop(uri, [])
        vault = self.vault
        if not edits or vault is None:
            return
        # The open document is in memory; a closed one is read from disk below, in a thread.
        doc = self.server.workspace.text_documents.get(uri)
        text = doc.source if doc is not None else ""
        if not text:
            read = (await self.server.run_in_thread(
                read_source, self.server.path_of(uri), self.server.settings.validation.max_file_size)).text
            if read is None:
                return  # gone, grown past the size limit or not text: nothing learned
            text = read
        saved = _normalised(text)
        for edit in edits:
            if not edit.new_code.strip() or _normalised(edit.new_code) not in saved:
                log.info("edit of %s was undone or changed before saving: not learned", edit.target)
                continue
            await self.server.run_in_thread(lambda e=edit: vault.record_pattern(
                signature=e.signature, user_intent=e.instruction or e.intent, old_code=e.old_code,
                new_code=e.new_code, confidence=e.confidence, path=vault.indexable(e.path) or e.path,
                target=e.target or ""))

    async def files_deleted(self, paths: list[str]) -> None:
        vault = await self._vault()
        for path in paths:
            await self.server.run_in_thread(vault.remove_file, path)

    async def files_changed(self, paths: list[str]) -> None:
        vault = await self._vault()
        for path in paths:
            await vault.reindex_file(path)

    # -- answers -----------------------------------------------------------------

    def result_json(self, result: SearchResult) -> dict[str, Any]:
        assert self.vault is not None
        data = result.to_json()
        data["uri"] = from_fs_path(str(self.vault.root / result.path))
        return data


def register(server: MyCoderServer) -> None:
    feature = VaultFeature(server)
    server.add_feature(feature)

    async def vault_or_error(command: str) -> Vault:
        if not server.settings.vault.enabled:
            raise UserError("The vault is turned off (vault.enabled = false).")
        if server.root is None:
            raise UserError(f"{command} needs a workspace folder: open a folder, not a single file.")
        return await feature._vault()

    @server.feature(types.WORKSPACE_SYMBOL)
    async def workspace_symbol(ls: MyCoderServer, params: types.WorkspaceSymbolParams) -> list[types.SymbolInformation]:
        vault = feature.vault
        if vault is None:
            return []
        found = await ls.run_in_thread(vault.symbols, params.query, 200)
        out = []
        for r in found:
            container, _, short = r.name.rpartition(".")
            out.append(types.SymbolInformation(
                name=short or r.name,
                kind=_KINDS.get(r.kind, types.SymbolKind.Variable),
                location=types.Location(
                    uri=from_fs_path(str(vault.root / r.path)) or "",
                    range=types.Range(start=types.Position(line=r.start_line - 1, character=0),
                                      end=types.Position(line=r.end_line, character=0))),
                container_name=container or None,
            ))
        return out

    def vault_command(name: str, arguments: type[Any] | None = None) -> Callable[[VaultCommand], VaultCommand]:
        """Register command ``name``: its one object argument structured as the
        record ``arguments`` (and checked) first, then the vault it waits for; a
        UserError on the way (bad arguments, no vault) is shown and answered as
        ``{"error": ...}``. The handler gets ``(vault, arguments or None)``."""

        def register_handler(handler: VaultCommand) -> VaultCommand:
            async def command(ls: MyCoderServer, *args: Any) -> Any:
                try:
                    opts = vault_arguments(name, args, arguments) if arguments is not None else None
                    if opts is not None and hasattr(opts, "check"):
                        opts.check()
                    return await handler(await vault_or_error(name), opts)
                except UserError as exc:
                    server.show_message(str(exc), types.MessageType.Error)
                    return {"error": str(exc)}

            server.command(name)(command)
            return handler

        return register_handler

    @vault_command("mycoder.search", SearchArguments)
    async def search(vault: Vault, opts: SearchArguments) -> Any:
        await feature.buffers_settled()
        from mycoder_lsp.memory.ranking import PathFilter  # loaded with the vault

        paths = PathFilter(tuple(opts.include), tuple(opts.exclude))
        return [feature.result_json(r) for r in await vault.search(opts.query, opts.k, paths=paths)]

    @vault_command("mycoder.index")
    async def index(vault: Vault, _: None) -> Any:
        if feature.indexing is not None and not feature.indexing.done():
            await asyncio.shield(feature.indexing)
        started = time.perf_counter()
        report = await feature.index()
        return {"files": report["files"], "chunks": report["chunks"], "embedded": report["embedded"],
                "embed_error": report["embed_error"], "seconds": round(time.perf_counter() - started, 3)}

    @vault_command("mycoder.feature.create", FeatureCreateArguments)
    async def feature_create(vault: Vault, opts: FeatureCreateArguments) -> Any:
        return (await server.run_in_thread(vault.session.create_feature, opts.title)).to_json()

    @vault_command("mycoder.feature.lock", FeatureIdArguments)
    async def feature_lock(vault: Vault, opts: FeatureIdArguments) -> Any:
        return (await server.run_in_thread(vault.session.lock, opts.id)).to_json()

    @vault_command("mycoder.feature.unlock", FeatureIdArguments)
    async def feature_unlock(vault: Vault, opts: FeatureIdArguments) -> Any:
        return (await server.run_in_thread(vault.session.unlock, opts.id)).to_json()

    @vault_command("mycoder.feature.list")
    async def feature_list(vault: Vault, _: None) -> Any:
        features = await server.run_in_thread(vault.session.features)
        current = await server.run_in_thread(lambda: vault.session.current_feature_id)
        return {"current_feature_id": current, "features": [f.to_json() for f in features]}

    @vault_command("mycoder.patterns", PatternsArguments)
    async def learned_patterns(vault: Vault, opts: PatternsArguments) -> Any:
        """The learning log: all of it, or the patterns of one symbol (``{"symbol", "k"?}``)."""
        if opts.symbol:
            found = await server.run_in_thread(vault.related_patterns, opts.symbol, opts.k)
        else:
            from mycoder_lsp.memory import patterns  # loaded with the vault

            found = (await server.run_in_thread(patterns.all_patterns, vault.store))[-opts.k:]
        return [p.to_json() for p in found]

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    async def watched(ls: MyCoderServer, params: types.DidChangeWatchedFilesParams) -> None:
        if feature.vault is None:
            return
        deleted = [ls.path_of(c.uri) for c in params.changes if c.type == types.FileChangeType.Deleted]
        changed = [ls.path_of(c.uri) for c in params.changes if c.type != types.FileChangeType.Deleted]
        ls.spawn(_follow(deleted, changed), "vault-watched")

    async def _follow(deleted: list[str], changed: list[str]) -> None:
        if deleted:
            await feature.files_deleted(deleted)
        if changed:
            await feature.files_changed(changed)

    file_ops = types.FileOperationRegistrationOptions(
        filters=[types.FileOperationFilter(pattern=types.FileOperationPattern(glob="**/*"))])

    @server.feature(types.WORKSPACE_DID_RENAME_FILES, file_ops)
    async def renamed(ls: MyCoderServer, params: types.RenameFilesParams) -> None:
        if feature.vault is None:
            return
        ls.spawn(_follow([ls.path_of(f.old_uri) for f in params.files],
                         [ls.path_of(f.new_uri) for f in params.files]), "vault-renamed")

    @server.feature(types.WORKSPACE_DID_DELETE_FILES, file_ops)
    async def deleted(ls: MyCoderServer, params: types.DeleteFilesParams) -> None:
        if feature.vault is None:
            return
        ls.spawn(_follow([ls.path_of(f.uri) for f in params.files], []), "vault-deleted")


__all__ = ["VaultFeature", "register"]
