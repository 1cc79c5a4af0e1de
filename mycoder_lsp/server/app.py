"""The language server: lifecycle, settings, document sync, feature dispatch.

This module (and the rest of ``mycoder_lsp.server``) is the only place that
imports pygls. Handlers here are glue: they find the document, hand it to a
feature, and never block the event loop. Each feature is a
:class:`~mycoder_lsp.server.feature.Feature`; the dispatcher isolates them, so
one broken feature never takes the others down.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

from lsprotocol import types
from pygls.exceptions import FeatureNotificationError, FeatureRequestError
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from mycoder_lsp import __version__
from mycoder_lsp.brains.context import ContextProvider
from mycoder_lsp.config import Settings, SettingsProblem, load_settings
from mycoder_lsp.errors import UserError
from mycoder_lsp.server import pygls_private
from mycoder_lsp.server.diagnostics_store import DiagnosticsStore
from mycoder_lsp.server.documents import LspWorkspace
from mycoder_lsp.server.feature import Feature
from mycoder_lsp.server.protocol import MyCoderProtocol
from mycoder_lsp.workspace_session import Workspace

log = logging.getLogger(__name__)

CONFIG_SECTION = "mycoder"
# What the start (open -> first diagnostics) does not need, imported in a thread
# once the first diagnostics are out (or after WARM_UP_AFTER seconds, for a
# client that pulls them or opens nothing): the first hover or command that needs
# it then finds it loaded, and never imports it on the event loop.
WARM_UP_MODULES = ("mycoder_lsp.brains.orchestrator",)
WARM_UP_AFTER = 2.0
F = TypeVar("F", bound=Feature)


class MyCoderServer(LanguageServer):
    """All server state lives here, never in module globals."""

    def __init__(self) -> None:
        super().__init__(
            "mycoder-lsp",
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            protocol_cls=MyCoderProtocol,
        )
        self.settings = Settings()
        self.root: Path | None = None
        # The workspace folder as every entry point opens it (workspace_session.py),
        # with the server's own settings layers; None without a folder.
        self.session: Workspace | None = None
        self.initialization_options: Any = None
        # Settings problems found during initialize, shown once the client is ready.
        self.initial_problems: list[SettingsProblem] = []
        self.features: list[Feature] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        # Every feature's diagnostics by (source, URI); the diagnostics feature publishes them.
        self.diagnostics = DiagnosticsStore()
        # Set by the vault feature once the vault is open (see brains/context.py).
        self.context_provider: ContextProvider | None = None
        self._ready: asyncio.Event | None = None
        self._published: asyncio.Event | None = None
        self._last_error_shown = -1e9
        self._problems_shown: set[SettingsProblem] = set()

    # -- features -----------------------------------------------------------

    def add_feature(self, feature: F) -> F:
        self.features.append(feature)
        return feature

    def get_feature(self, kind: type[F]) -> F | None:
        for feature in self.features:
            if isinstance(feature, kind):
                return feature
        return None

    async def dispatch(self, name: str, hook: Callable[[Feature], Awaitable[None]]) -> None:
        """Call ``hook`` with every feature, e.g. ``lambda f: f.settings_changed()``
        (a typed call mypy checks, not a method looked up by name); one failing
        never stops the rest. ``name`` is for the log."""
        for feature in list(self.features):
            try:
                await hook(feature)
            except asyncio.CancelledError:
                raise
            except UserError as exc:
                self.show_message(str(exc), types.MessageType.Error)
            except Exception:
                log.exception("%s.%s failed", type(feature).__name__, name)

    @property
    def ready(self) -> asyncio.Event:
        """Set once ``initialized`` has loaded every settings layer."""
        if self._ready is None:
            self._ready = asyncio.Event()
        return self._ready

    @property
    def published(self) -> asyncio.Event:
        """Set once the first diagnostics went to the client."""
        if self._published is None:
            self._published = asyncio.Event()
        return self._published

    def text_document_publish_diagnostics(self, params: types.PublishDiagnosticsParams) -> None:
        super().text_document_publish_diagnostics(params)
        self.published.set()

    async def warm_up(self) -> None:
        """Import :data:`WARM_UP_MODULES` off the event loop, after the start's own work,
        then move what is alive by then (the modules, mostly) out of the collector's reach."""
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self.published.wait(), timeout=WARM_UP_AFTER)
        for name in WARM_UP_MODULES:
            await self.run_in_thread(importlib.import_module, name)
        await self.run_in_thread(freeze_start_up)

    async def wait_ready(self) -> None:
        # A document opened while workspace/configuration is in flight must
        # be checked with the user's settings, not the defaults.
        try:
            await asyncio.wait_for(self.ready.wait(), timeout=10.0)
        except asyncio.TimeoutError:
            log.warning("settings not ready after 10 s; going on with what is loaded")

    # -- background work ----------------------------------------------------

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """Run ``coro`` in the background, tracked, with its failure logged."""
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if isinstance(exc, UserError):
            self.show_message(str(exc), types.MessageType.Error)
        elif exc is not None:
            log.error("background task %s failed", task.get_name(), exc_info=exc)

    async def run_in_thread(self, func: Callable[..., Any], *args: Any) -> Any:
        """CPU work (parsing, validation, embedding) off the event loop."""
        return await asyncio.get_running_loop().run_in_executor(self.thread_pool, func, *args)

    def report_server_error(self, error: Exception, source: Any) -> None:
        """Garbage from the client is logged; our own failures are logged and
        shown once a minute at most, so a broken feature cannot flood the editor."""
        if source is FeatureRequestError:
            return  # already in the response to the request
        log.error("server error (%s): %s", getattr(source, "__name__", source), error, exc_info=error)
        if source is not FeatureNotificationError:
            return
        now = asyncio.get_event_loop().time()
        if now - self._last_error_shown < 60:
            return
        self._last_error_shown = now
        self.show_message(f"internal error: {error} (details in the server log)", types.MessageType.Error)

    # -- talking to the user ------------------------------------------------

    def show_message(self, message: str, kind: types.MessageType = types.MessageType.Info) -> None:
        self.window_show_message(types.ShowMessageParams(type=kind, message=f"MyCoder: {message}"))

    def report_settings_problems(self, problems: list[SettingsProblem]) -> None:
        """Log and show each problem once per server: settings are re-read on
        every change, and a repository's refused key must not reappear each time."""
        problems = [p for p in problems if p not in self._problems_shown]
        if not problems:
            return
        self._problems_shown.update(problems)
        for problem in problems:
            log.warning("%s", problem)
        shown = "; ".join(str(p) for p in problems[:3])
        more = f" (and {len(problems) - 3} more, see the log)" if len(problems) > 3 else ""
        self.show_message(f"{shown}{more}. Those keys keep the value of your own settings, or the default.",
                          types.MessageType.Warning)

    # -- capabilities of the client -----------------------------------------

    @property
    def supports_configuration(self) -> bool:
        ws = self.client_capabilities.workspace
        return bool(ws and ws.configuration)

    @property
    def supports_pull_diagnostics(self) -> bool:
        """Pull only where the client can also be told to re-pull: without
        ``workspace/diagnostic/refresh`` findings that arrive later (review,
        settings changes) would never show."""
        td = self.client_capabilities.text_document
        ws = self.client_capabilities.workspace
        return bool(td and td.diagnostic and ws and ws.diagnostics and ws.diagnostics.refresh_support)

    @property
    def supports_work_done_progress(self) -> bool:
        window = self.client_capabilities.window
        return bool(window and window.work_done_progress)

    def path_of(self, uri: str) -> str:
        return to_fs_path(uri) or uri

    # -- settings -----------------------------------------------------------

    async def reload_settings(self, pushed: Any = None) -> None:
        """Rebuild settings from every layer and tell features about it."""
        workspace_config = pushed
        if self.supports_configuration:
            try:
                result = await asyncio.wait_for(
                    self.workspace_configuration_async(
                        types.ConfigurationParams(items=[types.ConfigurationItem(section=CONFIG_SECTION)])
                    ),
                    timeout=5.0,
                )
                workspace_config = result[0] if result else None
            except Exception:
                log.warning("workspace/configuration failed; keeping the other layers", exc_info=True)
        settings, problems = load_settings(
            self.root,
            initialization_options=self.initialization_options,
            workspace_configuration=workspace_config if isinstance(workspace_config, dict) else None,
        )
        self.settings = settings
        if self.session is not None:
            self.session.settings = settings
        logging.getLogger("mycoder_lsp").setLevel(settings.log_level.upper())
        self.report_settings_problems(problems)
        await self.dispatch("settings_changed", lambda f: f.settings_changed())


def freeze_start_up() -> None:
    """``gc.freeze()`` after a collection: the objects of the start-up (imported
    modules, their tables) are never traversed again by a full collection. On a
    2,000-line file those collections were the slow edits: validation per edit
    p95 71 -> 40 ms, mean 33 -> 30 ms (in process, 60 edits). What dies later is
    still freed: by reference counting, or by the collector if made after this."""
    gc.collect()
    gc.freeze()


def _root_from(params: types.InitializeParams) -> Path | None:
    if params.workspace_folders:
        path = to_fs_path(params.workspace_folders[0].uri)
        if path:
            return Path(path)
    if params.root_uri:
        path = to_fs_path(params.root_uri)
        if path:
            return Path(path)
    if params.root_path:
        return Path(params.root_path)
    return None


def create_server() -> MyCoderServer:
    """Build the server with every feature registered."""
    # Imported here: the feature modules import this one for MyCoderServer.
    from mycoder_lsp.server.features import (
        code_actions,
        commands,
        diagnostics,
        hover,
        models,
        symbols,
        vault,
    )
    from mycoder_lsp.server.features import (
        completion as completion_feature,
    )

    server = MyCoderServer()
    # Each feature is handed what it uses of another. Hooks run in this
    # order: the model servers come after the features that call them, so
    # at shutdown their calls are cancelled before the client closes.
    diagnostics.register(server)
    document_symbols = symbols.register(server)
    code_actions.register(server, document_symbols)
    model_servers = models.ModelServers(server)
    hover.register(server, model_servers, document_symbols)
    commands.register(server, model_servers)
    models.register(server, model_servers)
    vault.register(server)
    completion_feature.register(server, model_servers)

    @server.feature(types.INITIALIZE)
    def on_initialize(ls: MyCoderServer, params: types.InitializeParams) -> None:
        # pygls made its workspace just now; ours finds documents by any
        # spelling of their URI and splits them into LSP lines.
        pygls_private.replace_workspace(ls.protocol, LspWorkspace.replacing(ls.workspace))
        ls.root = _root_from(params)
        ls.initialization_options = params.initialization_options
        settings, problems = load_settings(ls.root, initialization_options=params.initialization_options)
        ls.settings = settings
        ls.session = Workspace(ls.root, settings, list(problems)) if ls.root is not None else None
        # Shown once the client is ready (initialized), never before.
        ls.initial_problems = problems
        for feature in ls.features:
            try:
                feature.client_known(params)
            except Exception:
                log.exception("%s.client_known failed", type(feature).__name__)

    @server.feature(types.INITIALIZED)
    async def on_initialized(ls: MyCoderServer, params: types.InitializedParams) -> None:
        problems = ls.initial_problems
        if ls.supports_configuration:
            await ls.reload_settings()
        else:
            ls.report_settings_problems(problems)
            await ls.dispatch("settings_changed", lambda f: f.settings_changed())
        ls.ready.set()
        await ls.dispatch("initialized", lambda f: f.initialized())
        ls.spawn(ls.warm_up(), "warm-up")

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def on_configuration(ls: MyCoderServer, params: types.DidChangeConfigurationParams) -> None:
        await ls.reload_settings(pushed=params.settings)

    # Document sync: pygls has updated the workspace; tell the features.
    sync: list[tuple[str, str, Callable[[Feature, str], Awaitable[None]], Any]] = [
        (types.TEXT_DOCUMENT_DID_OPEN, "document_opened", lambda f, uri: f.document_opened(uri), None),
        (types.TEXT_DOCUMENT_DID_CHANGE, "document_changed", lambda f, uri: f.document_changed(uri), None),
        (types.TEXT_DOCUMENT_DID_SAVE, "document_saved", lambda f, uri: f.document_saved(uri),
         types.SaveOptions(include_text=False)),
        (types.TEXT_DOCUMENT_DID_CLOSE, "document_closed", lambda f, uri: f.document_closed(uri), None),
    ]
    for method, name, hook, options in sync:
        _register_sync(server, method, name, hook, options)

    @server.feature(types.SHUTDOWN)
    async def on_shutdown(ls: MyCoderServer, params: None) -> None:
        await ls.dispatch("shutdown", lambda f: f.shutdown())
        for task in list(ls._tasks):
            task.cancel()

    return server


def _register_sync(server: MyCoderServer, method: str, name: str,
                   hook: Callable[[Feature, str], Awaitable[None]], options: Any) -> None:
    @server.feature(method, options)
    async def handler(ls: MyCoderServer, params: Any) -> None:
        await ls.wait_ready()
        uri = params.text_document.uri
        await ls.dispatch(name, lambda f: hook(f, uri))
