"""Inline completion (fill in the middle) on points sampled from real code.

    python bench/bench_completion.py [--n 32] [--model 0.5b|1.5b|both] [--url URL]
                                     [--variants raw,raw+repo,infill] [--typed] [--json out.json]

Needs llama-server with Qwen2.5-Coder on 127.0.0.1:18231 (0.5B) and :18232
(1.5B), or ``--url`` for one ``--model``.

Points come from pinned packages installed in this virtualenv (``PACKAGES``;
nothing is fetched). Each candidate point is a line of code (not a comment or
docstring); a SHA-256 of ``package:path:line:kind`` picks the points and
their cut, so the set is the same on every machine with the same versions:

- ``line``: the cursor inside the line (after an operator, a bracket or a
  space), the target is the rest of the line;
- ``block``: the cursor after the line's indentation, the target is that line
  and up to two more (stopping at a blank line or a dedent).

A point is ``cross-file`` when its target uses a name that the package
defines in another file, that the current file does not define, and that
the in-file window the model sees does not contain (CrossCodeEval's notion).
Half of the points are drawn from that subset, half from the rest, so
"overall" is that 50/50 mix. Another hash bit puts each point in ``dev`` or
``held-out``: tune on ``--split dev``, report ``held-out`` (nothing here was
tuned on model answers yet; the budgets are latency choices).

Every variant of a point sees the same in-file window (``--prefix-tokens``
before the cursor, ``--suffix-tokens`` after the target, whole lines, sized
with the server's tokenizer); the calls go through the project's own FIM
client (``mycoder_lsp.brains.backends.fill_in_middle``):

- ``infill``: llama.cpp ``/infill`` with prefix and suffix (its template);
- ``infill+extra``: the same with cross-file snippets as ``input_extra``;
- ``raw``: ``/v1/completions`` with the Qwen2.5-Coder FIM template;
- ``raw+repo``: the same in the repo-level format (``<|repo_name|>`` and one
  ``<|file_sep|>`` per file of snippets before the current file).

Cross-file snippets: the outlines (signatures, first docstring line, class
attributes) of what the current file imports from other files of its package,
names used near the cursor first, within ``--context-tokens``.

Also ``engine`` / ``engine+vault``: the project's own :class:`Completer`
(``completion.context`` "file" / "vault": its own window, budget, snippets
and post-checks) on the document with the target taken out, its workspace
a copy of the point's package alone (as in a checkout of that package; not
the rest of site-packages), the two in turn point by point. ``--engine``
compares configurations (another server, the prompt budget and its shares,
max tokens and lines), interleaved point by point, so that a changing load
falls on all alike; ``--typed`` also asks again with one more character typed, the engine's own
suggestion cache emptied, so the model server's prompt cache is what helps.

Metrics: exact match of the first line (whitespace-stripped), edit similarity
(1 - Levenshtein / longer length, on as many lines as the target has,
indentation ignored), identifier F1 (multiset of identifiers), the share of
suggestions dropped (the engine's own checks for the engine rows; for the
others a proxy: the file no longer parses with the suggestion in, or the
suggestion repeats the next line), and latency: request to response and to
the first token, p50/p95 (``--typed``: also a second request with one more
character typed, the server's prompt cache warm). Points go one by one, the
variants in turn; no two requests in a row share the start of their prompt,
so the server's prompt cache does not flatter one variant. With ``--json``
each outcome is also appended to ``<json>.partial.jsonl`` as it comes.

The defaults (32 points, both models, ``raw``, ``raw+repo``, ``infill``) are
meant to fit in 15 minutes on two quiet cores; ``--n``, ``--model``,
``--variants`` make it shorter.
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import atexit
import builtins
import hashlib
import importlib.metadata
import importlib.util
import io
import json
import keyword
import re
import shutil
import statistics
import sys
import tempfile
import time
import tokenize
import typing
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mycoder_lsp.brains.backends import Brain, fill_in_middle  # noqa: E402
from mycoder_lsp.brains.wire.base import FimRequest  # noqa: E402
from mycoder_lsp.brains.wire.http import BrainError  # noqa: E402
from mycoder_lsp.completion import Completer, CompletionRequest  # noqa: E402
from mycoder_lsp.completion.templates import TEMPLATES  # noqa: E402
from mycoder_lsp.config import BrainSettings, Settings  # noqa: E402

# Real multi-file packages, pinned: a different version is a different benchmark.
PACKAGES = {"httpx": "0.28.1", "h11": "0.16.0", "packaging": "26.4", "pyflakes": "4.1.0", "cattrs": "26.2.1"}
SERVERS = {"0.5b": "http://127.0.0.1:18231", "1.5b": "http://127.0.0.1:18232"}
VARIANTS = ("infill", "infill+extra", "raw", "raw+repo", "engine", "engine+vault")
ENGINE_VARIANTS = {"engine": "file", "engine+vault": "vault"}  # completion.context for G1's Completer
# Prefixes of a stop: the model starts another file, a fence, or prose.
STOPS = ["<|file_sep|>", "<|fim_prefix|>", "<|endoftext|>", "```"]
MAX_LINES = 3
CUT_AFTER = set("([{=,:.+-*/<>! ")
IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Names that a model knows without seeing another file: builtins, the methods
# of builtin types, typing's names. A target needing only these is not cross-file.
COMMON = set(dir(builtins)).union(*(dir(t) for t in (dict, list, str, set, tuple, bytes)), dir(typing))


@dataclass
class Point:
    id: str
    package: str
    path: str  # relative to the package's parent, e.g. httpx/_client.py
    kind: str  # line | block
    line: int  # 0-based, the cursor's
    character: int
    target: str
    prefix: str  # the in-file window before the cursor
    suffix: str  # ... and after the target
    cross_file: bool
    needs: list[str]  # the names from other files the target uses
    split: str  # dev | held-out
    context: list[tuple[str, str]] = field(default_factory=list)  # (path, snippets) from other files


@dataclass
class Outcome:
    point: str
    variant: str
    text: str
    exact: bool
    similarity: float
    ident_f1: float
    dropped: str  # "" | "parse" | "repeat"
    seconds: float
    first_token: float | None
    prompt_tokens: int | None
    error: str = ""


# -- the code -----------------------------------------------------------------


@dataclass
class Source:
    package: str
    path: str  # relative, with the package name first
    text: str
    lines: list[str]
    tree: ast.Module
    defined: set[str]  # names this file defines (functions, classes, attributes, assignments)
    names: list[tuple[int, int, str]]  # (0-based line, column, name) of every identifier token
    root: Path  # the directory holding the package (site-packages)


def load_sources() -> dict[str, list[Source]]:
    """The pinned packages' files, by package; refuses a version other than the pin."""
    sources: dict[str, list[Source]] = {}
    for package, pin in PACKAGES.items():
        version = importlib.metadata.version(package)
        if version != pin:
            sys.exit(f"{package} {version} is installed; this benchmark is pinned to {pin} "
                     f"(`pip install {package}=={pin}`)")
        spec = importlib.util.find_spec(package)
        assert spec and spec.submodule_search_locations
        root = Path(list(spec.submodule_search_locations)[0])
        files = []
        for file in sorted(root.rglob("*.py")):
            text = file.read_text(encoding="utf-8")
            tree = ast.parse(text)
            files.append(Source(package, f"{package}/{file.relative_to(root).as_posix()}", text,
                                text.splitlines(), tree, _defined(tree), _names(text), root.parent))
        sources[package] = files
    return sources


def _defined(tree: ast.Module) -> set[str]:
    """What another file can use: module-level and class-level names, methods,
    ``self.x`` attributes (a function's local variables are not counted)."""
    names: set[str] = set()

    def assigned(node: ast.AST, members: bool) -> None:
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                for sub in ast.walk(target):
                    if isinstance(sub, ast.Name) and members:
                        names.add(sub.id)
                    elif isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name) \
                            and sub.value.id == "self":
                        names.add(sub.attr)

    def visit(body: list[ast.stmt], members: bool) -> None:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                if members:
                    names.add(node.name)
                visit(node.body, isinstance(node, ast.ClassDef))
            elif isinstance(node, (ast.If, ast.Try, ast.With, ast.For, ast.While)):
                for part in ("body", "orelse", "finalbody", "handlers"):
                    for child in getattr(node, part, []):
                        visit(getattr(child, "body", [child]) if isinstance(child, ast.ExceptHandler)
                              else [child], members)
            else:
                for sub in ast.walk(node) if not members else [node]:
                    assigned(sub, members)

    visit(tree.body, True)
    return names


def _names(text: str) -> list[tuple[int, int, str]]:
    return [(t.start[0] - 1, t.start[1], t.string)
            for t in tokenize.generate_tokens(io.StringIO(text).readline)
            if t.type == tokenize.NAME and not keyword.iskeyword(t.string)]


def _prose_lines(source: Source) -> set[int]:
    """0-based lines inside strings that are statements (docstrings) or comments."""
    lines: set[int] = set()
    for node in ast.walk(source.tree):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            lines.update(range(node.lineno - 1, (node.end_lineno or node.lineno)))
    for token in tokenize.generate_tokens(io.StringIO(source.text).readline):
        if token.type == tokenize.COMMENT and not source.lines[token.start[0] - 1][:token.start[1]].strip():
            lines.add(token.start[0] - 1)
    return lines


def identifiers(text: str) -> list[str]:
    return [w for w in IDENT.findall(text) if not keyword.iskeyword(w)]


# -- sampling -----------------------------------------------------------------


def _hash(key: str) -> int:
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")


def candidates(source: Source) -> list[tuple[int, str, int, int, str]]:
    """(hash, kind, line, character, target) for every usable point of ``source``."""
    prose = _prose_lines(source)
    out = []
    for i, line in enumerate(source.lines):
        stripped = line.strip()
        if i in prose or len(stripped) < 8 or not IDENT.search(stripped):
            continue
        indent = len(line) - len(line.lstrip())
        h = _hash(f"{source.package}:{source.path}:{i}:line")
        cuts = [c + 1 for c in range(indent + 2, len(line) - 4) if line[c] in CUT_AFTER]
        cuts = [c for c in cuts if len(line[c:].strip()) >= 4]
        if cuts:
            c = cuts[h % len(cuts)]
            out.append((h, "line", i, c, line[c:]))
        block = [line[indent:]]
        for j in range(i + 1, min(i + MAX_LINES, len(source.lines))):
            nxt = source.lines[j]
            if not nxt.strip() or len(nxt) - len(nxt.lstrip()) < indent or j in prose:
                break
            block.append(nxt)
        if len(block) >= 2:
            out.append((_hash(f"{source.package}:{source.path}:{i}:block"), "block", i, indent, "\n".join(block)))
    return out


def _removable(source: Source, first: int, indent: int, last: int) -> bool:
    """Whether the file still parses with lines first..last taken out (the
    cursor's indentation left): the block is whole statements, so a
    suggestion that breaks the parse is the model's fault, not the cut's."""
    lines = source.lines[:first] + [source.lines[first][:indent] + "pass"] + source.lines[last + 1:]
    try:
        ast.parse("\n".join(lines))
    except SyntaxError:
        return False
    return True


def window(source: Source, line: int, character: int, target: str, chars_per_token: float,
           prefix_tokens: int, suffix_tokens: int) -> tuple[str, str]:
    """Whole lines before the cursor and after the target within the token budgets."""
    budget = prefix_tokens * chars_per_token
    first = line
    head = source.lines[line][:character]
    used = len(head)
    while first > 0 and used + len(source.lines[first - 1]) + 1 <= budget:
        first -= 1
        used += len(source.lines[first]) + 1
    prefix = "".join(source.lines[k] + "\n" for k in range(first, line)) + head
    end = line + target.count("\n")
    budget, used, last = suffix_tokens * chars_per_token, 0, end
    while last + 1 < len(source.lines) and used + len(source.lines[last + 1]) + 1 <= budget:
        last += 1
        used += len(source.lines[last]) + 1
    suffix = "".join("\n" + source.lines[k] for k in range(end + 1, last + 1)) + "\n"
    return prefix, suffix


def chars_per_token(text: str, url: str | None) -> float:
    """The file's characters per token with the server's tokenizer (both
    models share Qwen2.5's); a pessimistic 3.0 without one."""
    if url is None:
        return 3.0
    try:
        tokens = httpx.post(url + "/tokenize", json={"content": text}, timeout=60, trust_env=False).json()["tokens"]
        return max(1.0, len(text) / max(1, len(tokens)))
    except (httpx.HTTPError, KeyError, ValueError):
        return 3.0


def sample(sources: dict[str, list[Source]], n: int, url: str | None, prefix_tokens: int, suffix_tokens: int,
           context_tokens: int) -> list[Point]:
    defined_in: dict[str, dict[str, set[str]]] = {}  # package -> name -> files defining it
    for package, files in sources.items():
        index: dict[str, set[str]] = {}
        for source in files:
            for name in source.defined:
                index.setdefault(name, set()).add(source.path)
        defined_in[package] = index
    pool: list[tuple[int, Source, str, int, int, str]] = []
    for files in sources.values():
        for source in files:
            pool.extend((h, source, kind, i, c, t) for h, kind, i, c, t in candidates(source))
    pool.sort(key=lambda item: item[0])
    ratios: dict[str, float] = {}
    # n/2 of each kind, and within each kind half cross-file: walk the pool in hash order.
    want = {(kind, cross): n // 4 + (1 if (kind, cross) == ("line", True) and n % 4 else 0)
            for kind in ("line", "block") for cross in (True, False)}
    points: list[Point] = []
    for h, source, kind, i, c, target in pool:
        if not any(want[(kind, cross)] for cross in (True, False)):
            continue
        if kind == "block" and not _removable(source, i, c, i + target.count("\n")):
            continue
        if source.path not in ratios:
            ratios[source.path] = chars_per_token(source.text, url)
        prefix, suffix = window(source, i, c, target, ratios[source.path], prefix_tokens, suffix_tokens)
        seen = set(identifiers(prefix + suffix))
        end = i + target.count("\n")
        used = {name for row, col, name in source.names if i <= row <= end and (row > i or col >= c)}
        needs = sorted({w for w in used if w not in seen and w not in source.defined and w not in COMMON
                        and defined_in[source.package].get(w, set()) - {source.path}})
        cross = bool(needs)
        if not want[(kind, cross)]:
            continue
        want[(kind, cross)] -= 1
        points.append(Point(id=f"{source.path}:{i + 1}:{kind}", package=source.package, path=source.path,
                            kind=kind, line=i, character=c, target=target, prefix=prefix, suffix=suffix,
                            cross_file=cross, needs=needs, split="dev" if h & 1 else "held-out",
                            context=snippets(source, sources[source.package], prefix, suffix,
                                             ratios[source.path], context_tokens)))
    return points


# -- cross-file context -------------------------------------------------------

_WORKSPACES: dict[str, Path] = {}


def workspace(package: str, site: Path) -> Path:
    """A workspace holding only ``package`` (a copy of it, made once per run):
    the engine's root, as a repository of that package would be, so that its
    snippets come from the package and not from the rest of site-packages."""
    if package not in _WORKSPACES:
        scratch = Path(tempfile.mkdtemp(prefix="bench-completion-"))
        atexit.register(shutil.rmtree, scratch, True)
        root = scratch / package  # the repository's name in the prompt: the package's
        shutil.copytree(site / package, root / package, ignore=shutil.ignore_patterns("__pycache__"))
        _WORKSPACES[package] = root
    return _WORKSPACES[package]



def _module_file(source: Source, files: dict[str, Source], module: str | None, level: int) -> Source | None:
    """The package file ``from <level dots><module> import`` names, if it is one."""
    parts = source.path[:-3].split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    base = parts[: len(parts) - level] if level else []
    dotted = base + (module.split(".") if module else [])
    for candidate in ("/".join(dotted) + ".py", "/".join(dotted) + "/__init__.py"):
        if candidate in files:
            return files[candidate]
    return None


def outline(source: Source, name: str | None) -> str:
    """Signatures (and first docstring lines, class attributes) of ``name`` in
    ``source``, or of the whole module when ``name`` is None."""
    out: list[str] = []

    def sig(node: ast.AST, indent: str) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out.append(indent + _header(source, node))
            doc = ast.get_docstring(node)
            if doc:
                out.append(f'{indent}    """{doc.splitlines()[0]}"""')
            out.append(f"{indent}    ...")
        elif isinstance(node, ast.ClassDef):
            out.append(indent + _header(source, node))
            doc = ast.get_docstring(node)
            if doc:
                out.append(f'{indent}    """{doc.splitlines()[0]}"""')
            for child in node.body:
                if isinstance(child, (ast.Assign, ast.AnnAssign)) and child.lineno == child.end_lineno:
                    out.append(source.lines[child.lineno - 1])
                else:
                    sig(child, indent + "    ")
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and node.lineno == node.end_lineno:
            out.append(source.lines[node.lineno - 1])

    for node in source.tree.body:
        names = {getattr(node, "name", None)} | {t.id for t in getattr(node, "targets", [getattr(node, "target", None)])
                                                 if isinstance(t, ast.Name)}
        if name is None or name in names:
            sig(node, "")
    return "\n".join(out)


def _header(source: Source, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> str:
    """A def or class header on one line (its body may start on the last line)."""
    first = node.body[0]
    end = first.lineno if source.lines[first.lineno - 1][:first.col_offset].strip() else first.lineno - 1
    header = " ".join(part.strip() for part in source.lines[node.lineno - 1:end])
    return re.sub(r"\(\s+", "(", re.sub(r",\s*\)", ")", header))


def snippets(source: Source, package_files: list[Source], prefix: str, suffix: str, cpt: float,
             budget_tokens: int) -> list[tuple[str, str]]:
    """(path, text) of outlines of what ``source`` imports from its package,
    names used near the cursor first, within ``budget_tokens``."""
    files = {f.path: f for f in package_files}
    near = Counter(identifiers("\n".join(prefix.splitlines()[-30:]) + suffix))
    wanted: list[tuple[int, int, Source, str | None]] = []  # (-uses near, order, file, name)
    for node in source.tree.body:
        if isinstance(node, ast.ImportFrom):
            module_file = _module_file(source, files, node.module, node.level)
            for alias in node.names:
                local = alias.asname or alias.name
                sub = _module_file(source, files, f"{node.module}.{alias.name}" if node.module else alias.name,
                                   node.level)
                if sub is not None and sub.path != source.path:  # `from . import _models`
                    wanted.append((-near[local], len(wanted), sub, None))
                elif module_file is not None and module_file.path != source.path:
                    wanted.append((-near[local], len(wanted), _definer(module_file, files, alias.name), alias.name))
    wanted.sort(key=lambda item: (item[0], item[1]))
    # First every imported name's header line (what the model most often needs
    # is a name it has not written yet, so not one "near" the cursor), then the
    # rest of the outlines, names used near the cursor first, while they fit.
    budget = budget_tokens * cpt
    outlines = [(file.path, (outline(file, name) or "").splitlines()) for _, _, file, name in wanted]
    kept: list[list[str]] = [[] for _ in outlines]
    for stage in ("headers", "bodies"):
        for k, (_, lines) in enumerate(outlines):
            for line in lines[:1] if stage == "headers" else lines[1:]:
                if len(line) + 1 > budget:
                    break
                kept[k].append(line)
                budget -= len(line) + 1
    by_file: dict[str, list[str]] = {}
    for (path, _), lines in zip(outlines, kept):
        if lines:
            by_file.setdefault(path, []).extend(lines)
    return [(path, "\n".join(lines) + "\n") for path, lines in by_file.items()]


def _definer(module_file: Source, files: dict[str, Source], name: str, depth: int = 0) -> Source:
    """The file that defines ``name``, following re-exports (``__init__.py``) a few levels."""
    if name in module_file.defined or depth > 3:
        return module_file
    for node in module_file.tree.body:
        if isinstance(node, ast.ImportFrom) and any((a.asname or a.name) == name for a in node.names):
            nxt = _module_file(module_file, files, node.module, node.level)
            if nxt is not None and nxt.path != module_file.path:
                return _definer(nxt, files, name, depth + 1)
    return module_file


# -- prompts ------------------------------------------------------------------


def qwen_prompt(point: Point, repo: bool) -> str:
    """Qwen2.5-Coder's FIM prompt (the engine's own template); repo-level
    (``<|repo_name|>``, ``<|file_sep|>``) with the snippets when ``repo``."""
    return TEMPLATES["qwen"].render(point.prefix, point.suffix, path=point.path, repo=point.package,
                                    extra=list(point.context) if repo else None)


def request_for(point: Point, variant: str, max_tokens: int) -> tuple[str, FimRequest]:
    stop = [*STOPS, "\n"] if point.kind == "line" else [*STOPS, "\n\n"]
    request = FimRequest(prefix=point.prefix, suffix=point.suffix, stop=stop, max_tokens=max_tokens)
    if variant == "infill+extra":
        request.extra = list(point.context)
    if variant.startswith("raw"):
        request.prompt = qwen_prompt(point, repo=variant == "raw+repo")
        return "completions", request
    return "infill", request


# -- scoring ------------------------------------------------------------------


def levenshtein(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def similarity(a: str, b: str) -> float:
    if not a and not b:
        return 1.0
    return 1.0 - levenshtein(a, b) / max(len(a), len(b))


def ident_f1(prediction: str, target: str) -> float:
    p, t = Counter(identifiers(prediction)), Counter(identifiers(target))
    if not p and not t:
        return 1.0
    common = sum((p & t).values())
    if not common:
        return 0.0
    precision, recall = common / sum(p.values()), common / sum(t.values())
    return 2 * precision * recall / (precision + recall)


def shown_lines(point: Point, text: str) -> list[str]:
    """What an editor would show: one line for a line point, up to the target's
    line count (at most 3) for a block, ending at a blank line."""
    lines = text.split("\n")
    if point.kind == "line":
        return lines[:1]
    kept: list[str] = []
    for line in lines[: point.target.count("\n") + 1]:
        if kept and not line.strip():
            break
        kept.append(line)
    return kept


def drop_reason(point: Point, source: Source, shown: list[str]) -> str:
    """Why a post-check would drop the suggestion: it repeats the next line, or
    the file no longer parses with it in ("" when neither)."""
    after = [line.strip() for line in point.suffix.split("\n") if line.strip()]
    if shown and shown[0].strip() and after and shown[0].strip() == after[0]:
        return "repeat"
    end = point.line + point.target.count("\n")
    text = "\n".join(source.lines[: point.line] + [source.lines[point.line][: point.character] + "\n".join(shown)]
                     + source.lines[end + 1:])
    try:
        ast.parse(text)
    except SyntaxError:
        return "parse"
    return ""


def score(point: Point, source: Source, variant: str, text: str, seconds: float, first: float | None,
          prompt_tokens: int | None) -> Outcome:
    shown = shown_lines(point, text)
    target = point.target.split("\n")
    got = "\n".join(line.strip() for line in shown)
    want = "\n".join(line.strip() for line in target)
    return Outcome(point=point.id, variant=variant, text="\n".join(shown),
                   exact=bool(shown) and shown[0].strip() == target[0].strip(),
                   similarity=similarity(got, want), ident_f1=ident_f1(got, want),
                   dropped=drop_reason(point, source, shown), seconds=seconds, first_token=first,
                   prompt_tokens=prompt_tokens)


# -- running ------------------------------------------------------------------


@dataclass
class EngineConfig:
    """One way to run the engine: a server and the prompt's sizes (None:
    the engine's own). ``name`` labels its rows (``engine+vault@name``)."""

    name: str = ""
    url: str | None = None
    budget: int | None = None  # prompt tokens (the engine's is num_ctx less max_tokens)
    suffix_share: float | None = None
    cross_share: float | None = None
    max_tokens: int | None = None
    max_lines: int | None = None


def parse_configs(text: str) -> list[EngineConfig]:
    """``name:key=value,key=value;name2:...`` (keys: EngineConfig's fields)."""
    configs = []
    for part in (p for p in text.split(";") if p.strip()):
        name, _, body = part.partition(":")
        config = EngineConfig(name=name.strip())
        for item in (i for i in body.split(",") if i.strip()):
            key, _, value = item.partition("=")
            key = key.strip().replace("-", "_")
            if key not in EngineConfig.__dataclass_fields__ or key == "name":
                raise ValueError(f"unknown engine setting {key!r} in {part!r}")
            kind = {"url": str, "suffix_share": float, "cross_share": float}.get(key, int)
            setattr(config, key, kind(value.strip()))
        configs.append(config)
    return configs


async def run_model(url: str, model: str, points: list[Point], variants: list[str], files: dict[str, Source],
                    max_tokens: int, progress: bool, typed: bool = False,
                    partial: Path | None = None, configs: list[EngineConfig] | None = None) -> list[Outcome]:
    outcomes = await _run_wires(url, model, points, [v for v in variants if v not in ENGINE_VARIANTS], files,
                                max_tokens, progress, typed, partial)
    engines = [v for v in variants if v in ENGINE_VARIANTS]
    if engines:
        outcomes += await _run_engine(url, model, points, engines, files, progress, partial, typed,
                                      configs or [EngineConfig()])
    return outcomes


def _completer(client: httpx.AsyncClient, url: str, model: str, variant: str, config: EngineConfig,
               root: Path) -> Completer:
    settings = Settings()
    brain = settings.brains.completion
    brain.url, brain.backend, brain.model, brain.timeout = config.url or url, "openai", model, 300.0
    settings.completion.context = ENGINE_VARIANTS[variant]  # type: ignore[assignment]
    if config.max_tokens is not None:
        brain.max_tokens = config.max_tokens
    if config.max_lines is not None:
        settings.completion.max_lines = config.max_lines
    if config.budget is not None:  # the engine's budget is num_ctx less max_tokens
        brain.num_ctx = config.budget + brain.max_tokens
    completer = Completer(settings, client=client, workspace_root=root)
    if config.cross_share is not None:
        completer.cross_file_share = config.cross_share
    if config.suffix_share is not None:
        completer.suffix_share = config.suffix_share
    return completer


async def _run_engine(url: str, model: str, points: list[Point], variants: list[str], files: dict[str, Source],
                      progress: bool, partial: Path | None, typed: bool,
                      configs: list[EngineConfig]) -> list[Outcome]:
    """The points through the project's own :class:`Completer` (its window,
    budget, snippets and checks) on the document with the target taken out;
    "dropped" is then the engine's own reason (``dropped_*``/``skipped_*``).
    Point by point, the variants and configs in turn (a run cut short still
    compares them on the same points, and a load that comes and goes falls on
    all of them alike); one Completer per package, variant and config, its
    workspace a copy of the package (:func:`workspace`)."""
    outcomes: list[Outcome] = []
    async with httpx.AsyncClient(trust_env=False, timeout=300.0) as client:
        completers: dict[tuple[str, str, str], Completer] = {}
        for k, point in enumerate(points):
            source = files[point.path]
            root = workspace(point.package, source.root)
            for config in configs:
                for variant in variants:
                    key = (point.package, variant, config.name)
                    if key not in completers:
                        completers[key] = _completer(client, url, model, variant, config, root)
                    completer = completers[key]
                    label = variant + (f"@{config.name}" if config.name else "")
                    outcome = await _engine_one(completer, point, label, source, root)
                    new = [outcome]
                    if typed and len(point.target) > 1:
                        # One more character typed and the suggestion forgotten, so
                        # the model is asked again: the server's prompt cache warm.
                        completer.forget(f"file:///bench/{point.id}")
                        moved = replace(point, prefix=point.prefix + point.target[0], target=point.target[1:],
                                        character=point.character + 1)
                        new.append(await _engine_one(completer, moved, label + "/typed", source, root,
                                                     cut=point.character))
                    outcomes += new
                    if partial is not None:
                        with partial.open("a", encoding="utf-8") as out:
                            out.writelines(json.dumps({"model": model, **asdict(o)}) + "\n" for o in new)
                    if progress:
                        print(f"  {model} {label} {k + 1}/{len(points)} {outcome.seconds:.1f}s "
                              f"{'EM' if outcome.exact else '  '} {outcome.dropped} {point.id}", file=sys.stderr)
    for (_, variant, name) in sorted({(None, v, c) for _, v, c in completers}, key=lambda item: item[1:]):
        stats = sum((Counter(c.stats) for (_, v, n), c in completers.items() if (v, n) == (variant, name)),
                    Counter())
        print(f"  {model} {variant}{'@' + name if name else ''} engine stats: {dict(stats)}", file=sys.stderr)
    return outcomes


async def _engine_one(completer: Completer, point: Point, variant: str, source: Source, root: Path,
                      cut: int | None = None) -> Outcome:
    """One request on the document with the target taken out (``cut``: the
    target started there, and the typed part of it is kept)."""
    end = point.line + point.target.count("\n")
    start = point.character if cut is None else cut
    head = source.lines[point.line][:start] + ("" if cut is None else point.prefix[-(point.character - cut):])
    text = "\n".join(source.lines[: point.line] + [head] + source.lines[end + 1:]) + "\n"
    request = CompletionRequest(uri=f"file:///bench/{point.id}", path=str(root / point.path), text=text,
                                line=point.line, character=point.character, language="python")
    before = dict(completer.stats)
    started = time.perf_counter()
    error = ""
    try:
        suggestions = await completer.complete(request)
    except BrainError as exc:
        suggestions, error = [], str(exc)
    seconds = time.perf_counter() - started
    outcome = score(point, source, variant, suggestions[0].text if suggestions else "", seconds, None,
                    completer.brain.last.prompt_tokens)
    outcome.dropped = next((key for key, count in completer.stats.items()
                            if key.startswith(("dropped_", "skipped_")) and count > before.get(key, 0)), "")
    outcome.error = error
    return outcome


async def _run_wires(url: str, model: str, points: list[Point], variants: list[str], files: dict[str, Source],
                     max_tokens: int, progress: bool, typed: bool = False,
                     partial: Path | None = None) -> list[Outcome]:
    settings = BrainSettings(model=model, max_tokens=max_tokens, temperature=0.0, url=url, backend="openai",
                             timeout=300.0)
    outcomes: list[Outcome] = []
    async with httpx.AsyncClient(trust_env=False, timeout=300.0) as client:
        brain = Brain("completion", settings, max_tokens=max_tokens, client=client)
        # Point by point, the variants in turn, so that a run cut short still
        # compares them on the same points. No two requests in a row share the
        # start of their prompt (the repo-level one starts with other files),
        # as long as "raw" and "infill" (the same tokens) are not adjacent.
        for k, point in enumerate(points):
            for variant in variants:
                outcome = await _one(brain, point, variant, files[point.path], max_tokens)
                new = [outcome]
                if typed and len(point.target) > 1:
                    # One more character typed, the suggestion not typed through:
                    # the server's prompt cache holds all but the end of the prompt.
                    moved = replace(point, prefix=point.prefix + point.target[0], target=point.target[1:],
                                    character=point.character + 1)
                    new.append(await _one(brain, moved, variant + "/typed", files[point.path], max_tokens))
                outcomes += new
                if partial is not None:
                    with partial.open("a", encoding="utf-8") as out:
                        out.writelines(json.dumps({"model": model, **asdict(o)}) + "\n" for o in new)
                if progress:
                    print(f"  {model} {variant} {k + 1}/{len(points)} {outcome.seconds:.1f}s "
                          f"{'EM' if outcome.exact else '  '} {point.id}", file=sys.stderr)
    return outcomes


async def _one(brain: Brain, point: Point, variant: str, source: Source, max_tokens: int) -> Outcome:
    wire, request = request_for(point, variant.split("/")[0], max_tokens)
    started = time.perf_counter()
    first: list[float] = []
    lines_wanted = 1 if point.kind == "line" else MAX_LINES

    def enough(text: str) -> bool:
        if not first:
            first.append(time.perf_counter() - started)
        return text.count("\n") >= lines_wanted

    try:
        result = await fill_in_middle(brain, request, wire, enough=enough)
    except BrainError as exc:
        outcome = score(point, source, variant, "", time.perf_counter() - started, None, None)
        outcome.error = str(exc)
        return outcome
    return score(point, source, variant, result.text, time.perf_counter() - started, first[0] if first else None,
                 result.prompt_tokens)


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def table(results: dict[str, list[Outcome]], points: list[Point]) -> str:
    by_id = {p.id: p for p in points}
    subsets = [("all", lambda p: True), ("cross-file", lambda p: p.cross_file),
               ("in-file", lambda p: not p.cross_file), ("line", lambda p: p.kind == "line"),
               ("block", lambda p: p.kind == "block"), ("held-out", lambda p: p.split == "held-out")]
    rows = ["| model | variant | subset | n | exact match | edit sim. | ident. F1 | dropped | "
            "p50 / p95 s | first token p50 / p95 s | prompt tokens (median) |",
            "|---|---|---|---|---|---|---|---|---|---|---|"]
    for model, outcomes in results.items():
        variants = list(dict.fromkeys(o.variant for o in outcomes))
        for variant in variants:
            for name, keep in subsets:
                chosen = [o for o in outcomes if o.variant == variant and keep(by_id[o.point])]
                if not chosen:
                    continue
                n = len(chosen)
                secs = [o.seconds for o in chosen if not o.error]
                firsts = [o.first_token for o in chosen if o.first_token is not None]
                tokens = [o.prompt_tokens for o in chosen if o.prompt_tokens]
                rows.append(
                    f"| {model} | {variant} | {name} | {n} | {100 * sum(o.exact for o in chosen) / n:.1f}% | "
                    f"{100 * statistics.fmean(o.similarity for o in chosen):.1f} | "
                    f"{100 * statistics.fmean(o.ident_f1 for o in chosen):.1f} | "
                    f"{100 * sum(bool(o.dropped) for o in chosen) / n:.0f}% | "
                    f"{_pct(secs, 0.5):.2f} / {_pct(secs, 0.95):.2f} | "
                    f"{_pct(firsts, 0.5):.2f} / {_pct(firsts, 0.95):.2f} | "
                    f"{int(statistics.median(tokens)) if tokens else '-'} |")
    return "\n".join(rows)


def interleaved(points: list[Point]) -> list[Point]:
    """The points in turns of the four kinds (line/block x cross-file or
    not), each kind in sample order: a run cut short still has them all."""
    groups: dict[tuple[str, bool], list[Point]] = {}
    for point in points:
        groups.setdefault((point.kind, point.cross_file), []).append(point)
    out: list[Point] = []
    for k in range(max((len(g) for g in groups.values()), default=0)):
        out += [group[k] for _, group in sorted(groups.items()) if k < len(group)]
    return out


def resumed(partial: Path | None, model: str, variants: list[str],
            configs: list[EngineConfig]) -> dict[str, list[Outcome]]:
    """The outcomes already in ``partial`` for ``model``, by point, of the
    points that have every variant (those run again otherwise)."""
    if partial is None or not partial.exists():
        return {}
    labels = {v + (f"@{c.name}" if c.name and v in ENGINE_VARIANTS else "")
              for v in variants for c in (configs or [EngineConfig()])}
    by_point: dict[str, list[Outcome]] = {}
    for raw in partial.read_text(encoding="utf-8").splitlines():
        row = json.loads(raw)
        if row.pop("model") == model:
            by_point.setdefault(row["point"], []).append(Outcome(**row))
    return {point: outcomes for point, outcomes in by_point.items()
            if labels <= {o.variant for o in outcomes}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=32, help="points (half line, half block; half cross-file)")
    ap.add_argument("--model", default="both", choices=["0.5b", "1.5b", "both"])
    ap.add_argument("--url", help="a running llama-server for --model (default: the bench ports, "
                                  + ", ".join(f"{k} {v}" for k, v in SERVERS.items()) + ")")
    ap.add_argument("--variants", default="raw,raw+repo,infill", help=f"comma-separated, of {', '.join(VARIANTS)}")
    ap.add_argument("--prefix-tokens", type=int, default=256)
    ap.add_argument("--suffix-tokens", type=int, default=64)
    ap.add_argument("--context-tokens", type=int, default=256)
    ap.add_argument("--max-tokens", type=int, default=48)
    ap.add_argument("--engine", default="",
                    help="engine configurations to compare, interleaved point by point: "
                         "'name:key=value,...;name2:...', keys url, budget (prompt tokens), suffix_share, "
                         "cross_share, max_tokens, max_lines (default: one, the engine's own settings)")
    ap.add_argument("--split", default="all", choices=["all", "dev", "held-out"])
    ap.add_argument("--json", type=Path, help="save points and outcomes here")
    ap.add_argument("--typed", action="store_true",
                    help="after each request, another with one more character typed (the prompt cache warm)")
    ap.add_argument("--quiet", action="store_true")
    ap.add_argument("--resume", action="store_true",
                    help="keep the outcomes of <json>.partial.jsonl (same arguments) and run the other points")
    args = ap.parse_args()
    variants = [v for v in args.variants.split(",") if v]
    unknown = set(variants) - set(VARIANTS)
    if unknown:
        sys.exit(f"unknown variants {sorted(unknown)}; choose from {', '.join(VARIANTS)}")
    try:
        configs = parse_configs(args.engine)
    except ValueError as exc:
        sys.exit(str(exc))
    models = ["0.5b", "1.5b"] if args.model == "both" else [args.model]
    if args.url and len(models) > 1:
        sys.exit("--url serves one model: pass --model 0.5b or --model 1.5b with it")
    urls = {m: (args.url or SERVERS[m]).rstrip("/") for m in models}
    sources = load_sources()
    files = {s.path: s for group in sources.values() for s in group}
    t = time.perf_counter()
    points = sample(sources, args.n, urls[models[0]], args.prefix_tokens, args.suffix_tokens, args.context_tokens)
    if args.split != "all":
        points = [p for p in points if p.split == args.split]
    points = interleaved(points)
    print(f"{len(points)} points ({sum(p.cross_file for p in points)} cross-file, "
          f"{sum(p.kind == 'block' for p in points)} block, {sum(p.split == 'held-out' for p in points)} held-out, "
          f"{sum(bool(p.context) for p in points)} with snippets) from "
          + ", ".join(f"{k} {v}" for k, v in PACKAGES.items()) + f" in {time.perf_counter() - t:.1f} s",
          file=sys.stderr)
    results: dict[str, list[Outcome]] = {}
    partial = args.json.with_suffix(".partial.jsonl") if args.json else None
    for model in models:
        done = resumed(partial, f"qwen2.5-coder:{model}", variants, configs) if args.resume else {}
        todo = [p for p in points if p.id not in done]
        if done:
            print(f"  {model}: {len(points) - len(todo)} points resumed from {partial}", file=sys.stderr)
        results[model] = [o for p in points for o in done.get(p.id, [])] + asyncio.run(run_model(
            urls[model], f"qwen2.5-coder:{model}", todo, variants, files, args.max_tokens, not args.quiet,
            args.typed, partial, configs))
    print(table(results, points))
    if args.json:
        args.json.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()},
                                         "packages": PACKAGES, "points": [asdict(p) for p in points],
                                         "outcomes": {m: [asdict(o) for o in os] for m, os in results.items()}},
                                        indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
