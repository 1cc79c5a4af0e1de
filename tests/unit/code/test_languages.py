"""The language records are the one table: the editors' configuration equals
them, and everything that takes a file by its suffix or an editor's language
id reads them."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from mycoder_lsp.brains.edits import is_parseable
from mycoder_lsp.brains.prompts import language_name
from mycoder_lsp.code import languages
from mycoder_lsp.code.languages import (
    LANGUAGE_IDS,
    LANGUAGES,
    RECORDS,
    language_for_id,
    language_for_path,
    language_of_document,
)
from mycoder_lsp.code.parsing import GRAMMARS
from mycoder_lsp.code.workspace import iter_source_files
from mycoder_lsp.memory.chunking import language_of
from mycoder_lsp.validation.pipeline import validate_text

ROOT = Path(__file__).resolve().parents[3]
VSCODE = ROOT / "editors" / "vscode"
NEOVIM = ROOT / "editors" / "neovim"
ALL_IDS = {lsp_id for record in RECORDS for lsp_id in record.lsp_ids}


def test_records_are_consistent():
    names = [record.name for record in RECORDS]
    assert len(names) == len(set(names))
    suffixes = [s for record in RECORDS for s in record.suffixes]
    assert len(suffixes) == len(set(suffixes)), "a suffix belongs to one language"
    assert all(s.startswith(".") and s == s.lower() for s in suffixes)
    ids = [i for record in RECORDS for i in record.lsp_ids]
    assert len(ids) == len(set(ids)), "an LSP language id belongs to one language"
    for record in RECORDS:
        assert record.fence_tags and all(tag == tag.lower() for tag in record.fence_tags)
        assert record.method_wrapper is None or record.method_wrapper.count("%s") == 1
        # every tree-sitter language has a symbol query, Python has ast
        assert (record.query is None) == (record.name == "python"), record.name


def test_vscode_activation_events_and_document_selector_are_the_records():
    package = json.loads((VSCODE / "package.json").read_text())
    activated = {e.removeprefix("onLanguage:") for e in package["activationEvents"] if e.startswith("onLanguage:")}
    assert activated == ALL_IDS
    source = (VSCODE / "src" / "extension.ts").read_text()
    selector = re.search(r"const DOCUMENTS = \[(.*?)\];", source, re.S)
    assert selector, "extension.ts no longer has its DOCUMENTS selector"
    selected = set(re.findall(r'scheme: "file", language: "([^"]+)"', selector.group(1)))
    assert selected == ALL_IDS


def test_neovim_filetypes_are_the_records():
    config = (NEOVIM / "lua" / "mycoder" / "config.lua").read_text()
    found = re.search(r"filetypes = \{([^}]*)\}", config)
    assert found, "config.lua no longer lists its filetypes"
    filetypes = re.findall(r'"([^"]+)"', found.group(1))
    assert len(filetypes) == len(set(filetypes))
    assert set(filetypes) == ALL_IDS


def test_the_tables_are_derived_from_the_records():
    assert dict(LANGUAGES) == {s: r.name for r in RECORDS for s in r.suffixes}
    assert dict(LANGUAGE_IDS) == {i: r.name for r in RECORDS for i in r.lsp_ids}
    assert GRAMMARS == {r.name: r.grammar for r in RECORDS if r.grammar}


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: r.name)
def test_every_suffix_and_id_of_a_record_is_taken_everywhere(record, tmp_path):
    for suffix in record.suffixes:
        path = f"pkg/module{suffix}"
        assert language_for_path(path) == record.name
        assert language_of(path) == record.name  # the vault's chunker
        assert validate_text("x\n", path=path).language == record.name
        (tmp_path / f"m{suffix}").write_text("x\n")
    walked = {Path(p).name for p in iter_source_files(tmp_path)}
    assert walked == {f"m{suffix}" for suffix in record.suffixes}
    for lsp_id in record.lsp_ids:
        assert language_for_id(lsp_id) == record.name
        # the editor's id wins over the suffix (a .js file opened as TypeScript)
        assert language_of_document(lsp_id, "f.unknown") == record.name
    assert language_name(record.name) == record.display_name


def test_unknown_languages():
    assert language_for_path("Setup.PY") == "python"  # suffixes match in any case
    assert language_for_path("notes.txt") is None
    assert language_for_id("plaintext") is None and language_for_id(None) is None
    assert language_of_document(None, "f.rs") == "rust"
    assert languages.language("cobol") is None and languages.language(None) is None


@pytest.mark.parametrize("record", [r for r in RECORDS if r.method_wrapper], ids=lambda r: r.name)
def test_a_method_parses_inside_its_records_wrapper(record):
    if record.name == "rust":
        method = "fn area(&self) -> f64 { self.w * self.h }"
    else:
        method = "static area() { return this.w * this.h; }"
        assert not is_parseable(method, record.name)  # why the wrapper is there
    assert is_parseable(record.method_wrapper % method, record.name)


def test_no_module_keeps_its_own_suffix_or_language_id_table():
    """A second table would go stale when a record is added: only the
    records spell the suffixes and the editors' ids of the languages."""
    spelled = {s for r in RECORDS for s in r.suffixes if s not in (".py", ".pyi")} | ALL_IDS - {
        r.name for r in RECORDS}
    package = ROOT / "mycoder_lsp"
    offenders = []
    for file in package.rglob("*.py"):
        if file == package / "code" / "languages.py":
            continue
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and node.value in spelled:
                offenders.append(f"{file.relative_to(ROOT)}:{node.lineno}: {node.value!r}")
    assert not offenders, offenders


def test_the_walks_name_test_agrees_with_language_for_path():
    from mycoder_lsp.code.workspace import is_source_name

    names = [f"a{suffix}" for suffix in LANGUAGES] + [f"A{suffix.upper()}" for suffix in LANGUAGES] + [
        ".py", "py", "a.", "a.tar.gz", "a.py.bak", ".hidden.ts", "Makefile", "x.pyi", "a..rs", "dir.go"]
    for name in names:
        assert is_source_name(name) is (language_for_path(name) is not None), name
