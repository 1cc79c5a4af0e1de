"""What a brain may spend and what of its answer survives.

Small models talk: "Sure! Here's the updated function:", markdown fences,
"I hope this helps!", "Note: I changed ...". The prompts forbid all of that
(:mod:`mycoder_lsp.brains.prompts`); :func:`clean_output` removes whatever
slips through anyway, so the rest of the flow sees only the answer.
:func:`token_limit` is the one place a brain's output budget is decided.

Pure text functions: no model calls, no pygls.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mycoder_lsp.config import Settings

BRAIN_NAMES = ("organizer", "coding", "reasoning")

# A fenced block: ```lang ... ``` (also ~~~). The closing fence may be
# missing when the answer was cut off.
FENCE_OPEN = re.compile(r"^[ \t]*(```|~~~)[ \t]*([\w+#.-]*)[^\n]*$", re.MULTILINE)

# Openers models put before the answer.
_PREAMBLE = re.compile(
    r"""^\s*(?:
        (?:sure|certainly|of\s+course|absolutely|okay|ok|great|alright|no\s+problem|happy\s+to\s+help
           |here\s+you\s+go)\b[^\n]*
      | (?:here\s+(?:is|are|'s)|below\s+(?:is|are)|this\s+is|the\s+following)\b[^\n]*
      | (?:i\s+(?:have|'ve|will|'ll|would|can|updated|modified|changed|rewrote|refactored|added|fixed))\b[^\n]*:\s*
      | (?:to\s+(?:fix|do|implement|address)\s+(?:this|that|the)\b)[^\n]*:\s*
      | (?:updated|modified|fixed|refactored|corrected|improved|revised|new)
        \s+(?:code|version|function|method|implementation|class)\s*:?\s*
      | (?:answer|explanation|output|result|code)\s*:\s*
    )$""",
    re.IGNORECASE | re.VERBOSE,
)

# Lines that apologise or comment on the answer rather than being it.
_META = re.compile(
    r"""^\s*(?:
        (?:i\s*(?:'m|\s+am)\s+sorry|sorry|apologies|i\s+apologi[sz]e|my\s+apologies)\b
      | (?:as\s+an\s+ai|as\s+a\s+language\s+model)\b
      | (?:i\s+hope\s+(?:this|that)\s+helps|hope\s+this\s+helps|let\s+me\s+know|feel\s+free|happy\s+coding)\b
      | (?:note|explanation|notes|changes|summary)\s*:
      | (?:please\s+note|note\s+that|in\s+this\s+(?:code|version|updated)
           |this\s+(?:code|version|updated\s+\w+|function|change|implementation)\s+(?:now\s+)?
            (?:will|should|uses|adds|handles|checks|ensures|makes|is|does|returns|first))\b
      | (?:the\s+(?:changes|main\s+change|key\s+change|updated\s+code|code\s+above|function\s+above)\b)
      | (?:here'?s?\s+(?:what|how|an?\s+explanation|a\s+breakdown)\b)
      | (?:changes\s+made\s*:|summary\s+of\s+changes\s*:|what\s+changed\s*:)
    )""",
    re.IGNORECASE | re.VERBOSE,
)


def strip_fences(raw: str) -> str:
    """The content of the fenced blocks when there are any (joined with a
    blank line), else ``raw`` unchanged. A final fence that never closes
    (answer cut off) keeps its content."""
    blocks = fenced_blocks(raw)
    if not blocks:
        return raw
    return "\n\n".join(body for _, body in blocks)


# codellama-instruct wraps code in [PYTHON] ... [/PYTHON] instead of fences.
_TAG_OPEN = re.compile(r"^\s*\[([A-Z][A-Z0-9+#]*)\]\s*$")


def fenced_blocks(raw: str) -> list[tuple[str, str]]:
    """``(language tag, body)`` of every fenced block, in order. A closing
    fence glued to the last code line (``return x```"``) closes too."""
    return [(tag, body) for tag, body in _segments(raw) if tag is not None]


def outside_fences(raw: str) -> str:
    """The lines of ``raw`` that are not in a fenced block: the words of an
    answer that also quotes code (a review with a suggested fix)."""
    return "\n".join(body for tag, body in _segments(raw) if tag is None)


def _segments(raw: str) -> list[tuple[str | None, str]]:
    """``raw`` cut into prose (tag None) and fenced blocks (their language
    tag, "" when none), in order."""
    out: list[tuple[str | None, str]] = []
    prose: list[str] = []
    lines = raw.splitlines()
    i = 0
    while i < len(lines):
        m = FENCE_OPEN.match(lines[i])
        tag_open = _TAG_OPEN.match(lines[i]) if not m else None
        if not m and not tag_open:
            prose.append(lines[i])
            i += 1
            continue
        if prose:
            out.append((None, "\n".join(prose)))
            prose = []
        if m:
            fence, tag = m.group(1), m.group(2).lower()
        elif tag_open:
            fence, tag = f"[/{tag_open.group(1)}]", tag_open.group(1).lower()
        body: list[str] = []
        i += 1
        while i < len(lines):
            line = lines[i]
            if line.strip().startswith(fence):
                break
            if line.rstrip().endswith(fence) and line.strip() != fence:
                body.append(line.rstrip()[: -len(fence)])
                break
            body.append(line)
            i += 1
        out.append((tag, "\n".join(body)))
        i += 1  # past the closing fence (or the end)
    if prose:
        out.append((None, "\n".join(prose)))
    return out


# A line that is code even though it starts like chatter: `ok = 1`, `sorry()`.
_CODEISH = re.compile(r"^\s*[\w.]+\s*(?:[-+*/%|&]?=(?!=)|\(|\[|\.\w)")


def is_preamble(line: str) -> bool:
    return bool(_PREAMBLE.match(line)) and not _CODEISH.match(line)


def is_meta(line: str) -> bool:
    return bool(_META.match(line)) and not _CODEISH.match(line)


# In prose (an explanation, a review) "This code checks ..." is the answer, not
# a comment on it: only pleasantries and apologies are chatter there.
_PLEASANTRY = re.compile(
    r"""^\s*(?:
        (?:i\s*(?:'m|\s+am)\s+sorry|sorry|apologies|i\s+apologi[sz]e|my\s+apologies)\b
      | (?:as\s+an\s+ai|as\s+a\s+language\s+model)\b
      | (?:i\s+hope\s+(?:this|that)\s+helps|hope\s+this\s+helps|let\s+me\s+know|feel\s+free|happy\s+coding)\b
    )""",
    re.IGNORECASE | re.VERBOSE,
)


def _is_prose_chatter(line: str) -> bool:
    """An opener that introduces the answer ("Sure!", "Here's an
    explanation:") or a pleasantry; a sentence that says something stays."""
    if _PLEASANTRY.match(line):
        return True
    return is_preamble(line) and (line.rstrip().endswith(":") or len(line.split()) <= 3)


def clean_output(raw: str, *, prose: bool = False, keep_fences: bool = False) -> str:
    """The answer without fences, preambles, apologies, meta-commentary and
    trailing explanations. With ``prose`` (explanations, reviews) markdown
    headings and bold markers go too; code is never touched that way.
    ``keep_fences`` (an explanation shown to the user) keeps the fenced
    code where it stands among the words instead of keeping only the code:
    a small model often explains a function by quoting it, then the words."""
    if not raw:
        return ""
    text = raw.replace("\r\n", "\n").strip("\n")
    if fenced_blocks(text) and not keep_fences:
        text = strip_fences(text)
    lines = text.split("\n")
    chatter = _is_prose_chatter if prose else (lambda line: is_preamble(line) or is_meta(line))
    # Leading chatter: preambles, apologies, and the blank lines between them.
    while lines and (not lines[0].strip() or chatter(lines[0])):
        lines.pop(0)
    # Trailing chatter: from the first meta line after which only prose
    # follows (a blank line then a sentence about the answer).
    cut = len(lines)
    for i in range(len(lines) - 1, -1, -1):
        line = lines[i]
        if not line.strip():
            continue
        if (_PLEASANTRY.match(line) if prose else is_meta(line)):
            cut = i
            continue
        break
    lines = lines[:cut]
    if prose:
        fenced = False
        kept = []
        for line in lines:
            if FENCE_OPEN.match(line):
                fenced = not fenced
                kept.append(line)
            else:
                kept.append(line if fenced else _unmarkdown(line))
        lines = kept
    return "\n".join(lines).strip("\n")


def _unmarkdown(line: str) -> str:
    """Drop heading marks and bold markers from prose lines; leave code
    (indented, or with code-ish characters) alone."""
    if line.startswith((" ", "\t")):
        return line
    line = re.sub(r"^#{1,6}\s+(?=\w)", "", line)
    line = re.sub(r"\*\*(\S[^*]*\S|\S)\*\*", r"\1", line)
    return line


def token_limit(brain_name: str, settings: Settings | None) -> int:
    """A brain's output budget: its own ``max_tokens``, capped by the
    constitution's ``max_token_limits`` for that brain."""
    from mycoder_lsp.config import Settings as _Settings

    settings = settings or _Settings()
    brain = getattr(settings.brains, brain_name, None)
    own = brain.max_tokens if brain is not None else 512
    cap = settings.constitution.max_token_limits.get(brain_name)
    limit = min(own, cap) if cap else own
    return max(1, limit)


__all__ = [
    "BRAIN_NAMES",
    "clean_output",
    "outside_fences",
    "fenced_blocks",
    "is_meta",
    "is_preamble",
    "strip_fences",
    "token_limit",
]
