"""``mycoder-lsp index``: build or update the workspace's vault from the terminal.

The same :meth:`Vault.index` the server runs on initialize: only what changed
is re-read and re-embedded. A progress bar on a TTY (stderr), nothing while
working otherwise; a summary (or JSON with ``--json``) on stdout at the end.
When embedding fails (the embedding server is down, has no such model, or is
not an embeddings server) the words are still indexed, one message on stderr
says why, and the exit status is 1.

With ``--vault URL`` (the team's indexer, e.g. in CI) the shared index written is
that of the checked-out commit, started from the newest index of an ancestor (only
what changed since is read again); the oldest beyond ``vault.keep_indexes`` go.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time

from mycoder_lsp.config import load_settings
from mycoder_lsp.errors import UserError

HELP = "build or update the vault for a workspace"
# Exit status when the files were indexed but could not be embedded (2 is a user error that stopped the run).
EMBED_FAILED = 1


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--all", action="store_true",
                        help="index every file even where the root has no project marker (.git, pyproject.toml...)")
    parser.add_argument("--vault", default="", metavar="URL",
                        help="a shared vault on PostgreSQL (postgresql://user@host/db) instead of the workspace's "
                             "SQLite file; the password comes from PGPASSWORD or ~/.pgpass")


class ProgressBar:
    """One line on stderr, redrawn at most every 0.1 s."""

    def __init__(self, stream=sys.stderr) -> None:
        self.stream = stream
        self.last = 0.0

    def __call__(self, done: int, total: int, path: str) -> None:
        now = time.monotonic()
        if now - self.last < 0.1 and done < total:
            return
        self.last = now
        width = 30
        filled = int(width * done / total) if total else width
        name = path if len(path) <= 40 else "…" + path[-39:]
        self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {name:<40}")
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\r" + " " * 90 + "\r")
        self.stream.flush()


def run(args: argparse.Namespace) -> int:
    from mycoder_lsp.memory.vault import STRAY_FILE_LIMIT, Vault

    root = args.root.resolve()
    if not root.is_dir():
        raise UserError(f"{root} is not a directory: pass the workspace with --root DIR.")
    settings, problems = load_settings(root)
    for problem in problems:
        print(f"mycoder-lsp: {problem}", file=sys.stderr)
    if args.vault:
        settings.vault.url = args.vault  # the user's own command line: a user-level setting
    # Asked for by name: this command writes a shared vault's index (the team's indexer).
    vault = Vault.open(root, settings, stray_limit=None if args.all else STRAY_FILE_LIMIT, index_writer=True)
    if vault.notice:
        print(f"mycoder-lsp: {vault.notice}", file=sys.stderr)
    bar = ProgressBar() if sys.stderr.isatty() and not args.json else None
    try:
        report = asyncio.run(vault.index(bar))
    finally:
        if bar:
            bar.close()
        vault.close()
    if report.notice:
        print(f"mycoder-lsp: {report.notice} Here: mycoder-lsp index --all.", file=sys.stderr)
    if args.json:
        print(json.dumps({**report.to_json(), "embed_error": report.embed_error}))
    else:
        at = f" at commit {report.commit[:12]}" if report.commit else ""
        print(f"Indexed {root}{at}: {report.files} files, {report.chunks} chunks "
              f"({report.changed} files changed, {report.removed} removed, {report.embedded} chunks embedded) "
              f"in {report.seconds:.2f} s.")
        if report.pruned:
            print(f"Dropped the shared indexes of {len(report.pruned)} older commits "
                  f"({', '.join(c[:12] for c in report.pruned)}); vault.keep_indexes keeps the newest.")
    if report.embed_error:
        # The words are indexed (lexical search works), but the run did not do
        # what was asked: say why once, and fail so scripts and CI notice.
        print(f"mycoder-lsp: {report.embed_error} Only words were indexed; run `mycoder-lsp index` again "
              "once embedding works.", file=sys.stderr)
        return EMBED_FAILED
    return 0
