"""Tests as evidence for the code they exercise (a test that matches the query
lifts the functions it calls), and the test-file conventions the test prior
knows: the rules of :mod:`mycoder_lsp.memory.ranking` added for issue #10's
"rank the implementation first", through the real vault and as pure rules."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest

from mycoder_lsp.config import Settings
from mycoder_lsp.memory.ranking import Candidate, RankingParams, Scorer, is_test
from mycoder_lsp.memory.vault import Vault
from tests.unit.memory.conftest import write_tree

# The implementation shares no word with the question a user types; its test,
# named after that question, calls it by name, and outranks it despite the test
# prior.
PROJECT = {
    "pyproject.toml": "[project]\nname = 'shop'\n",
    "shop/pricing.py": '''def apply_markdowns(cart, rules):
    total = 0.0
    for line in cart.lines:
        total += line.price * (1 - rules.get(line.sku, 0.0))
    return total


def sale_banner(percent):
    return f"{percent}% off today"


def format_price(amount):
    return f"{amount:.2f} EUR"
''',
    "tests/test_pricing.py": '''from shop.pricing import apply_markdowns


def test_discount_is_applied_to_the_cart_total():
    assert apply_markdowns(cart_of(10.0), {"sku": 0.5}) == 5.0


def cart_of(price):
    return Cart([Line("sku", price)])
''',
}
QUERY = "discount applied to the cart total"


@pytest.fixture
def shop(tmp_path: Path):
    root = tmp_path / "shop"
    write_tree(root, PROJECT)
    v = Vault.open(root, Settings())
    asyncio.run(v.index())
    yield v
    v.close()


def top(vault: Vault, query: str, k: int = 5) -> list[tuple[str, str]]:
    return [(r.path, r.name) for r in vault.search_sync(query, k)]


def test_a_matching_test_lifts_the_code_it_calls(shop):
    assert top(shop, QUERY)[0] == ("shop/pricing.py", "apply_markdowns")


def test_without_test_evidence_the_implementation_is_not_first(shop):
    """The fixture really needs the rule: without it the test itself comes first."""
    shop.ranking = dataclasses.replace(shop.ranking, test_evidence=0.0)
    assert top(shop, QUERY)[0] != ("shop/pricing.py", "apply_markdowns")


def test_a_query_about_tests_still_gets_the_test(shop):
    assert top(shop, "test " + QUERY)[0] == ("tests/test_pricing.py", "test_discount_is_applied_to_the_cart_total")


def _scorer(query: str, params: RankingParams | None = None) -> tuple[Scorer, Candidate, Candidate, Candidate]:
    test = Candidate(1, "tests/test_pricing.py", "test_discount", "function", 1, 3, 0.0)
    impl = Candidate(2, "shop/pricing.py", "apply_markdowns", "function", 1, 5, 0.0)
    other = Candidate(3, "shop/pricing.py", "format_price", "function", 7, 8, 0.0)
    scorer = Scorer(params or RankingParams(), query, lex=[(1, 10.0)], dense=[1, 2, 3], cos={1: 0.8, 2: 0.2, 3: 0.3})
    return scorer, test, impl, other


def test_evidence_is_a_share_of_the_tests_fused_score_for_what_it_names():
    scorer, test, impl, other = _scorer("discount on the cart")
    assert scorer.evidence_sources([test, impl, other]) == [test]
    before = {c.id: scorer.score(c) for c in (test, impl, other)}
    scorer.add_test_evidence([(test, "assert apply_markdowns(cart) == 5")], [test, impl, other])
    share = RankingParams().test_evidence * scorer.fused(test)
    assert scorer.score(impl) == pytest.approx(before[2] + share)
    # Neither what the test does not name, nor the test itself, moves.
    assert scorer.score(other) == before[3] and scorer.score(test) == before[1]


@pytest.mark.parametrize("query, params", [
    ("test discount on the cart", RankingParams()),  # the query asks for tests: they compete as themselves
    ("discount on the cart", RankingParams(test_evidence=0.0)),
    ("discount on the cart", RankingParams(mode="rrf")),  # the reference modes have no priors
])
def test_no_evidence_when_waived(query, params):
    scorer, test, impl, other = _scorer(query, params)
    assert scorer.evidence_sources([test, impl, other]) == []


def test_evidence_reads_only_the_best_tests():
    params = RankingParams(evidence_tests=2, evidence_pool=3)
    tests = [Candidate(i, f"tests/test_{i}.py", f"test_{i}", "function", 1, 2, 0.0) for i in range(1, 6)]
    impl = Candidate(9, "shop/pricing.py", "apply_markdowns", "function", 1, 5, 0.0)
    scorer = Scorer(params, "discount")
    assert scorer.evidence_sources([tests[0], impl, tests[1], tests[2]]) == tests[:2]
    assert scorer.evidence_sources([impl, tests[0], tests[1], tests[2]]) == tests[:2]
    assert scorer.evidence_sources([impl, impl, impl, tests[0]]) == []


@pytest.mark.parametrize("path, name", [
    ("shop/tests.py", "make_cart"),  # Django's test module
    ("shop/test.py", "make_cart"),
    ("shop/test_utils/carts.py", "make_cart"),
    ("integration_tests/carts.py", "make_cart"),
    ("idlelib/idle_test/mock.py", "Func"),
    ("pkg/testdata/sample.go", "Sample"),
    ("web/__mocks__/api.js", "fetchCart"),
])
def test_test_conventions_the_prior_knows(path, name):
    assert is_test(path, name)


@pytest.mark.parametrize("path", ["shop/latest.py", "shop/contests.py", "shop/attest/run.py", "shop/testing.py",
                                  "unittest/case.py", "shop/pytest_plugin.py"])
def test_names_that_only_contain_test_are_not_tests(path):
    assert not is_test(path, "run")
