"""``mycoder-lsp serve``: the language server on stdio or TCP."""

from __future__ import annotations

import argparse
import os

from mycoder_lsp.errors import UserError

HELP = "run the language server (stdio by default)"


def _positive_bytes(text: str) -> int:
    if not text.isdigit() or int(text) <= 0:
        raise argparse.ArgumentTypeError(f"wants a positive number of bytes, not {text!r}")
    return int(text)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--stdio", action="store_true", help="talk LSP over stdin/stdout (the default)")
    mode.add_argument("--tcp", metavar="HOST:PORT", help="listen on a TCP port, for debugging")
    parser.add_argument(
        "--max-message-bytes", type=_positive_bytes, default=None, metavar="N",
        help="skip (and log) any message from the editor larger than this; "
             "default $MYCODER_MAX_MESSAGE_BYTES or 128 MiB",
    )


def run(args: argparse.Namespace) -> int:
    from mycoder_lsp.server.app import create_server
    from mycoder_lsp.server.protocol import max_message_bytes_from_env, serve_stdio, serve_tcp

    limit = args.max_message_bytes or max_message_bytes_from_env(dict(os.environ))
    server = create_server()
    if args.tcp:
        host, _, port = args.tcp.rpartition(":")
        if not host or not port.isdigit():
            raise UserError(f"--tcp wants HOST:PORT, e.g. 127.0.0.1:2087, not {args.tcp!r}")
        return serve_tcp(server, host, int(port), limit)
    return serve_stdio(server, limit)
