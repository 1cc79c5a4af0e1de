"""``mycoder-lsp doctor``: is everything MyCoder needs there, and if not, what to do.

Checks each brain's endpoint (allowed? reachable?; each server of a pool,
with what it says about its health and load), that each model is pulled,
the embedding model when the vault embeds with Ollama, the vault, and which
tree-sitter grammars load. Every line says what to do about a
problem. Exit status 0 when all is well, 1 otherwise; a server of a pool that
is down is a warning while another server of that pool has the model (the
pool answers meanwhile). Never changes anything.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import importlib.util
import json
import sqlite3
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

HELP = "check the LLM server, models, vault and grammars"


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    # A warning does not fail the doctor (e.g. an optional grammar).
    required: bool = True


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the checks as JSON")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for each server (default 5)")
    parser.add_argument("--settings", default="", metavar="JSON",
                        help="an editor's settings (a JSON object), layered over the config files the way the "
                             "server layers initializationOptions, so the editor's health check sees what its "
                             "server sees")
    parser.add_argument("--vault", default="", metavar="URL",
                        help="a shared vault on PostgreSQL (postgresql://user@host/db) instead of the workspace's "
                             "SQLite file; the password comes from PGPASSWORD or ~/.pgpass")


def run(args: argparse.Namespace) -> int:
    from mycoder_lsp.config import REPOSITORY_MAY_NOT, user_config_path
    from mycoder_lsp.workspace_session import Workspace

    root: Path = args.root.resolve()
    editor: object = None
    if args.settings:
        try:
            editor = json.loads(args.settings)
        except ValueError as exc:
            print(f"mycoder-lsp doctor: --settings is not JSON: {exc}", file=sys.stderr)
            return 2
    # The workspace the other entry points open: the same settings layering (the vault is only inspected below).
    workspace = Workspace.open(root, initialization_options=editor, vault_url=getattr(args, "vault", ""))
    settings, problems = workspace.settings, workspace.problems
    moved = f"if you want it, put it in {user_config_path()} or your editor's settings"
    checks = [Check(f"settings: {p.key}", False, str(p),
                    moved if p.reason == REPOSITORY_MAY_NOT else "fix the value in that file", required=False)
              for p in problems]
    checks += asyncio.run(_brain_checks(settings, args.timeout))
    checks += _vault_checks(settings, root)
    checks += _grammar_checks()
    ok = all(c.ok or not c.required for c in checks)
    if args.json:
        print(json.dumps({"ok": ok, "checks": [asdict(c) for c in checks]}, indent=2))
    else:
        for c in checks:
            mark = "ok  " if c.ok else ("FAIL" if c.required else "warn")
            line = f"{mark} {c.name}: {c.detail}"
            if not c.ok and c.fix:
                line += f" — {c.fix}"
            print(line)
        print("All good." if ok else "Some checks failed: see the lines marked FAIL.")
    return 0 if ok else 1


async def _brain_checks(settings: object, timeout: float) -> list[Check]:
    from mycoder_lsp.brains.backends import probe
    from mycoder_lsp.brains.governance import BRAIN_NAMES
    from mycoder_lsp.brains.wire.base import ServerInfo
    from mycoder_lsp.brains.wire.http import BrainError, check_endpoint, new_client
    from mycoder_lsp.config import Settings, server_base

    assert isinstance(settings, Settings)
    checks: list[Check] = []
    wanted: list[tuple[str, str, str, str, str]] = []  # label, url, backend, model, api_key
    pooled: set[str] = set()  # the servers of a pool: their health is shown too
    # The brain each line is about ("coding brain (pool 2/3)" -> "coding brain"), for _spare_servers.
    brain_of: dict[str, str] = {}
    users: dict[tuple[str, str], set[str]] = {}  # a server's key -> the labels of the lines that use it
    server_checks: dict[tuple[str, str], Check] = {}
    pools: set[str] = set()  # the brains whose url is a list
    refused: set[str] = set()  # brains with a server outside brains.allowed_hosts
    brains = [(f"{name} brain", getattr(settings.brains, name)) for name in BRAIN_NAMES]
    if settings.completion.enabled:  # inline completion's own (FIM) model
        brains.append(("completion brain", settings.brains.completion))
    for label, brain in brains:
        urls = brain.urls
        if len(urls) > 1:
            pools.add(label)
        for number, url in enumerate(urls, 1):
            # Each server of a pool is one line: "coding brain (pool 2/3)".
            named = label if len(urls) == 1 else f"{label} (pool {number}/{len(urls)})"
            wanted.append((named, url, brain.backend, brain.model, brain.api_key))
            brain_of[named] = label
            if len(urls) > 1:
                pooled.add(server_base(url))
    vault = settings.vault
    if vault.enabled and vault.embedder in ("ollama", "openai"):
        urls = vault.embedding_urls
        for number, url in enumerate(urls, 1):
            named = "embeddings" if len(urls) == 1 else f"embeddings (pool {number}/{len(urls)})"
            wanted.append((named, url, vault.embedder, vault.embedding_model, vault.embedding_api_key))
            if len(urls) > 1:  # a pool like a brain's: one server down is a warning while another answers
                pools.add("embeddings")
                brain_of[named] = "embeddings"
                pooled.add(server_base(url))
    servers: dict[tuple[str, str], ServerInfo] = {}
    async with new_client() as client:
        for label, url, backend, model, api_key in wanted:
            try:
                check_endpoint(url, settings.brains.allowed_hosts, what=f"{label}'s endpoint")
            except BrainError as exc:
                checks.append(Check(label, False, str(exc)))
                refused.add(brain_of.get(label, label))  # the whole brain is refused (make_brain)
                continue
            key = (url.rstrip("/"), backend)
            users.setdefault(key, set()).add(label)
            if key not in servers:
                servers[key] = await probe(url, backend=backend, api_key=api_key, timeout=timeout, client=client)
                info = servers[key]
                what = f"Ollama {info.version}" if info.version else f"{backend} server"
                if info.reachable:
                    detail = f"{what}, {len(info.models)} models"
                    if info.url in pooled:
                        detail += "; " + await _health(client, info.url, backend, api_key, timeout)
                    server_checks[key] = Check(f"server {info.url}", True, detail)
                else:
                    server_checks[key] = Check(f"server {info.url}", False, info.error or "not reachable")
                checks.append(server_checks[key])
            info = servers[key]
            if not info.reachable:
                continue
            if info.has_model(model):
                checks.append(Check(label, True, f"{model} is available"))
            else:
                fix = (f"run `ollama pull {model}`" if backend == "ollama"
                       else "load it on that server or fix the model name in the settings")
                checks.append(Check(label, False, f"{model} is not on {info.url}", fix))
    _spare_servers(checks, server_checks, users, brain_of, pools - refused)
    return checks


def _spare_servers(checks: list[Check], server_checks: dict[tuple[str, str], Check],
                   users: dict[tuple[str, str], set[str]], brain_of: dict[str, str], pools: set[str]) -> None:
    """A server of a pool that is down (or lacks the model) is a warning, not a
    failure, while another server of that pool has the model: the pool answers
    meanwhile (brains/pool.py fails over). It stays a failure where anything
    else needs it: a brain with that server alone, a pool with no other, the
    embeddings."""
    answering = {brain_of[c.name] for c in checks if c.ok and c.name in brain_of}

    def spared(label: str) -> bool:
        brain = brain_of.get(label)
        return brain in pools and brain in answering

    for check in checks:
        if not check.ok and spared(check.name):
            check.required = False
            check.fix = f"the other servers of the {brain_of[check.name]}'s pool answer meanwhile; " + (
                check.fix or "load the model there")
    for key, check in server_checks.items():
        labels = users.get(key, set())
        if not check.ok and labels and all(spared(label) for label in labels):
            check.required = False
            named = ", ".join(sorted({brain_of[label] for label in labels}))
            check.fix = (f"the other servers of the pool ({named}) answer meanwhile; start this one, or take it "
                         "out of the brain's url list")


async def _health(client: object, url: str, backend: str, api_key: str, timeout: float) -> str:
    """What a server of a pool says about its health and load (brains/pool.py asks the same)."""
    import httpx

    from mycoder_lsp.brains.pool import ask_health

    assert isinstance(client, httpx.AsyncClient)
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    try:
        return "health: " + (await ask_health(client, url, backend, headers=headers, timeout=timeout)).describe()
    except httpx.HTTPError as exc:
        return f"health: not asked ({type(exc).__name__})"


def _shared_vault_check(settings: object, root: Path) -> Check:
    """The PostgreSQL vault of ``vault.url``, read only (nothing created or migrated)."""
    from mycoder_lsp.errors import UserError

    try:
        from mycoder_lsp.memory.pg_store import inspect
    except ImportError as exc:
        return Check("vault", False, f"vault.url names PostgreSQL but {exc.name} is not installed",
                     "pip install psycopg[binary] pgvector")
    try:
        return Check("vault", True, inspect(settings.vault, root))  # type: ignore[attr-defined]
    except UserError as exc:
        return Check("vault", False, str(exc), "fix vault.url / vault.allowed_hosts, or run `mycoder-lsp index`")


def _vault_checks(settings: object, root: Path) -> list[Check]:
    """Read-only: the vault's database is opened with ``mode=ro`` and checked,
    never created, migrated or rebuilt (``index`` does that)."""
    from mycoder_lsp.config import Settings

    assert isinstance(settings, Settings)
    if not settings.vault.enabled:
        return [Check("vault", True, "disabled in the settings (vault.enabled = false)")]
    if settings.vault.url.strip():
        return [_shared_vault_check(settings, root)]
    vault_dir = Path(settings.vault.path)
    vault_dir = vault_dir if vault_dir.is_absolute() else root / vault_dir
    db_name = "vault.db"
    if importlib.util.find_spec("mycoder_lsp.memory.store") is not None:
        try:
            db_name = getattr(importlib.import_module("mycoder_lsp.memory.store"), "DB_NAME", db_name)
        except Exception as exc:  # a broken module is a finding, not a crash
            return [Check("vault", False, f"the vault code does not load: {exc}", "reinstall mycoder-lsp")]
    db = vault_dir / db_name
    if not db.exists():
        return [Check("vault", False, f"not built yet ({db} does not exist)",
                      "run `mycoder-lsp index` (or open the project in the editor)", required=False)]
    try:
        conn = sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True, timeout=5.0)
        try:
            verdict = conn.execute("PRAGMA quick_check").fetchone()[0]
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            counts = {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                      for t in ("files", "chunks", "patterns") if t in tables}
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return [Check("vault", False, f"{db} cannot be read: {exc}", "run `mycoder-lsp index` to rebuild it")]
    if verdict != "ok":
        return [Check("vault", False, f"{db} is damaged ({verdict})", "run `mycoder-lsp index` to rebuild it")]
    summary = ", ".join(f"{n} {t}" for t, n in counts.items()) or "empty"
    return [Check("vault", True, f"{db}: {summary}")]


def _grammar_checks() -> list[Check]:
    # code.parsing's loader (the one everything parses with), over every grammar
    # a language record names (Python's serves the cross-file checks; ast parses Python).
    from mycoder_lsp.code.languages import RECORDS
    from mycoder_lsp.code.parsing import tree_sitter_language

    named = [record.name for record in RECORDS if record.grammar]
    missing = [lang for lang in named if tree_sitter_language(lang) is None]
    loaded = [lang for lang in named if lang not in missing and lang != "python"]
    checks = [Check("grammars", bool(loaded), "python (built in), " + ", ".join(loaded) if loaded else
                    "python (built in) only", required=False)]
    if missing:
        checks.append(Check("grammars missing", False, ", ".join(missing),
                            "pip install the tree-sitter-<language> wheels into this environment", required=False))
    return checks
