"""How the vault orders what lexical and dense search found: score fusion and
the priors that put the implementation above what merely talks about it.

A query has two candidate lists (BM25 hits, nearest vectors); :class:`Scorer`
gives each candidate one score from :class:`RankingParams`, which the vault
holds and a benchmark may replace (``bench/bench_retrieval.py`` tries its
variants by passing other parameters, never by patching this module).

Priors, on the scale of a cosine, all waived when the query asks for that
kind of thing (:class:`QueryIntent`):

- containers (class outlines, module code) name everything they hold, so
  they match a description of any one of their functions;
- tests call the function they test, by name, with its arguments: "follow
  redirects" found five tests before the method that follows them;
- ``@overload`` stubs and ``.pyi``/``.d.ts`` declarations repeat the
  signature without the body ("basic auth header" found two one-line stubs
  above the function);
- documentation describes the code in the words a query uses.

A test is also evidence: one that matches the query names the code it
exercises, so that code gains a share of the test's score
(:meth:`Scorer.add_test_evidence`), which finds an implementation whose own
name and body share no word with the query.

This module is pure: it must not query a store, embed or read files.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from mycoder_lsp.memory import lexical

MODES = ("lexical", "dense", "mission", "hybrid", "rrf")
DEFAULT_MODE = "hybrid"
CONTAINER_KINDS = frozenset({"class", "module", "impl", "trait", "interface", "enum", "type"})


@dataclass(frozen=True)
class RankingParams:
    """Everything that decides an order; defaults measured on the ``tune`` split
    of ``bench/bench_retrieval.py`` (bench/RESULTS.md, "## Vault")."""

    mode: str = DEFAULT_MODE
    # Candidates taken from each of BM25 and the vectors before fusion.
    candidates: int = 100
    # hybrid = a × BM25/max(BM25) + b × cosine + c × importance: 0.3/0.7 won on
    # tune and held on test; importance only hurt there (long documented classes
    # above the function asked for), min-max and z-score normalisation were no better.
    weights: tuple[float, float, float] = (0.3, 0.7, 0.0)
    field_weights: tuple[float, float, float] = lexical.FIELD_WEIGHTS  # bm25(name, path, body)
    # Reciprocal-rank fusion throws away the score gaps that make BM25 useful on
    # exact names; kept as a mode for comparison.
    rrf_k: int = 60
    # A class outline or module code names everything it holds: hybrid MRR@10
    # on tune 0.441 -> 0.455 (no tests in the corpus).
    container_prior: float = -0.1
    # With the stdlib's tests in the corpus (``--with-tests``), on tune: 0.408
    # without, 0.442 at -0.1, 0.450 at -0.2, 0.453 at -0.3 and at -0.5. The
    # far end of that plateau: a test named after the query
    # (``test_follow_redirects``) still outscores the method by 0.37 without it.
    test_prior: float = -0.5
    # That corpus has no docs and few overload stubs to tune on: docs are held
    # like tests (they describe the code in the query's words), a stub repeats
    # the function's signature, so it needs less to fall below it
    # (tests/unit/memory/test_ranking.py holds both reported cases).
    stub_prior: float = -0.15
    doc_prior: float = -0.3
    # Candidates re-scored with what needs a lookup per chunk (references, content).
    short_list_extra: int = 20
    # A test among the best ``evidence_pool`` candidates (the first
    # ``evidence_tests`` of them) gives every candidate it names this share of
    # its fused score. With tests in the corpus, on tune: MRR@10 0.461 -> 0.466,
    # hand-written queries 0.346 -> 0.433; held-out 0.449 -> 0.451 (hand 0.378 ->
    # 0.392); nothing changes without tests. 0.05 and 0.2 were no better, fewer
    # tests (3 of 30) lost most of it.
    test_evidence: float = 0.1
    evidence_tests: int = 5
    evidence_pool: int = 50


# First words of a noun-phrase description ("A parser for...", "Base class
# for...") or words that ask for a container outright.
_THING_FIRST_WORDS = frozenset(
    "a an the base abstract mixin interface wrapper container exception error represents represent".split())
_THING_WORDS = frozenset({"class", "module", "object", "type", "struct", "trait", "interface", "enum"})
_TEST_WORDS = frozenset({"test", "tests", "testing", "tested", "testcase", "spec", "specs", "pytest", "unittest",
                         "fixture", "fixtures"})
_STUB_WORDS = frozenset({"overload", "overloads", "overloaded", "stub", "stubs", "pyi", "declaration", "declarations"})
_DOC_WORDS = frozenset({"doc", "docs", "documentation", "documented", "readme", "guide", "tutorial", "changelog",
                        "manual", "howto"})

_TEST_DIRS = frozenset({"test", "tests", "__tests__", "__mocks__", "spec", "specs", "testsuite", "testdata"})
# A directory such as ``test_utils``, ``integration_tests`` or ``idle_test``.
_TEST_DIR = re.compile(r"^(tests?_.+|.+_tests?)$")
# ``tests.py`` and ``test.py`` are Django's and many small projects' test modules.
_TEST_FILE = re.compile(r"^(tests?|test_.*|.*_test|.*_tests|conftest|.*\.(test|spec)|.*_spec|.*Tests?)\.[A-Za-z0-9]+$")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DOC_SUFFIXES = (".md", ".markdown", ".rst", ".txt", ".adoc")
_DOC_DIRS = frozenset({"doc", "docs", "documentation"})
_STUB_SUFFIXES = (".pyi", ".d.ts")
_OVERLOAD = re.compile(r"^\s*@(?:[A-Za-z_][\w.]*\.)?overload\b", re.MULTILINE)


def _words(query: str) -> list[str]:
    return [w.strip(".,:;()[]'\"`").lower() for w in query.split()]


@dataclass(frozen=True)
class QueryIntent:
    """What kind of thing the query asks for: the priors against it are waived."""

    container: bool = False
    tests: bool = False
    stubs: bool = False
    docs: bool = False

    @classmethod
    def of(cls, query: str) -> QueryIntent:
        words = [w for w in _words(query) if w]
        parts = {p for w in words for p in re.split(r"[_\-./]", w) if p}
        return cls(container=bool(words) and (words[0] in _THING_FIRST_WORDS or any(w in _THING_WORDS for w in words)),
                   tests=bool(parts & _TEST_WORDS), stubs=bool(parts & _STUB_WORDS), docs=bool(parts & _DOC_WORDS))


def is_test(path: str, name: str) -> bool:
    """A test: a file in a test directory or named like a test file, or a
    function named ``test_...`` (pytest's and unittest's convention)."""
    parts = path.split("/")
    if any(p.lower() in _TEST_DIRS or _TEST_DIR.match(p.lower()) for p in parts[:-1]) or _TEST_FILE.match(parts[-1]):
        return True
    last = name.rsplit(".", 1)[-1]
    return last.startswith("test_") or last == "test"


def is_doc(path: str) -> bool:
    parts = path.split("/")
    return path.lower().endswith(_DOC_SUFFIXES) or any(p.lower() in _DOC_DIRS for p in parts[:-1])


def is_stub(path: str, content: str) -> bool:
    """A declaration without the code: an ``@overload`` signature or a stub file."""
    return path.endswith(_STUB_SUFFIXES) or bool(_OVERLOAD.search(content[:400]))


@dataclass(frozen=True)
class Candidate:
    """One chunk that lexical or dense search found; ``content`` only for the short list."""

    id: int
    path: str
    name: str
    kind: str
    start_line: int
    end_line: int
    importance: float
    content: str | None = None


@dataclass
class Scorer:
    """Scores of one query's candidates: ``lex`` is (id, BM25) best first, ``dense``
    the nearest ids best first, ``cos`` the cosine of every candidate."""

    params: RankingParams
    query: str
    lex: Sequence[tuple[int, float]] = ()
    dense: Sequence[int] = ()
    cos: dict[int, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.intent = QueryIntent.of(self.query)
        self._bm25 = dict(self.lex)
        self._lex_rank = {cid: i for i, (cid, _) in enumerate(self.lex)}
        self._dense_rank = {cid: i for i, cid in enumerate(self.dense)}
        self._top_bm25 = max(self._bm25.values(), default=1.0) or 1.0
        self._evidence: dict[int, float] = {}

    def fused(self, c: Candidate) -> float:
        """The mode's score, before priors."""
        p, cid = self.params, c.id
        if p.mode == "lexical":
            return self._bm25.get(cid, 0.0)
        if p.mode == "dense":
            return self.cos.get(cid, 0.0)
        if p.mode == "mission":
            return 0.7 * self.cos.get(cid, 0.0) + 0.3 * c.importance
        if p.mode == "rrf":
            s = 0.0
            if cid in self._lex_rank:
                s += 1.0 / (p.rrf_k + 1 + self._lex_rank[cid])
            if cid in self._dense_rank:
                s += 1.0 / (p.rrf_k + 1 + self._dense_rank[cid])
            return s + 0.001 * c.importance
        a, b, w = p.weights
        return a * self._bm25.get(cid, 0.0) / self._top_bm25 + b * self.cos.get(cid, 0.0) + w * c.importance

    def prior(self, c: Candidate) -> float:
        """What the kind of chunk costs (hybrid only: the other modes are references)."""
        p, want = self.params, self.intent
        if p.mode != "hybrid":
            return 0.0
        total = 0.0
        if c.kind in CONTAINER_KINDS and not want.container:
            total += p.container_prior
        if not want.tests and is_test(c.path, c.name):
            total += p.test_prior
        if not want.docs and is_doc(c.path):
            total += p.doc_prior
        if not want.stubs and c.content is not None and is_stub(c.path, c.content):
            total += p.stub_prior
        return total

    def evidence_sources(self, ranked: Sequence[Candidate]) -> list[Candidate]:
        """The tests among ``ranked`` (best first) whose text to read for
        :meth:`add_test_evidence`: none when the query asks for tests, which
        then compete as themselves."""
        p = self.params
        if p.mode != "hybrid" or not p.test_evidence or self.intent.tests:
            return []
        return [c for c in ranked[: p.evidence_pool] if is_test(c.path, c.name)][: p.evidence_tests]

    def add_test_evidence(self, sources: Sequence[tuple[Candidate, str]], candidates: Iterable[Candidate]) -> None:
        """Let each (test, its text) in ``sources`` lift the non-test
        ``candidates`` it names: by ``test_evidence`` × the best fused score of
        a test naming it. :meth:`score` includes it from then on."""
        named: dict[str, float] = {}
        for test, text in sources:
            fused = self.fused(test)
            for word in set(_IDENTIFIER.findall(text)):
                named[word] = max(named.get(word, 0.0), fused)
        if not named:
            return
        for c in candidates:
            last = c.name.rsplit(".", 1)[-1]
            # Two-letter names (``id``, ``os``) are named by nearly every test.
            if len(last) > 2 and last in named and not c.name.startswith("<") and not is_test(c.path, c.name):
                self._evidence[c.id] = self.params.test_evidence * named[last]

    def score(self, c: Candidate) -> float:
        return self.fused(c) + self.prior(c) + self._evidence.get(c.id, 0.0)


def _glob_matches(path: str, glob: str) -> bool:
    """Like a ``.gitignore`` line: ``tests`` or ``tests/`` covers everything
    below a ``tests`` directory, ``*.md`` any Markdown file, ``src/*/io.py`` a path."""
    glob = glob.strip().rstrip("/")
    if not glob:
        return False
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    if "/" in glob.lstrip("/"):
        glob = glob.lstrip("/")
        return any(fnmatch.fnmatchcase(p, glob) for p in prefixes)
    return any(fnmatch.fnmatchcase(part, glob) for part in parts)


@dataclass(frozen=True)
class PathFilter:
    """``search --include GLOB`` / ``--exclude GLOB``: a path is searched when it
    matches an include (or none is given) and no exclude."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.include or self.exclude)

    def allows(self, path: str) -> bool:
        if self.include and not any(_glob_matches(path, g) for g in self.include):
            return False
        return not any(_glob_matches(path, g) for g in self.exclude)


ANY_PATH = PathFilter()


__all__ = ["ANY_PATH", "CONTAINER_KINDS", "Candidate", "DEFAULT_MODE", "MODES", "PathFilter", "QueryIntent",
           "RankingParams", "Scorer", "is_doc", "is_stub", "is_test"]
