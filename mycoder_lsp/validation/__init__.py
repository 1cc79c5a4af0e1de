"""The validation pipeline: syntax, style, lint, security and hallucination checks.

Plain Python, no pygls: the server, the CLI, the request flow and the
benchmarks all call :func:`mycoder_lsp.validation.pipeline.validate_text`.
"""

from mycoder_lsp.validation.findings import FileResult, Finding, Severity

__all__ = ["FileResult", "Finding", "Severity"]
