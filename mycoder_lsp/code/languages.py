"""The languages this package knows: one :class:`Language` record each.

Everything that treats languages differently reads these records, never its
own table: the suffixes a file is known by (the workspace walk, validation,
chunking), the LSP language ids the editor sends (the server) and the
editors are configured for (a test holds the VS Code ``package.json`` and the
Neovim filetypes to them), the tree-sitter grammar (``code.parsing``), the
fence tags a model's answer may carry and the wrapper a method needs to parse
on its own (``brains.edits``), the name the prompts use, and the symbol query.
Adding a language is one record here plus its query file.

Plain data: no parsing and no imports of grammars here.
"""

from __future__ import annotations

import os.path
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class Language:
    """One language. ``name`` is the key used everywhere in this package."""

    name: str
    display_name: str  # for prompts: "Python code"
    suffixes: tuple[str, ...]  # lower case, with the dot
    lsp_ids: tuple[str, ...]  # the editor's languageId values for it
    # (module, function returning the language pointer); None: not parsed by tree-sitter
    grammar: tuple[str, str] | None
    # Fence tags (```py) that mark a model's code block as this language.
    fence_tags: frozenset[str]
    line_comment: str
    # Blocks are delimited by braces (an unbalanced ``{`` means a cut-off answer).
    braces: bool = True
    # A method taken out of its class parses only inside one: ``%s`` is the
    # method's code. None: a method parses on its own (or is never wrapped).
    method_wrapper: str | None = None
    # The symbol query (``queries/<file>``); None: symbols come from ``ast``.
    query: str | None = None


_CLASS = "class __W {\n%s\n}\n"

RECORDS: tuple[Language, ...] = (
    Language("python", "Python", (".py", ".pyi"), ("python",), ("tree_sitter_python", "language"),
             frozenset({"python", "py", "python3"}), "#", braces=False),
    Language("javascript", "JavaScript", (".js", ".mjs", ".cjs", ".jsx"), ("javascript", "javascriptreact"),
             ("tree_sitter_javascript", "language"), frozenset({"javascript", "js", "jsx", "node"}), "//",
             method_wrapper=_CLASS, query="javascript.scm"),
    Language("typescript", "TypeScript", (".ts", ".mts", ".cts"), ("typescript",),
             ("tree_sitter_typescript", "language_typescript"), frozenset({"typescript", "ts"}), "//",
             method_wrapper=_CLASS, query="typescript.scm"),
    Language("tsx", "TypeScript (TSX)", (".tsx",), ("typescriptreact",),
             ("tree_sitter_typescript", "language_tsx"), frozenset({"tsx", "typescript", "ts", "jsx"}), "//",
             method_wrapper=_CLASS, query="typescript.scm"),
    Language("go", "Go", (".go",), ("go",), ("tree_sitter_go", "language"), frozenset({"go", "golang"}), "//",
             query="go.scm"),
    Language("rust", "Rust", (".rs",), ("rust",), ("tree_sitter_rust", "language"), frozenset({"rust", "rs"}), "//",
             method_wrapper="impl __W {\n%s\n}\n", query="rust.scm"),
)

BY_NAME: Mapping[str, Language] = MappingProxyType({record.name: record for record in RECORDS})
# suffix -> language name
LANGUAGES: Mapping[str, str] = MappingProxyType(
    {suffix: record.name for record in RECORDS for suffix in record.suffixes})
# LSP languageId -> language name
LANGUAGE_IDS: Mapping[str, str] = MappingProxyType(
    {lsp_id: record.name for record in RECORDS for lsp_id in record.lsp_ids})


def language_for_path(path: str) -> str | None:
    """The language of the file at ``path``, by its suffix; None if unknown."""
    # splitext, not PurePath: the same suffix for every key here, and the walk asks once per file.
    return LANGUAGES.get(os.path.splitext(path)[1].lower())


def language_for_id(language_id: str | None) -> str | None:
    """The language of an editor's LSP ``languageId``; None if unknown."""
    return LANGUAGE_IDS.get(language_id or "")


def language_of_document(language_id: str | None, path: str) -> str | None:
    """The language of an open document: the editor's ``languageId`` when
    this package knows it, else the file's suffix."""
    return language_for_id(language_id) or language_for_path(path)


def language(name: str | None) -> Language | None:
    """The record named ``name``; None for an unknown or missing name."""
    return BY_NAME.get(name or "")


__all__ = ["BY_NAME", "LANGUAGES", "LANGUAGE_IDS", "RECORDS", "Language", "language", "language_for_id",
           "language_for_path", "language_of_document"]
