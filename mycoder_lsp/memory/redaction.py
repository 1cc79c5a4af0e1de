"""What a secret looks like, and how secrets are kept out of the vault and the prompts.

The one list for the whole project: the security layer
(:mod:`mycoder_lsp.validation.security`, MC402-MC404) flags with these same
formats, names and placeholder rules. Found, as text patterns so that
indexing a file costs no parse: well-known token formats (AWS, GitHub, Slack,
OpenAI, Stripe, Google, JWTs...), the body of a private-key block, a
secret-looking name bound to a literal (``API_KEY = "..."``, ``db_password:
str = "..."``, ``password: x`` in YAML, ``KEY=value`` in env files), the
password of a connection URL and a ``Bearer``/``Basic`` credential. Only
literal values are secrets: ``token = next_token()`` or ``password: str`` are
code and stay.

- :func:`redact` (the vault, session history, learned patterns): each secret
  becomes ``[REDACTED]``, for good.
- :class:`Redactor` (one per model request): each secret becomes
  ``<redacted:N>`` (the same value, the same N) and :meth:`Redactor.restore`
  puts the user's own lines back into the answer, or refuses it.

Either way the text keeps its line count (review line numbers stay right).
This module must not touch the disk, the vault or a model.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePath

from mycoder_lsp.errors import UserError

# Bumped whenever the rules find more: a vault whose chunks were redacted by
# older rules is rebuilt (see Vault._check_lexical), so no secret they missed
# stays stored.
VERSION = "2"


REDACTED = "[REDACTED]"

# (what, literal prefixes, pattern) for credentials whose format alone gives
# them away. The prefixes let a scan skip a pattern with one ``in`` test: one
# big alternation regex over a whole file costs more than parsing it.
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
    # header.payload.signature, both JSON parts starting with '{"'.
    ("a JSON Web Token", ("eyJ",), r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}"),
]
_TOKENS = [(what, prefixes, re.compile(pattern)) for what, prefixes, pattern in TOKEN_FORMATS]
PRIVATE_KEY = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")
_PRIVATE_KEY_END = re.compile(r"-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")

SECRET_NAME = re.compile(
    r"(?:^|_)(?:pass(?:wd|word|phrase)?|pwd|secret|api_?key|apikey|access_?key|private_?key|"
    r"(?:secret|signing|encryption|master|client|app|license)_?key|"
    r"auth_?token|access_?token|refresh_?token|token|credentials?)$",
    re.IGNORECASE,
)
# Names that contain a secret word but hold no secret.
NOT_SECRET_NAME = re.compile(
    r"(?:_|^)(?:file|path|dir|url|uri|name|names|field|fields|key_?name|prompt|label|type|types|env|var|"
    r"header|param|pattern|regex|re|length|len|len_?min|min|max|count|id|index|idx|class|cls|format|fmt|"
    r"hash|hasher|encoding|kind|mode|policy|endpoint|cmd|command|column|attr|char|chars|sep|prefix|"
    r"suffix|placeholder|hint|help|message|msg|text|template|size|required|expires?|expiry|ttl)(?:_|$)",
    re.IGNORECASE,
)
PLACEHOLDER = re.compile(
    r"^(?:|\s+|x+|\*+|\.+|-+|#+|0+|changeme|change[_ -]?me|secret|password|passwd|token|api[_-]?key|"
    r"dummy|test|testing|example|sample|fake|foo|bar|none|null|todo|fixme|redacted|hidden|placeholder|"
    r"your[_ -].*|my[_ -].*|<.*>|\{.*\}|\$\{.*\}|\$[A-Z_][A-Z0-9_]*|%\(.*\)s|%s|.*\{\}.*|insert.*|enter.*|"
    r"replace.*|put.*here|.*_here|xxx.*|.*xxxx.*|\.\.\..*|\[REDACTED\])$",
    re.IGNORECASE,
)
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def is_secret_name(name: str) -> bool:
    """``db_password``, ``SECRET_KEY``, ``apiKey``, ``spring.datasource.password``;
    not ``password_prompt`` or ``token_type``."""
    name = re.sub(r"[.\-]", "_", _CAMEL.sub("_", name))
    return bool(SECRET_NAME.search(name)) and not NOT_SECRET_NAME.search(name)


def is_placeholder(literal: str, name: str) -> bool:
    """Whether ``literal`` assigned to ``name`` is no real secret: empty,
    short, a placeholder, words, or (for keys and tokens) too plain."""
    value = literal.strip()
    if len(value) < 6 or PLACEHOLDER.match(value):
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


def token_formats(text: str) -> Iterator[tuple[str, re.Match[str]]]:
    """``(what, match)`` for every well-known credential format in ``text``."""
    for what, prefixes, pattern in _TOKENS:
        if any(prefix in text for prefix in prefixes):
            for match in pattern.finditer(text):
                if not (PLACEHOLDER.match(match.group()) or "xxxx" in match.group().lower()):
                    yield what, match


# -- finding secrets in text ----------------------------------------------------

# Files whose bare ``name = value`` / ``name: value`` lines hold values, not code.
CONFIG_SUFFIXES = {".env", ".ini", ".cfg", ".conf", ".properties", ".yaml", ".yml", ".toml", ".envrc",
                   ".npmrc", ".pypirc", ".netrc", ".tfvars"}
_NAME_HINT = re.compile(r"pass|pwd|secret|key|token|credential", re.IGNORECASE)
# name = "value", name: "value", "name": "value", name := "value", name: str = "value", in any language.
# (A name may follow an escape: "...\\napi_key = ..." in a string of code.)
_QUOTED = re.compile(
    r"""(?:(?<=\\[nrt])|(?<![\w.\\-]))(?P<name>[A-Za-z_][\w.-]*)["']?\s*"""
    r"""(?::\s*[A-Za-z_][\w.\[\], |]*?\s*)?(?::=|=>|=|:)\s*[rRbBuU]{0,2}"""
    r"""(?P<q>["'`])(?P<value>(?:\\.|(?!(?P=q))[^\\\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029])+)(?P=q)"""
)
# A whole line that binds a bare value: KEY=value, export KEY=value, - KEY=value, key: value, key = value
# (also as a line of a diff, which learned patterns store).
_BARE = re.compile(
    r"""^(?:[+-](?=[\s\w]))?\s*(?:export\s+|-\s+)?(?P<name>[A-Za-z_][\w.-]*)(?P<sep>\s*[=:]\s*)"""
    r"""(?P<value>[^\s'"`]+)(?:\s+#.*)?\s*$"""
)
# name=value inside a line (a typed instruction, a command line): only values no code could be.
_INLINE = re.compile(
    r"""(?:(?<=\\[nrt])|(?<![\w.\\]))(?P<name>[A-Za-z_][\w.-]*)\s*[=:]\s*(?P<value>[^\s'"`()\[\]{},;<>]+)""")
_CODE_CHARS = re.compile(r"[()\[\]{},;]")
_REFERENCE = re.compile(r"^[A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)*$")  # a name or attribute chain
_URL_PASSWORD = re.compile(r"""\b[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@'"]*:(?P<value>[^\s@/'"]+)@""")
_HEADER_CREDENTIAL = re.compile(r"\b(?:Bearer|bearer|BEARER|Basic)\s+(?P<value>[A-Za-z0-9._~+/-]{16,}=*)")


def is_config_path(path: str | None) -> bool:
    if not path:
        return False
    p = PurePath(path)
    return p.suffix.lower() in CONFIG_SUFFIXES or p.name.lower().startswith(".env")


def secret_spans(text: str, path: str | None = None) -> list[tuple[int, int]]:
    """``(start, end)`` of every secret value in ``text``, sorted, not
    overlapping, none across a line break. ``path`` says whether bare values
    are values (a config file) or code (anything else, or unknown)."""
    spans: list[tuple[int, int]] = []
    if "-----BEGIN" in text:
        spans += _private_key_lines(text)
    spans += [m.span() for _, m in token_formats(text)]
    if "://" in text and "@" in text:
        spans += [m.span("value") for m in _URL_PASSWORD.finditer(text) if not PLACEHOLDER.match(m["value"])]
    if "Bearer" in text or "bearer" in text or "BEARER" in text or "Basic" in text:
        spans += [m.span("value") for m in _HEADER_CREDENTIAL.finditer(text)
                  if not is_placeholder(m["value"], "token")]
    if _NAME_HINT.search(text):
        config = is_config_path(path)
        offset = 0
        for line in text.split("\n"):
            if ("=" in line or ":" in line) and _NAME_HINT.search(line):
                spans += [(offset + a, offset + b) for a, b in _assignment_spans(line, config)]
            offset += len(line) + 1
    return _disjoint(spans)


def _private_key_lines(text: str) -> list[tuple[int, int]]:
    """Each line of a private key's body (the BEGIN/END lines say what it was)."""
    spans = []
    for begin in PRIVATE_KEY.finditer(text):
        end = _PRIVATE_KEY_END.search(text, begin.end())
        stop = end.start() if end else len(text)
        start = begin.end()
        for piece in re.finditer(r"[^\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]+", text[start:stop]):
            if piece.group().strip():
                spans.append((start + piece.start(), start + piece.end()))
    return spans


def _assignment_spans(line: str, config: bool) -> list[tuple[int, int]]:
    spans = [m.span("value") for m in _QUOTED.finditer(line)
             if is_secret_name(m["name"]) and not is_placeholder(m["value"], m["name"])]
    bare = _BARE.match(line)
    if bare and not spans and _bare_is_secret(bare, config):
        spans.append(bare.span("value"))
    if not spans:
        spans = [m.span("value") for m in _INLINE.finditer(line) if is_secret_name(m["name"])
                 and not _REFERENCE.match(m["value"]) and not m["value"].startswith(("$", "%", "=", "&", "*"))
                 and not is_placeholder(m["value"], m["name"])]
    return spans


def _bare_is_secret(match: re.Match[str], config: bool) -> bool:
    name, value, sep = match["name"], match["value"], match["sep"]
    if not is_secret_name(name) or value.startswith(("$", "%", "&", "*", "!")) or is_placeholder(value, name):
        return False
    if config:
        return True
    # Code: ``token = next_token()``, ``password: str``, ``key = self.key`` are no literals.
    if _CODE_CHARS.search(value):
        return False
    if sep.strip() == "=" and not sep.startswith((" ", "\t")):
        return True  # KEY=value: env files, compose environment blocks, shell
    return not _REFERENCE.match(value)  # a digit or a symbol: no name in any language


def _disjoint(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for start, end in sorted(spans, key=lambda s: (s[0], -s[1])):
        if out and start < out[-1][1]:
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end)
            continue
        out.append((start, end))
    return out


def redact(text: str, path: str | None = None) -> str:
    """``text`` with every secret replaced by ``[REDACTED]`` (lines kept)."""
    if not text:
        return text
    return _replace(text, secret_spans(text, path), lambda value: REDACTED)


def _replace(text: str, spans: list[tuple[int, int]], by: Callable[[str], str]) -> str:
    if not spans:
        return text
    parts: list[str] = []
    last = 0
    for start, end in spans:
        parts += [text[last:start], by(text[start:end])]
        last = end
    parts.append(text[last:])
    return "".join(parts)


# -- one request: hide, then restore -------------------------------------------

_MARKER = re.compile(r"<redacted:\d+>|\[REDACTED\]")


class SecretInAnswer(UserError):
    """The model's answer would put a placeholder (or a secret where it was not) into the file."""


@dataclass
class Redactor:
    """Hides the secrets of one request from the model and keeps them, so the
    user's own lines can be put back into the answer.

    ``path`` is the request's document (config files hide bare values too).
    """

    path: str | None = None
    _numbers: dict[str, int] = field(default_factory=dict)

    def hide(self, text: str, path: str | None = None) -> str:
        """``text`` with each secret replaced by ``<redacted:N>``."""
        if not text:
            return text
        return _replace(text, secret_spans(text, path or self.path), self._placeholder)

    def _placeholder(self, value: str) -> str:
        number = self._numbers.setdefault(value, len(self._numbers) + 1)
        return f"<redacted:{number}>"

    def hide_messages(self, messages: list[dict[str, str]]) -> list[dict[str, str]]:
        return [{**m, "content": self.hide(m.get("content", ""))} for m in messages]

    @property
    def hidden(self) -> int:
        """How many distinct secrets were hidden so far."""
        return len(self._numbers)

    def restore(self, code: str, original: str, seen: str | None = None) -> str:
        """``code`` (from the model) with each line that holds a placeholder
        replaced by the user's own line it stands for. ``seen`` is
        ``hide(original)`` when the caller has it already.

        The only safe place for a secret is where it was: a placeholder line
        must be, apart from indentation, a line of the original as the model
        saw it; then the original line goes in (with the answer's
        indentation). Anything else (a placeholder moved, edited, or a vault
        ``[REDACTED]`` copied in) raises :class:`SecretInAnswer`: writing
        either the placeholder or the secret there would be wrong.
        """
        if not _MARKER.search(code):
            return code
        known: dict[str, str] = {}
        seen = self.hide(original) if seen is None else seen
        for hidden, real in zip(seen.split("\n"), original.split("\n")):
            if _MARKER.search(hidden):
                known.setdefault(hidden.strip(), real.strip())
        lines = code.split("\n")
        for i, line in enumerate(lines):
            if not _MARKER.search(line):
                continue
            restored = known.get(line.strip())
            if restored is None:
                raise SecretInAnswer(
                    f"line {i + 1} of the answer, {line.strip()[:80]!r}, changes or moves a secret the model was "
                    "not shown; make that change by hand")
            lines[i] = line[:len(line) - len(line.lstrip())] + restored
        return "\n".join(lines)


__all__ = ["CONFIG_SUFFIXES", "NOT_SECRET_NAME", "PLACEHOLDER", "PRIVATE_KEY", "REDACTED", "Redactor",
           "SECRET_NAME", "SecretInAnswer", "TOKEN_FORMATS", "is_config_path", "is_placeholder", "is_secret_name",
           "redact", "secret_spans", "token_formats"]
