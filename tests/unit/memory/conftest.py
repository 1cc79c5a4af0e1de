"""A small workspace for the vault's unit tests."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from mycoder_lsp.config import Settings
from mycoder_lsp.memory.vault import Vault

FILES = {
    "app/config.py": '''"""Settings."""


def load_settings(path):
    """Read the settings file and merge the defaults."""
    return merge_defaults(read_toml(path))


def merge_defaults(data):
    return dict(data)


def read_toml(path):
    return {}
''',
    "app/http.py": '''class HttpClient:
    """Talks to the server."""

    def retry_request(self, request, attempts=3):
        """Send a request again when the connection drops."""
        for _ in range(attempts):
            pass

    def close(self):
        pass
''',
    "web/cart.ts": "export function computeCartTotal(items: number[]): number {\n  return items.reduce((a, b) => a + b, 0);\n}\n",
    "notes.md": "# Notes\n\nThe shopping cart total is computed in web/cart.ts.\n",
}


def write_tree(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    write_tree(root, FILES)
    return root


# Tests marked with this run against both vault backends (SQLite, and a real
# PostgreSQL + pgvector from tests/support/postgres.py); the rest on SQLite only.
both_backends = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    return getattr(request, "param", "sqlite")


@pytest.fixture
def vault_settings(backend: str, request: pytest.FixtureRequest) -> Settings:
    """Settings for the backend under test: a fresh database of its own for PostgreSQL."""
    settings = Settings()
    if backend == "postgres":
        settings.vault.url = request.getfixturevalue("pg_vault_url")
        settings.vault.index_shared = True  # these tests index and edit: this process is the indexer
    return settings


@pytest.fixture
def vault(workspace: Path, vault_settings: Settings):
    v = Vault.open(workspace, vault_settings)
    asyncio.run(v.index())
    yield v
    v.close()
