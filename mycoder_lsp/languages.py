"""Which language a file is: by suffix, or by the editor's LSP languageId.

One table for validation, chunking and the server, so a language added here
is checked, indexed and served alike.
"""

from __future__ import annotations

from pathlib import PurePath

LANGUAGES = {
    ".py": "python",
    ".pyi": "python",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".jsx": "javascript",
    ".ts": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".tsx": "tsx",
    ".go": "go",
    ".rs": "rust",
}

# LSP languageId -> our language name
LANGUAGE_IDS = {
    "python": "python",
    "javascript": "javascript",
    "javascriptreact": "javascript",
    "typescript": "typescript",
    "typescriptreact": "tsx",
    "go": "go",
    "rust": "rust",
}


def language_for_path(path: str) -> str | None:
    return LANGUAGES.get(PurePath(path).suffix.lower())
