"""The docstring→function retrieval task, built from this machine's CPython stdlib.

For every documented function or method of the standard library (tests, idlelib,
lib2to3's tests and site-packages skipped), the first sentence of its docstring
is a query and the function itself (path + qualified name such as
``Class.method`` or ``outer.inner``) is its single relevant answer. The code
that gets indexed has ALL docstrings removed, with line numbers kept, so the
answer cannot be found by copying the query.

Everything is deterministic. Modules are split by a hash of their path into
``tune`` (pick parameters there) and ``test`` (report there), so that choices
are never tuned on the figures that are reported.

This module only builds data: it must not index, embed or score anything
(the benchmarks do that), and it must not import the package under test.

    from bench.retrieval_dataset import load_corpus_and_queries
    data = load_corpus_and_queries(split="test", sample=500)
    data.units     # CodeUnit(path, qualname, start_line, end_line, text)
    data.queries   # Query(id, text, path, qualname)
    data.files     # {path: source without docstrings} for a real indexer

``with_tests=True`` is the corpus a real vault holds: the stdlib's own tests
(``test/test_<module>.py``, kept as written, docstrings and all) join the split
of the module they test, so a test that calls a function by name competes with
it, as in a user's project; and the hand-written :data:`HAND_CASES` (short
queries as a user types them, answers picked by reading the code) join the
queries of their answer's split.
"""

from __future__ import annotations

import ast
import hashlib
import re
import sysconfig
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Split = Literal["tune", "test", "all"]

# Directories that are tests, tools or third-party code, not the library itself.
SKIP_DIRS = {"test", "tests", "idle_test", "idlelib", "site-packages", "dist-packages", "__pycache__",
             "turtledemo", "lib2to3_tests"}
MIN_QUERY_WORDS = 4
MAX_QUERY_CHARS = 300

# (query as a user types it, path, qualified name of the function that does it),
# chosen by reading the stdlib, never from a ranker's output; each joins the
# split of its path. Most have a test/test_<module>.py that names them too.
HAND_CASES: list[tuple[str, str, str]] = [
    ("follow redirects", "urllib/request.py", "HTTPRedirectHandler.http_error_302"),
    ("basic auth header", "urllib/request.py", "AbstractBasicAuthHandler.retry_http_basic_auth"),
    ("parse query string into a dict", "urllib/parse.py", "parse_qs"),
    ("percent-encode special characters in a url", "urllib/parse.py", "quote"),
    ("join base url with a relative url", "urllib/parse.py", "urljoin"),
    ("decompress gzip bytes", "gzip.py", "decompress"),
    ("copy a directory tree recursively", "shutil.py", "copytree"),
    ("delete a directory tree", "shutil.py", "rmtree"),
    ("find an executable on PATH", "shutil.py", "which"),
    ("format an exception with its traceback", "traceback.py", "format_exception"),
    ("deep copy an object", "copy.py", "deepcopy"),
    ("remove common leading whitespace", "textwrap.py", "dedent"),
    ("wrap text to a width", "textwrap.py", "wrap"),
    ("escape html special characters", "html/__init__.py", "escape"),
    ("unescape html entities", "html/__init__.py", "unescape"),
    ("parse a json string", "json/__init__.py", "loads"),
    ("serialize an object to json text", "json/__init__.py", "dumps"),
    ("base64 encode bytes", "base64.py", "b64encode"),
    ("hash a file object", "hashlib.py", "file_digest"),
    ("create a temporary file securely", "tempfile.py", "mkstemp"),
    ("match a filename against a shell pattern", "fnmatch.py", "fnmatch"),
    ("expand ~ to the home directory", "posixpath.py", "expanduser"),
    ("normalize a path, collapse .. and .", "posixpath.py", "normpath"),
    ("parse an email address into name and address", "email/utils.py", "parseaddr"),
    ("format a date for an email header", "email/utils.py", "formatdate"),
    ("split a shell command line into words", "shlex.py", "split"),
    ("quote a string for the shell", "shlex.py", "quote"),
    ("run a command and capture its output", "subprocess.py", "run"),
    ("wait for a coroutine with a timeout", "asyncio/tasks.py", "wait_for"),
    ("run awaitables concurrently and collect results", "asyncio/tasks.py", "gather"),
    ("send an http request", "http/client.py", "HTTPConnection.request"),
    ("read the http status line", "http/client.py", "HTTPResponse._read_status"),
    ("pretty print nested data to a string", "pprint.py", "pformat"),
    ("unified diff of two lists of lines", "difflib.py", "unified_diff"),
    ("closest matches for a word", "difflib.py", "get_close_matches"),
    ("extract all members of a zip file", "zipfile.py", "ZipFile.extractall"),
    ("add a file to a tar archive", "tarfile.py", "TarFile.add"),
    ("rotate the log file when it gets too big", "logging/handlers.py", "RotatingFileHandler.doRollover"),
    ("read an ini config file", "configparser.py", "RawConfigParser.read"),
    ("random uuid", "uuid.py", "uuid4"),
    ("memoize a function with a bounded cache", "functools.py", "lru_cache"),
    ("median of a list of numbers", "statistics.py", "median"),
    ("parse an iso 8601 datetime string", "datetime.py", "datetime.fromisoformat"),
    ("find files matching a wildcard pattern", "glob.py", "glob"),
    ("walk a directory tree top down", "os.py", "walk"),
    ("url-encode a dict of form fields", "urllib/parse.py", "urlencode"),
    ("split a url into scheme host path", "urllib/parse.py", "urlsplit"),
    ("guess the mime type of a file name", "mimetypes.py", "MimeTypes.guess_type"),
    ("parse a cookie header", "http/cookies.py", "BaseCookie.load"),
    ("read a password without echo", "getpass.py", "unix_getpass"),
]


@dataclass(frozen=True)
class CodeUnit:
    """One function or method, its docstring removed; lines are 1-based, inclusive."""

    path: str  # relative to the stdlib root, with "/" separators
    qualname: str
    start_line: int
    end_line: int
    text: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.path, self.qualname)


@dataclass(frozen=True)
class Query:
    id: str
    text: str
    path: str
    qualname: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.path, self.qualname)


@dataclass
class Dataset:
    root: Path
    units: list[CodeUnit] = field(default_factory=list)
    queries: list[Query] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)
    hand: set[str] = field(default_factory=set)  # ids of the queries from HAND_CASES


_HAND_SET = set(HAND_CASES)


def stdlib_root() -> Path:
    return Path(sysconfig.get_paths()["stdlib"])


def split_of(path: str) -> Literal["tune", "test"]:
    """Held-out split by module: a stable hash of the relative path."""
    digest = hashlib.sha1(path.encode("utf-8")).digest()
    return "tune" if digest[0] % 2 == 0 else "test"


def _wanted(rel: Path) -> bool:
    parts = rel.parts
    if any(p in SKIP_DIRS for p in parts[:-1]):
        return False
    name = parts[-1]
    if name.startswith("test_") or name == "conftest.py":
        return False
    # lib2to3 ships its own test fixtures, some of them deliberately broken.
    if parts[0] == "lib2to3" and ("tests" in parts or "fixers" in parts and name.startswith("data")):
        return False
    return True


def iter_stdlib_files(root: Path | None = None) -> Iterator[tuple[str, Path]]:
    root = root or stdlib_root()
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        if _wanted(rel):
            yield rel.as_posix(), path


def first_sentence(docstring: str) -> str:
    """The docstring's first sentence: up to a blank line or a full stop followed by a space."""
    paragraph = re.split(r"\n\s*\n", docstring.strip(), maxsplit=1)[0]
    text = " ".join(paragraph.split())
    match = re.search(r"(?<=[.!?])\s", text)
    if match:
        text = text[:match.start()]
    return text.strip()


def _docstring_node(node: ast.AST) -> ast.Constant | None:
    body = getattr(node, "body", None)
    if not body:
        return None
    first = body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        return first.value
    return None


def strip_docstrings(source: str, tree: ast.Module) -> str:
    """The source with every module/class/function docstring blanked, line numbers kept.

    A docstring that is the whole body becomes ``pass`` so the code still parses.
    """
    lines = source.splitlines(keepends=True)
    edits: list[tuple[int, int, int, int, bool]] = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            doc = _docstring_node(node)
            if doc is not None and doc.end_lineno is not None and doc.end_col_offset is not None:
                only = len(node.body) == 1
                edits.append((doc.lineno, doc.col_offset, doc.end_lineno, doc.end_col_offset, only))
    # Bottom-up so earlier positions stay valid.
    for start, col, end, end_col, only in sorted(edits, reverse=True):
        first = lines[start - 1]
        last = lines[end - 1]
        replacement = "pass" if only else ""
        if start == end:
            lines[start - 1] = first[:col] + replacement + first[end_col:]
        else:
            lines[start - 1] = first[:col] + replacement + ("\n" if first.endswith("\n") else "")
            for i in range(start, end - 1):
                lines[i] = "\n"
            lines[end - 1] = last[end_col:] if last[end_col:].strip() else "\n"
    return "".join(lines)


def _read_source(path: Path) -> str | None:
    try:
        with path.open("rb") as handle:
            encoding, _ = tokenize.detect_encoding(handle.readline)
        return path.read_bytes().decode(encoding)
    except (OSError, SyntaxError, UnicodeDecodeError, LookupError):
        return None


def _functions(tree: ast.Module) -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """(qualified name, node) for every function, method and nested function."""
    def walk(node: ast.AST, prefix: str) -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = f"{prefix}{child.name}"
                yield name, child
                yield from walk(child, name + ".")
            elif isinstance(child, ast.ClassDef):
                yield from walk(child, f"{prefix}{child.name}.")
            else:
                # if/try/with blocks at module or class level still define functions
                yield from walk(child, prefix)
    return walk(tree, "")


def _file_units(rel: str, source: str) -> tuple[str, list[CodeUnit], list[tuple[str, str]]] | None:
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    stripped = strip_docstrings(source, tree)
    stripped_lines = stripped.splitlines()
    units: list[CodeUnit] = []
    docs: list[tuple[str, str]] = []
    seen: set[str] = set()
    for qualname, node in _functions(tree):
        if qualname in seen:  # redefinitions (e.g. per-platform): keep the first
            continue
        seen.add(qualname)
        start = min([d.lineno for d in node.decorator_list] + [node.lineno])
        end = node.end_lineno or node.lineno
        text = "\n".join(stripped_lines[start - 1:end])
        units.append(CodeUnit(rel, qualname, start, end, text))
        doc = ast.get_docstring(node)
        if doc:
            docs.append((qualname, doc))
    return stripped, units, docs


# test/test_<name>.py (or the test/test_<name>/ package) tests this module, where
# <name> is not the module's own path.
TEST_ALIASES = {"urlparse": "urllib/parse.py", "urllib2": "urllib/request.py", "urllib": "urllib/request.py",
                "httplib": "http/client.py", "http_cookies": "http/cookies.py", "getpass": "getpass.py",
                "os": "os.py", "posixpath": "posixpath.py", "logging": "logging/handlers.py",
                "html": "html/__init__.py", "email": "email/utils.py", "json": "json/__init__.py",
                "asyncio": "asyncio/tasks.py", "hashlib": "hashlib.py", "datetime": "datetime.py"}


def iter_test_files(root: Path, library: set[str]) -> Iterator[tuple[str, Path, str]]:
    """(path, file, the library module it tests) for ``test/test_<module>.py`` and
    the files of ``test/test_<module>/`` whose module is in ``library``."""
    tests = root / "test"
    if not tests.is_dir():
        return
    for path in sorted(tests.glob("test_*")):
        name = path.name.removeprefix("test_").removesuffix(".py")
        module = TEST_ALIASES.get(name) or next(
            (m for m in (f"{name}.py", f"{name}/__init__.py") if m in library), None)
        if module is None or module not in library:
            continue
        files = [path] if path.suffix == ".py" else sorted(
            p for p in path.rglob("*.py") if "__pycache__" not in p.parts)
        for f in files:
            if f.is_file():
                yield f.relative_to(root).as_posix(), f, module


def load_corpus_and_queries(split: Split = "test", sample: int | None = None, *,
                            root: Path | None = None, corpus: Literal["split", "all"] = "split",
                            with_tests: bool = False) -> Dataset:
    """The code units and queries of one split.

    ``split`` picks the modules whose functions become queries; ``corpus`` says
    whether the searchable units are those same modules ("split", the default,
    half the stdlib) or the whole stdlib ("all", harder and slower).
    ``sample`` keeps a deterministic subset of the queries (by hash).
    A query whose text is not unique in the stdlib is dropped: it has no single answer.
    ``with_tests``: the module's tests are in the corpus and :data:`HAND_CASES` in the queries.
    """
    root = root or stdlib_root()
    data = Dataset(root=root)
    candidates: list[Query] = []
    text_count: dict[str, int] = {}
    for rel, path in iter_stdlib_files(root):
        in_split = split == "all" or split_of(rel) == split
        if not in_split and corpus == "split":
            continue
        source = _read_source(path)
        if source is None:
            continue
        parsed = _file_units(rel, source)
        if parsed is None:
            continue
        stripped, units, docs = parsed
        data.files[rel] = stripped
        data.units.extend(units)
        for qualname, doc in docs:
            text = first_sentence(doc)
            if len(text.split()) < MIN_QUERY_WORDS or len(text) > MAX_QUERY_CHARS:
                continue
            key = text.lower()
            text_count[key] = text_count.get(key, 0) + 1
            if in_split:
                candidates.append(Query(id="", text=text, path=rel, qualname=qualname))
    unique = [q for q in candidates if text_count[q.text.lower()] == 1]
    unique.sort(key=lambda q: hashlib.sha1(f"{q.path}::{q.qualname}".encode()).hexdigest())
    if sample is not None:
        unique = unique[:sample]
    if with_tests:
        all_library = {rel for rel, _ in iter_stdlib_files(root)}
        for rel, path, module in iter_test_files(root, all_library):
            if (split == "all" or split_of(module) == split or corpus == "all") and rel not in data.files:
                source = _read_source(path)
                if source is not None:
                    data.files[rel] = source
        known = {u.key for u in data.units}
        for text, answer, qualname in HAND_CASES:
            if (split == "all" or split_of(answer) == split) and (answer, qualname) in known:
                unique.append(Query(id="", text=text, path=answer, qualname=qualname))
    unique.sort(key=lambda q: (q.path, q.qualname))
    data.queries = [Query(id=f"q{i:05d}", text=q.text, path=q.path, qualname=q.qualname)
                    for i, q in enumerate(unique)]
    data.hand = {q.id for q, orig in zip(data.queries, unique, strict=True)
                 if (orig.text, orig.path, orig.qualname) in _HAND_SET}
    return data


def main() -> None:
    import argparse
    import json

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", default="test", choices=["tune", "test", "all"])
    parser.add_argument("--sample", type=int, default=None)
    parser.add_argument("--jsonl", action="store_true", help="print the queries as JSONL {id, query, path, name}")
    args = parser.parse_args()
    data = load_corpus_and_queries(args.split, args.sample)
    if args.jsonl:
        for q in data.queries:
            print(json.dumps({"id": q.id, "query": q.text, "path": q.path, "name": q.qualname}))
        return
    print(f"stdlib: {data.root}")
    print(f"split={args.split} files={len(data.files)} units={len(data.units)} queries={len(data.queries)}")
    for q in data.queries[:5]:
        print(f"  {q.id} {q.text!r} -> {q.path}::{q.qualname}")


if __name__ == "__main__":
    main()
