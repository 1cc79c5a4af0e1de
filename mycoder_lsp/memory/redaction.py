"""Secrets out before anything is stored in the vault or sent to a model.

The patterns are the security layer's (:mod:`mycoder_lsp.validation.security`:
well-known token formats, private-key blocks, secret-looking names bound to a
string literal, with its placeholder rules), applied as text patterns so that
indexing a file costs no second parse. A secret becomes ``[REDACTED]``; the
rest of the text, and its line count, is kept.

This module must not touch the disk or the vault.
"""

from __future__ import annotations

import re

from mycoder_lsp.validation import security

REDACTED = "[REDACTED]"
_PRIVATE_KEY_BLOCK = re.compile(
    r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----.*?"
    r"(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|\Z)",
    re.DOTALL,
)
# name = "value" / name: "value" / "name": "value" in any language.
_ASSIGNED = re.compile(
    r"""(?P<name>[A-Za-z_][\w-]*)["']?\s*(?::=|=|:)\s*(?P<q>["'`])(?P<value>[^"'`\n]{6,})(?P=q)"""
)
# The security layer's token formats: (what, [literal prefixes,] pattern).
_FORMATS = [(fmt[1] if len(fmt) == 3 else (), re.compile(fmt[-1])) for fmt in security.TOKEN_FORMATS]
# Its rules for names and placeholders (module-private there; the fallbacks
# keep redaction working, stricter, if they are renamed).
_SECRET_NAME = getattr(security, "_SECRET_NAME", re.compile(r"pass|pwd|secret|key|token|credential", re.I))
_NOT_SECRET_NAME = getattr(security, "_NOT_SECRET_NAME", re.compile(r"(?!)"))
_PLACEHOLDER = getattr(security, "_PLACEHOLDER", re.compile(r"^(?:x+|\*+|changeme|<.*>|\$\{.*\})$", re.I))
_is_placeholder = getattr(security, "_is_placeholder", lambda value, name: bool(_PLACEHOLDER.match(value)))
# Cheap tests first (the full patterns cost more than parsing the file).
_NAME_HINT = re.compile(r"pass|pwd|secret|key|token|credential", re.IGNORECASE)


def redact(text: str) -> str:
    """``text`` with every secret the security layer would flag replaced."""
    if not text:
        return text
    if "-----BEGIN" in text:
        text = _PRIVATE_KEY_BLOCK.sub(lambda m: _keep_lines(m.group()), text)
    for prefixes, pattern in _FORMATS:
        if not prefixes or any(prefix in text for prefix in prefixes):
            text = pattern.sub(_token, text)
    if _NAME_HINT.search(text):
        # Only the lines that name a secret can assign one.
        lines = text.split("\n")
        for i, line in enumerate(lines):
            if "=" in line or ":" in line:
                if _NAME_HINT.search(line):
                    lines[i] = _ASSIGNED.sub(_assignment, line)
        text = "\n".join(lines)
    return text


def _keep_lines(block: str) -> str:
    # Line numbers of everything after the block must not move.
    return REDACTED + "\n" * block.count("\n")


def _token(match: re.Match[str]) -> str:
    value = match.group()
    if _PLACEHOLDER.match(value) or "xxxx" in value.lower():
        return value
    return REDACTED


def _assignment(match: re.Match[str]) -> str:
    name, value = match.group("name"), match.group("value")
    if not _SECRET_NAME.search(name) or _NOT_SECRET_NAME.search(name):
        return match.group()
    if _is_placeholder(value, name):
        return match.group()
    start, end = match.span("value")
    whole = match.group()
    offset = match.start()
    return whole[: start - offset] + REDACTED + whole[end - offset :]


__all__ = ["REDACTED", "redact"]
