"""The VS Code extension declares every server setting, with the server's default.

Walks ``mycoder_lsp.config.Settings`` (the one place the server's settings and
defaults live) and checks ``editors/vscode/package.json`` declares each leaf
as ``mycoder.<camelCase path>`` with the same default and a matching type, and
that package.json declares nothing the server does not know. A setting left out
on purpose goes in ``NOT_IN_VSCODE`` with the reason. Needs no editor: it reads
two files.
"""

from __future__ import annotations

import dataclasses
import json
import re
import types
import typing
from pathlib import Path
from typing import Any, Iterator, Literal

import pytest

from mycoder_lsp.config import Settings

PACKAGE_JSON = Path(__file__).resolve().parents[2] / "editors" / "vscode" / "package.json"

# Settings of the extension itself, never sent to the server.
CLIENT_ONLY_PREFIXES = ("mycoder.server.", "mycoder.trace.")

# Server settings deliberately not offered in VS Code's settings, and why.
# (Empty today: every setting is declared. Add "dotted.snake.path": "reason".)
NOT_IN_VSCODE: dict[str, str] = {}

# Settings VS Code must not take from an untrusted workspace's .vscode/settings.json:
# where the code goes (endpoints, hosts) and which program runs.
MUST_BE_RESTRICTED = {
    "mycoder.server.command", "mycoder.server.python",
    "mycoder.brains.coding.url", "mycoder.brains.reasoning.url", "mycoder.brains.organizer.url",
    "mycoder.brains.allowedHosts", "mycoder.vault.embeddingUrl",
    "mycoder.brains.completion.url", "mycoder.vault.url", "mycoder.vault.allowedHosts",
}


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(part.capitalize() for part in rest)


@dataclasses.dataclass(frozen=True)
class Leaf:
    """One user-settable server setting: its dotted snake_case path, type and default."""

    path: str
    type: Any
    default: Any

    @property
    def vscode_key(self) -> str:
        return "mycoder." + ".".join(_camel(part) for part in self.path.split("."))


def _leaves(obj: Any, prefix: str = "") -> Iterator[Leaf]:
    hints = typing.get_type_hints(type(obj))
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        path = f"{prefix}{f.name}"
        if dataclasses.is_dataclass(value):
            yield from _leaves(value, path + ".")
        else:
            yield Leaf(path, hints[f.name], value)


LEAVES = list(_leaves(Settings()))


def _json_type(tp: Any) -> str | list[str]:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):  # `str | list[str]`: JSON's list of types
        return [_json_type(arg) for arg in typing.get_args(tp)]  # type: ignore[misc]
    if origin is Literal:
        return "string"
    if origin is list:
        return "array"
    if origin is dict:
        return "object"
    return {bool: "boolean", int: "integer", float: "number", str: "string"}[tp]


def _properties() -> dict[str, dict[str, Any]]:
    return json.loads(PACKAGE_JSON.read_text(encoding="utf-8"))["contributes"]["configuration"]["properties"]


def test_the_walk_finds_the_settings() -> None:
    paths = {leaf.path for leaf in LEAVES}
    assert {"brains.coding.api_key", "validation.debounce_ms", "log_level", "vault.embedder"} <= paths
    assert len(LEAVES) > 40


def test_the_allowlist_names_real_settings() -> None:
    assert set(NOT_IN_VSCODE) <= {leaf.path for leaf in LEAVES}
    assert all(reason.strip() for reason in NOT_IN_VSCODE.values())


@pytest.mark.parametrize("leaf", [leaf for leaf in LEAVES if leaf.path not in NOT_IN_VSCODE], ids=lambda leaf: leaf.path)
def test_each_server_setting_is_declared_with_its_default(leaf: Leaf) -> None:
    declared = _properties().get(leaf.vscode_key)
    assert declared is not None, f"{leaf.vscode_key} is missing from editors/vscode/package.json (or add it to NOT_IN_VSCODE)"
    assert declared.get("default") == leaf.default, (leaf.vscode_key, declared.get("default"), leaf.default)
    assert declared.get("type") == _json_type(leaf.type), (leaf.vscode_key, declared.get("type"))
    if typing.get_origin(leaf.type) is Literal:
        assert declared.get("enum") == list(typing.get_args(leaf.type)), leaf.vscode_key
    assert declared.get("description") or declared.get("markdownDescription"), f"{leaf.vscode_key} has no description"


def test_package_json_declares_nothing_the_server_does_not_know() -> None:
    known = {leaf.vscode_key for leaf in LEAVES}
    unknown = [key for key in _properties() if not key.startswith(CLIENT_ONLY_PREFIXES) and key not in known]
    assert not unknown, f"package.json settings the server would reject as unknown: {unknown}"


def test_camel_case_keys_are_what_the_server_reads() -> None:
    # The server accepts camelCase by turning it back into snake_case (config._snake).
    snake = re.compile(r"(?<=[a-z0-9])([A-Z])")
    for leaf in LEAVES:
        parts = leaf.vscode_key.removeprefix("mycoder.").split(".")
        assert ".".join(snake.sub(r"_\1", p).lower() for p in parts) == leaf.path


def test_untrusted_workspaces_cannot_set_endpoints() -> None:
    manifest = json.loads(PACKAGE_JSON.read_text(encoding="utf-8"))
    restricted = set(manifest["capabilities"]["untrustedWorkspaces"]["restrictedConfigurations"])
    assert MUST_BE_RESTRICTED <= restricted, MUST_BE_RESTRICTED - restricted
    assert restricted <= set(_properties()), restricted - set(_properties())


def test_the_vault_folder_is_hidden_from_the_explorer() -> None:
    manifest = json.loads(PACKAGE_JSON.read_text(encoding="utf-8"))
    assert manifest["contributes"]["configurationDefaults"]["files.exclude"] == {"**/.mycoder": True}
