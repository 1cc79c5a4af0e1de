"""The mycoder.* commands' arguments as typed records: the shapes the editors
send are structured, bad ones become one message naming the field, and what
the code actions send round-trips."""

from __future__ import annotations

import pytest
from lsprotocol import types

from mycoder_lsp.errors import UserError
from mycoder_lsp.server.arguments import (
    BadArguments,
    DiagnosticArgument,
    PatternsArguments,
    ProposalArguments,
    SearchArguments,
    TargetArguments,
    to_json,
    vault_arguments,
)

URI = "file:///ws/app.py"
RANGE = {"start": {"line": 3, "character": 0}, "end": {"line": 6, "character": 2}}


def test_a_target_with_every_field():
    target = TargetArguments.of("mycoder.fix", ({
        "uri": URI, "range": RANGE, "position": {"line": 4, "character": 1}, "symbol": "Calc.mul",
        "instruction": "add a docstring", "verify": False, "show": False, "extra": "ignored",
        "diagnostics": [{"range": RANGE, "message": "m", "code": "E1", "source": "Pyright", "severity": 2}],
    },))
    assert target.range == types.Range(start=types.Position(3, 0), end=types.Position(6, 2))
    assert target.position == types.Position(4, 1)
    assert (target.symbol, target.instruction, target.verify, target.show) == ("Calc.mul", "add a docstring",
                                                                               False, False)
    (diagnostic,) = target.diagnostics
    assert (diagnostic.code, diagnostic.source, diagnostic.severity) == ("E1", "Pyright", 2)


def test_a_bare_target_takes_the_defaults():
    target = TargetArguments.of("mycoder.review", ({"uri": URI},))
    assert (target.range, target.position, target.symbol, target.instruction, target.verify, target.show,
            target.diagnostics) == (None, None, None, None, None, True, [])


@pytest.mark.parametrize("args", [(), (None,), ("file:///ws/app.py",), ({"uri": 5},), ({"range": RANGE},)])
def test_no_uri_says_what_the_argument_is(args):
    with pytest.raises(BadArguments) as raised:
        TargetArguments.of("mycoder.review", args)
    assert str(raised.value) == ('mycoder.review needs one argument {"uri": ..., "range" or "position", '
                                 '"instruction"}.')


@pytest.mark.parametrize(("field", "value", "said"), [
    ("symbol", ["parse"], "symbol must be a string, got ['parse']"),
    ("instruction", None, None),  # null is "no instruction", as before
    ("verify", "no", "verify must be true or false, got 'no'"),
    ("show", 0, "show must be true or false, got 0"),
    ("position", {"line": 1}, "position.character is missing"),
    ("diagnostics", [{"message": "m"}], "diagnostics[0].range is missing"),
])
def test_a_bad_field_is_named(field, value, said):
    args = ({"uri": URI, field: value},)
    if said is None:
        assert getattr(TargetArguments.of("mycoder.fix", args), field) is None
        return
    with pytest.raises(BadArguments) as raised:
        TargetArguments.of("mycoder.fix", args)
    assert str(raised.value).startswith("mycoder.fix: ") and said in str(raised.value)


def test_what_a_code_action_sends_round_trips():
    diagnostic = types.Diagnostic(range=types.Range(start=types.Position(1, 2), end=types.Position(1, 9)),
                                  message='Operator "*" not supported', source="Pyright",
                                  severity=types.DiagnosticSeverity.Warning, code="reportOptionalOperand")
    fix = to_json(TargetArguments(uri=URI, range=diagnostic.range, diagnostics=[DiagnosticArgument.of(diagnostic)]))
    assert fix == {"uri": URI, "range": {"start": {"line": 1, "character": 2}, "end": {"line": 1, "character": 9}},
                   "diagnostics": [{"range": fix["range"], "message": 'Operator "*" not supported',
                                    "code": "reportOptionalOperand", "source": "Pyright", "severity": 2}]}
    assert TargetArguments.of("mycoder.fix", (fix,)).diagnostics == [DiagnosticArgument.of(diagnostic)]
    explain = to_json(TargetArguments(uri=URI, position=types.Position(4, 6), symbol="Calc.mul"))
    assert explain == {"uri": URI, "position": {"line": 4, "character": 6}, "symbol": "Calc.mul"}


@pytest.mark.parametrize(("args", "wanted"), [((), None), ((None,), None), (("edit-1",), "edit-1"),
                                             (({"id": "edit-2"},), "edit-2"), (({},), None)])
def test_a_proposal_id(args, wanted):
    assert ProposalArguments.of("mycoder.acceptEdit", args).id == wanted


@pytest.mark.parametrize("args", [(42,), ({"id": 42},), ([["edit-1"]],)])
def test_a_bad_proposal_id(args):
    with pytest.raises(BadArguments, match=r'mycoder.rejectEdit takes the id of a proposed edit, e\.g\. '):
        ProposalArguments.of("mycoder.rejectEdit", args)


def test_vault_arguments():
    search = vault_arguments("mycoder.search", ({"query": "where", "k": 3},), SearchArguments)
    assert (search.query, search.k) == ("where", 3)
    assert vault_arguments("mycoder.patterns", (), PatternsArguments) == PatternsArguments(symbol=None, k=100)
    with pytest.raises(BadArguments, match="needs a query"):
        vault_arguments("mycoder.search", ({"k": 3},), SearchArguments).check()
    with pytest.raises(BadArguments, match="k must be a whole number from 1 to 200, got 300"):
        vault_arguments("mycoder.search", ({"query": "q", "k": 300},), SearchArguments).check()
    with pytest.raises(BadArguments, match=r"mycoder.search: k must be a whole number, got True\."):
        vault_arguments("mycoder.search", ({"query": "q", "k": True},), SearchArguments)
    with pytest.raises(BadArguments, match=r"takes one object argument, e\.g\. .*; got 'q'\."):
        vault_arguments("mycoder.search", ("q",), SearchArguments)
    with pytest.raises(BadArguments, match="k must be a positive whole number, got 0"):
        vault_arguments("mycoder.patterns", ({"k": 0},), PatternsArguments).check()


def test_bad_arguments_are_shown_to_the_user_as_is():
    # The vault commands' guard shows a UserError's message and answers {"error": ...}.
    assert issubclass(BadArguments, UserError)
