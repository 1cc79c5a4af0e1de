"""``mycoder-lsp complete``: the inline completion the server would offer.

``--line`` and ``--column`` are 1-based, as editors show them (column in
characters, 1 = the start of the line; one past the line's end is its end).
Prints the suggestion's text as it would be inserted, or with ``--json``
``{"text", "replace_end": {"line", "column"} | null, "model", "ms",
"cached", "stats"}`` (``replace_end`` 1-based). Exit status: 0 with a
suggestion, 1 with none (the model had nothing, or every candidate was
dropped: ``stats`` says why), 2 for bad arguments or a model that failed
(the message says what to do).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from mycoder_lsp.errors import UserError

HELP = "print the inline completion at a position of a file"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--file", type=Path, required=True, help="the file to complete in")
    parser.add_argument("--line", type=int, required=True, help="1-based line of the cursor")
    parser.add_argument("--column", type=int, required=True,
                        help="1-based column of the cursor, in characters (1: start of the line)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def run(args: argparse.Namespace) -> int:
    from mycoder_lsp.brains.wire.http import new_client
    from mycoder_lsp.code.languages import language_for_path
    from mycoder_lsp.completion import Completer, CompletionRequest
    from mycoder_lsp.config import load_settings

    if args.line < 1 or args.column < 1:
        raise UserError("--line and --column are 1-based: both must be at least 1")
    root: Path = args.root.resolve()
    settings, problems = load_settings(root)
    for problem in problems:
        print(f"mycoder-lsp: {problem}", file=sys.stderr)
    file = args.file if args.file.is_absolute() else Path.cwd() / args.file
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read {args.file}: {exc}") from None
    lines = text.split("\n")
    if args.line > len(lines):
        raise UserError(f"--line {args.line} is past the end of {args.file} ({len(lines)} lines)")
    line_text = lines[args.line - 1].rstrip("\r")
    if args.column > len(line_text) + 1:
        raise UserError(f"--column {args.column} is past the end of line {args.line} "
                        f"({len(line_text)} characters; {len(line_text) + 1} is its end)")
    request = CompletionRequest(uri=file.resolve().as_uri(), path=str(file.resolve()), text=text,
                                line=args.line - 1, character=args.column - 1,
                                language=language_for_path(str(file)), trigger="invoked")

    async def go() -> tuple[list, dict[str, int]]:
        async with new_client() as client:
            completer = Completer(settings, client=client, workspace_root=root)
            return await completer.complete(request), dict(completer.stats)

    suggestions, stats = asyncio.run(go())
    if args.json:
        first = suggestions[0] if suggestions else None
        end = first.replace_end if first else None
        print(json.dumps({
            "text": first.text if first else None,
            "replace_end": {"line": end[0] + 1, "column": end[1] + 1} if end else None,
            "model": first.model if first else settings.brains.completion.model,
            "ms": round(first.ms, 1) if first else None,
            "cached": first.cached if first else False,
            "stats": stats,
        }))
    elif suggestions:
        sys.stdout.write(suggestions[0].text + "\n")
    else:
        reasons = ", ".join(f"{k}={v}" for k, v in sorted(stats.items()) if k != "requested") or "none"
        print(f"mycoder-lsp: no suggestion ({reasons})", file=sys.stderr)
    return 0 if suggestions else 1
