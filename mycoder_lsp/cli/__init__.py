"""The ``mycoder-lsp`` command line: ``serve`` (the default) and the tools.

Each subcommand lives in its own module of this package exposing
``HELP`` (one line), ``add_arguments(parser)`` and ``run(args) -> int``.
Modules are imported only when their subcommand runs, so ``check`` never pays
for httpx or pygls. Every subcommand takes ``--root DIR``.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from mycoder_lsp import __version__
from mycoder_lsp.errors import UserError

# name -> one-line help; the module is mycoder_lsp.cli.<name>
SUBCOMMANDS: dict[str, str] = {
    "serve": "run the language server (stdio by default)",
    "check": "validate files and print findings (exit 1 on errors)",
    "index": "build or update the vault for a workspace",
    "search": "search the vault",
    "route": "classify requests: intent and target symbol",
    "ask": "run the full request flow from the terminal",
    "complete": "print the inline completion at a position of a file",
    "doctor": "check the LLM server, models, vault and grammars",
}


def build_parser(chosen: str | None = None) -> argparse.ArgumentParser:
    """The parser; only the ``chosen`` subcommand's module is imported (so
    ``check`` never pays for the brains), the others just list their help."""
    parser = argparse.ArgumentParser(
        prog="mycoder-lsp",
        description="A local coding assistant as a Language Server. With no subcommand: serve on stdio.",
    )
    parser.add_argument("--version", action="version", version=f"mycoder-lsp {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, help_text in SUBCOMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if name != chosen:
            continue
        p.add_argument("--root", type=Path, default=Path.cwd(),
                       help="workspace root (default: the current directory; check: the project it is in)")
        p.add_argument("--log-file", type=Path, default=None, help="write logs here instead of stderr")
        p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
        module = importlib.import_module(f"mycoder_lsp.cli.{name}")
        module.add_arguments(p)
        p.set_defaults(_module=module, _parser=p)
    return parser


def setup_logging(log_file: Path | None, verbose: bool) -> None:
    # Never stdout: in server mode stdout carries JSON-RPC only.
    handler: logging.Handler = logging.FileHandler(log_file) if log_file else logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.WARNING)
    logging.getLogger("mycoder_lsp").setLevel(logging.DEBUG if verbose else logging.INFO)


def main(argv: Sequence[str] | None = None) -> int:
    # Vector search is one matrix-vector product per query: BLAS threads gain
    # nothing there and fight the editor for the CPU (measured in bench/).
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    argv = list(sys.argv[1:] if argv is None else argv)
    # vscode-languageclient appends --stdio; no subcommand means serve.
    if not argv or argv[0].startswith("--") and argv[0] not in ("--help", "--version"):
        argv = ["serve", *argv]
    if argv[0] == "-h":
        argv[0] = "--help"
    # Importing the command makes thousands of objects and little garbage: the
    # collections it set off were 4 ms of a 100 ms `route`.
    gc.disable()
    try:
        parser = build_parser(chosen=argv[0] if argv[0] in SUBCOMMANDS else None)
    finally:
        gc.enable()
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        # The subcommand's own usage, not the top-level one (argparse hands a
        # subcommand's unknown flags up to the main parser).
        getattr(args, "_parser", parser).error(f"unrecognized arguments: {' '.join(unknown)}")
    if args.command is None:
        parser.print_help()
        return 2
    setup_logging(args.log_file, args.verbose)
    try:
        return int(args._module.run(args) or 0)
    except UserError as exc:
        print(f"mycoder-lsp: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
