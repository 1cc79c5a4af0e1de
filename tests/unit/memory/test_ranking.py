"""Ranking rules (tests, overload stubs and docs below the code they describe;
path filters) on small workspaces through the real vault, the pure rules of
:mod:`mycoder_lsp.memory.ranking`, and the vector matrix that writes keep
current instead of reloading."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mycoder_lsp.config import Settings
from mycoder_lsp.memory.ranking import (
    Candidate,
    PathFilter,
    QueryIntent,
    RankingParams,
    Scorer,
    is_doc,
    is_stub,
    is_test,
)
from mycoder_lsp.memory.store import Store
from mycoder_lsp.memory.vault import Vault
from tests.unit.memory.conftest import write_tree

# A client whose tests and typing stubs name the implementation as often as it
# names itself: the two reports the ranking rules answer.
PROJECT = {
    "pyproject.toml": "[project]\nname = 'client'\n",
    "client/sessions.py": '''from typing import overload


class Session:
    def resolve_redirects(self, response, request, max_redirects=30):
        """Follow redirects until a response is not a redirect."""
        hops = 0
        while response.is_redirect and hops < max_redirects:
            request = self.rebuild_request(response.headers["location"], request)
            response = self.send(request)
            hops += 1
        return response

    def rebuild_request(self, location, request):
        return request.copy(url=location)

    def send(self, request):
        return request


@overload
def basic_auth_header(user: str, password: str) -> str: ...
@overload
def basic_auth_header(user: bytes, password: bytes) -> str: ...
def basic_auth_header(user, password):
    """The Authorization header value for HTTP basic auth."""
    import base64
    if isinstance(user, str):
        user, password = user.encode(), password.encode()
    return "Basic " + base64.b64encode(user + b":" + password).decode()
''',
    "tests/test_redirects.py": '''from client.sessions import Session


def test_follow_redirects():
    assert Session().resolve_redirects(redirect_response(), request()).status == 200


def test_follow_redirects_stops_at_max_redirects():
    assert Session().resolve_redirects(redirect_loop(), request(), max_redirects=3).is_redirect


def test_basic_auth_header():
    from client.sessions import basic_auth_header
    assert basic_auth_header("user", "password") == "Basic dXNlcjpwYXNzd29yZA=="
''',
    "docs/redirects.md": "# Redirects\n\nThe session follows redirects (resolve_redirects) up to max_redirects.\n",
}


@pytest.fixture
def project(tmp_path: Path):
    root = tmp_path / "proj"
    write_tree(root, PROJECT)
    v = Vault.open(root, Settings())
    asyncio.run(v.index())
    yield v
    v.close()


def top(vault: Vault, query: str, k: int = 5, **kwargs) -> list[tuple[str, str]]:
    return [(r.path, r.name) for r in vault.search_sync(query, k, **kwargs)]


def test_the_implementation_ranks_above_its_tests_and_docs(project):
    assert top(project, "follow redirects")[0] == ("client/sessions.py", "Session.resolve_redirects")


def test_a_query_about_tests_gets_the_tests(project):
    assert top(project, "test follow redirects")[0][0] == "tests/test_redirects.py"


def test_overload_stubs_rank_below_the_function(project):
    found = project.search_sync("basic auth header", 6)
    assert found[0].name == "basic_auth_header" and "base64" in found[0].content
    stubs = [i for i, r in enumerate(found) if r.name == "basic_auth_header" and r.content.startswith("@overload")]
    assert len(stubs) == 2 and min(stubs) > 0


def test_without_the_priors_the_old_order_comes_back(project):
    """The fixture really has the competition the rules are for."""
    project.ranking = dataclasses.replace(project.ranking, test_prior=0.0, doc_prior=0.0, stub_prior=0.0)
    assert top(project, "follow redirects")[0][0] != "client/sessions.py"


def test_include_and_exclude_globs(project):
    assert {p for p, _ in top(project, "follow redirects", 10, paths=PathFilter(include=("tests",)))} == {
        "tests/test_redirects.py"}
    assert not {p for p, _ in top(project, "follow redirects", 10, paths=PathFilter(exclude=("tests/*", "*.md")))} & {
        "tests/test_redirects.py", "docs/redirects.md"}
    assert top(project, "follow redirects", 10, paths=PathFilter(include=("nothing/*",))) == []


@pytest.mark.parametrize("path, name, expected", [
    ("tests/test_a.py", "helper", True),
    ("pkg/test_a.py", "helper", True),
    ("pkg/a_test.go", "TestX", True),
    ("web/cart.spec.ts", "total", True),
    ("src/__tests__/cart.js", "total", True),
    ("pkg/conftest.py", "fixture", True),
    ("pkg/a.py", "Loader.test_load", True),
    ("unittest/case.py", "TestCase.run", False),
    ("pkg/contest.py", "run", False),
    ("pkg/latest.py", "attest", False),
])
def test_what_counts_as_a_test(path, name, expected):
    assert is_test(path, name) is expected


def test_what_counts_as_a_stub_or_a_doc():
    assert is_stub("a.py", "@overload\ndef f(x: int) -> int: ...")
    assert is_stub("a.py", "@typing.overload\ndef f(x: int) -> int: ...")
    assert is_stub("pkg/a.pyi", "def f(x: int) -> int: ...")
    assert is_stub("web/a.d.ts", "export function f(x: number): number;")
    assert not is_stub("a.py", "def overload(x):\n    return x")
    assert is_doc("README.md") and is_doc("docs/guide/intro.py") and not is_doc("pkg/docstring.py")


def test_query_intent():
    assert QueryIntent.of("tests for the parser").tests
    assert QueryIntent.of("test_parse").tests
    assert not QueryIntent.of("parse the latest header").tests
    assert QueryIntent.of("the overload stubs of f").stubs
    assert QueryIntent.of("docs about redirects").docs
    assert QueryIntent.of("A parser for headers").container
    assert not QueryIntent.of("parse the headers").container


def test_priors_apply_to_hybrid_only_and_add_up():
    test_stub = Candidate(1, "tests/test_a.py", "test_f", "function", 1, 2, 0.0, "@overload\ndef test_f(): ...")
    params = RankingParams()
    hybrid = Scorer(params, "compute f", lex=[(1, 2.0)], dense=[1], cos={1: 0.5})
    assert hybrid.score(test_stub) == pytest.approx(0.3 + 0.7 * 0.5 + params.test_prior + params.stub_prior)
    dense = Scorer(dataclasses.replace(params, mode="dense"), "compute f", dense=[1], cos={1: 0.5})
    assert dense.score(test_stub) == pytest.approx(0.5)
    asked = Scorer(params, "test stub for f", lex=[(1, 2.0)], dense=[1], cos={1: 0.5})
    assert asked.score(test_stub) == pytest.approx(0.3 + 0.35)


# -- the vector matrix --------------------------------------------------------


def test_session_and_pattern_writes_do_not_reload_the_matrix(project):
    project.search_sync("follow redirects")
    loads = project.store.dense_loads
    assert loads == 1
    asyncio.run(project.record_exchange("user", "make it faster"))
    asyncio.run(project.record_exchange("assistant", "done"))
    project.record_pattern(signature="def send(self, request)", user_intent="log it", old_code="a\n", new_code="b\n")
    feature = project.session.create_feature("speed")
    project.session.lock(feature.id)
    project.session.update_scratchpad(feature.id, user_instruction="make send faster")
    project.search_sync("follow redirects")
    assert project.store.dense_loads == loads


def test_a_saved_file_updates_the_matrix_in_place(project):
    root = project.root
    project.search_sync("follow redirects")
    loads = project.store.dense_loads
    (root / "client/extra.py").write_text("def parse_retry_after(header):\n    return int(header)\n")
    asyncio.run(project.reindex_file(root / "client/extra.py"))
    (root / "docs/redirects.md").unlink()
    project.remove_file(root / "docs/redirects.md")
    after = project.search_sync("parse retry after header", 3, mode="dense")
    assert after[0].path == "client/extra.py"
    assert project.store.dense_loads == loads
    # The matrix held in place is the one a full reload reads.
    ids, matrix = project.store._dense_index()
    fresh = Store(project.store.dir)
    try:
        fresh_ids, fresh_matrix = fresh._dense_index()
        assert fresh.dense_loads == 1
    finally:
        fresh.close()
    assert len(ids) > 0 and np.array_equal(ids, fresh_ids) and np.array_equal(matrix, fresh_matrix)


def test_another_process_writing_vectors_is_seen(project):
    project.search_sync("follow redirects")
    loads = project.store.dense_loads
    other = Store(project.store.dir)
    try:
        other.append_history("user", "hello", 10)  # another process's session write: no reload here either
        project.search_sync("follow redirects")
        assert project.store.dense_loads == loads
        ids, matrix = other._dense_index()
        hashes = [r[0] for r in other.query("SELECT hash FROM chunks WHERE id = ?", (int(ids[0]),))]
        other.put_vectors(hashes, -matrix[:1])
    finally:
        other.close()
    project.search_sync("follow redirects")
    assert project.store.dense_loads == loads + 1


def test_search_command_include_and_exclude(tmp_path: Path):
    root = tmp_path / "proj"
    write_tree(root, PROJECT)

    def search(*args: str) -> list[str]:
        out = subprocess.run([sys.executable, "-m", "mycoder_lsp", "search", "--root", str(root), "--json", "-k", "10",
                              *args, "follow redirects"], capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        return [r["path"] for r in json.loads(out.stdout)]

    assert set(search("--include", "tests")) == {"tests/test_redirects.py"}
    left = search("--exclude", "tests", "--exclude", "*.md")
    assert left and not {"tests/test_redirects.py", "docs/redirects.md"} & set(left)
