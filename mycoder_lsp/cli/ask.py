"""``mycoder-lsp ask``: the editor's request flow from the terminal.

Prints the proposed change as a unified diff, or the answer, or why nothing
was proposed. The request sees what it sees in the editor: the workspace's
vault (when it has been indexed) gives the model its context. The file is
written only with ``--apply`` (atomically). Exit status: 0 when there is a
change or an answer, 1 when it was refused or a model failed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import stat
import sys
import tempfile
from pathlib import Path

from mycoder_lsp.errors import UserError
from mycoder_lsp.vocabulary import KINDS, ROUTED_KIND

HELP = "run the full request flow from the terminal"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("instruction", nargs="+", help="what to do, e.g. 'add a docstring to parse_config'")
    parser.add_argument("--file", type=Path, help="the file the request is about")
    parser.add_argument("--symbol", help="the function/class to work on (e.g. Config.load)")
    parser.add_argument("--line", type=int, help="1-based line: work on the symbol around it")
    parser.add_argument("--kind", choices=KINDS, default=ROUTED_KIND,
                        help="skip routing and force this kind of request (default: the router decides)")
    parser.add_argument("--verify", action=argparse.BooleanOptionalAction, default=None,
                        help="have the reasoning brain check the change (default: the brains.verify setting)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--apply", action="store_true", help="write the change to the file")


def run(args: argparse.Namespace) -> int:
    from mycoder_lsp.brains import edits
    from mycoder_lsp.brains.orchestrator import Progress, Request, Result
    from mycoder_lsp.code.languages import language_for_path
    from mycoder_lsp.workspace_session import Workspace

    workspace = Workspace.open(args.root)
    root = workspace.root
    for problem in workspace.problems:
        print(f"mycoder-lsp: {problem}", file=sys.stderr)
    text = ""
    path = ""
    if args.file is not None:
        file = args.file if args.file.is_absolute() else Path.cwd() / args.file
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError(f"cannot read {args.file}: {exc}") from None
        path = str(file)
    instruction = " ".join(args.instruction)
    request = Request(kind=args.kind, instruction=instruction, path=path, text=text,
                      language=language_for_path(path) if path else None, symbol=args.symbol, verify=args.verify)
    if args.line is not None:
        request.position = (max(args.line - 1, 0), 0)
    show_progress = sys.stderr.isatty() and not args.json

    def on_progress(progress: Progress) -> None:
        if show_progress:
            print(f"\r{progress.phase}… {progress.tokens} tokens", end="", file=sys.stderr, flush=True)

    async def go() -> Result:
        # The client, the pools of model servers and the vault the editor's server uses too.
        async with workspace.connected():
            return await workspace.orchestrator().run(request, on_progress=on_progress)

    with workspace:
        vault = workspace.open_vault("existing")
        if vault is not None and vault.notice:
            print(f"mycoder-lsp: {vault.notice}", file=sys.stderr)
        elif vault is None and workspace.vault_note and args.verbose:
            print(f"mycoder-lsp: {workspace.vault_note}", file=sys.stderr)
        result: Result = asyncio.run(go())
    if show_progress:
        print("\r\033[K", end="", file=sys.stderr)
    data = result.to_json()
    diff = ""
    edit = result.edit
    if edit is not None:
        display = os.path.relpath(path, root) if path else "untitled"
        diff = edits.unified_diff(text, edit.new_document, display)
        # The callers of a renamed function, in other files, change with it.
        for related in edit.related:
            diff += edits.unified_diff(related.old_text, related.new_text, os.path.relpath(related.path, root))
        data["diff"] = diff
    applied = False
    for warning in result.warnings:
        print(f"mycoder-lsp: warning: {warning}", file=sys.stderr)
    if edit is not None and args.apply and not result.warnings:
        _write_atomically(Path(path), edit.new_document)
        for related in edit.related:
            _write_atomically(Path(related.path), related.new_text)
        applied = True
        data["applied"] = True
    kind = result.kind
    if args.json:
        print(json.dumps(data, indent=2))
    elif kind == "edit":
        sys.stdout.write(diff)
        note = ("written to the file" if applied else "not written: it breaks what the warnings list"
                if args.apply else "not written; add --apply to write it")
        print(f"mycoder-lsp: {result.message} ({note})", file=sys.stderr)
    elif kind == "explanation":
        print(result.text)
    elif kind == "review":
        for finding in result.findings:
            where = f"{path or 'untitled'}:{finding.line + 1}" if finding.line is not None else (path or "untitled")
            print(f"{where}: {finding.severity}: {finding.message}")
        print(f"mycoder-lsp: {result.message}", file=sys.stderr)
    else:
        print(f"mycoder-lsp: {result.message}", file=sys.stderr)
    if edit is not None and args.apply and not applied:
        return 1
    return 0 if kind in ("edit", "explanation", "review") else 1


def _write_atomically(path: Path, text: str) -> None:
    """Replace the file's text and nothing else: a symlinked ``--file`` stays a link
    (its target is written), and the target keeps its mode, owner and group."""
    target = Path(os.path.realpath(path))
    try:
        st = target.stat()
        # Replacing the name would split it from its other hard links: written in place.
        if st.st_nlink > 1 or not _replace(target, text, st):
            with open(target, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc}") from None


def _replace(target: Path, text: str, st: os.stat_result) -> bool:
    """Write a copy in the target's directory (rename() is atomic within one file
    system) with the target's mode and owner, and rename it over the target.
    False when the owner cannot be kept (another user's file): nothing changed."""
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            if (st.st_uid, st.st_gid) != (os.geteuid(), os.getegid()):
                try:
                    os.fchown(fh.fileno(), st.st_uid, st.st_gid)
                except PermissionError:
                    Path(tmp).unlink(missing_ok=True)
                    return False
            os.fchmod(fh.fileno(), stat.S_IMODE(st.st_mode))
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True
