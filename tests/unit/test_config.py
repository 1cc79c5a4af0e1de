from __future__ import annotations

import dataclasses
import json
import os
import typing

import pytest

from mycoder_lsp.config import REPOSITORY_MAY_NOT, Settings, apply_layer, load_settings, user_only_keys


@pytest.fixture(autouse=True)
def private_xdg(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg"


def test_defaults_are_the_missions():
    s = Settings()
    assert s.brains.organizer.model == "llama3.2:1b-instruct-q4_K_M"
    assert (s.brains.organizer.max_tokens, s.brains.coding.max_tokens, s.brains.reasoning.max_tokens) == (64, 2048, 512)
    brains = (s.brains.organizer, s.brains.coding, s.brains.reasoning)
    assert tuple(b.temperature for b in brains) == (0.0, 0.4, 0.1)
    assert s.constitution.forbidden_sources == ["eval", "exec"]
    assert s.constitution.max_token_limits == {"coding": 2048, "reasoning": 512, "organizer": 64}
    assert s.validation.style.max_line_length == 79
    assert s.validation.lint.max_line_length == 100
    assert s.validation.max_file_size == 1_000_000


def test_precedence_user_project_init_workspace(tmp_path, private_xdg):
    (private_xdg / "mycoder").mkdir(parents=True)
    (private_xdg / "mycoder" / "config.toml").write_text(
        '[brains.coding]\nmodel = "user-model"\ntimeout = 10\n[validation.style]\nmax_line_length = 88\n'
    )
    root = tmp_path / "proj"
    (root / ".mycoder").mkdir(parents=True)
    (root / ".mycoder" / "config.toml").write_text('[brains.coding]\nmodel = "project-model"\n')
    settings, problems = load_settings(
        root,
        initialization_options={"brains": {"coding": {"timeout": 20}}, "validation": {"debounceMs": 100}},
        workspace_configuration={"mycoder": {"validation": {"debounce_ms": 50}}},
    )
    assert problems == []
    assert settings.brains.coding.model == "project-model"  # project beats user
    assert settings.brains.coding.timeout == 20.0  # init options beat user
    assert settings.validation.style.max_line_length == 88  # user beats defaults
    assert settings.validation.debounce_ms == 50  # workspace/configuration beats init options


def test_pyproject_tool_section_is_the_project_layer(tmp_path):
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text(
        '[project]\nname="x"\n[tool.mycoder.constitution]\nforbidden_sources = ["eval", "exec", "compile"]\n')
    settings, problems = load_settings(root)
    assert problems == []
    assert settings.constitution.forbidden_sources == ["eval", "exec", "compile"]


def test_bad_values_are_reported_and_defaults_kept():
    s = Settings()
    problems = apply_layer(
        s,
        {"brains": {"coding": {"max_tokens": "lots", "temperature": -1}, "verify": "sometimes"},
         "validation": {"style": 3, "nonsense": True}, "log_level": "debug"},
        "test",
    )
    keys = sorted(p.key for p in problems)
    assert keys == ["brains.coding.max_tokens", "brains.coding.temperature", "brains.verify",
                    "validation.nonsense", "validation.style"]
    assert s.brains.coding.max_tokens == 2048
    assert s.brains.verify == "large"
    assert s.log_level == "debug"  # the good key in the same layer still applies
    assert "must be a whole number" in str(next(p for p in problems if p.key == "brains.coding.max_tokens"))


def test_unreadable_toml_is_a_problem_not_a_crash(tmp_path):
    root = tmp_path / "proj"
    (root / ".mycoder").mkdir(parents=True)
    (root / ".mycoder" / "config.toml").write_text("this is = = not toml")
    settings, problems = load_settings(root)
    assert len(problems) == 1 and "cannot be read" in problems[0].reason
    assert settings == Settings()


def test_non_mapping_layer(tmp_path):
    s = Settings()
    problems = apply_layer(s, ["not", "a", "table"], "initializationOptions")  # type: ignore[arg-type]
    assert problems and problems[0].key == "(root)"


# -- a repository's settings may not choose endpoints or move the vault ------------

# The contract: every key a repository's settings may not set. A change here is a
# change of the security contract (README, settings table), not a refactoring.
USER_ONLY_KEYS = {
    **{f"brains.{brain}.{key}": value for brain in ("organizer", "coding", "reasoning", "completion")
       for key, value in (("url", "http://203.0.113.7:11434"), ("backend", "openai"), ("api_key", "sk-hostile"))},
    "brains.allowed_hosts": ["203.0.113.7"],
    "vault.path": "../outside",
    "vault.embedder": "ollama",
    "vault.embedding_url": "http://203.0.113.7:11434",
    "vault.embedding_api_key": "sk-hostile",
    # A shared PostgreSQL vault: where code goes, which hosts, whose sessions, which index.
    "vault.url": "postgresql://mallory@203.0.113.7/vault",
    "vault.allowed_hosts": ["203.0.113.7"],
    "vault.user": "alice",
    "vault.repository": "another-repo",
    "vault.index_shared": True,
    # How many commit indexes the team's shared vault keeps: a repository must not prune them.
    "vault.keep_indexes": 1,
    # The user's review of edits: a repository may not switch it off.
    "edits.preview": False,
}


def _get(settings: Settings, dotted: str):
    value = settings
    for part in dotted.split("."):
        value = getattr(value, part)
    return value


def _toml(dotted: str, value, table_prefix: str = "") -> str:
    *sections, key = dotted.split(".")
    header = ".".join(([table_prefix] if table_prefix else []) + sections)
    return (f"[{header}]\n" if header else "") + f"{key} = {json.dumps(value)}\n"


def _toml_tables(data: dict, header: str = "") -> str:
    plain = "".join(f"{k} = {json.dumps(v)}\n" for k, v in data.items() if not isinstance(v, dict))
    text = (f"[{header}]\n" if header and plain else "") + plain
    for key, value in data.items():
        if isinstance(value, dict):
            text += _toml_tables(value, f"{header}.{key}" if header else key)
    return text


def _fields(settings, prefix=""):
    for f in dataclasses.fields(settings):
        value = getattr(settings, f.name)
        if dataclasses.is_dataclass(value):
            yield from _fields(value, f"{prefix}{f.name}.")
        else:
            yield prefix + f.name, f, typing.get_type_hints(type(settings))[f.name]


def test_every_endpoint_credential_or_path_setting_is_user_only():
    """A new ``*_url``/``*_host``/``*_path``/``*_key`` setting cannot be
    forgotten: it is user-only or this fails."""
    for dotted, f, tp in _fields(Settings()):
        is_text = tp is str or typing.get_args(tp) == (str,)
        if is_text and dotted.rsplit(".", 1)[-1].endswith(("url", "host", "hosts", "path", "key")):
            assert f.metadata.get("user_only"), f"{dotted} chooses an endpoint or a place: mark it USER_ONLY"
    assert set(user_only_keys()) == set(USER_ONLY_KEYS)


@pytest.mark.parametrize("where", ["mycoder-config", "pyproject"])
@pytest.mark.parametrize("dotted", sorted(USER_ONLY_KEYS))
def test_a_repository_may_not_set_user_only_keys(tmp_path, where, dotted):
    root = tmp_path / "proj"
    root.mkdir()
    value = USER_ONLY_KEYS[dotted]
    # The same file also tunes things a project may tune: those still apply.
    tuned = "reasoning" if dotted.startswith("brains.coding.") else "coding"
    allowed = f'[brains.{tuned}]\nmodel = "project-model"\n[validation.style]\nmax_line_length = 88\n'
    if where == "mycoder-config":
        (root / ".mycoder").mkdir()
        (root / ".mycoder" / "config.toml").write_text(_toml(dotted, value) + allowed)
    else:
        (root / "pyproject.toml").write_text('[project]\nname = "x"\n' + _toml(dotted, value, "tool.mycoder")
                                             + allowed.replace("[", "[tool.mycoder."))
    settings, problems = load_settings(root)
    assert [(p.key, p.reason) for p in problems] == [(dotted, REPOSITORY_MAY_NOT)]
    assert "set it in your user config or editor settings" in str(problems[0])
    assert _get(settings, dotted) == _get(Settings(), dotted)
    assert getattr(settings.brains, tuned).model == "project-model"
    assert settings.validation.style.max_line_length == 88


def test_camel_case_and_whole_tables_from_a_repository_are_refused_too(tmp_path):
    root = tmp_path / "proj"
    (root / ".mycoder").mkdir(parents=True)
    (root / ".mycoder" / "config.toml").write_text(
        'brains = { allowedHosts = ["203.0.113.7"], coding = { url = "http://203.0.113.7:11434", '
        'apiKey = "sk" } }\nvault = { embeddingUrl = "http://203.0.113.7:11434", embedder = "ollama" }\n')
    settings, problems = load_settings(root)
    assert sorted(p.key for p in problems) == ["brains.allowedHosts", "brains.coding.apiKey", "brains.coding.url",
                                               "vault.embedder", "vault.embeddingUrl"]
    assert all(p.reason == REPOSITORY_MAY_NOT for p in problems)
    assert settings == Settings()


@pytest.mark.parametrize("layer", ["user-file", "initializationOptions", "workspace/configuration"])
def test_the_users_own_layers_may_set_user_only_keys(tmp_path, private_xdg, layer):
    root = tmp_path / "proj"
    root.mkdir()
    data: dict = {}
    for dotted, value in USER_ONLY_KEYS.items():
        section = data
        *parts, key = dotted.split(".")
        for part in parts:
            section = section.setdefault(part, {})
        section[key] = value
    init = workspace = None
    if layer == "user-file":
        (private_xdg / "mycoder").mkdir(parents=True)
        (private_xdg / "mycoder" / "config.toml").write_text(_toml_tables(data))
    elif layer == "initializationOptions":
        init = data
    else:
        workspace = {"mycoder": data}
    settings, problems = load_settings(root, initialization_options=init, workspace_configuration=workspace)
    assert problems == []
    for dotted, value in USER_ONLY_KEYS.items():
        assert _get(settings, dotted) == value, dotted


def test_a_repository_cannot_undo_the_users_endpoint(tmp_path, private_xdg):
    """The user file is below the project layer: without the refusal, the
    repository's url would win over the user's."""
    (private_xdg / "mycoder").mkdir(parents=True)
    (private_xdg / "mycoder" / "config.toml").write_text(
        '[brains]\nallowed_hosts = ["gpu.example.org"]\n[brains.coding]\nurl = "http://gpu.example.org:11434"\n')
    root = tmp_path / "proj"
    (root / ".mycoder").mkdir(parents=True)
    (root / ".mycoder" / "config.toml").write_text(
        '[brains]\nallowed_hosts = []\n[brains.coding]\nurl = "http://203.0.113.7:11434"\nmodel = "qwen2.5-coder"\n')
    settings, problems = load_settings(root)
    assert sorted(p.key for p in problems) == ["brains.allowed_hosts", "brains.coding.url"]
    assert settings.brains.coding.url == "http://gpu.example.org:11434"
    assert settings.brains.allowed_hosts == ["gpu.example.org"]
    assert settings.brains.coding.model == "qwen2.5-coder"


def test_a_pyproject_whose_tool_is_not_a_table_is_ignored(tmp_path):
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text('tool = "nothing here"\n')
    settings, problems = load_settings(root)
    assert problems == [] and settings == Settings()


@pytest.mark.parametrize("planted", ["link-to-file", "link-to-dev-zero", "linked-dir", "fifo", "huge"])
def test_a_repositorys_settings_file_is_read_only_when_it_is_a_small_regular_file(tmp_path, monkeypatch, planted):
    # A planted link could make the server read /dev/zero (never ends) or a
    # file outside the repository; a FIFO would block the read forever.
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    root = tmp_path / "repo"
    (root / ".mycoder").mkdir(parents=True)
    elsewhere = tmp_path / "elsewhere.toml"
    elsewhere.write_text('log_level = "debug"\n')
    target = root / ".mycoder" / "config.toml"
    if planted == "link-to-file":
        target.symlink_to(elsewhere)
    elif planted == "link-to-dev-zero":
        target.symlink_to("/dev/zero")
    elif planted == "linked-dir":
        (root / ".mycoder").rmdir()
        (tmp_path / "real").mkdir()
        (tmp_path / "real" / "config.toml").write_text('log_level = "debug"\n')
        (root / ".mycoder").symlink_to(tmp_path / "real")
    elif planted == "fifo":
        os.mkfifo(target)
    else:
        target.write_text('log_level = "debug"\n' + "# padding\n" * 200_000)
    settings, problems = load_settings(root)
    assert settings.log_level == "info"
    assert [p.key for p in problems] == ["(file)"]
