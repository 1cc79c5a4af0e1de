"""``mycoder-lsp serve``: the language server on stdio or TCP."""

from __future__ import annotations

import argparse

from mycoder_lsp.errors import UserError

HELP = "run the language server (stdio by default)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--stdio", action="store_true", help="talk LSP over stdin/stdout (the default)")
    mode.add_argument("--tcp", metavar="HOST:PORT", help="listen on a TCP port, for debugging")


def run(args: argparse.Namespace) -> int:
    from mycoder_lsp.server.app import create_server

    server = create_server()
    if args.tcp:
        host, _, port = args.tcp.rpartition(":")
        if not host or not port.isdigit():
            raise UserError(f"--tcp wants HOST:PORT, e.g. 127.0.0.1:2087, not {args.tcp!r}")
        server.start_tcp(host, int(port))
    else:
        server.start_io()
    return 0
