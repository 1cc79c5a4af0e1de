"""``mycoder-lsp search``: query the workspace's vault from the terminal.

One query (``QUERY``) or a batch (``--queries FILE.jsonl``, lines
``{"id", "query"}``) answered in one process, so the vault and the embedder
load once. The vault is brought up to date first only when it is empty; run
``mycoder-lsp index`` to refresh it. Output contract (DESIGN.md): a result is
``{"path", "name", "kind", "start_line", "end_line", "score"}`` with ``path``
relative to the root; a batch line is ``{"id", "results": [...]}``. When the
first index cannot embed, the results match words only, one message on stderr
says why, and the exit status is 1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from mycoder_lsp.cli.index import EMBED_FAILED
from mycoder_lsp.errors import UserError
from mycoder_lsp.workspace_session import Workspace

HELP = "search the vault"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("query", nargs="?", help="what to look for (words, a name, a docstring sentence)")
    parser.add_argument("-k", type=int, default=10, help="how many results (default 10)")
    parser.add_argument("--vault", default="", metavar="URL",
                        help="a shared vault on PostgreSQL (postgresql://user@host/db) instead of the workspace's "
                             "SQLite file; the password comes from PGPASSWORD or ~/.pgpass")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--include", action="append", default=[], metavar="GLOB",
                        help="search only files matching GLOB (like a .gitignore line: 'src', '*.py', 'pkg/*/io.py'); "
                             "repeatable")
    parser.add_argument("--exclude", action="append", default=[], metavar="GLOB",
                        help="leave out files matching GLOB (e.g. --exclude tests --exclude '*.md'); repeatable")
    parser.add_argument("--queries", type=Path, help="JSONL file of {\"id\", \"query\"} lines: a batch")
    parser.add_argument("--mode", choices=("lexical", "dense", "mission", "hybrid", "rrf"), default=None,
                        help=argparse.SUPPRESS)


def _read_batch(path: Path) -> list[tuple[Any, str]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise UserError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
    batch = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UserError(f"{path}:{n}: not JSON ({exc.msg}); each line must be {{\"id\", \"query\"}}.") from exc
        if not isinstance(item, dict) or not isinstance(item.get("query"), str):
            raise UserError(f"{path}:{n}: each line must be an object with a string \"query\".")
        batch.append((item.get("id", n), item["query"]))
    return batch


def run(args: argparse.Namespace) -> int:
    if args.k <= 0:
        raise UserError("-k must be at least 1.")
    if (args.query is None) == (args.queries is None):
        raise UserError("Give either a QUERY or --queries FILE.jsonl.")
    root = args.root.resolve()
    if not root.is_dir():
        raise UserError(f"{root} is not a directory: pass the workspace with --root DIR.")
    batch = _read_batch(args.queries) if args.queries else [(None, args.query)]
    from mycoder_lsp.memory.ranking import PathFilter  # numpy and the vault load only when a search runs

    paths = PathFilter(tuple(args.include), tuple(args.exclude))
    workspace = Workspace.open(root, vault_url=args.vault)
    # Searching is what the vault is for: it is created (and indexed below) when missing.
    vault = workspace.open_vault("create")
    assert vault is not None  # "create" opens it or raises
    if vault.notice:
        print(f"mycoder-lsp: {vault.notice}", file=sys.stderr)

    embed_error: str | None = None

    async def answer() -> list[list[Any]]:
        nonlocal embed_error
        if vault.stats()["files"] == 0:
            embed_error = (await vault.index()).embed_error
        results = []
        for _, q in batch:
            results.append(await vault.search(q, args.k, mode=args.mode, paths=paths))
            embed_error = embed_error or vault.query_embed_error
        return results

    try:
        answers = asyncio.run(answer())
    finally:
        vault.close()
    if embed_error:
        print(f"mycoder-lsp: {embed_error} These results match words only.", file=sys.stderr)
    status = EMBED_FAILED if embed_error else 0
    out = sys.stdout
    if args.queries:
        for (qid, _), results in zip(batch, answers, strict=True):
            out.write(json.dumps({"id": qid, "results": [r.to_json() for r in results]}) + "\n")
        return status
    results = answers[0]
    if args.json:
        out.write(json.dumps([r.to_json() for r in results]) + "\n")
        return status
    if not results:
        out.write("No results.\n")
    for n, r in enumerate(results, 1):
        out.write(f"{n:>2}. {r.path}:{r.start_line}-{r.end_line}  {r.name} ({r.kind})  score {r.score:.3f}\n")
    return status
