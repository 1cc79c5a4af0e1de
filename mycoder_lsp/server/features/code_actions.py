"""Code actions: Fix, Explain, Review and Modify with MyCoder.

Listed at once from what the document already says (the diagnostics the
client passes, the symbol under the cursor) and never call a model: each
action is a ``mycoder.*`` command (:mod:`~mycoder_lsp.server.features.commands`)
whose argument is a :class:`~mycoder_lsp.server.arguments.TargetArguments`.
Documents not open, or over ``validation.max_file_size``, get none.
"""

from __future__ import annotations

from lsprotocol import types
from pygls.workspace.position_codec import ServerTextPosition

from mycoder_lsp.code.symbols import symbol_at
from mycoder_lsp.server.app import MyCoderServer
from mycoder_lsp.server.arguments import DiagnosticArgument, TargetArguments, to_json
from mycoder_lsp.server.feature import Feature
from mycoder_lsp.server.features.symbols import DocumentSymbols


class CodeActionsFeature(Feature):
    def __init__(self, server: MyCoderServer, symbols: DocumentSymbols) -> None:
        super().__init__(server)
        self.symbols = symbols

    async def code_actions(self, params: types.CodeActionParams) -> list[types.CodeAction]:
        uri = params.text_document.uri
        doc = self.symbols.open_document(uri)
        if doc is None or self.symbols.too_large(doc) or params.range.start.line >= max(len(doc.lines), 1):
            return []  # not open, too large, or a position past the end: nothing to act on
        only = params.context.only
        actions: list[types.CodeAction] = []

        def wanted(kind: str) -> bool:
            return not only or any(kind == k or kind.startswith(f"{k}.") or k == "" for k in only)

        if wanted(types.CodeActionKind.QuickFix):
            for diagnostic in params.context.diagnostics:
                first = diagnostic.message.strip().splitlines()[0] if diagnostic.message.strip() else "problem"
                short = first if len(first) <= 60 else first[:57] + "..."
                actions.append(types.CodeAction(
                    title=f"Fix with MyCoder: {short}",
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[diagnostic],
                    command=types.Command(title=f"Fix with MyCoder: {short}", command="mycoder.fix", arguments=[to_json(
                        TargetArguments(uri=uri, range=diagnostic.range,
                                        diagnostics=[DiagnosticArgument.of(diagnostic)]))]),
                ))
        rng = params.range
        selected = (rng.start.line, rng.start.character) != (rng.end.line, rng.end.character)
        start = doc.position_from_client_units(rng.start) if doc.lines else ServerTextPosition(0, 0)
        symbol = symbol_at(await self.symbols.of(doc), start.line, None)
        if symbol is None and not selected:
            return actions
        what = "selection" if selected else symbol.qualname if symbol else "code"
        if selected:
            target = TargetArguments(uri=uri, range=rng)
        else:
            target = TargetArguments(uri=uri, position=rng.start, symbol=symbol.qualname if symbol else None)
        for title, command, kind in (
            (f"Explain {what} with MyCoder", "mycoder.explain", types.CodeActionKind.Empty),
            (f"Review {what} with MyCoder", "mycoder.review", types.CodeActionKind.Empty),
            (f"Modify {what} with MyCoder…", "mycoder.modify", types.CodeActionKind.RefactorRewrite),
        ):
            if wanted(kind):
                actions.append(types.CodeAction(title=title, kind=kind,
                                                command=types.Command(title=title, command=command,
                                                                      arguments=[to_json(target)])))
        return actions


def register(server: MyCoderServer, symbols: DocumentSymbols) -> CodeActionsFeature:
    feature = server.add_feature(CodeActionsFeature(server, symbols))

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix,
                                                   types.CodeActionKind.RefactorRewrite,
                                                   types.CodeActionKind.Empty]),
    )
    async def code_action(ls: MyCoderServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        return await feature.code_actions(params)

    return feature
