"""Fill-in-the-middle prompt formats, one per model family.

A FIM model is trained on one format: special tokens around the code before
the cursor (prefix), the code after it (suffix), and the place to fill
(middle). Families differ in the tokens, in whether other files of the
repository can be given (Qwen2.5-Coder's ``<|repo_name|>``/``<|file_sep|>``,
StarCoder2's ``<repo_name>``/``<file_sep>``, CodeGemma's
``<|file_separator|>``), and in what ends an answer. :func:`template_for`
picks the format from the model's name unless ``completion.fim_template``
names one; :meth:`FimTemplate.render` builds the prompt.

The prompt is laid out so that it changes only at its end while the user
types: other files first (sorted), then the file's prefix, so a server that
keeps the evaluated prompt (llama.cpp ``cache_prompt``, Ollama) reuses all
of it. Pure string functions: no I/O, no model calls.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# The families completion.fim_template may name ("auto": by the model's name).
FAMILIES = ("qwen", "codellama", "starcoder", "deepseek", "codegemma")


@dataclass(frozen=True)
class FimTemplate:
    """One family's format. ``file_sep`` is the token that starts another
    file of the repository (empty: the family has none, so other files go
    into the prefix as comments); ``repo_name`` opens a repository-level
    prompt; ``stops`` end an answer (they never belong to the code)."""

    family: str
    prefix: str
    suffix: str
    middle: str
    stops: tuple[str, ...]
    file_sep: str = ""
    repo_name: str = ""
    # StarCoder2 and Qwen put a line break after a file's path; CodeGemma none.
    path_break: str = "\n"

    def render(self, prefix: str, suffix: str, *, path: str = "", extra: list[tuple[str, str]] | None = None,
               repo: str = "", comment: str = "#") -> str:
        """The prompt for the middle between ``prefix`` and ``suffix`` of
        the file at ``path`` (relative to the repository). ``extra``:
        ``(path, text)`` of other files the model should see first;
        ``comment`` is the language's line comment, for families without
        a file separator."""
        extra = extra or []
        head = ""
        # The repository-level form only when there are other files to show:
        # measured with Qwen2.5-Coder-Instruct 0.5B, the bare header makes it
        # skip the middle and start a new definition instead.
        if self.file_sep and extra:
            head = f"{self.repo_name}{repo or 'workspace'}\n" if self.repo_name else ""
            for other, text in extra:
                head += f"{self.file_sep}{other}{self.path_break}{text.rstrip()}\n"
            head += f"{self.file_sep}{path or 'file'}{self.path_break}"
            # The repository's files come before the FIM part, as trained.
            return f"{head}{self.prefix}{prefix}{self.suffix}{suffix}{self.middle}"
        if extra:
            head = as_comments(extra, comment)
        return f"{self.prefix}{head}{prefix}{self.suffix}{suffix}{self.middle}"


def as_comments(extra: list[tuple[str, str]], comment: str) -> str:
    """Other files' snippets as line comments, for a family that has no
    token for another file (or a server that applies its own template)."""
    out = []
    for other, text in extra:
        out.append(f"{comment} {other}\n")
        out += [f"{comment} {line}".rstrip() + "\n" for line in text.rstrip().split("\n")]
    return "".join(out)


TEMPLATES: dict[str, FimTemplate] = {
    "qwen": FimTemplate(
        "qwen", "<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>",
        stops=("<|endoftext|>", "<|file_sep|>", "<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>",
               "<|repo_name|>", "<|im_end|>", "<|fim_pad|>"),
        file_sep="<|file_sep|>", repo_name="<|repo_name|>"),
    # CodeLlama's infilling format: a space after <PRE> and before <SUF>/<MID>.
    "codellama": FimTemplate("codellama", "<PRE> ", " <SUF>", " <MID>", stops=("<EOT>", "</s>", "<PRE>", "<SUF>")),
    "starcoder": FimTemplate(
        "starcoder", "<fim_prefix>", "<fim_suffix>", "<fim_middle>",
        stops=("<|endoftext|>", "<file_sep>", "<fim_prefix>", "<fim_suffix>", "<fim_middle>", "<repo_name>"),
        file_sep="<file_sep>", repo_name="<repo_name>"),
    "deepseek": FimTemplate(
        "deepseek", "<｜fim▁begin｜>", "<｜fim▁hole｜>", "<｜fim▁end｜>",
        stops=("<｜end▁of▁sentence｜>", "<|EOT|>", "<｜fim▁begin｜>", "<｜fim▁hole｜>", "<｜fim▁end｜>")),
    "codegemma": FimTemplate(
        "codegemma", "<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>",
        stops=("<|file_separator|>", "<end_of_turn>", "<eos>", "<|fim_prefix|>", "<|fim_suffix|>",
               "<|fim_middle|>"),
        file_sep="<|file_separator|>", path_break="\n"),
}

# Model name -> family, first match wins (Ollama tags, GGUF file names, HF ids).
_BY_NAME: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"qwen[\w.-]*coder|codeqwen"), "qwen"),
    (re.compile(r"code[-_ ]?llama"), "codellama"),
    (re.compile(r"starcoder"), "starcoder"),
    (re.compile(r"deepseek[\w.-]*coder"), "deepseek"),
    (re.compile(r"code[-_ ]?gemma"), "codegemma"),
)


def family_of(model: str) -> str | None:
    """The FIM family a model's name says, or None when it says none."""
    name = model.lower()
    for pattern, family in _BY_NAME:
        if pattern.search(name):
            return family
    return None


def template_for(model: str, choice: str = "auto") -> FimTemplate | None:
    """``completion.fim_template`` when it names a family, else the family
    of ``model``; None when neither says (the server's own template is used)."""
    family = choice if choice in TEMPLATES else family_of(model)
    return TEMPLATES.get(family) if family else None


def strip_special(text: str, template: FimTemplate | None) -> str:
    """``text`` up to the first token that ends an answer (a server that
    does not honour the stop list lets them through)."""
    stops = template.stops if template else tuple(s for t in TEMPLATES.values() for s in t.stops)
    cut = min((i for i in (text.find(s) for s in stops) if i >= 0), default=len(text))
    return text[:cut]


__all__ = ["FAMILIES", "FimTemplate", "TEMPLATES", "as_comments", "family_of", "strip_special", "template_for"]
