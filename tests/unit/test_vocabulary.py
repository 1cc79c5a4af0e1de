"""One vocabulary of kinds and intents: the Python users take it from
mycoder_lsp.vocabulary, and the editors' TypeScript and Lua spell the same
words (read from their sources here, not restructured)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import get_args

import pytest

from mycoder_lsp.brains.prompts import brain_for
from mycoder_lsp.brains.router import ORGANIZER_LABELS
from mycoder_lsp.cli import build_parser
from mycoder_lsp.vocabulary import (
    BRAIN_FOR_INTENT,
    COMMANDS,
    EDIT_INTENTS,
    INTENT_OF_KIND,
    INTENTS,
    KINDS,
    KINDS_WITH_INSTRUCTION,
    ROUTED_KIND,
    Intent,
    Kind,
    brains_of_kind,
    command_of,
)

ROOT = Path(__file__).resolve().parents[2]
VSCODE_SRC = ROOT / "editors" / "vscode" / "src"
NEOVIM = ROOT / "editors" / "neovim"


def _block(source: str, pattern: str) -> str:
    found = re.search(pattern, source, re.S)
    assert found, f"the source no longer matches {pattern!r}"
    return found.group(1)


def _strings(text: str) -> list[str]:
    return re.findall(r'"([^"]+)"', text)


def _brain_label(kind: str) -> str:
    """How the editors name the brain of a kind: "coding brain", or
    "brains" for a kind that may use several."""
    brains = brains_of_kind(kind)
    return f"{brains[0]} brain" if len(brains) == 1 else "brains"


def test_the_vocabulary_is_consistent():
    assert KINDS == get_args(Kind) and INTENTS == get_args(Intent)
    assert ROUTED_KIND in KINDS and KINDS_WITH_INSTRUCTION <= set(KINDS)
    # every kind but the routed one fixes its intent
    assert set(INTENT_OF_KIND) == set(KINDS) - {ROUTED_KIND}
    assert set(INTENT_OF_KIND.values()) <= set(INTENTS)
    assert set(BRAIN_FOR_INTENT) == set(INTENTS) and EDIT_INTENTS <= set(INTENTS)
    assert COMMANDS == tuple(f"mycoder.{kind}" for kind in KINDS) and command_of("fix") == "mycoder.fix"
    assert brains_of_kind("fix") == ("coding",) and brains_of_kind("explain") == ("reasoning",)
    assert brains_of_kind(ROUTED_KIND) == ("coding", "reasoning") and brains_of_kind("nonsense") == ()


def test_python_users_take_it_from_the_module():
    assert set(ORGANIZER_LABELS.values()) == set(INTENTS)
    assert all(brain_for(intent) == BRAIN_FOR_INTENT[intent] for intent in INTENTS)
    parser = build_parser(chosen="ask")
    assert parser.parse_args(["ask", "why"]).kind == ROUTED_KIND
    assert [parser.parse_args(["ask", "why", "--kind", kind]).kind for kind in KINDS] == list(KINDS)
    with pytest.raises(SystemExit):
        parser.parse_args(["ask", "why", "--kind", "general"])  # an intent is not a kind


def test_vscode_commands_are_the_kinds():
    commands = (VSCODE_SRC / "commands.ts").read_text()
    registered = re.findall(r'register\("mycoder\.editor\.(\w+)", brain\("mycoder\.(\w+)"\)\)', commands)
    assert all(editor == server for editor, server in registered)
    assert [server for _, server in registered] == list(KINDS)
    work = _block(commands, r"SERVER_COMMAND_WORK: Record<string, string> = \{(.*?)\};")
    work_of = dict(re.findall(r'"([^"]+)": "([^"]+)"', work))
    assert set(COMMANDS) <= set(work_of)
    for kind in KINDS:
        if kind != ROUTED_KIND:  # the routed kind first waits for the organizer
            assert work_of[command_of(kind)].startswith(_brain_label(kind)), kind
    prompts = _block(commands, r"INSTRUCTION_PROMPTS: Record<[^>]*> = \{(.*?)\n\};")
    assert set(re.findall(r'^\s*"([^"]+)":', prompts, re.M)) == {command_of(k) for k in KINDS_WITH_INSTRUCTION}

    extension = (VSCODE_SRC / "extension.ts").read_text()
    table = _block(extension, r"BRAIN_OF: Record<string, string> = \{(.*?)\};")
    brain_of = dict(re.findall(r'^\s*(\w+): "([^"]+)",$', table, re.M))
    assert brain_of == {kind: _brain_label(kind) for kind in KINDS}

    package = json.loads((ROOT / "editors" / "vscode" / "package.json").read_text())
    contributed = {c["command"] for c in package["contributes"]["commands"]}
    assert {f"mycoder.editor.{kind}" for kind in KINDS} <= contributed


def test_neovim_commands_are_the_kinds():
    commands = (NEOVIM / "lua" / "mycoder" / "commands.lua").read_text()
    handled = _block(commands, r'for _, name in ipairs\(\{([^}]*)\}\) do\s*handlers\["mycoder\." \.\. name\]')
    assert tuple(_strings(handled)) == KINDS
    asks = _block(commands, r'handlers\["mycoder\." \.\. name\].*?if \(([^)]*)\) and not arg\.instruction')
    assert set(re.findall(r'name == "(\w+)"', asks)) == KINDS_WITH_INSTRUCTION

    plugin = (NEOVIM / "plugin" / "mycoder.lua").read_text()
    with_instruction = set(re.findall(r'with_instruction\("(\w+)"', plugin))
    plain = _strings(_block(plugin, r'for _, name in ipairs\(\{([^}]*)\}\) do\s*local title'))
    assert with_instruction == KINDS_WITH_INSTRUCTION
    assert sorted(plain) == sorted(set(KINDS) - KINDS_WITH_INSTRUCTION)
