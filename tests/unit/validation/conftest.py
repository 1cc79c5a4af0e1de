from __future__ import annotations

from pathlib import Path

import pytest

from mycoder_lsp.config import Settings
from mycoder_lsp.validation.findings import FileResult
from mycoder_lsp.validation.pipeline import validate_text


@pytest.fixture
def check(tmp_path: Path):
    """Validate code as a file of an empty workspace in tmp_path."""

    def run(code: str, *, name: str = "mod.py", settings: Settings | None = None, **kwargs: object) -> FileResult:
        path = tmp_path / name
        path.write_text(code, encoding="utf-8")
        return validate_text(code, path=str(path), settings=settings, workspace_root=tmp_path, **kwargs)  # type: ignore[arg-type]

    return run


def codes(result: FileResult) -> list[str]:
    return [f.code for f in result.findings]
