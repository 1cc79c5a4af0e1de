"""MC4xx: security for Python: calls of forbidden builtins (the
constitution's ``forbidden_sources``, default ``eval`` and ``exec``) found in
the syntax tree (MC401), and hardcoded secrets: well-known key and token
formats anywhere in the text (MC402), private-key blocks (MC403), and
secret-looking names bound to a string literal (MC404).

It must not flag a method of the same name (``model.eval()``), the word in a
string, a name the module rebinds, values read from the environment or
configuration, or obvious placeholders.
"""

from __future__ import annotations

import ast
import re

from mycoder_lsp.validation.findings import Finding, Severity
from mycoder_lsp.validation.source import PythonSource

# (what, literal prefixes, pattern) for credentials whose format alone gives
# them away. The prefixes let the scan skip a pattern with one ``in`` test:
# one big alternation regex over the whole file cost more than pyflakes.
TOKEN_FORMATS: list[tuple[str, tuple[str, ...], str]] = [
    ("an AWS access key id", ("AKIA", "ASIA", "AGPA", "AIDA", "AROA", "ANPA", "ANVA"),
     r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA)[0-9A-Z]{16}\b"),
    ("a GitHub token", ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
     r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,}\b|\bgithub_pat_[A-Za-z0-9_]{60,}\b"),
    ("a Slack token", ("xox",), r"\bxox[abposr]-[A-Za-z0-9-]{10,}\b"),
    ("an OpenAI-style API key", ("sk-",), r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{32,}\b"),
    ("a Google API key", ("AIza",), r"\bAIza[0-9A-Za-z_-]{35}\b"),
    ("a Stripe secret key", ("_live_",), r"\b(?:sk|rk)_live_[0-9A-Za-z]{24,}\b"),
    ("a GitLab token", ("glpat-",), r"\bglpat-[0-9A-Za-z_-]{20,}\b"),
    ("a Hugging Face token", ("hf_",), r"\bhf_[A-Za-z0-9]{34,}\b"),
    ("an npm token", ("npm_",), r"\bnpm_[A-Za-z0-9]{36}\b"),
]
_TOKENS = [(what, prefixes, re.compile(pattern)) for what, prefixes, pattern in TOKEN_FORMATS]
_PRIVATE_KEY = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")

_SECRET_NAME = re.compile(
    r"(?:^|_)(?:pass(?:wd|word|phrase)?|pwd|secret|api_?key|apikey|access_?key|private_?key|"
    r"auth_?token|access_?token|refresh_?token|token|credentials?)$",
    re.IGNORECASE,
)
# Names that contain a secret word but hold no secret.
_NOT_SECRET_NAME = re.compile(
    r"(?:_|^)(?:file|path|dir|url|uri|name|names|field|fields|key_?name|prompt|label|type|types|env|var|"
    r"header|param|pattern|regex|re|length|len|len_?min|min|max|count|id|index|idx|class|cls|format|fmt|"
    r"hash|hasher|encoding|kind|mode|policy|endpoint|cmd|command|column|attr|char|chars|sep|prefix|"
    r"suffix|placeholder|hint|help|message|msg|text|template|size|required|expires?|expiry|ttl)(?:_|$)",
    re.IGNORECASE,
)
_PLACEHOLDER = re.compile(
    r"^(?:|\s+|x+|\*+|\.+|-+|#+|0+|changeme|change[_ -]?me|secret|password|passwd|token|api[_-]?key|"
    r"dummy|test|testing|example|sample|fake|foo|bar|none|null|todo|fixme|redacted|hidden|placeholder|"
    r"your[_ -].*|my[_ -].*|<.*>|\{.*\}|\$\{.*\}|\$[A-Z_][A-Z0-9_]*|%\(.*\)s|%s|.*\{\}.*|insert.*|enter.*|"
    r"replace.*|put.*here|.*_here|xxx.*|.*xxxx.*|\.\.\..*)$",
    re.IGNORECASE,
)


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
        for match in _PRIVATE_KEY.finditer(text):
            findings.append(_span_finding(
                src, match.start(), match.end(), "MC403",
                "A private key is written into the source: move it to a file outside the repository or a "
                "secret store, and rotate it."))
    for what, prefixes, pattern in _TOKENS:
        if not any(prefix in text for prefix in prefixes):
            continue
        for match in pattern.finditer(text):
            if _PLACEHOLDER.match(match.group()) or "xxxx" in match.group().lower():
                continue
            findings.append(_span_finding(
                src, match.start(), match.end(), "MC402",
                f"This looks like {what}: read it from the environment or a secret store, and revoke this one."))
    findings.sort(key=lambda f: (f.line, f.column))
    return findings


def _span_finding(src: PythonSource, start: int, end: int, code: str, message: str) -> Finding:
    text = src.text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in src.text else src.text
    line = text.count("\n", 0, start)
    col = start - (text.rfind("\n", 0, start) + 1)
    end_line = line + text.count("\n", start, end)
    end_col = end - (text.rfind("\n", 0, end) + 1)
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
        if not _SECRET_NAME.search(name) or _NOT_SECRET_NAME.search(name):
            continue
        literal = value.value
        if _is_placeholder(literal, name):
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


def _is_placeholder(literal: str, name: str) -> bool:
    value = literal.strip()
    if len(value) < 6 or _PLACEHOLDER.match(value):
        return True
    if value.lower() == name.lower() or any(ch.isspace() for ch in value):
        return True  # the name itself, or words (a prompt, help text, a token of a grammar)
    if len(set(value)) <= 2:
        return True  # "aaaaaa", "******"
    if not re.search(r"pass|pwd", name, re.IGNORECASE):
        # Keys and tokens are long and mix character classes; "def" or
        # "NAME" assigned to ``token`` in a tokenizer is no credential.
        classes = sum(bool(re.search(p, value)) for p in (r"[a-z]", r"[A-Z]", r"[0-9]", r"[^A-Za-z0-9]"))
        if len(value) < 12 or classes < 2:
            return True
    return False
