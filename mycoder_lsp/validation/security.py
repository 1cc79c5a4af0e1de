"""MC4xx: security for Python: calls of forbidden builtins (the
constitution's ``forbidden_sources``, default ``eval`` and ``exec``) found in
the syntax tree (MC401), and hardcoded secrets: well-known key and token
formats anywhere in the text (MC402), private-key blocks (MC403),
secret-looking names bound to a string literal (MC404), and passwords
written where they are used (MC405): inside a connection URL
(``postgresql://app:hunter22@db/app``) or a connection string
(``...;PWD=s3cret``), or passed as a literal to a login or connect call
(``smtp.login(user, "s3cret")``, ``auth=("deploy", "s3cret")``).

It must not flag a method of the same name (``model.eval()``), the word in a
string, a name the module rebinds, values read from the environment or
configuration, or obvious placeholders. The formats, names and placeholder
rules are :mod:`mycoder_lsp.memory.redaction`'s, shared with the vault and
the prompts.
"""

from __future__ import annotations

import ast
import re

from mycoder_lsp.memory.redaction import PLACEHOLDER, PRIVATE_KEY, is_placeholder, is_secret_name, token_formats
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
        findings += _passwords_in_use(src)
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
        if is_placeholder(literal, name) or _names_or_pattern(literal, name):
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


# scheme://user:password@host (the shape redaction hides); the user may be empty (redis://:pw@host).
_URL_PASSWORD = re.compile(r"""\b[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@'"]*:(?P<value>[^\s@/'"]+)@""")
# key=value connection strings: ODBC "UID=sa;PWD=...", libpq "host=db password=...".
_DSN_PASSWORD = re.compile(r"(?:^|[;\s])(?:password|passwd|pwd)\s*=\s*(?P<value>[^;\s'\"]+)", re.IGNORECASE)
# Calls whose positional argument at this index is a password.
_PASSWORD_ARGUMENT = {"login": 1, "simple_bind_s": 1, "simple_bind": 1, "bind_s": 1, "HTTPBasicAuth": 1,
                      "HTTPDigestAuth": 1, "HTTPProxyAuth": 1, "BasicAuth": 1, "DigestAuth": 1, "FTP": 2, "FTP_TLS": 2}
# DB-API modules whose connect() takes the password third when positional.
_MYSQL_MODULES = {"pymysql", "MySQLdb", "mysql.connector", "mariadb"}
_CONNECTING = re.compile(r"connect|login|log_?in|sign_?in|auth|bind|session|client|engine|open", re.IGNORECASE)
_PASSWORD_WORD = re.compile(r"pass|pwd", re.IGNORECASE)
# A value that names something (``"_password_reset_token"``, a session key)
# or is a pattern (``r"[-!#$%&'*+.^_`|~0-9a-zA-Z]+"``, a grammar's token) is
# data about secrets, not one. The redaction of prompts stays stricter: it
# hides these too, as hiding costs nothing there.
_KEY_NAME = re.compile(r"_*[a-z]+(?:[_.:][a-z]+)+_*")
_PATTERN_CHARS = frozenset("[]^|*+?\\")


def _names_or_pattern(value: str, name: str) -> bool:
    if sum(ch in _PATTERN_CHARS for ch in value) >= 3:
        return True
    # "correct-horse-battery" is a fine password: words count only for keys and tokens.
    return not re.search(r"pass|pwd", name, re.IGNORECASE) and bool(_KEY_NAME.fullmatch(value))


_PLACEHOLDER_PASSWORDS = {"pass", "pw", "pwd", "passwd", "password", "secret", "user", "username", "test", "admin"}
# Made-up values of tests and examples ("testpw", "wrong-password", "doesnotexist").
_MADE_UP = re.compile(r"test|fake|dummy|example|sample|invalid|wrong|incorrect|bogus|mock|doesnotexist|notexist",
                      re.IGNORECASE)


def _is_placeholder_password(value: str) -> bool:
    """Where the place already says "password", a short literal is still one
    ("toor", "s3cr"); "", "***", "<password>", "${PW}", "xxx", a test's
    "wrong-password" and SQL parameters (``password=:pw``, ``=?``) are not."""
    value = value.strip()
    return (len(value) < 3 or value[0] in ":?@&" or bool(PLACEHOLDER.match(value))
            or value.lower() in _PLACEHOLDER_PASSWORDS or any(ch in value for ch in "{}$%<>")
            or any(ch.isspace() for ch in value) or len(set(value)) <= 1 or bool(_MADE_UP.search(value)))


def _passwords_in_use(src: PythonSource) -> list[Finding]:
    findings = []
    documentation = {id(stmt.value) for stmt in src.of_type(ast.Expr)}  # docstrings and bare strings
    for node in src.of_type(ast.Constant):
        value = node.value  # type: ignore[attr-defined]
        if value.__class__ is not str or ("@" not in value and "=" not in value) or id(node) in documentation:
            continue
        for pattern, where in ((_URL_PASSWORD, "connection URL"), (_DSN_PASSWORD, "connection string")):
            match = pattern.search(value)
            if match and not _is_placeholder_password(match["value"]):
                findings.append(src.finding(
                    "MC405", f"This {where} holds a password: build it from the environment "
                    "(os.environ['DB_PASSWORD']) or a secret store, and change the password.",
                    Severity.WARNING, node))
                break
    for call in src.of_type(ast.Call):
        func = call.func  # type: ignore[attr-defined]
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        index = _PASSWORD_ARGUMENT.get(name)
        if name == "connect" and _receiver(func) in _MYSQL_MODULES:
            index = 2  # connect(host, user, password, database)
        args = call.args  # type: ignore[attr-defined]
        if index is not None and len(args) > index and _literal_password(args[index]) and not (
                name == "login" and _is_anonymous(args[0])):
            findings.append(_call_finding(src, name, args[index]))
        for keyword in call.keywords:  # type: ignore[attr-defined]
            value = keyword.value
            if not keyword.arg or value.__class__ not in (ast.Tuple, ast.Constant):
                continue
            if keyword.arg == "auth" and isinstance(value, ast.Tuple) and len(value.elts) == 2 \
                    and _literal_password(value.elts[1]):
                findings.append(_call_finding(src, name, value.elts[1]))
            elif _PASSWORD_WORD.search(keyword.arg) and _CONNECTING.search(name) and isinstance(value, ast.Constant) \
                    and _literal_password(value) and is_placeholder(str(value.value), keyword.arg):
                # A long one is MC404's already; a short one ("toor") too, here,
                # where the call says it is a password.
                findings.append(src.finding(
                    "MC404", f"'{keyword.arg}' is assigned a hardcoded secret: read it from the environment "
                    f"(os.environ[{keyword.arg.upper()!r}]) or a secret store instead.", Severity.WARNING, keyword))
    return findings


def _receiver(func: ast.AST) -> str:
    """``pymysql`` of ``pymysql.connect``, ``mysql.connector`` of ``mysql.connector.connect``."""
    if not isinstance(func, ast.Attribute):
        return ""
    try:
        return ast.unparse(func.value)
    except (ValueError, RecursionError):  # pragma: no cover - unparse of a parsed tree
        return ""


def _is_anonymous(user: ast.AST) -> bool:
    """Anonymous FTP: the "password" is by convention an e-mail address or anything."""
    return isinstance(user, ast.Constant) and user.value in ("anonymous", "ftp")


def _literal_password(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and not _is_placeholder_password(node.value)


def _call_finding(src: PythonSource, call: str, node: ast.AST) -> Finding:
    return src.finding(
        "MC405", f"A literal password is passed to '{call}': read it from the environment "
        "(os.environ[...]), a secret store or getpass.getpass(), and change the password.",
        Severity.WARNING, node)
