"""MC4xx: security for Python: calls of forbidden builtins (the
constitution's ``forbidden_sources``, default ``eval`` and ``exec``) found in
the syntax tree (MC401), and hardcoded secrets: well-known key and token
formats anywhere in the text (MC402), private-key blocks (MC403), and
secret-looking names bound to a string literal (MC404).

It must not flag a method of the same name (``model.eval()``), the word in a
string, a name the module rebinds, values read from the environment or
configuration, or obvious placeholders. The formats, names and placeholder
rules are :mod:`mycoder_lsp.memory.redaction`'s, shared with the vault and
the prompts.
"""

from __future__ import annotations

import ast

from mycoder_lsp.memory.redaction import PRIVATE_KEY, is_placeholder, is_secret_name, token_formats
from mycoder_lsp.text import position_of
from mycoder_lsp.validation.findings import Finding, Severity
from mycoder_lsp.validation.source import PythonSource

# What a secret looks like is decided once, in memory/redaction.py: the vault
# and the prompts hide exactly what this layer flags.


def check_security(src: PythonSource, forbidden: list[str]) -> list[Finding]:
    findings = _forbidden_calls(src, forbidden) if forbidden and src.tree is not None else []
    findings += _token_formats(src)
    if src.tree is not None:
        findings += _secret_assignments(src)
    return findings


def check_secrets_in_text(src: PythonSource) -> list[Finding]:
    """Languages without a Python tree: only the key and token formats."""
    return _token_formats(src)


def _forbidden_calls(src: PythonSource, forbidden: list[str]) -> list[Finding]:
    names = set(forbidden)
    rebound = _module_bindings(src) & names
    findings = []
    for node in src.of_type(ast.Call):
        func = node.func  # type: ignore[attr-defined]
        target = None
        if isinstance(func, ast.Name) and func.id in names and func.id not in rebound:
            target = func.id
        elif (isinstance(func, ast.Attribute) and func.attr in names and isinstance(func.value, ast.Name)
              and func.value.id == "builtins"):
            target = func.attr
        if target is None:
            continue
        findings.append(src.finding(
            "MC401",
            f"Call of '{target}', which the constitution forbids (constitution.forbidden_sources): "
            "parse or dispatch the input explicitly instead.",
            Severity.WARNING, func))
    return findings


def _module_bindings(src: PythonSource) -> set[str]:
    """Names the file defines itself: then ``eval(...)`` is not the builtin."""
    bound: set[str] = set()
    for node in src.of_type(ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef):
        bound.add(node.name)  # type: ignore[attr-defined]
    for node in src.of_type(ast.Import, ast.ImportFrom):
        for alias in node.names:  # type: ignore[attr-defined]
            bound.add((alias.asname or alias.name).split(".")[0])
    for node in src.of_type(ast.Name):
        if isinstance(node.ctx, ast.Store):  # type: ignore[attr-defined]
            bound.add(node.id)  # type: ignore[attr-defined]
    for node in src.of_type(ast.arg):
        bound.add(node.arg)  # type: ignore[attr-defined]
    return bound


def _token_formats(src: PythonSource) -> list[Finding]:
    findings = []
    text = src.text
    if "-----BEGIN" in text:
        for match in PRIVATE_KEY.finditer(text):
            findings.append(_span_finding(
                src, match.start(), match.end(), "MC403",
                "A private key is written into the source: move it to a file outside the repository or a "
                "secret store, and rotate it."))
    for what, match in token_formats(text):
        findings.append(_span_finding(
            src, match.start(), match.end(), "MC402",
            f"This looks like {what}: read it from the environment or a secret store, and revoke this one."))
    findings.sort(key=lambda f: (f.line, f.column))
    return findings


def _span_finding(src: PythonSource, start: int, end: int, code: str, message: str) -> Finding:
    # Offsets into the text as it is: LSP lines (a \r\n is one break, not two characters gone).
    line, col = position_of(src.text, start)
    end_line, end_col = position_of(src.text, end)
    return Finding(code, message, Severity.WARNING, line, col, end_line, end_col)


def _secret_assignments(src: PythonSource) -> list[Finding]:
    findings = []
    pairs: list[tuple[str, ast.AST, ast.AST]] = []
    for node in src.of_type(ast.Assign):
        for target in node.targets:  # type: ignore[attr-defined]
            name = _target_name(target)
            if name:
                pairs.append((name, target, node.value))  # type: ignore[attr-defined]
    for node in src.of_type(ast.AnnAssign):
        name = _target_name(node.target)  # type: ignore[attr-defined]
        if name and node.value is not None:  # type: ignore[attr-defined]
            pairs.append((name, node.target, node.value))  # type: ignore[attr-defined]
    for node in src.of_type(ast.keyword):
        if node.arg:  # type: ignore[attr-defined]
            pairs.append((node.arg, node, node.value))  # type: ignore[attr-defined]
    for node in src.of_type(ast.Dict):
        for key, value in zip(node.keys, node.values):  # type: ignore[attr-defined]
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                pairs.append((key.value, key, value))
    for name, anchor, value in pairs:
        if not (isinstance(value, ast.Constant) and isinstance(value.value, str)):
            continue  # os.environ[...], os.getenv(...), config lookups, f-strings
        if not is_secret_name(name):
            continue
        literal = value.value
        if is_placeholder(literal, name):
            continue
        findings.append(src.finding(
            "MC404",
            f"'{name}' is assigned a hardcoded secret: read it from the environment "
            f"(os.environ[{name.upper()!r}]) or a secret store instead.",
            Severity.WARNING, anchor))
    return findings


def _target_name(target: ast.AST) -> str | None:
    if isinstance(target, ast.Name):
        return target.id
    if isinstance(target, ast.Attribute):
        return target.attr
    if isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant):
        value = target.slice.value
        return value if isinstance(value, str) else None
    return None

