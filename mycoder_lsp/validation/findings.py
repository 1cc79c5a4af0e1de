"""Records that cross the validation boundary: one finding, one file's result.

Positions are 0-based lines and 0-based columns counted in Unicode code
points, like Python's ``str`` indexing. The LSP layer converts to the
client's position encoding; the CLI prints them 1-based.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

SOURCE = "mycoder"


class Severity(IntEnum):
    """Same numbers as LSP's ``DiagnosticSeverity``."""

    ERROR = 1
    WARNING = 2
    INFORMATION = 3
    HINT = 4

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Finding:
    code: str
    message: str
    severity: Severity
    line: int
    column: int
    end_line: int
    end_column: int
    source: str = SOURCE

    def to_json(self) -> dict[str, object]:
        """The CLI contract: 1-based lines and columns."""
        return {
            "line": self.line + 1,
            "column": self.column + 1,
            "end_line": self.end_line + 1,
            "end_column": self.end_column + 1,
            "severity": self.severity.label,
            "code": self.code,
            "source": self.source,
            "message": self.message,
        }


@dataclass
class FileResult:
    path: str
    language: str | None
    findings: list[Finding] = field(default_factory=list)
    confidence: float = 1.0
    # Set when the file was not validated at all (too large, binary, ...).
    skipped: str | None = None

    @property
    def safe_to_persist(self) -> bool:
        return self.confidence >= 0.6

    @property
    def has_errors(self) -> bool:
        return any(f.severity == Severity.ERROR for f in self.findings)

    def to_json(self) -> dict[str, object]:
        return {
            "path": self.path,
            "confidence": round(self.confidence, 3),
            "safe_to_persist": self.safe_to_persist,
            "findings": [f.to_json() for f in self.findings],
        }
