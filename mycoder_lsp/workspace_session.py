"""One workspace as an entry point opens it: its settings, its files and
their symbols, its vault (or none), and while connected the HTTP client and
the pools of model servers with their circuit breakers.

``ask``, ``route``, ``search`` and ``doctor`` open a :class:`Workspace`
instead of each loading the settings, finding the vault and building a
router its own way, so they see the same files (:mod:`mycoder_lsp.code.workspace`),
the same symbols (:mod:`mycoder_lsp.code.symbol_index`) and the same vault
the editor's server uses. It lives above ``code``, ``memory`` and
``brains`` because it holds one of each; those packages must not import it.
Opening is cheap: the vault, the symbol index and the brains' modules are
loaded when first asked for, so ``route --offline`` never pays for the
vault and ``doctor`` never opens one.

``serve`` makes one at ``initialize`` for its workspace folder, with the
settings the server layers itself (``initializationOptions``, then
``workspace/configuration``: it sets :attr:`Workspace.settings` on every
change), and opens the vault through it. The server keeps its own HTTP
client, breakers and request flow (server/features/models.py): its breakers
tell the user when a model server goes down and comes back, and its
requests read the editor's open documents and run in the server's threads.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from mycoder_lsp.code.symbol_index import WorkspaceSymbols, user_cache_file
from mycoder_lsp.config import Settings, SettingsProblem, load_settings

if TYPE_CHECKING:
    import httpx

    from mycoder_lsp.brains.orchestrator import Orchestrator
    from mycoder_lsp.brains.pool import Pools
    from mycoder_lsp.brains.router import IntentRouter, SymbolIndex
    from mycoder_lsp.memory.vault import Vault

log = logging.getLogger(__name__)

# "existing": the vault if there is one (nothing is created: ``ask``);
# "create": open or create it (``search``, ``index``); "none": no vault.
VaultMode = Literal["existing", "create", "none"]


@dataclass
class Workspace:
    root: Path
    settings: Settings
    problems: list[SettingsProblem] = field(default_factory=list)
    vault: Vault | None = None
    # Why there is no vault although one was asked for (disabled, refused,
    # never indexed), for the entry point to say once.
    vault_note: str | None = None
    # While connected(): the one HTTP client, and the pools on its breakers.
    client: httpx.AsyncClient | None = None
    pools: Pools | None = None
    _symbols: WorkspaceSymbols | None = field(default=None, init=False, repr=False)
    _symbol_index: SymbolIndex | None = field(default=None, init=False, repr=False)
    _router: IntentRouter | None = field(default=None, init=False, repr=False)

    @classmethod
    def open(cls, root: Path | str, *, initialization_options: object = None, vault_url: str = "") -> Workspace:
        """The workspace at ``root`` with its layered settings (the server's
        precedence; ``initialization_options`` as an editor sends them) and
        ``vault_url`` given on the command line."""
        resolved = Path(root).resolve()
        settings, problems = load_settings(resolved, initialization_options=initialization_options)  # type: ignore[arg-type]
        if vault_url:
            settings.vault.url = vault_url  # the user's own command line: a user-level setting
        return cls(resolved, settings, list(problems))

    # -- the vault ---------------------------------------------------------------

    def vault_dir(self) -> Path:
        path = Path(self.settings.vault.path)
        return path if path.is_absolute() else self.root / path

    def has_vault(self) -> bool:
        """A vault to read: a shared one, or the workspace's own once indexed."""
        from mycoder_lsp.memory.store import DB_NAME

        vault = self.settings.vault
        return vault.enabled and (bool(vault.url.strip()) or (self.vault_dir() / DB_NAME).is_file())

    def open_vault(self, mode: VaultMode = "existing", **options: Any) -> Vault | None:
        """The vault (``options`` go to :meth:`Vault.open`); None, with
        :attr:`vault_note` saying why, when there is none to open."""
        if self.vault is not None or mode == "none":
            return self.vault
        # A command that asks for the vault by name (search) opens it even when the editor's is off.
        if mode == "existing" and not self.settings.vault.enabled:
            self.vault_note = "the vault is disabled in the settings (vault.enabled = false)"
            return None
        if mode == "existing" and not self.has_vault():
            self.vault_note = "no vault yet: run `mycoder-lsp index` for answers that know the rest of the workspace"
            return None
        from mycoder_lsp.memory.store import VaultRefused
        from mycoder_lsp.memory.vault import Vault

        try:
            self.vault = Vault.open(self.root, self.settings, **options)
        except VaultRefused as exc:
            if mode == "create":
                raise
            self.vault_note = str(exc)
            return None
        return self.vault

    # -- symbols and routing -----------------------------------------------------

    @property
    def symbols(self) -> WorkspaceSymbols:
        """The symbol index over the workspace's files. Its cache is kept in
        the vault directory when the workspace has one, else in the user's
        cache directory: reading a workspace never creates files in it."""
        if self._symbols is None:
            cache_dir = self.vault_dir() / "cache"
            # A planted link (.mycoder -> ~/.ssh) must not be written through: real directories only.
            vault_dir = cache_dir.parent
            own = (vault_dir.is_dir() and not vault_dir.is_symlink()
                   and not cache_dir.is_symlink() and (cache_dir.is_dir() or not cache_dir.exists()))
            cache = cache_dir / "route-symbols.json" if own else user_cache_file(self.root)
            self._symbols = WorkspaceSymbols(self.root, cache)
        return self._symbols

    def symbol_index(self) -> SymbolIndex:
        """The router's index of the workspace's names (built once per run)."""
        if self._symbol_index is None:
            from mycoder_lsp.brains.router import SymbolIndex

            self._symbol_index = SymbolIndex.from_sorted(*self.symbols.lookup())
        return self._symbol_index

    @property
    def router(self) -> IntentRouter:
        if self._router is None:
            from mycoder_lsp.brains.router import IntentRouter

            self._router = IntentRouter(self.settings)
        return self._router

    # -- the model servers -------------------------------------------------------

    @contextlib.asynccontextmanager
    async def connected(self) -> AsyncIterator[Workspace]:
        """The HTTP client and the pools of model servers the editor's
        server uses too (brains/pool.py: breakers per server), closed at the end."""
        from mycoder_lsp.brains.pool import pooled_client

        async with pooled_client() as (client, pools):
            self.client, self.pools = client, pools
            try:
                yield self
            finally:
                self.client = self.pools = None

    def orchestrator(self) -> Orchestrator:
        """The request flow with this workspace's client, pools and vault
        (the vault is its context provider, as in the server)."""
        from mycoder_lsp.brains.orchestrator import Orchestrator

        return Orchestrator(self.settings, client=self.client, pools=self.pools, context_provider=self.vault,
                            workspace_root=self.root)

    def close(self) -> None:
        if self.vault is not None:
            self.vault.close()
            self.vault = None

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = ["VaultMode", "Workspace"]
