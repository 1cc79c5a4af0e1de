"""Typed settings for mycoder-lsp, and the one place their precedence lives.

Precedence, lowest first (each layer overrides keys of the ones before it):

1. defaults (the dataclasses below)
2. the user file ``~/.config/mycoder/config.toml`` (``$XDG_CONFIG_HOME`` honoured)
3. the project: ``<root>/.mycoder/config.toml``, else ``[tool.mycoder]`` in
   ``<root>/pyproject.toml``
4. LSP ``initializationOptions``
5. LSP ``workspace/configuration`` (section ``mycoder``), re-read on
   ``workspace/didChangeConfiguration``

A bad value never stops anything: it is reported (``SettingsProblem``) and the
value of the layer below stands. Keys may be written ``snake_case`` or
``camelCase`` (VS Code style). This module must not import pygls.

The project layer comes from the repository, which may be anyone's: it may
tune validation, style and model names, but not set a field marked
``USER_ONLY`` (an endpoint, a credential, where state is written). Those come
only from the user's own layers: the user file and the editor's settings.
"""

from __future__ import annotations

import dataclasses
import errno
import os
import re
import stat
import sys
import types
import typing
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

DEFAULT_OLLAMA_URL = "http://127.0.0.1:11434"

# Field metadata for settings that choose where the user's code is sent (an
# endpoint, the server's kind, a credential, the hosts allowed) or where state
# is written. Declared on the field, so a new one cannot be forgotten.
USER_ONLY: Mapping[str, bool] = MappingProxyType({"user_only": True})

REPOSITORY_MAY_NOT = ("a repository's settings may not choose endpoints or move the vault, nor switch off your "
                      "review of edits; "
                      "set it in your user config or editor settings")


@dataclass
class BrainSettings:
    """One brain: a model on an Ollama or OpenAI-compatible server."""

    model: str
    max_tokens: int
    temperature: float
    # One server, or a pool of them (a list): each request goes to the least
    # busy one that answers (mycoder_lsp/brains/pool.py).
    url: str | list[str] = field(default=DEFAULT_OLLAMA_URL, metadata={**USER_ONLY, "check": "server_urls"})
    backend: Literal["ollama", "openai"] = field(default="ollama", metadata=USER_ONLY)
    timeout: float = 120.0
    keep_alive: str = "30m"
    api_key: str = field(default="", metadata=USER_ONLY)
    # The context window in tokens that prompts are sized to; for Ollama also
    # the num_ctx sent, the same on every call so the model is never reloaded.
    # 0: the model's own window as the server reports it (capped at 8192 for
    # Ollama), or 4096 when it does not say.
    num_ctx: int = 0

    @property
    def urls(self) -> list[str]:
        """The brain's server, or the servers of its pool, in the order given."""
        return [self.url] if isinstance(self.url, str) else list(self.url)


def _organizer() -> BrainSettings:
    return BrainSettings(model="llama3.2:1b-instruct-q4_K_M", max_tokens=64, temperature=0.0, timeout=30.0)


def _coding() -> BrainSettings:
    return BrainSettings(model="codellama:7b", max_tokens=2048, temperature=0.4)


def _reasoning() -> BrainSettings:
    return BrainSettings(model="llama3.2:3b-instruct-q8_0", max_tokens=512, temperature=0.1)


def _completion() -> BrainSettings:
    # Inline completion: a small FIM model, one line or block, answering while
    # the user types (a late suggestion is worthless, hence the short timeout).
    return BrainSettings(model="qwen2.5-coder:1.5b", max_tokens=64, temperature=0.0, timeout=5.0)


@dataclass
class BrainsSettings:
    organizer: BrainSettings = field(default_factory=_organizer)
    coding: BrainSettings = field(default_factory=_coding)
    reasoning: BrainSettings = field(default_factory=_reasoning)
    completion: BrainSettings = field(default_factory=_completion)
    # Ask the reasoning brain to verify a generated edit: "never", "always",
    # or "large" (when the edit changes more than ``verify_min_lines`` lines).
    verify: Literal["never", "always", "large"] = "large"
    verify_min_lines: int = 40
    # The organizer's choice replaces the rules' unsure guess only when the
    # model is at least this sure of it (its probability, 0-1) and surer than
    # the rules; calibrated on the labelled set's dev part
    # (bench/bench_organizer.py). Above 1: never.
    organizer_min_confidence: float = 0.7
    # Hosts other than loopback that a brain may talk to (data sovereignty).
    allowed_hosts: list[str] = field(default_factory=list, metadata=USER_ONLY)


@dataclass
class StyleSettings:
    """MC2xx: the former PowerShell style checker, rule by rule."""

    enabled: bool = True
    indent_size: int = 4
    indentation: bool = True  # MC201
    mixed_indentation: bool = True  # MC202
    trailing_whitespace: bool = True  # MC203
    max_line_length: int = 79  # MC204; 0 turns the rule off


@dataclass
class LintSettings:
    enabled: bool = True
    max_line_length: int = 100  # MC302; 0 turns the rule off
    pyflakes: bool = True


@dataclass
class ValidationSettings:
    syntax: bool = True
    style: StyleSettings = field(default_factory=StyleSettings)
    lint: LintSettings = field(default_factory=LintSettings)
    security: bool = True
    hallucination: bool = True
    # Files larger than this (bytes) get one information diagnostic instead.
    max_file_size: int = 1_000_000
    # didChange is validated after this many milliseconds of quiet.
    debounce_ms: int = 250
    # The editor gets at most this many diagnostics per file (the most severe
    # first) plus one MC002 saying how many more there are; 0: no limit.
    max_diagnostics: int = 1000
    # Codes to leave out everywhere, e.g. ["MC204"].
    ignore: list[str] = field(default_factory=list)
    # Codes (or prefixes, or ruff/flake8 codes such as "F401") to leave out in
    # the files a glob matches, relative to the file's project root:
    # {"tests/*" = ["MC310"]}.
    per_file_ignores: dict[str, list[str]] = field(default_factory=dict)
    # The lowest Python the code must run on ("3.9", ">=3.9", "py39"); empty:
    # the project's requires-python, else the running interpreter.
    python_version: str = ""


def _token_limits() -> dict[str, int]:
    return {"coding": 2048, "reasoning": 512, "organizer": 64}


@dataclass
class Constitution:
    """The mission's constitution: who owns the work and what is forbidden."""

    owner: str = ""
    block_hierarchy: list[str] = field(default_factory=list)
    forbidden_sources: list[str] = field(default_factory=lambda: ["eval", "exec"])
    max_token_limits: dict[str, int] = field(default_factory=_token_limits)


@dataclass
class VaultSettings:
    enabled: bool = True
    # Relative paths are taken from the workspace root.
    path: str = field(default=".mycoder", metadata=USER_ONLY)
    # "ollama" (/api/embed) and "openai" (/v1/embeddings: llama-server
    # --embeddings, vLLM, LM Studio) send every chunk of the workspace to embedding_url.
    embedder: Literal["offline", "ollama", "openai"] = field(default="offline", metadata=USER_ONLY)
    embedding_model: str = "nomic-embed-text"
    # One server, or a pool of servers of the same model (a list): each batch goes to the least
    # busy one that answers, the next one when it does not (mycoder_lsp/brains/pool.py).
    embedding_url: str | list[str] = field(default=DEFAULT_OLLAMA_URL,
                                           metadata={**USER_ONLY, "check": "server_urls"})
    # Bearer token for an "openai" embedding server that wants one.
    embedding_api_key: str = field(default="", metadata=USER_ONLY)
    max_patterns: int = 100
    index_on_start: bool = True
    # "postgresql://user@host/db": a shared vault on PostgreSQL (pgvector) instead of the
    # SQLite file under `path`. The user's own: a repository must not point its readers'
    # servers at a database. The password comes from PGPASSWORD or ~/.pgpass, never from here.
    url: str = field(default="", metadata=USER_ONLY)
    # Database hosts other than loopback (or a Unix socket) the vault may connect to.
    allowed_hosts: list[str] = field(default_factory=list, metadata=USER_ONLY)
    # Who owns sessions, features and learned patterns in a shared vault (default: the login name).
    user: str = field(default="", metadata=USER_ONLY)
    # The shared index's name in the database (default: the workspace folder's name).
    repository: str = field(default="", metadata=USER_ONLY)
    # With a shared vault, this server writes the shared index (on start and on save) from
    # this working tree, uncommitted changes included. Off: it only reads what the team's
    # indexer (`mycoder-lsp index --vault URL`, e.g. in CI) wrote.
    index_shared: bool = field(default=False, metadata=USER_ONLY)
    # The shared vault keeps one index per indexed commit; its indexer drops all but the
    # newest this many (readers use the newest whose commit is in their history).
    keep_indexes: int = field(default=3, metadata=USER_ONLY)

    @property
    def embedding_urls(self) -> list[str]:
        """The embedding server, or the servers of its pool, in the order given."""
        return [self.embedding_url] if isinstance(self.embedding_url, str) else list(self.embedding_url)


@dataclass
class HoverSettings:
    explain: bool = True
    # How long a hover waits for the reasoning brain before showing what is
    # known at once (the explanation is cached for the next hover anyway).
    wait_ms: int = 1500


@dataclass
class EditsSettings:
    """How a proposed edit reaches the document."""

    # Show the edit as a diff to accept or reject (editors that can; others
    # get a change annotation asking for confirmation where they support
    # one). False applies at once. The user's own: a repository may not
    # switch off the review of what is written into it.
    preview: bool = field(default=True, metadata=USER_ONLY)


@dataclass
class CompletionSettings:
    """Inline completion (fill-in-the-middle) while typing; the model is
    ``brains.completion``."""

    enabled: bool = True
    # A request goes out after this many milliseconds without a keystroke.
    debounce_ms: int = 150
    # Languages completed (names as in mycoder_lsp.code.languages); empty: all.
    languages: list[str] = field(default_factory=list)
    disabled_languages: list[str] = field(default_factory=list)
    # A suggestion is at most this many lines (1: the rest of the line only).
    max_lines: int = 3
    # The FIM prompt format; "auto" picks it from the model's name.
    fim_template: Literal["auto", "qwen", "codellama", "starcoder", "deepseek", "codegemma"] = "auto"
    # "vault": also definitions imported from other workspace files; "file": this file only.
    context: Literal["vault", "file"] = "vault"

    def covers(self, language: str | None) -> bool:
        """Is completion on for documents in ``language``?"""
        if not self.enabled or (language is not None and language in self.disabled_languages):
            return False
        return not self.languages or language in self.languages


@dataclass
class Settings:
    brains: BrainsSettings = field(default_factory=BrainsSettings)
    validation: ValidationSettings = field(default_factory=ValidationSettings)
    constitution: Constitution = field(default_factory=Constitution)
    vault: VaultSettings = field(default_factory=VaultSettings)
    hover: HoverSettings = field(default_factory=HoverSettings)
    edits: EditsSettings = field(default_factory=EditsSettings)
    completion: CompletionSettings = field(default_factory=CompletionSettings)
    log_level: Literal["debug", "info", "warning", "error"] = "info"


@dataclass(frozen=True)
class SettingsProblem:
    """A key that was ignored, and why; ``source`` names the layer."""

    source: str
    key: str
    reason: str

    def __str__(self) -> str:
        return f"{self.source}: setting '{self.key}' ignored: {self.reason}"


_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")


def _snake(key: str) -> str:
    return _CAMEL.sub(r"_\1", key).lower().replace("-", "_")


def _describe(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(a) for a in typing.get_args(tp))
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(tp))
    if origin in (list, dict):
        return "a list" if origin is list else "a table"
    return {bool: "true or false", int: "a whole number", float: "a number", str: "a string"}.get(tp, str(tp))


def _coerce(value: Any, tp: Any) -> Any:
    """Return ``value`` as type ``tp`` or raise ``ValueError`` saying why not."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):  # the first type that takes the value
        for option in typing.get_args(tp):
            try:
                return _coerce(value, option)
            except ValueError:
                continue
        raise ValueError(f"must be {_describe(tp)}, got {value!r}")
    if origin is Literal:
        if value in typing.get_args(tp):
            return value
        raise ValueError(f"must be {_describe(tp)}, got {value!r}")
    if origin is list:
        (item_tp,) = typing.get_args(tp)
        if not isinstance(value, (list, tuple)):
            raise ValueError(f"must be a list, got {value!r}")
        return [_coerce(v, item_tp) for v in value]
    if origin is dict:
        _, val_tp = typing.get_args(tp)
        if not isinstance(value, Mapping):
            raise ValueError(f"must be a table, got {value!r}")
        return {str(k): _coerce(v, val_tp) for k, v in value.items()}
    if tp is bool:
        if isinstance(value, bool):
            return value
    elif tp is int:
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
    elif tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
            return float(value)
    elif tp is str:
        if isinstance(value, str):
            return value
    raise ValueError(f"must be {_describe(tp)}, got {value!r}")


def server_base(url: str) -> str:
    """The server a brain URL names: ``http://h:p`` for both ``http://h:p/`` and
    ``http://h:p/v1`` (OpenAI-compatible URLs are given either way)."""
    base = url.strip().rstrip("/")
    return base[:-3] if base.endswith("/v1") else base


def server_urls(value: str | list[str]) -> str | list[str]:
    """A brain's ``url``: one http(s) URL, or a non-empty list of distinct ones
    (a pool). Raises ValueError saying what is wrong."""
    urls = [value] if isinstance(value, str) else value
    if not urls:
        raise ValueError("must name at least one server, e.g. \"http://127.0.0.1:11434\"")
    seen: set[str] = set()
    for url in urls:
        parts = urllib.parse.urlsplit(url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{url!r} is not an http(s) URL, e.g. \"http://127.0.0.1:11434\"")
        base = server_base(url)
        if base in seen:
            raise ValueError(f"names the server {base} twice")
        seen.add(base)
    return value


# The checks a field's metadata names ("check"), run after its type is right.
_CHECKS = {"server_urls": server_urls}


def _apply(target: Any, data: Mapping[str, Any], source: str, prefix: str, problems: list[SettingsProblem],
           trusted: bool) -> None:
    hints = typing.get_type_hints(type(target))
    fields = {f.name: f for f in dataclasses.fields(target)}
    for raw_key, value in data.items():
        key = _snake(str(raw_key))
        dotted = f"{prefix}{raw_key}"
        if key not in fields:
            problems.append(SettingsProblem(source, dotted, "unknown setting"))
            continue
        if not trusted and fields[key].metadata.get("user_only"):
            problems.append(SettingsProblem(source, dotted, REPOSITORY_MAY_NOT))
            continue
        tp = hints[key]
        current = getattr(target, key)
        if dataclasses.is_dataclass(current):
            if not isinstance(value, Mapping):
                problems.append(SettingsProblem(source, dotted, f"must be a table, got {value!r}"))
                continue
            _apply(current, value, source, dotted + ".", problems, trusted)
            continue
        try:
            coerced = _coerce(value, tp)
            check = fields[key].metadata.get("check")
            setattr(target, key, _CHECKS[check](coerced) if check else coerced)
        except ValueError as exc:
            problems.append(SettingsProblem(source, dotted, str(exc)))
            continue
        _mark_set(target, key)


# Which fields some layer set (as opposed to their defaults), kept on the
# instance beside its fields: a project's own line length (ruff, black) must
# not override a value the user chose, even one equal to the default.
_SET_KEYS = "_mycoder_set_keys"


def _mark_set(target: Any, key: str) -> None:
    target.__dict__.setdefault(_SET_KEYS, set()).add(key)


def was_set(section: Any, key: str) -> bool:
    """Did a settings layer set ``section.key`` (``was_set(settings.validation.style, "max_line_length")``)?"""
    return key in section.__dict__.get(_SET_KEYS, ())


def apply_layer(settings: Settings, data: Mapping[str, Any] | None, source: str, *,
                trusted: bool = True) -> list[SettingsProblem]:
    """Override ``settings`` in place with one layer; return what was refused.

    ``trusted=False`` is for the repository's own settings: ``USER_ONLY``
    fields are refused there."""
    problems: list[SettingsProblem] = []
    if data is None:
        return problems
    if not isinstance(data, Mapping):
        return [SettingsProblem(source, "(root)", f"must be a table, got {data!r}")]
    _apply(settings, data, source, "", problems, trusted)
    return problems


def user_only_keys(settings: Any = None, prefix: str = "") -> list[str]:
    """The dotted keys a repository's settings may not set (for docs and doctor)."""
    settings = Settings() if settings is None else settings
    keys: list[str] = []
    for f in dataclasses.fields(settings):
        value = getattr(settings, f.name)
        if f.metadata.get("user_only"):
            keys.append(prefix + f.name)
        elif dataclasses.is_dataclass(value):
            keys += user_only_keys(value, f"{prefix}{f.name}.")
    return keys


def user_config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "mycoder" / "config.toml"


def user_cache_dir() -> Path:
    """Where caches that only cost time to lose are kept: the user's, never a workspace's."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "mycoder-lsp"


# A repository's settings file is small; anything bigger (or a planted link to
# /dev/zero) is refused rather than read.
PROJECT_FILE_LIMIT = 1_000_000


def _read_toml(path: Path, source: str, problems: list[SettingsProblem], *,
               untrusted: bool = False) -> dict[str, Any] | None:
    """Parse one TOML file. A repository's (``untrusted``) must be a regular
    file, not a symbolic link, and at most PROJECT_FILE_LIMIT bytes."""
    if not os.path.lexists(path):
        return None  # the usual case: no such file, and no TOML parser to import (3 ms of a `route`)
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib
    try:
        if not untrusted:
            with path.open("rb") as fh:
                return tomllib.load(fh)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as fh:
            info = os.fstat(fh.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise OSError("not a regular file")
            data = fh.read(PROJECT_FILE_LIMIT + 1)
        if len(data) > PROJECT_FILE_LIMIT:
            raise OSError(f"larger than {PROJECT_FILE_LIMIT} bytes")
        return tomllib.loads(data.decode("utf-8"))
    except FileNotFoundError:
        return None
    except OSError as exc:
        if untrusted and exc.errno == errno.ELOOP:
            exc = OSError("it is a symbolic link, which a repository's settings may not be")
        problems.append(SettingsProblem(source, "(file)", f"cannot be read: {exc}"))
        return None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        problems.append(SettingsProblem(source, "(file)", f"cannot be read: {exc}"))
        return None


@dataclass(frozen=True)
class FileLayer:
    """One settings file's contents; ``trusted`` is false for the repository's."""

    source: str
    data: dict[str, Any]
    trusted: bool


def file_layers(root: Path | None) -> tuple[list[FileLayer], list[SettingsProblem]]:
    """The user and project layers that exist, lowest first."""
    problems: list[SettingsProblem] = []
    layers: list[FileLayer] = []
    user = user_config_path()
    data = _read_toml(user, str(user), problems)
    if data is not None:
        layers.append(FileLayer(str(user), data, trusted=True))
    if root is not None:
        project = root / ".mycoder" / "config.toml"
        if project.parent.is_symlink():
            problems.append(SettingsProblem(str(project), "(file)", "not read: .mycoder is a symbolic link"))
            data = None
        else:
            data = _read_toml(project, str(project), problems, untrusted=True)
        if data is not None:
            layers.append(FileLayer(str(project), data, trusted=False))
        else:
            pyproject = root / "pyproject.toml"
            py_data = _read_toml(pyproject, str(pyproject), problems, untrusted=True)
            tool = py_data.get("tool", {}) if isinstance(py_data, dict) else None
            tool = tool.get("mycoder") if isinstance(tool, dict) else None
            if tool is not None:
                layers.append(FileLayer(f"{pyproject} [tool.mycoder]", tool, trusted=False))
    return layers, problems


def load_settings(
    root: Path | None,
    *,
    initialization_options: Mapping[str, Any] | None = None,
    workspace_configuration: Mapping[str, Any] | None = None,
) -> tuple[Settings, list[SettingsProblem]]:
    """Build the settings from every layer, in the documented precedence."""
    settings = Settings()
    layers, problems = file_layers(root)
    for layer in layers:
        problems += apply_layer(settings, layer.data, layer.source, trusted=layer.trusted)
    problems += apply_layer(settings, _unwrap(initialization_options), "initializationOptions")
    problems += apply_layer(settings, _unwrap(workspace_configuration), "workspace/configuration")
    return settings, problems


def _unwrap(data: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """Accept both ``{"mycoder": {...}}`` and ``{...}`` from editors."""
    if isinstance(data, Mapping) and set(data) == {"mycoder"}:
        inner = data["mycoder"]
        return inner if isinstance(inner, Mapping) or inner is None else data
    return data


def as_dict(settings: Any) -> dict[str, Any]:
    return dataclasses.asdict(settings)


__all__ = [
    "BrainSettings",
    "BrainsSettings",
    "CompletionSettings",
    "Constitution",
    "DEFAULT_OLLAMA_URL",
    "EditsSettings",
    "FileLayer",
    "HoverSettings",
    "LintSettings",
    "REPOSITORY_MAY_NOT",
    "Settings",
    "SettingsProblem",
    "StyleSettings",
    "USER_ONLY",
    "ValidationSettings",
    "VaultSettings",
    "apply_layer",
    "as_dict",
    "file_layers",
    "load_settings",
    "user_config_path",
    "user_only_keys",
    "was_set",
]
